// Property tests (fast-check). On failure fast-check prints the seed and path; replay a case
// with FC_SEED=<seed> (and FC_PATH=<path>) in the environment.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Adagrad, CheckpointError, init, RMSprop } from "../src/index.js";
import { crc32 } from "../src/checkpoint.js";
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

describe("property: the checkpoint loader never half-loads", () => {
  const build = () => {
    const opt = new RMSprop([{ params: [new Float32Array(6)], momentum: 0.9 }, { params: [new Float32Array(3)], centered: true }]);
    opt.step([Float32Array.of(1, 2, 3, 4, 5, 6), Float32Array.of(-1, 0, 1)]);
    return opt;
  };
  const reseal = (b: Uint8Array) => {
    if (b.length >= 4) new DataView(b.buffer, b.byteOffset).setUint32(b.length - 4, crc32(b, b.length - 4), true);
    return b;
  };
  // Either loads (and then round-trips exactly) or throws the documented error unchanged.
  const loadsOrRefuses = (opt: RMSprop, bytes: Uint8Array, before: Uint8Array) => {
    try {
      opt.loadState(bytes);
    } catch (e) {
      expect(e instanceof CheckpointError || e instanceof TypeError, String(e)).toBe(true);
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
    const edit = fc.record({ at: fc.nat(good.length - 1), byte: fc.integer({ min: 0, max: 255 }) });
    const mutation = fc.record({
      edits: fc.array(edit, { maxLength: 4 }),
      cut: fc.oneof(fc.constant(0), fc.nat(good.length)),
      extra: fc.uint8Array({ maxLength: 8 }),
      seal: fc.boolean(),
    });
    let loaded = 0;
    fc.assert(fc.property(mutation, (m) => {
      let b: Uint8Array = good.slice();
      for (const e of m.edits) b[e.at] = e.byte;
      if (m.cut) b = b.slice(0, m.cut);
      if (m.extra.length) b = Uint8Array.from([...b, ...m.extra]);
      if (m.seal) b = reseal(b);
      const before = opt.saveState();
      if (loadsOrRefuses(opt, b, before)) loaded++;
    }), params(RUNS * 8));
    expect(loaded).toBeGreaterThan(0); // edits inside float data are valid checkpoints
  });
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
