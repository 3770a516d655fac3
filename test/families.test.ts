// Every registered optimizer family through the same checks, driven by its descriptor: random
// options drawn from its option specs, both backends and both memory paths agreeing bit for
// bit, bad options refused without change, and state that round-trips. A new family is
// covered here as soon as it is registered.
import { describe, expect, it } from "vitest";
import * as simdopt from "../src/index.js";
import { CheckpointError, init, ParamStore, type Optimizer } from "../src/index.js";
import { families, type Family } from "../src/family.js";
import type { OptionSpec } from "../src/options.js";
import { firstBitDiff } from "./helpers/fixtures.js";
import { rngOf as rng } from "./helpers/random.js";
import { optimizerClass } from "./helpers/replay.js";
import { pick, randomOptions } from "./helpers/options.js";

type Options = Record<string, unknown>;
const FAMILIES = families();

/** Values the spec refuses, with the error class each must raise. */
function badValues(spec: OptionSpec): Array<[unknown, typeof TypeError | typeof RangeError]> {
  switch (spec.kind) {
    case "boolean":
      return [[1, TypeError], ["true", TypeError], [null, TypeError]];
    case "number":
      return [["0.1", TypeError], [NaN, RangeError], [Infinity, RangeError], [spec.min - 1, RangeError],
        ...(spec.max !== undefined ? [[spec.max + 1, RangeError] as [number, typeof RangeError]] : [])];
    case "pair":
      return [[0.9, TypeError], [[0.9], RangeError], [[0.9, 1], RangeError], [[-0.1, 0.9], RangeError], [[0.9, "x"], TypeError]];
    case "enum":
      return [[42, TypeError], ["nope", RangeError]];
  }
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

function grads(lengths: number[], step: number, r: () => number): Float32Array[] {
  return lengths.map((n) => Float32Array.from({ length: n }, () => (r() - 0.5) * 4 * (1 + (step % 3))));
}

/** Trains `steps` steps from fixed data; returns params and the state dict. */
function run(Ctor: ReturnType<typeof optimizerClass>, options: Options, lengths: number[], zeroCopy: boolean, seed: number) {
  const r = rng(seed);
  const init0 = lengths.map((n) => Float32Array.from({ length: n }, () => r() * 2 - 1));
  const gr = rng(seed + 1);
  let opt: Optimizer<{ lr?: number }>;
  let params: () => Float32Array[];
  let store: ParamStore | undefined;
  if (zeroCopy) {
    const layout = Object.fromEntries(lengths.map((n, i) => [`t${i}`, n]));
    store = new ParamStore(layout);
    init0.forEach((p, i) => store!.param(`t${i}`).set(p));
    opt = new Ctor(store, options);
    params = () => store!.params();
  } else {
    const own = init0.map((p) => p.slice());
    opt = new Ctor(own, options);
    params = () => own;
  }
  for (let s = 0; s < 4; s++) {
    const g = grads(lengths, s, gr);
    if (store) {
      g.forEach((x, i) => store!.grad(`t${i}`).set(x));
      opt.step();
    } else opt.step(g);
  }
  const out = { params: params().map((p) => p.slice()), sd: opt.stateDict(), bytes: opt.saveState() };
  opt.dispose();
  store?.dispose();
  return out;
}

describe("the family registry", () => {
  it("holds every optimizer, each exported under its name with a unique checkpoint id", () => {
    expect(FAMILIES.map((f) => f.name)).toEqual(expect.arrayContaining(["RMSprop", "Adagrad", "SGD", "Adam", "AdamW"]));
    expect(new Set(FAMILIES.map((f) => f.id)).size).toBe(FAMILIES.length);
    for (const f of FAMILIES) {
      if (f.id >= 100) continue; // the TF.js drop-in's internal families are not exported
      expect(typeof (simdopt as Record<string, unknown>)[f.name]).toBe("function");
    }
  });
});

describe.each(FAMILIES.filter((f) => f.id < 100).map((f) => [f.name, f] as const))("%s", (name, family) => {
  const Ctor = optimizerClass(name);
  const specs = family.options as unknown as Record<string, OptionSpec>;

  it("wasm and js, zero-copy and marshalled, agree bit for bit for random options and lengths", async () => {
    const r = rng(family.id * 1000);
    for (let c = 0; c < 12; c++) {
      const options = randomOptions(family as Family<unknown>, r);
      const lengths = [pick(r, [0, 1, 3, 4, 5, 17, 33]), pick(r, [7, 16, 70, 1027])];
      const results: ReturnType<typeof run>[] = [];
      for (const backend of ["wasm", "js"] as const) {
        await init({ backend });
        for (const zeroCopy of [false, true]) results.push(run(Ctor, options, lengths, zeroCopy, c + 1));
      }
      const what = `${name} ${JSON.stringify(options)} lengths ${lengths}`;
      for (const other of results.slice(1)) {
        other.params.forEach((p, i) => expect(firstBitDiff(p, results[0]!.params[i]!), `${what} params[${i}]`).toBe(-1));
        expect(other.bytes.length, what).toBe(results[0]!.bytes.length);
      }
    }
  });

  it("refuses every bad option value, in options, groups and assignments, changing nothing", async () => {
    await init({ backend: "wasm" });
    const base = randomOptions(family as Family<unknown>, rng(7));
    const w = new Float32Array([1, -2, 3]);
    const opt = new Ctor([w], base);
    opt.step([new Float32Array([0.5, 0.25, -1])]);
    const before = { w: bits(w), sd: JSON.stringify(opt.stateDict(), (_k, v) => (v instanceof Float32Array ? bits(v) : v)) };
    for (const [key, spec] of Object.entries(specs)) {
      for (const [bad, E] of badValues(spec)) {
        expect(() => new Ctor([new Float32Array(2)], { ...base, [key]: bad }), `${key}=${String(bad)}`).toThrow(E);
        expect(() => new Ctor([{ params: [new Float32Array(2)], [key]: bad }], base), `group ${key}`).toThrow(E);
        expect(() => ((opt.paramGroups[0] as unknown as Options)[key] = bad), `assign ${key}`).toThrow(E);
      }
    }
    expect(() => new Ctor([w], { ...base, nosuch: 1 })).toThrow(/unknown option "nosuch"/);
    expect(bits(w)).toEqual(before.w);
    expect(JSON.stringify(opt.stateDict(), (_k, v) => (v instanceof Float32Array ? bits(v) : v))).toBe(before.sd);
    opt.dispose();
  });

  it("writes state that it loads bit for bit, through state dicts and checkpoints, and refuses other families' checkpoints", async () => {
    for (const backend of ["wasm", "js"] as const) {
      await init({ backend });
      const options = randomOptions(family as Family<unknown>, rng(family.id + 11));
      const a = run(Ctor, options, [5, 9], false, 3);
      const b = new Ctor([new Float32Array(5), new Float32Array(9)], options);
      b.loadState(a.bytes);
      expect(b.saveState()).toEqual(a.bytes);
      const c = new Ctor([new Float32Array(5), new Float32Array(9)], options);
      c.loadStateDict(a.sd);
      expect(c.saveState()).toEqual(a.bytes);
      for (const other of FAMILIES) {
        if (other === family || other.id >= 100) continue;
        const theirs = run(optimizerClass(other.name), randomOptions(other as Family<unknown>, rng(1)), [5, 9], false, 3);
        expect(() => b.loadState(theirs.bytes)).toThrow(CheckpointError);
      }
      expect(b.saveState()).toEqual(a.bytes);
      b.dispose();
      c.dispose();
    }
  });

  it("nonFinite: skip leaves everything as it was, throw refuses, propagate steps", async () => {
    await init({ backend: "js" });
    const w = new Float32Array([1, 2, 3, 4]);
    const opt = new Ctor([w], { ...randomOptions(family as Family<unknown>, rng(5)), nonFinite: "skip" });
    const before = bits(w);
    expect(opt.step([new Float32Array([0, NaN, 0, 0])])).toBe(false);
    expect(bits(w)).toEqual(before);
    expect(opt.skippedSteps).toBe(1);
    opt.nonFinite = "throw";
    expect(() => opt.step([new Float32Array([Infinity, 0, 0, 0])])).toThrow(simdopt.NonFiniteGradientError);
    expect(bits(w)).toEqual(before);
    opt.nonFinite = "propagate";
    expect(opt.step([new Float32Array([1, 1, 1, 1])])).toBe(true);
    opt.dispose();
  });
});
