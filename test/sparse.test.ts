// Sparse rows (embedding tables): Adagrad with gradients `{ indices, values, dim }`.
// - The PyTorch trajectories of torch-round2/sparse, bit for bit after every step, on both
//   backends and both memory paths (caller-owned arrays and ParamStore tensors).
// - Against a Math.fround model of FORMULAS-2.md ("Adagrad with sparse gradients") on random
//   tables with rows listed up to four times, maximize, epsInSqrt and lrDecay; sparse entries
//   mixed with dense ones; untouched rows keep their bits.
// - Refusals: families without sparse support, weight decay, bad indices, values and dims; each
//   changes nothing, and the optimizer works as before afterwards.
// - nonFinite policies over the values; scratch that stops growing; clipping's refusal.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sparseFamilyNames } from "../src/family.js";
import {
  Adagrad, Adam, AdamW, clipGradNorm, init, NonFiniteGradientError, ParamStore, RMSprop, SGD, type Optimizer, type SparseRows,
} from "../src/index.js";
import { currentBackend } from "../src/runtime.js";
import {
  decodeF32, expectBits, loadSparseFixture, SPARSE_FIXTURE_DIR, sparseFixtureIndex, type SparseFixture,
} from "./helpers/fixtures.js";
import { rngOf as rng, randomValues } from "./helpers/random.js";
import { setMemoryMode } from "../src/wasm/memory.js";

// Some tests here check the rules of non-shared memory (growth detaches views: StaleViewError);
// test/shared-memory.test.ts checks those of shared memory, the default where it exists.
setMemoryMode("unshared");

const f = Math.fround;
const BACKENDS = ["wasm", "js"] as const;
type Mode = "marshalled" | "zero-copy";

// --- a plain model of FORMULAS-2.md ----------------------------------------------------------------

interface RefOptions {
  lr: number;
  lrDecay: number;
  eps: number;
  maximize: boolean;
  epsInSqrt: boolean;
}

/** One sparse Adagrad step on plain arrays: maximize, sum duplicates in order, update each row once. */
function sparseRef(p: Float32Array, sum: Float32Array, g: SparseRows, step: number, o: RefOptions): void {
  const { dim } = g;
  const C = f(-(o.lr / (1 + (step - 1) * o.lrDecay)));
  const E = f(o.eps);
  const rows = new Map<number, Float32Array>();
  Array.from(g.indices).forEach((row, j) => {
    const v = g.values.slice(j * dim, (j + 1) * dim).map((x) => (o.maximize ? -x : x));
    const seen = rows.get(row);
    if (seen) for (let i = 0; i < dim; i++) seen[i] = f(seen[i]! + v[i]!);
    else rows.set(row, v);
  });
  for (const [row, v] of rows) {
    for (let i = 0; i < dim; i++) {
      const at = row * dim + i;
      sum[at] = f(sum[at]! + f(v[i]! * v[i]!));
      const std = o.epsInSqrt ? f(Math.sqrt(f(sum[at]! + E))) : f(f(Math.sqrt(sum[at]!)) + E);
      p[at] = f(p[at]! + f(C * f(v[i]! / std)));
    }
  }
}

// --- seeded data -----------------------------------------------------------------------------------

/** k row numbers in [0, rows), some listed two to four times, in random order. */
function randomIndices(r: () => number, rows: number, k: number): number[] {
  const out: number[] = [];
  while (out.length < k) {
    const row = Math.floor(r() * rows);
    const times = r() < 0.2 ? 2 + Math.floor(r() * 3) : 1;
    for (let t = 0; t < times && out.length < k; t++) out.splice(Math.floor(r() * (out.length + 1)), 0, row);
  }
  return out;
}

const bitsOf = (a: Float32Array) => new Uint32Array(a.slice().buffer);

// --- an Adagrad over one table, on either memory path -----------------------------------------------

interface Table {
  opt: Adagrad;
  params: () => Float32Array;
  sum: () => Float32Array;
  step: (g: SparseRows | Float32Array) => boolean;
  dispose: () => void;
}

function table(mode: Mode, p0: Float32Array, options: ConstructorParameters<typeof Adagrad>[1]): Table {
  if (mode === "marshalled") {
    const p = p0.slice();
    const opt = new Adagrad([p], options);
    return {
      opt, params: () => p, sum: () => opt.stateDict().state[0]!.sum as Float32Array,
      step: (g) => opt.step([g]), dispose: () => opt.dispose(),
    };
  }
  const store = new ParamStore({ w: p0.length });
  store.param("w").set(p0);
  const opt = new Adagrad(store, options);
  return {
    opt, params: () => store.param("w"), sum: () => opt.stateDict().state[0]!.sum as Float32Array,
    step: (g) => opt.step([g]),
    dispose: () => {
      opt.dispose();
      store.dispose();
    },
  };
}

function fixtureOptions(fx: SparseFixture) {
  const h = fx.hyperparameters;
  return {
    lr: h.lr as number, lrDecay: h.lr_decay as number, weightDecay: h.weight_decay as number,
    initialAccumulatorValue: h.initial_accumulator_value as number, eps: h.eps as number, maximize: h.maximize as boolean,
  };
}

// --- the PyTorch trajectories ---------------------------------------------------------------------

const index = sparseFixtureIndex();

describe("sparse fixture set", () => {
  it("holds the 5 sparse Adagrad fixtures, unchanged from the shared copy", () => {
    expect(index).toHaveLength(5);
    for (const e of index) {
      expect(e.format).toBe("optim-sparse/1");
      const sha = createHash("sha256").update(readFileSync(join(SPARSE_FIXTURE_DIR, e.file))).digest("hex");
      expect(sha, e.file).toBe(e.sha256);
    }
  });
});

for (const backend of BACKENDS) {
  for (const mode of ["marshalled", "zero-copy"] as Mode[]) {
    describe(`PyTorch sparse Adagrad fixtures, ${backend} backend, ${mode}`, () => {
      it.each(index.map((e) => [e.file.replace(/\.json$/, ""), e.file]))("%s", async (_id, file) => {
        expect(await init({ backend })).toBe(backend);
        const fx = loadSparseFixture(file);
        const t = table(mode, decodeF32(fx.initial.params), fixtureOptions(fx));
        try {
          expectBits(t.sum(), decodeF32(fx.initial.state.sum), `${fx.id} initial sum`);
          for (const [k, s] of fx.steps.entries()) {
            // Plain arrays of numbers on even steps, Int32Array on odd ones: both are accepted.
            const indices = k % 2 === 0 ? s.indices : Int32Array.from(s.indices);
            expect(t.step({ indices, values: decodeF32(s.values), dim: fx.dim })).toBe(true);
            expectBits(t.params(), decodeF32(s.params), `${fx.id} step ${k + 1} params`);
            expectBits(t.sum(), decodeF32(s.state.sum), `${fx.id} step ${k + 1} sum`);
            expect(t.opt.stateDict().state[0]!.step).toBe(s.state.step);
          }
        } finally {
          t.dispose();
        }
      });
    });
  }
}

// --- against the model ------------------------------------------------------------------------------

for (const backend of BACKENDS) {
  describe(`sparse rows against a float32 model (${backend})`, () => {
    const cases: Array<[string, Partial<RefOptions> & { initialAccumulatorValue?: number }]> = [
      ["defaults", {}],
      ["maximize", { maximize: true }],
      ["epsInSqrt, lrDecay", { epsInSqrt: true, lrDecay: 0.05, eps: 1e-3 }],
      ["maximize, initialAccumulatorValue", { maximize: true, initialAccumulatorValue: 0.25, lr: 0.3 }],
    ];
    for (const mode of ["marshalled", "zero-copy"] as Mode[]) {
      it.each(cases)(`%s, ${mode}: every step bit for bit, untouched rows keep every bit`, async (_name, given) => {
        await init({ backend });
        const o: RefOptions = { lr: 0.1, lrDecay: 0, eps: 1e-10, maximize: false, epsInSqrt: false, ...given };
        const r = rng(0x5eed + cases.findIndex((c) => c[1] === given));
        for (const dim of [1, 3, 4, 7, 16, 37]) {
          const rows = 23;
          const p0 = randomValues(r, rows * dim);
          p0[0] = -0;
          const t = table(mode, p0, { ...o, initialAccumulatorValue: given.initialAccumulatorValue ?? 0 });
          const p = p0.slice();
          const sum = new Float32Array(rows * dim).fill(f(given.initialAccumulatorValue ?? 0));
          try {
            for (let step = 1; step <= 6; step++) {
              const indices = randomIndices(r, rows, 1 + Math.floor(r() * 30));
              const g = { indices: step % 2 ? indices : Int32Array.from(indices), values: randomValues(r, indices.length * dim), dim };
              const before = bitsOf(t.params());
              const sumBefore = bitsOf(t.sum());
              t.step(g);
              sparseRef(p, sum, g, step, o);
              expectBits(t.params(), p, `dim ${dim} step ${step} params`);
              expectBits(t.sum(), sum, `dim ${dim} step ${step} sum`);
              const touched = new Set(indices);
              const after = bitsOf(t.params());
              const sumAfter = bitsOf(t.sum());
              for (let row = 0; row < rows; row++) {
                if (touched.has(row)) continue;
                for (let i = row * dim; i < (row + 1) * dim; i++) {
                  expect(after[i], `untouched row ${row}`).toBe(before[i]);
                  expect(sumAfter[i], `untouched sum row ${row}`).toBe(sumBefore[i]);
                }
              }
            }
          } finally {
            t.dispose();
          }
        }
      });
    }

    it("sums a row listed several times in the order given, before squaring", async () => {
      await init({ backend });
      // 1 + 2^-24 + 2^-24: in this order both additions round back to 1; any other order keeps 2^-23.
      const tiny = 2 ** -24;
      const w = new Float32Array(2);
      const opt = new Adagrad([w], { lr: 1 });
      opt.step([{ indices: [0, 0, 0], values: Float32Array.of(1, tiny, tiny), dim: 1 }]);
      expect(opt.stateDict().state[0]!.sum).toEqual(Float32Array.of(1, 0));
      const w2 = new Float32Array(2);
      const opt2 = new Adagrad([w2], { lr: 1 });
      opt2.step([{ indices: [0, 0, 0], values: Float32Array.of(tiny, tiny, 1), dim: 1 }]);
      expect((opt2.stateDict().state[0]!.sum as Float32Array)[0]).toBe(f(f(2 * tiny + 1) ** 2));
      expect(w2[1]).toBe(0);
    });

    it("mixes sparse and dense entries on a ParamStore, as separate optimizers would step them", async () => {
      await init({ backend });
      const r = rng(77);
      const dim = 5;
      const emb0 = randomValues(r, 40 * dim), w0 = randomValues(r, 13);
      const store = new ParamStore({ emb: 40 * dim, w: 13 });
      store.param("emb").set(emb0);
      store.param("w").set(w0);
      const opt = new Adagrad(store, { lr: 0.05 });
      const emb = emb0.slice(), w = w0.slice();
      const alone = [new Adagrad([emb], { lr: 0.05 }), new Adagrad([w], { lr: 0.05 })] as const;
      try {
        for (let step = 0; step < 4; step++) {
          const indices = randomIndices(r, 40, 12);
          const sparse = { indices, values: randomValues(r, indices.length * dim), dim };
          const dense = randomValues(r, 13);
          if (step === 2) {
            // The store's own gradient slots: a dense step after sparse ones.
            store.grad("emb").set(randomValues(r, 40 * dim));
            store.grad("w").set(dense);
            expect(opt.step()).toBe(true);
            alone[0].step([store.grad("emb").slice()]);
          } else {
            expect(opt.step([sparse, dense])).toBe(true);
            alone[0].step([sparse]);
          }
          alone[1].step([dense]);
          expectBits(store.param("emb"), emb, `step ${step} emb`);
          expectBits(store.param("w"), w, `step ${step} w`);
        }
        const sd = opt.stateDict();
        expectBits(sd.state[0]!.sum as Float32Array, alone[0].stateDict().state[0]!.sum as Float32Array, "emb sum");
        expect(sd.state.map((s) => s.step)).toEqual([4, 4]);
      } finally {
        for (const a of alone) a.dispose();
        opt.dispose();
        store.dispose();
      }
    });

    it("leaves the store's gradient slot of a tensor stepped with sparse rows as it was", async () => {
      await init({ backend });
      const store = new ParamStore({ emb: 8 });
      const opt = new Adagrad(store);
      store.grad("emb").fill(0.5);
      opt.step([{ indices: [1], values: Float32Array.of(1, 2), dim: 2 }]);
      expect([...store.grad("emb")]).toEqual(new Array(8).fill(0.5));
      opt.dispose();
      store.dispose();
    });

    it("keeps its scratch once it is large enough: no memory is taken step after step", async () => {
      await init({ backend });
      const heap = currentBackend().heap;
      const r = rng(5);
      const w = new Float32Array(1000 * 8);
      const opt = new Adagrad([w]);
      const big = randomIndices(r, 1000, 300);
      opt.step([{ indices: big, values: randomValues(r, 300 * 8), dim: 8 }]);
      const used = heap.usedBytes;
      const generation = heap.generation;
      for (let step = 0; step < 20; step++) {
        const k = 1 + Math.floor(r() * 300);
        opt.step([{ indices: randomIndices(r, 1000, k), values: randomValues(r, k * 8), dim: 8 }]);
      }
      expect(heap.usedBytes).toBe(used);
      expect(heap.generation).toBe(generation);
      opt.dispose();
    });
  });
}

// --- refusals ---------------------------------------------------------------------------------------

/** Everything an optimizer holds, as bits, and its params. */
const snapshot = (opt: Optimizer<object>, params: Float32Array[]) =>
  JSON.stringify([opt.stateDict(), params.map((p) => [...bitsOf(p)])], (_k, v) => (v instanceof Float32Array ? [...bitsOf(v)] : v));

for (const backend of BACKENDS) {
  describe(`sparse rows refused, changing nothing (${backend})`, () => {
    const rows = { indices: [1, 0], values: Float32Array.of(1, 2, 3, 4), dim: 2 };

    it("by every optimizer that does not take them, naming those that do (from the registry)", async () => {
      await init({ backend });
      expect(sparseFamilyNames()).toEqual(["Adagrad"]);
      for (const C of [RMSprop, SGD, Adam, AdamW]) {
        const w = Float32Array.of(1, 2, 3, 4);
        const opt = new (C as typeof RMSprop)([w], { lr: 0.1 });
        const before = snapshot(opt, [w]);
        expect(() => opt.step([rows])).toThrow(TypeError);
        expect(() => opt.step([rows])).toThrow(new RegExp(`${opt.constructor.name} does not take sparse gradients \\(optimizers that do: ${sparseFamilyNames().join(", ")}\\)`));
        expect(snapshot(opt, [w])).toBe(before);
      }
    });

    it("with weight decay, as PyTorch refuses it", async () => {
      await init({ backend });
      const w = Float32Array.of(1, 2, 3, 4);
      const opt = new Adagrad([w], { weightDecay: 0.01 });
      const before = snapshot(opt, [w]);
      expect(() => opt.step([rows])).toThrow(TypeError);
      expect(() => opt.step([rows])).toThrow(/grads\[0\] is sparse rows \{ indices, values, dim \}, but its param group has weightDecay 0\.01/);
      expect(snapshot(opt, [w])).toBe(before);
      opt.paramGroups[0]!.weightDecay = 0;
      expect(opt.step([rows])).toBe(true);
    });

    const bad: Array<[string, unknown, ErrorConstructor, RegExp]> = [
      ["an index past the last row", { indices: [0, 2], values: new Float32Array(4), dim: 2 }, RangeError, /grads\[1\]\.indices\[1\] must be a whole number in \[0, 2\).*got 2/],
      ["a negative index", { indices: Int32Array.of(0, -1), values: new Float32Array(4), dim: 2 }, RangeError, /indices\[1\] must be a whole number in \[0, 2\).*got -1/],
      ["a fractional index", { indices: [1.5, 0], values: new Float32Array(4), dim: 2 }, RangeError, /indices\[0\] must be a whole number .*got 1\.5/],
      ["a NaN index", { indices: [0, NaN], values: new Float32Array(4), dim: 2 }, RangeError, /indices\[1\] .*got NaN/],
      ["an index that is a string", { indices: [0, "1"], values: new Float32Array(4), dim: 2 }, TypeError, /indices\[1\] must be a row number, got "1"/],
      ["indices of another type", { indices: Uint32Array.of(0), values: new Float32Array(2), dim: 2 }, TypeError, /indices must be an Int32Array or an array of row numbers, got Uint32Array/],
      ["values of the wrong length", { indices: [0, 1], values: new Float32Array(3), dim: 2 }, RangeError, /values has length 3, but 2 row\(s\) of dim 2 need 4/],
      ["values that are no Float32Array", { indices: [0], values: [1, 2], dim: 2 }, TypeError, /values must be a Float32Array, got an array/],
      ["a dim of 0", { indices: [], values: new Float32Array(0), dim: 0 }, RangeError, /dim must be a whole number > 0 that divides the length of params\[1\] \(4\), got 0/],
      ["a dim that does not divide the length", { indices: [0], values: new Float32Array(3), dim: 3 }, RangeError, /dim must be a whole number > 0 .*got 3/],
      ["a fractional dim", { indices: [0], values: new Float32Array(2), dim: 0.5 }, RangeError, /got 0\.5/],
      ["a dim that is no number", { indices: [0], values: new Float32Array(2), dim: "2" }, TypeError, /dim must be a number \(elements per row\), got "2"/],
      ["an empty object", {}, TypeError, /dim must be a number/],
    ];
    it.each(bad)("%s", async (_name, entry, E, message) => {
      await init({ backend });
      for (const mode of ["marshalled", "zero-copy"] as Mode[]) {
        // The bad entry comes second: the first, valid, must not have been applied either.
        const store = mode === "zero-copy" ? new ParamStore({ a: 4, b: 4 }) : undefined;
        const params = store ? store.params() : [Float32Array.of(1, 2, 3, 4), Float32Array.of(5, 6, 7, 8)];
        if (store) params.forEach((p, i) => p.set([1 + 4 * i, 2 + 4 * i, 3 + 4 * i, 4 + 4 * i]));
        const opt = new Adagrad(store ?? params, { lr: 0.1 });
        const before = snapshot(opt, params);
        const grads = [{ indices: [1], values: Float32Array.of(1, 1), dim: 2 }, entry as SparseRows];
        expect(() => opt.step(grads)).toThrow(E);
        expect(() => opt.step(grads)).toThrow(message);
        expect(snapshot(opt, store ? store.params() : params)).toBe(before);
        // Still works, and as a fresh optimizer would: the refused steps left no trace.
        const good = [
          { indices: [1, 1, 0], values: Float32Array.of(1, 2, 3, 4, 5, 6), dim: 2 },
          { indices: [0, 1, 0], values: Float32Array.of(-1, 2, 0.5, 4, 3, -6), dim: 2 },
        ];
        opt.step(good);
        const fresh = [Float32Array.of(1, 2, 3, 4), Float32Array.of(5, 6, 7, 8)];
        const other = new Adagrad(fresh, { lr: 0.1 });
        other.step(good);
        expect(snapshot(opt, store ? store.params() : params)).toBe(snapshot(other, fresh));
        opt.dispose();
        other.dispose();
        store?.dispose();
      }
    });

    it("with a dense gradient of another type, naming sparse rows as the alternative", async () => {
      await init({ backend });
      const opt = new Adagrad([new Float32Array(4)]);
      expect(() => opt.step([[1, 2, 3, 4] as unknown as Float32Array])).toThrow(/grads\[0\] must be a Float32Array or sparse rows \{ indices, values, dim \}, got an array/);
      const other = new RMSprop([new Float32Array(4)]);
      expect(() => other.step([5 as unknown as Float32Array])).toThrow(/grads\[0\] must be a Float32Array, got 5$/);
    });

    it("clipping by optimizer refuses a caller-owned param whose last step took sparse rows", async () => {
      await init({ backend });
      const opt = new Adagrad([new Float32Array(4)]);
      opt.step([rows]);
      expect(() => clipGradNorm(opt, 1)).toThrow(/params\[0\] of the Adagrad is caller-owned and its last step\(\) took sparse rows/);
    });
  });

  describe(`nonFinite policies over sparse values (${backend})`, () => {
    for (const value of [NaN, Infinity, -Infinity]) {
      it(`"skip" and "throw" catch ${value} in the values, changing nothing`, async () => {
        await init({ backend });
        const values = new Float32Array(3 * 4).fill(0.5);
        values[9] = value;
        const g = { indices: [2, 0, 2], values, dim: 4 };
        const w = new Float32Array(12).fill(1);
        const skip = new Adagrad([w.slice()], { nonFinite: "skip", maximize: true });
        const thrower = new Adagrad([w], { nonFinite: "throw" });
        const skipParams = skip.paramGroups[0]!.params as Float32Array[];
        const before = [snapshot(skip, skipParams), snapshot(thrower, [w])];
        expect(skip.step([g])).toBe(false);
        expect(skip.skippedSteps).toBe(1);
        expect(() => thrower.step([g])).toThrow(NonFiniteGradientError);
        expect(() => thrower.step([g])).toThrow(new RegExp(`grads\\[0\\]\\.values\\[9\\] is ${value}`));
        expect([snapshot(skip, skipParams), snapshot(thrower, [w])]).toEqual(before);
        values[9] = 0.5;
        expect(skip.step([g])).toBe(true);
        expect(skip.stateDict().state[0]!.step).toBe(1);
      });
    }
  });
}

describe("memory that grows to make room for sparse rows", () => {
  it("refuses values that were a view of that memory on wasm (detached), and reads them on js", async () => {
    for (const backend of BACKENDS) {
      await init({ backend });
      const heap = currentBackend().heap;
      const dim = 4;
      const w = new Float32Array(64 * dim);
      const opt = new Adagrad([w], { lr: 0.1 });
      // Values in simdopt memory, more than the memory has free: the scratch must grow it.
      // A store about twice the memory's size grows it to just that; the scratch then must grow it again.
      const n = Math.ceil(heap.capacityBytes / 4 / dim) * dim + 64 * dim;
      const store = new ParamStore({ v: n }, { reserve: 0 });
      const values = store.grad("v");
      values.fill(0.25);
      const indices = Array.from({ length: n / dim }, (_, j) => j % 64);
      const generation = heap.generation;
      if (backend === "wasm") {
        expect(() => opt.step([{ indices, values, dim }])).toThrow(/grads\[0\]\.values was a view of simdopt memory, which grew/);
        expect(heap.generation).toBeGreaterThan(generation);
        expect([...new Set(w)]).toEqual([0]);
        expect(opt.stateDict().state[0]!.step).toBe(0);
      } else {
        expect(opt.step([{ indices, values, dim }])).toBe(true);
        expect(heap.generation).toBeGreaterThan(generation);
        expect(w.every((x) => x < 0)).toBe(true);
      }
      opt.dispose();
      store.dispose();
    }
  });
});

describe("a sparse step whose scratch grows the memory, over a ParamStore with nothing set aside", () => {
  it("completes; views taken before it are stale afterwards, as after creating an optimizer", async () => {
    for (const backend of BACKENDS) {
      await init({ backend });
      const heap = currentBackend().heap;
      const store = new ParamStore({ emb: 256 }, { reserve: 0 });
      const opt = new Adagrad(store, { lr: 1 });
      const emb = store.param("emb");
      emb.fill(1);
      // More entries than the memory has room for: its scratch must grow it.
      const k = Math.ceil((heap.capacityBytes - heap.usedBytes) / 4 / 4) + 16;
      const generation = heap.generation;
      expect(opt.step([{ indices: new Int32Array(k), values: new Float32Array(4 * k).fill(0.5), dim: 4 }])).toBe(true);
      expect(heap.generation).toBeGreaterThan(generation);
      expect(() => opt.step()).toThrow(/store\.param\("emb"\)/);
      expect(heap.isStale(emb)).toBe(true);
      expect([...store.param("emb").subarray(0, 5)]).toEqual([0, 0, 0, 0, 1]);
      expect(opt.step()).toBe(true);
      opt.dispose();
      store.dispose();
    }
  });
});

describe("an optimizer whose creation grows the memory, over a ParamStore", () => {
  it("keeps its tensors' lengths: explicit grads, sparse rows and state dicts work (wasm detaches the views it was given)", async () => {
    for (const backend of BACKENDS) {
      await init({ backend });
      const heap = currentBackend().heap;
      const n = Math.ceil(heap.capacityBytes / 4 / 64) * 64;
      const store = new ParamStore({ emb: n }, { reserve: 0 });
      const generation = heap.generation;
      const opt = new Adagrad(store, { lr: 0.5 });
      expect(heap.generation, "the optimizer's state grew the memory").toBeGreaterThan(generation);
      expect(opt.step([new Float32Array(n).fill(1)])).toBe(true);
      expect(opt.step([{ indices: [1], values: new Float32Array(64).fill(1), dim: 64 }])).toBe(true);
      const sum = opt.stateDict().state[0]!.sum as Float32Array;
      expect(sum).toHaveLength(n);
      expect([sum[0], sum[64], sum[128]]).toEqual([1, 2, 1]);
      opt.dispose();
      store.dispose();
    }
  });
});
