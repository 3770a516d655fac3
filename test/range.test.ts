// step({ range }): ranks that each step their own range of the same gradients reproduce one
// full step bit for bit, for every family, random options, both backends and both memory
// paths; bad ranges and sparse gradients with a range are refused, changing nothing.
import { describe, expect, it } from "vitest";
import { Adagrad, Adam, init, ParamStore, RMSprop, type Optimizer } from "../src/index.js";
import { families, type Family } from "../src/family.js";
import type { OptionSpec } from "../src/options.js";
import { firstBitDiff } from "./helpers/fixtures.js";
import { pick, randomOptions } from "./helpers/options.js";
import { rngOf as rng } from "./helpers/random.js";
import { optimizerClass } from "./helpers/replay.js";

type Options = Record<string, unknown>;
type Groups = number[][]; // tensor lengths per param group
const FAMILIES = families().filter((f) => f.id < 100);
const STEPS = 4;

/** An optimizer over fixed initial params, zero-copy or marshalled; `grads(s)` feeds step s. */
function build(name: string, groups: Groups, options: Options, zeroCopy: boolean, seed: number) {
  const Ctor = optimizerClass(name);
  const r = rng(seed);
  const init0 = groups.map((ls) => ls.map((n) => Float32Array.from({ length: n }, () => r() * 2 - 1)));
  const flat = groups.flatMap((ls, gi) => ls.map((n, ti) => ({ name: `g${gi}t${ti}`, n })));
  let store: ParamStore | undefined;
  let params: Float32Array[][];
  if (zeroCopy) {
    store = new ParamStore(Object.fromEntries(flat.map((t) => [t.name, t.n])));
    groups.forEach((ls, gi) => ls.forEach((_, ti) => store!.param(`g${gi}t${ti}`).set(init0[gi]![ti]!)));
    params = groups.map((ls, gi) => ls.map((_, ti) => store!.param(`g${gi}t${ti}`)));
  } else params = init0.map((ps) => ps.map((p) => p.slice()));
  const opt: Optimizer<object> = new Ctor(params.map((ps, gi) => ({ params: ps, ...(gi === 1 ? { lr: 0.05 } : {}) })), options);
  store?.params(); // creating the optimizer may have grown non-shared memory: re-read the views
  const gradsOf = (s: number) => {
    const gr = rng(seed * 31 + s);
    return groups.flatMap((ls) => ls.map((n) => Float32Array.from({ length: n }, () => (gr() - 0.5) * 4 * (1 + (s % 3)))));
  };
  const step = (s: number, range?: [number, number]) => {
    const g = gradsOf(s);
    if (store) {
      store.params(); // other optimizers may have grown non-shared memory since: re-read
      flat.forEach((t, i) => store!.grad(t.name).set(g[i]!));
      return range ? opt.step({ range }) : opt.step();
    }
    return opt.step(g, range ? { range } : undefined);
  };
  const current = () => (store ? groups.map((ls, gi) => ls.map((_, ti) => store!.param(`g${gi}t${ti}`))) : params);
  return { opt, step, current, init0, dispose: () => (opt.dispose(), store?.dispose()) };
}

/** Group `gi`'s flat params. */
const flatOf = (ps: Float32Array[]) => {
  const out = new Float32Array(ps.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of ps) (out.set(p, o), (o += p.length));
  return out;
};

function checkSplit(name: string, groups: Groups, options: Options, zeroCopy: boolean, k: number, seed: number) {
  const max = Math.max(...groups.map((ls) => ls.reduce((a, b) => a + b, 0)));
  const a = build(name, groups, options, zeroCopy, seed);
  const b = build(name, groups, options, zeroCopy, seed);
  const c = build(name, groups, options, zeroCopy, seed);
  for (let s = 0; s < STEPS; s++) {
    a.step(s);
    b.step(s, [0, k]);
    c.step(s, [k, max]);
  }
  const what = `${name} ${JSON.stringify(options)} groups ${JSON.stringify(groups)} k=${k} ${zeroCopy ? "zero-copy" : "marshalled"}`;
  groups.forEach((_, gi) => {
    const full = flatOf(a.current()[gi]!);
    const lo = flatOf(b.current()[gi]!), hi = flatOf(c.current()[gi]!);
    const union = full.slice();
    union.set(lo.subarray(0, Math.min(k, lo.length)));
    if (k < hi.length) union.set(hi.subarray(k), k);
    expect(firstBitDiff(union, full), `${what} group ${gi}`).toBe(-1);
    // What a rank does not own keeps its initial bits.
    const init = flatOf(b.init0[gi]!);
    if (k < lo.length) expect(firstBitDiff(lo.subarray(k), init.subarray(k)), `${what} group ${gi} beyond the range`).toBe(-1);
  });
  // And so does each state buffer (per element, or per row of rowwise Adagrad).
  const sds = [a, b, c].map((x) => x.opt.stateDict().state);
  let index = 0;
  groups.forEach((ls, gi) => {
    const ts = ls.map((_, ti) => index + ti);
    index += ls.length;
    const elements = ls.reduce((x, y) => x + y, 0);
    for (const key of Object.keys(sds[0]![ts[0]!] ?? {})) {
      const flatState = (sd: (typeof sds)[number]) => flatOf(ts.map((t) => sd[t]![key] as Float32Array));
      if (!(sds[0]![ts[0]!]![key] instanceof Float32Array)) continue;
      const full = flatState(sds[0]!), lo = flatState(sds[1]!), hi = flatState(sds[2]!);
      const at = full.length === 0 ? 0 : Math.min(full.length, (k * full.length) / elements);
      const union = full.slice();
      union.set(lo.subarray(0, at));
      union.set(hi.subarray(at), at);
      expect(firstBitDiff(union, full), `${what} group ${gi} state ${key}`).toBe(-1);
    }
  });
  for (const x of [a, b, c]) x.dispose();
}

describe.each(FAMILIES.map((f) => [f.name, f] as const))("%s with step({ range })", (name, family) => {
  it("two ranks stepping [0, k) and [k, n) equal one full step, bit for bit (random options, both backends and memory paths)", async () => {
    const r = rng(family.id * 7919);
    const cases: Options[] = [];
    for (let i = 0; i < 10; i++) cases.push(randomOptions(family as Family<unknown>, r));
    // Every boolean option on, then off, with every number option at a nonzero value.
    const specs = family.options as unknown as Record<string, OptionSpec>;
    for (const on of [true, false]) {
      const o: Options = { lr: 0.01 };
      for (const [key, spec] of Object.entries(specs)) {
        if (spec.kind === "boolean") o[key] = on;
        if (spec.kind === "number" && spec.min === 0 && key !== "rowwise" && spec.default === 0) o[key] = on ? 0.1 : 0;
      }
      if (!family.check?.({ ...Object.fromEntries(Object.entries(specs).map(([k, s]) => [k, s.default])), ...o } as never)) cases.push(o);
    }
    for (const backend of ["wasm", "js"] as const) {
      await init({ backend });
      cases.forEach((options, i) => {
        const groups: Groups = [[pick(r, [1, 3, 4, 17]), pick(r, [0, 7, 70])], [pick(r, [5, 33, 130])]];
        const total = groups[0]!.reduce((x, y) => x + y, 0);
        for (const zeroCopy of [false, true]) {
          for (const k of [0, pick(r, [1, 2, 3, 5]), Math.floor(total / 2) + 1]) checkSplit(name, groups, options, zeroCopy, k, 100 + i);
        }
      });
    }
  });
});

describe("step({ range }) refusals", () => {
  it("refuses bad ranges with a TypeError or RangeError naming options.range and the value, changing nothing", async () => {
    for (const backend of ["wasm", "js"] as const) {
      await init({ backend });
      const w = Float32Array.from({ length: 10 }, (_, i) => i);
      const g = new Float32Array(10).fill(0.5);
      const opt = new Adam([w], { lr: 0.1 });
      const before = opt.saveState();
      const bad: Array<[unknown, typeof TypeError | typeof RangeError, RegExp]> = [
        [[0, 11], RangeError, /options\.range must be whole numbers .*<= 10.*got \[0, 11\]/],
        [[5, 4], RangeError, /got \[5, 4\]/],
        [[-1, 4], RangeError, /got \[-1, 4\]/],
        [[0.5, 4], RangeError, /got \[0\.5, 4\]/],
        [[0, NaN], RangeError, /got \[0, NaN\]/],
        [[0], TypeError, /options\.range must be an array \[start, end\) of two whole numbers, got \[0\]/],
        [["0", 4], TypeError, /got \["0", 4\]/],
        [3, TypeError, /got 3/],
      ];
      for (const [range, E, message] of bad) {
        expect(() => opt.step([g], { range: range as [number, number] })).toThrow(E);
        expect(() => opt.step([g], { range: range as [number, number] })).toThrow(message);
      }
      expect(() => opt.step([g], { rnage: [0, 1] } as never)).toThrow(/unknown option "rnage"/);
      expect(() => opt.step([g], 5 as never)).toThrow(/options must be an object, got 5/);
      expect(Buffer.from(opt.saveState()).equals(Buffer.from(before))).toBe(true);
      expect([...w]).toEqual(Array.from({ length: 10 }, (_, i) => i));
      // An empty range is a step that changes no element but counts.
      expect(opt.step([g], { range: [4, 4] })).toBe(true);
      expect([...w]).toEqual(Array.from({ length: 10 }, (_, i) => i));
      expect(opt.stateDict().state[0]!.step).toBe(1);
      opt.dispose();
    }
  });

  it("refuses sparse gradients with a range (TypeError), changing nothing", async () => {
    await init({ backend: "wasm" });
    const w = new Float32Array(12).fill(1);
    const opt = new Adagrad([w], { lr: 0.1 });
    const before = opt.saveState();
    const rows = { indices: Int32Array.of(1), values: new Float32Array(4).fill(1), dim: 4 };
    expect(() => opt.step([rows], { range: [0, 4] })).toThrow(TypeError);
    expect(() => opt.step([rows], { range: [0, 4] })).toThrow(/options\.range does not apply to sparse gradients \(grads\[0\] is sparse rows\)/);
    expect(Buffer.from(opt.saveState()).equals(Buffer.from(before))).toBe(true);
    expect(w.every((x) => x === 1)).toBe(true);
    opt.dispose();
  });

  it("rowwise Adagrad: a range on row boundaries splits exactly; one that cuts a row is refused", async () => {
    for (const backend of ["wasm", "js"] as const) {
      await init({ backend });
      for (const zeroCopy of [false, true]) {
        checkSplit("Adagrad", [[8, 24], [12]], { rowwise: 4 }, zeroCopy, 12, 5);
        checkSplit("Adagrad", [[8, 24], [12]], { rowwise: 4, maximize: true, epsInSqrt: true }, zeroCopy, 8, 6);
      }
      const opt = new Adagrad([new Float32Array(8), new Float32Array(24)], { rowwise: 4 });
      expect(() => opt.step([new Float32Array(8), new Float32Array(24)], { range: [0, 10] }))
        .toThrow(/options\.range \[0, 10\] cuts a row of 4 elements of params\[1\]/);
      opt.dispose();
    }
  });

  it("nonFinite checks only the gradients in the range", async () => {
    await init({ backend: "wasm" });
    const w = new Float32Array(8).fill(1);
    const opt = new RMSprop([w], { lr: 0.1, nonFinite: "throw" });
    const g = new Float32Array(8).fill(0.5);
    g[6] = NaN;
    expect(opt.step([g], { range: [0, 6] })).toBe(true);
    expect(w[6]).toBe(1);
    expect(() => opt.step([g], { range: [4, 8] })).toThrow(/grads\[0\]\[6\] is NaN/);
    opt.nonFinite = "skip";
    expect(opt.step([g], { range: [5, 7] })).toBe(false);
    opt.dispose();
  });
});
