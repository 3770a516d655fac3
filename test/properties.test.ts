// Property tests (fast-check). On failure fast-check prints the seed and path; replay a case
// with FC_SEED=<seed> (and FC_PATH=<path>) in the environment.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Adagrad, CheckpointError, init, OneCycleLR, RMSprop, type NonFinitePolicy, type Optimizer, type StateDict } from "../src/index.js";
import { crc32, encodeCheckpoint } from "../src/checkpoint.js";
import { encodeValue } from "../src/scheduler-bytes.js";
import { engineOf } from "../src/optimizer.js";
import { ByteWriter } from "./helpers/checkpoint-bytes.js";
import { firstBitDiff } from "./helpers/fixtures.js";
import { optimizerClass } from "./helpers/replay.js";

const RUNS = Number(process.env.FC_RUNS ?? 200);
const params = (runs = RUNS): fc.Parameters<unknown> => ({
  numRuns: runs,
  seed: process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined,
  path: process.env.FC_PATH,
  verbose: 1,
});

const SPECIAL = [0, -0, 1e-45, -1e-45, 1.1754942e-38, 1e-30, -1e-30, 3e38, -3e38, 3.4028235e38, 1.8e19, -1.8e19, Infinity, -Infinity, NaN];
const value = fc.oneof(
  { weight: 6, arbitrary: fc.float({ min: -10, max: 10, noNaN: true }) },
  { weight: 2, arbitrary: fc.float() },
  { weight: 2, arbitrary: fc.constantFrom(...SPECIAL) },
);
const tensor = (n: number) => fc.array(value, { minLength: n, maxLength: n }).map((a) => Float32Array.from(a));
const nonNeg = fc.oneof(fc.constant(0), fc.double({ min: 0, max: 2, noNaN: true }), fc.constantFrom(1e-8, 1e-3, 0.9));

const rmspropOptions = fc.record({
  lr: nonNeg, alpha: fc.oneof(fc.constantFrom(0, 0.5, 0.99, 1), fc.double({ min: 0, max: 1, noNaN: true })),
  eps: nonNeg, weightDecay: nonNeg, momentum: nonNeg, centered: fc.boolean(), maximize: fc.boolean(),
});
const adagradOptions = fc.record({
  lr: nonNeg, lrDecay: nonNeg, weightDecay: nonNeg, initialAccumulatorValue: nonNeg, eps: nonNeg, maximize: fc.boolean(),
});

/** Lengths 0..5000, biased toward the SIMD edges. */
const length = fc.oneof(fc.integer({ min: 0, max: 70 }), fc.integer({ min: 0, max: 5000 }));
const caseOf = <O>(options: fc.Arbitrary<O>) =>
  fc.tuple(options, length, fc.integer({ min: 1, max: 3 })).chain(([o, n, steps]) =>
    fc.record({ options: fc.constant(o), p: tensor(n), grads: fc.array(tensor(n), { minLength: steps, maxLength: steps }) }));

async function runOn(backend: "wasm" | "js", kind: "RMSprop" | "Adagrad", c: { options: object; p: Float32Array; grads: Float32Array[] }) {
  await init({ backend });
  const p = c.p.slice();
  const opt = new (optimizerClass(kind))([p], c.options);
  for (const g of c.grads) opt.step([g]);
  const out = { p, state: opt.stateDict().state[0]! };
  opt.dispose();
  return out;
}

describe("property: wasm and JS agree bit for bit", () => {
  for (const [kind, options] of [["RMSprop", rmspropOptions], ["Adagrad", adagradOptions]] as const) {
    it(`${kind}: random options, lengths 0-5000, special values (${RUNS} runs)`, async () => {
      await fc.assert(fc.asyncProperty(caseOf<object>(options), async (c) => {
        const a = await runOn("wasm", kind, c);
        const b = await runOn("js", kind, c);
        expect(firstBitDiff(a.p, b.p)).toBe(-1);
        for (const [key, v] of Object.entries(a.state)) {
          if (v instanceof Float32Array) expect(firstBitDiff(v, b.state[key] as Float32Array), key).toBe(-1);
          else expect(v).toBe(b.state[key]);
        }
      }), params());
    });
  }
});

/** Re-seals a checkpoint's trailing CRC-32 over whatever its bytes now are. */
const reseal = (b: Uint8Array) => {
  if (b.length >= 4) new DataView(b.buffer, b.byteOffset).setUint32(b.length - 4, crc32(b, b.length - 4), true);
  return b;
};

/** Edits to a checkpoint of `length` bytes: a few byte writes, a truncation, extra bytes, a re-seal. */
const mutations = (length: number) => fc.record({
  edits: fc.array(fc.record({ at: fc.nat(length - 1), byte: fc.integer({ min: 0, max: 255 }) }), { maxLength: 4 }),
  cut: fc.oneof(fc.constant(0), fc.nat(length)),
  extra: fc.uint8Array({ maxLength: 8 }),
  seal: fc.boolean(),
});
type Mutation = ReturnType<typeof mutations> extends fc.Arbitrary<infer M> ? M : never;

/** `good` with mutation `m` applied, in a copy. */
function mutated(good: Uint8Array, m: Mutation): Uint8Array {
  let b: Uint8Array = good.slice();
  for (const e of m.edits) b[e.at] = e.byte;
  if (m.cut) b = b.slice(0, m.cut);
  if (m.extra.length) b = Uint8Array.from([...b, ...m.extra]);
  return m.seal ? reseal(b) : b;
}

describe("property: the checkpoint loader never half-loads", () => {
  const build = () => {
    const opt = new RMSprop([{ params: [new Float32Array(6)], momentum: 0.9 }, { params: [new Float32Array(3)], centered: true }]);
    opt.step([Float32Array.of(1, 2, 3, 4, 5, 6), Float32Array.of(-1, 0, 1)]);
    return opt;
  };
  // Either loads (and then round-trips exactly) or throws the documented error unchanged.
  const loadsOrRefuses = (opt: RMSprop, bytes: Uint8Array, before: Uint8Array) => {
    try {
      opt.loadState(bytes);
    } catch (e) {
      expect(e, String(e)).toBeInstanceOf(CheckpointError);
      expect(opt.saveState()).toEqual(before);
      return false;
    }
    const again = build();
    again.loadState(opt.saveState());
    expect(again.saveState()).toEqual(opt.saveState());
    return true;
  };

  it(`random bytes are refused (${RUNS * 4} runs)`, async () => {
    await init({ backend: "wasm" });
    const opt = build();
    const before = opt.saveState();
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
      expect(loadsOrRefuses(opt, bytes, before)).toBe(false);
    }), params(RUNS * 4));
  });

  it(`mutated checkpoints (byte edits, truncations, extensions; checksum re-sealed) load or are refused (${RUNS * 8} runs)`, async () => {
    await init({ backend: "js" });
    const opt = build();
    const good = opt.saveState();
    let loaded = 0;
    fc.assert(fc.property(mutations(good.length), (m) => {
      const before = opt.saveState();
      if (loadsOrRefuses(opt, mutated(good, m), before)) loaded++;
    }), params(RUNS * 8));
    expect(loaded).toBeGreaterThan(0); // edits inside float data are valid checkpoints
  });

  it(`crafted structures (any counts, names, lengths and masks; checksum sealed) load or are refused (${RUNS * 4} runs)`, async () => {
    await init({ backend: "wasm" });
    const opt = build();
    const NAMES = ["lr", "alpha", "eps", "weight_decay", "momentum", "centered", "maximize", "foreach", "__proto__", "params", "toString"];
    const count = (small: number) => fc.oneof(fc.nat(small), fc.constantFrom(255, 65535, 2 ** 31, 2 ** 32 - 1));
    const crafted = fc.record({
      kind: fc.constantFrom(1, 1, 1, 2, 0, 9),
      flags: fc.constantFrom(0, 1, 1, 1, 2),
      policy: fc.constantFrom(0, 1, 2, 3),
      skipped: fc.oneof(fc.nat(3), fc.constantFrom(-1, 0.5, NaN, Infinity)),
      groupCount: fc.option(count(4), { nil: undefined }),
      groups: fc.array(fc.record({
        tensors: count(3),
        optionCount: fc.option(fc.nat(255), { nil: undefined }),
        options: fc.array(fc.record({
          name: fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 12 })),
          type: fc.constantFrom(0, 0, 1, 1, 2),
          value: fc.oneof(fc.constantFrom(0, 1, 0.5, 0.9, -1), fc.double()),
        }), { maxLength: 9 }),
      }), { maxLength: 4 }),
      tensors: fc.array(fc.record({
        n: fc.oneof(fc.constantFrom(6, 3), count(10)),
        step: fc.oneof(fc.nat(4), fc.double()),
        mask: fc.nat(15),
        floats: fc.option(fc.nat(12), { nil: undefined }),
      }), { maxLength: 4 }),
      trailing: fc.nat(3),
    });
    fc.assert(fc.property(crafted, (c) => {
      const w = new ByteWriter().header({ kind: c.kind, flags: c.flags, policy: c.policy, skipped: c.skipped, groups: c.groupCount ?? c.groups.length });
      for (const g of c.groups) {
        w.u32(g.tensors).u8(g.optionCount ?? g.options.length);
        for (const o of g.options) {
          w.u8(o.name.length);
          for (let i = 0; i < o.name.length; i++) w.u8(o.name.charCodeAt(i) & 0xff);
          w.u8(o.type).f64(o.value);
        }
      }
      for (const t of c.tensors) {
        w.u32(t.n).f64(t.step).u8(t.mask);
        const floats = t.floats ?? Math.min(t.n, 64);
        for (let k = 0; k < 4; k++) if (t.mask & (1 << k)) w.bytes(new Uint8Array(4 * floats).fill(0x3f));
      }
      w.bytes(new Uint8Array(c.trailing));
      loadsOrRefuses(opt, w.seal(), opt.saveState());
    }), params(RUNS * 4));
  });
});

describe("property: a checkpoint with params and scheduler state never half-loads", () => {
  const build = () => {
    const params = [Float32Array.of(1, -2, 3, 0.5, 0, -1), Float32Array.of(0.25, 4, -8)];
    const opt = new RMSprop([{ params: [params[0]!], momentum: 0.9 }, { params: [params[1]!], centered: true, momentum: 0.5 }]);
    const scheduler = new OneCycleLR(opt, { maxLr: [0.1, 0.05], totalSteps: 20 });
    opt.step([Float32Array.of(1, 2, 3, 4, 5, 6), Float32Array.of(-1, 0, 1)]);
    scheduler.step();
    return { opt, scheduler, params };
  };
  type Built = ReturnType<typeof build>;
  const everything = (b: Built) => b.opt.saveState({ params: true, scheduler: b.scheduler });
  /** Loads, and then round-trips exactly; or throws a CheckpointError and every bit is as it was. */
  const loadsOrRefuses = (b: Built, bytes: Uint8Array) => {
    const before = everything(b);
    try {
      b.opt.loadState(bytes, { scheduler: b.scheduler });
    } catch (e) {
      expect(e, String(e)).toBeInstanceOf(CheckpointError);
      expect(everything(b)).toEqual(before);
      return false;
    }
    const again = build();
    again.opt.loadState(everything(b), { scheduler: again.scheduler });
    expect(everything(again)).toEqual(everything(b));
    return true;
  };

  it(`mutated checkpoints (byte edits, truncations, extensions; checksum re-sealed) load or are refused (${RUNS * 8} runs)`, async () => {
    await init({ backend: "js" });
    const b = build();
    const good = everything(b);
    let loaded = 0;
    fc.assert(fc.property(mutations(good.length), (m) => {
      if (loadsOrRefuses(b, mutated(good, m))) loaded++;
    }), params(RUNS * 8));
    expect(loaded).toBeGreaterThan(0); // edits inside float data are valid checkpoints
  });

  // Scheduler state as a file could hold it: the real one with keys dropped, added or given
  // other JSON-like values (special numbers, strings, nesting), checked by OneCycleLR's loader.
  const KEYS = ["total_steps", "_schedule_phases", "cycle_momentum", "use_beta1", "max_lr", "min_lr", "max_momentum",
    "base_momentum", "base_lrs", "last_epoch", "_step_count", "_last_lr", "verbose", "gamma", "__proto__"];
  const number = fc.oneof(fc.double(), fc.constantFrom(0, -0, 1, -1, 20, 0.5, NaN, Infinity, -Infinity, 2 ** 53));
  const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: "small", withCrossShrink: true },
      number, fc.boolean(), fc.constant(null), fc.string({ maxLength: 6 }), fc.constantFrom("initial_lr", "max_lr", "min_lr", "max_momentum"),
      fc.array(tie("value"), { maxLength: 3 }), fc.dictionary(fc.constantFrom("end_step", "start_lr", "end_lr", "start_momentum", "end_momentum", "x"), tie("value"), { maxKeys: 5 })),
  })).value;
  const schedulerEdit = fc.array(fc.record({ key: fc.constantFrom(...KEYS), value: fc.option(json, { nil: undefined }) }), { maxLength: 4 });

  it(`scheduler state with keys dropped, added or changed loads or is refused by the scheduler, changing nothing (${RUNS * 4} runs)`, async () => {
    await init({ backend: "wasm" });
    const b = build();
    const source = build();
    source.opt.step([Float32Array.of(6, 5, 4, 3, 2, 1), Float32Array.of(1, 1, 1)]);
    source.scheduler.step();
    let loaded = 0;
    fc.assert(fc.property(schedulerEdit, fc.boolean(), (edits, withParams) => {
      const state: Record<string, unknown> = source.scheduler.stateDict();
      for (const { key, value } of edits) {
        if (value === undefined) delete state[key];
        else Object.defineProperty(state, key, { value, enumerable: true, writable: true, configurable: true });
      }
      const e = engineOf(source.opt);
      const bytes = encodeCheckpoint({
        dict: source.opt.stateDict(), policy: e.policy, skippedSteps: 0, lengths: e.tensors.map((t) => t.length),
        params: withParams ? source.params : undefined, scheduler: { kind: "OneCycleLR", state },
      }, e.family);
      if (loadsOrRefuses(b, bytes)) loaded++;
    }), params(RUNS * 4));
    expect(loaded).toBeGreaterThan(0); // edits that keep the state valid
  });

  it(`crafted scheduler sections (any name, claimed size, tags and counts; checksum sealed) load or are refused (${RUNS * 4} runs)`, async () => {
    await init({ backend: "js" });
    const b = build();
    const base = b.opt.saveState({ params: true });
    const valid = encodeValue(b.scheduler.stateDict(), "test");
    // Tokens of the value encoding: tags, counts small and huge, raw bytes, and pieces of a valid state.
    const token = fc.oneof(
      fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 7, 255).map((t) => [t]),
      fc.oneof(fc.nat(6), fc.constantFrom(255, 65535, 2 ** 31, 2 ** 32 - 1)).map((n) => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24]),
      fc.uint8Array({ maxLength: 9 }).map((a) => [...a]),
      fc.tuple(fc.nat(valid.length), fc.nat(40)).map(([at, n]) => [...valid.subarray(at, at + n)]),
    );
    const crafted = fc.record({
      name: fc.oneof(fc.constant("OneCycleLR"), fc.constant("StepLR"), fc.string({ maxLength: 12 })),
      nameLength: fc.option(fc.nat(255), { nil: undefined }),
      tokens: fc.array(token, { maxLength: 12 }),
      size: fc.option(fc.oneof(fc.nat(200), fc.constantFrom(2 ** 24, 2 ** 24 + 1, 2 ** 32 - 1)), { nil: undefined }),
      flags: fc.constantFrom(7, 7, 7, 5, 3, 1, 0, 15),
    });
    fc.assert(fc.property(crafted, (c) => {
      const body = c.tokens.flat();
      const w = new ByteWriter().bytes(base.subarray(0, base.length - 4));
      w.u8(c.nameLength ?? c.name.length);
      for (let i = 0; i < c.name.length; i++) w.u8(c.name.charCodeAt(i) & 0xff);
      w.u32(c.size ?? body.length).bytes(body);
      const bytes = w.seal();
      bytes[11] = c.flags; // the base holds state and params: 7 adds the section
      loadsOrRefuses(b, reseal(bytes));
    }), params(RUNS * 4));
  });
});

describe("property: whatever an optimizer writes, it loads, bit for bit", () => {
  type Kind = "RMSprop" | "Adagrad";
  const partial = <T extends object>(o: fc.Arbitrary<T>) => o.chain((full) =>
    fc.subarray(Object.keys(full)).map((keys) => Object.fromEntries(keys.map((k) => [k, (full as Record<string, unknown>)[k]]))));
  const optionsOf = (kind: Kind) => partial<object>(kind === "RMSprop" ? rmspropOptions : adagradOptions);
  const optimizerCase = fc.constantFrom<Kind>("RMSprop", "Adagrad").chain((kind) => fc.record({
    kind: fc.constant(kind),
    // Groups of 0-3 tensors of 0-9 elements, each group with its own option overrides.
    groups: fc.array(fc.record({ lengths: fc.array(fc.nat(9), { maxLength: 3 }), options: optionsOf(kind) }), { minLength: 1, maxLength: 3 }),
    options: optionsOf(kind),
    nonFinite: fc.constantFrom<NonFinitePolicy>("propagate", "skip", "throw"),
    skippedSteps: fc.nat(5),
    steps: fc.nat(2),
    // Options set through paramGroups after the steps (a schedule, or momentum turned on late).
    later: fc.array(fc.tuple(fc.nat(2), optionsOf(kind)), { maxLength: 2 }),
    salt: fc.integer({ min: -1000, max: 1000 }),
  }));
  type Case = typeof optimizerCase extends fc.Arbitrary<infer C> ? C : never;

  function build(c: Case, withOptions: boolean): Optimizer<object> {
    const groups = c.groups.map((g) => ({
      params: g.lengths.map((n, i) => Float32Array.from({ length: n }, (_, j) => Math.sin(j + 7 * i + c.salt))),
      ...(withOptions ? g.options : {}),
    }));
    const options = withOptions ? c.options : {};
    return c.kind === "RMSprop" ? new RMSprop(groups, options) : new Adagrad(groups, options);
  }
  const bits = (sd: StateDict) => ({
    state: sd.state.map((e) => Object.entries(e).map(([k, v]) => [k, v instanceof Float32Array ? Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length)) : v])),
    param_groups: sd.param_groups,
  });

  for (const backend of ["wasm", "js"] as const) {
    it(`random optimizers, groups (some empty), options, steps (${backend}, ${RUNS} runs)`, async () => {
      await init({ backend });
      fc.assert(fc.property(optimizerCase, (c) => {
        const opt = build(c, true);
        opt.nonFinite = c.nonFinite;
        engineOf(opt).skippedSteps = c.skippedSteps; // read-only in the API
        const lengths = opt.paramGroups.flatMap((g) => g.params.map((p) => p.length));
        for (let s = 0; s < c.steps; s++) {
          opt.step(lengths.map((n, i) => Float32Array.from({ length: n }, (_, j) => 3 * Math.sin(c.salt + 13 * s + 7 * i + j))));
        }
        for (const [gi, o] of c.later) {
          const group = opt.paramGroups[gi % opt.paramGroups.length] as unknown as Record<string, unknown>;
          for (const [k, v] of Object.entries(o)) group[k] = v;
        }
        const sd = opt.stateDict();
        const bytes = opt.saveState();
        // Into itself, then into a fresh optimizer of the same shape with default options.
        opt.loadStateDict(sd);
        expect(bits(opt.stateDict())).toEqual(bits(sd));
        expect(opt.saveState()).toEqual(bytes);
        opt.loadState(bytes);
        expect(opt.saveState()).toEqual(bytes);
        const fresh = build(c, false);
        fresh.loadState(bytes);
        expect(fresh.saveState()).toEqual(bytes);
        const fresh2 = build(c, false);
        fresh2.loadStateDict(sd);
        expect(bits(fresh2.stateDict())).toEqual(bits(sd));
        for (const o of [opt, fresh, fresh2]) o.dispose();
      }), params());
    });
  }
});

describe("property: option validation never lets a bad value through", () => {
  const anyValue = fc.oneof(fc.anything(), fc.double(), fc.constantFrom(-0, -1, NaN, Infinity, -Infinity, 1.5, 2, "0.1", null));
  const valid: Record<string, (v: unknown) => boolean> = {
    lr: (v) => typeof v === "number" && Number.isFinite(v) && v >= 0,
    eps: (v) => typeof v === "number" && Number.isFinite(v) && v >= 0,
    weightDecay: (v) => typeof v === "number" && Number.isFinite(v) && v >= 0,
    momentum: (v) => typeof v === "number" && Number.isFinite(v) && v >= 0,
    alpha: (v) => typeof v === "number" && v >= 0 && v <= 1,
    centered: (v) => typeof v === "boolean",
    maximize: (v) => typeof v === "boolean",
  };
  it(`constructor options and group assignments (${RUNS * 4} runs)`, async () => {
    await init({ backend: "js" });
    fc.assert(fc.property(fc.constantFrom(...Object.keys(valid)), anyValue, (key, v) => {
      const ok = valid[key]!(v);
      const make = () => new RMSprop([new Float32Array(2)], { [key]: v });
      if (v === undefined) return; // "not given": the default applies
      if (ok) expect((make().paramGroups[0] as unknown as Record<string, unknown>)[key]).toBe(v);
      else expect(make).toThrow(key);
      const opt = new RMSprop([new Float32Array(2)]);
      const group = opt.paramGroups[0] as unknown as Record<string, unknown>;
      const old = group[key];
      if (ok) {
        group[key] = v;
        expect(group[key]).toBe(v);
      } else {
        expect(() => (group[key] = v)).toThrow(/must be/);
        expect(group[key]).toBe(old);
      }
    }), params(RUNS * 4));
  });
});
