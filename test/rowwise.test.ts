// Rowwise Adagrad (`rowwise: d`): one accumulator per row of d elements.
// - Both backends against a Math.fround model of the operation order documented on the option
//   (AdagradOptions.rowwise), for dense gradients (with maximize, weight decay, epsInSqrt,
//   lrDecay, initialAccumulatorValue), on caller-owned arrays and ParamStore tensors, several
//   tensors per group; and for sparse rows, duplicates included.
// - Dense rowwise equals sparse rowwise listing every row once, bit for bit.
// - The state: `sum` holds one value per row; state dicts and checkpoints round-trip it, and
//   resuming equals never stopping.
// - Refusals that change nothing: a row length that does not divide a param, a fractional one,
//   a change after construction (by assignment, state dict or checkpoint), a sparse dim that
//   differs, a state buffer of the wrong length.
import { describe, expect, it } from "vitest";
import { Adagrad, CheckpointError, init, ParamStore, type SparseRows } from "../src/index.js";
import { expectBits } from "./helpers/fixtures.js";
import { rngOf as rng, randomValues } from "./helpers/random.js";

const f = Math.fround;
const BACKENDS = ["wasm", "js"] as const;

interface Options {
  lr: number;
  lrDecay: number;
  eps: number;
  weightDecay: number;
  maximize: boolean;
  epsInSqrt: boolean;
}

/**
 * One rowwise step over a `rows × dim` table: g after maximize and weight decay; four lane sums
 * of g² over the whole groups of four, added in order, then the rest; the mean into G; then
 * w += r(C · r(g / std)).
 */
function rowwiseRef(p: Float32Array, g: Float32Array, G: Float32Array, dim: number, step: number, o: Options): void {
  const C = f(-(o.lr / (1 + (step - 1) * o.lrDecay)));
  const E = f(o.eps);
  const W = f(o.weightDecay);
  for (let r = 0; r < G.length; r++) {
    const row = Array.from({ length: dim }, (_, j) => {
      let x = g[r * dim + j]!;
      if (o.maximize) x = -x;
      if (o.weightDecay !== 0) x = f(x + f(W * p[r * dim + j]!));
      return x;
    });
    const lanes = [0, 0, 0, 0];
    const whole = dim - (dim % 4);
    for (let j = 0; j < whole; j++) lanes[j % 4] = f(lanes[j % 4]! + f(row[j]! * row[j]!));
    let acc = f(f(f(lanes[0]! + lanes[1]!) + lanes[2]!) + lanes[3]!);
    for (let j = whole; j < dim; j++) acc = f(acc + f(row[j]! * row[j]!));
    G[r] = f(G[r]! + f(acc / f(dim)));
    const std = o.epsInSqrt ? f(Math.sqrt(f(G[r]! + E))) : f(f(Math.sqrt(G[r]!)) + E);
    for (let j = 0; j < dim; j++) p[r * dim + j] = f(p[r * dim + j]! + f(C * f(row[j]! / std)));
  }
}

/** The dense gradient a sparse one stands for: maximize folded in, duplicates summed in order. */
function denseOf(g: SparseRows, rows: number, maximize: boolean): { grad: Float32Array; touched: Set<number> } {
  const grad = new Float32Array(rows * g.dim);
  const touched = new Set<number>();
  Array.from(g.indices).forEach((row, j) => {
    for (let i = 0; i < g.dim; i++) {
      const v = maximize ? -g.values[j * g.dim + i]! : g.values[j * g.dim + i]!;
      const at = row * g.dim + i;
      grad[at] = touched.has(row) ? f(grad[at]! + v) : v;
    }
    touched.add(row);
  });
  return { grad, touched };
}

const bits = (a: Float32Array) => [...new Uint32Array(a.slice().buffer)];
const snapshot = (opt: Adagrad, params: readonly Float32Array[]) =>
  JSON.stringify([opt.stateDict(), params.map(bits)], (_k, v) => (v instanceof Float32Array ? bits(v) : v));

const DIMS = [1, 3, 4, 5, 8, 13, 64];
const CASES: Array<[string, Partial<Options> & { initialAccumulatorValue?: number }]> = [
  ["defaults", {}],
  ["maximize", { maximize: true }],
  ["weight decay", { weightDecay: 0.1 }],
  ["maximize and weight decay", { maximize: true, weightDecay: 0.3 }],
  ["epsInSqrt, lrDecay, initialAccumulatorValue", { epsInSqrt: true, lrDecay: 0.1, eps: 1e-4, initialAccumulatorValue: 0.5 }],
];

for (const backend of BACKENDS) {
  describe(`rowwise Adagrad against a float32 model (${backend})`, () => {
    for (const store of [false, true]) {
      it.each(CASES)(`%s, ${store ? "ParamStore" : "caller-owned"}: dense gradients, three tables per group`, async (_name, given) => {
        await init({ backend });
        const o: Options = { lr: 0.05, lrDecay: 0, eps: 1e-10, weightDecay: 0, maximize: false, epsInSqrt: false, ...given };
        const r = rng(11 + CASES.findIndex((c) => c[1] === given));
        for (const dim of DIMS) {
          // Row counts whose tables leave padding between them in every buffer.
          const rows = [3, 1, 6];
          const p0 = rows.map((n) => randomValues(r, n * dim));
          const s = store ? new ParamStore({ a: rows[0]! * dim, b: rows[1]! * dim, c: rows[2]! * dim }) : undefined;
          const params = s ? s.params() : p0.map((p) => p.slice());
          if (s) params.forEach((p, i) => p.set(p0[i]!));
          const opt = new Adagrad(s ?? params, { ...o, rowwise: dim });
          const want = p0.map((p) => p.slice());
          const G = rows.map((n) => new Float32Array(n).fill(f(given.initialAccumulatorValue ?? 0)));
          try {
            for (let step = 1; step <= 4; step++) {
              const grads = rows.map((n) => randomValues(r, n * dim));
              opt.step(grads);
              grads.forEach((g, i) => rowwiseRef(want[i]!, g, G[i]!, dim, step, o));
              const sd = opt.stateDict();
              params.forEach((p, i) => {
                expectBits(s ? s.param(["a", "b", "c"][i] as "a") : p, want[i]!, `dim ${dim} step ${step} params[${i}]`);
                expectBits(sd.state[i]!.sum as Float32Array, G[i]!, `dim ${dim} step ${step} sum[${i}]`);
              });
            }
          } finally {
            opt.dispose();
            s?.dispose();
          }
        }
      });
    }

    it.each(CASES.filter(([, o]) => !o.weightDecay))("%s: sparse rows, duplicates summed in order first", async (_name, given) => {
      await init({ backend });
      const o: Options = { lr: 0.05, lrDecay: 0, eps: 1e-10, weightDecay: 0, maximize: false, epsInSqrt: false, ...given };
      const r = rng(99);
      for (const dim of DIMS) {
        const rows = 17;
        const p = randomValues(r, rows * dim);
        const opt = new Adagrad([p], { ...o, rowwise: dim });
        const want = p.slice();
        const G = new Float32Array(rows).fill(f(given.initialAccumulatorValue ?? 0));
        for (let step = 1; step <= 4; step++) {
          const indices = Array.from({ length: 12 }, () => Math.floor(r() * rows));
          const g = { indices, values: randomValues(r, indices.length * dim), dim };
          const before = p.slice();
          opt.step([g]);
          // The model over the rows listed only: the others, and their G, must not move.
          const { grad, touched } = denseOf(g, rows, o.maximize);
          const listed = [...touched];
          const pRows = new Float32Array(listed.length * dim), gRows = new Float32Array(listed.length * dim);
          const GRows = Float32Array.from(listed, (row) => G[row]!);
          listed.forEach((row, k) => {
            pRows.set(want.subarray(row * dim, (row + 1) * dim), k * dim);
            gRows.set(grad.subarray(row * dim, (row + 1) * dim), k * dim);
          });
          rowwiseRef(pRows, gRows, GRows, dim, step, { ...o, maximize: false });
          listed.forEach((row, k) => {
            want.set(pRows.subarray(k * dim, (k + 1) * dim), row * dim);
            G[row] = GRows[k]!;
          });
          expectBits(p, want, `dim ${dim} step ${step} params`);
          expectBits(opt.stateDict().state[0]!.sum as Float32Array, G, `dim ${dim} step ${step} sum`);
          for (let row = 0; row < rows; row++) {
            if (!touched.has(row)) expect(bits(p.subarray(row * dim, (row + 1) * dim))).toEqual(bits(before.subarray(row * dim, (row + 1) * dim)));
          }
        }
        opt.dispose();
      }
    });

    it("a dense gradient equals sparse rows listing every row once", async () => {
      await init({ backend });
      const r = rng(3);
      for (const dim of DIMS) {
        const rows = 9;
        const p0 = randomValues(r, rows * dim);
        const dense = p0.slice(), sparse = p0.slice();
        const a = new Adagrad([dense], { rowwise: dim, maximize: true, lrDecay: 0.5 });
        const b = new Adagrad([sparse], { rowwise: dim, maximize: true, lrDecay: 0.5 });
        for (let step = 0; step < 3; step++) {
          const g = randomValues(r, rows * dim);
          const order = Array.from({ length: rows }, (_, i) => i).sort(() => r() - 0.5);
          const values = new Float32Array(rows * dim);
          order.forEach((row, k) => values.set(g.subarray(row * dim, (row + 1) * dim), k * dim));
          a.step([g]);
          b.step([{ indices: order, values, dim }]);
          expectBits(sparse, dense, `dim ${dim} step ${step}`);
        }
        expectBits(b.stateDict().state[0]!.sum as Float32Array, a.stateDict().state[0]!.sum as Float32Array, `dim ${dim} sum`);
      }
    });
  });

  describe(`rowwise state (${backend})`, () => {
    it("keeps one value per row, filled with initialAccumulatorValue; groups may differ", async () => {
      await init({ backend });
      const opt = new Adagrad([
        { params: [new Float32Array(12), new Float32Array(0), new Float32Array(4)], rowwise: 4 },
        { params: [new Float32Array(6)] },
      ], { initialAccumulatorValue: 0.5 });
      const sd = opt.stateDict();
      expect(sd.state.map((s) => [...(s.sum as Float32Array)])).toEqual([[0.5, 0.5, 0.5], [], [0.5], new Array(6).fill(0.5)]);
      expect(sd.param_groups.map((g) => g.rowwise)).toEqual([4, 0]);
    });

    it("round-trips through state dicts and checkpoints; resuming equals never stopping", async () => {
      await init({ backend });
      const r = rng(21);
      const p0 = [randomValues(r, 30), randomValues(r, 10)];
      const grads = Array.from({ length: 6 }, () => [randomValues(r, 30), randomValues(r, 10)]);
      const make = (p: Float32Array[]) => new Adagrad([{ params: [p[0]!], rowwise: 5 }, { params: [p[1]!], rowwise: 2 }], { lr: 0.2 });
      const straight = p0.map((p) => p.slice());
      const a = make(straight);
      for (const g of grads) a.step(g);
      for (const via of ["stateDict", "saveState"] as const) {
        const first = p0.map((p) => p.slice());
        const b = make(first);
        for (const g of grads.slice(0, 3)) b.step(g);
        const resumed = first.map((p) => p.slice());
        const c = make(resumed);
        if (via === "stateDict") c.loadStateDict(b.stateDict());
        else c.loadState(b.saveState());
        expect(snapshot(c, resumed)).toBe(snapshot(b, first));
        for (const g of grads.slice(3)) c.step(g);
        expect(snapshot(c, resumed)).toBe(snapshot(a, straight));
        expect(c.saveState()).toEqual(a.saveState());
      }
    });
  });

  describe(`rowwise refusals change nothing (${backend})`, () => {
    it("a row length that does not divide a param, or is not a whole number >= 0", async () => {
      await init({ backend });
      expect(() => new Adagrad([new Float32Array(10)], { rowwise: 4 })).toThrow(new RangeError("Adagrad: params[0] has length 10, which is not a whole number of rows of rowwise = 4"));
      expect(() => new Adagrad([{ params: [new Float32Array(8)], rowwise: 4 }, { params: [new Float32Array(8), new Float32Array(6)], rowwise: 4 }]))
        .toThrow(/params\[2\] has length 6, which is not a whole number of rows of rowwise = 4/);
      expect(() => new Adagrad([new Float32Array(10)], { rowwise: 2.5 })).toThrow(/rowwise must be a whole number \(a row length, or 0 for off\), got 2\.5/);
      expect(() => new Adagrad([new Float32Array(10)], { rowwise: -1 })).toThrow(RangeError);
    });

    it("a change of rowwise after construction: by assignment, state dict or checkpoint", async () => {
      await init({ backend });
      const w = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8);
      const opt = new Adagrad([w], { rowwise: 4 });
      opt.step([new Float32Array(8).fill(0.5)]);
      const before = snapshot(opt, [w]);
      expect(() => (opt.paramGroups[0]!.rowwise = 2)).toThrow(new RangeError(
        "Adagrad.paramGroups[0]: rowwise is 4 and cannot change to 2: it sets the layout of the state buffer sum; make a new optimizer instead"));
      expect(() => (opt.paramGroups[0]!.rowwise = 0)).toThrow(/rowwise is 4 and cannot change to 0/);
      // A dict whose sum fits the current layout but whose rowwise does not.
      const sd = opt.stateDict();
      sd.param_groups[0]!.rowwise = 8;
      expect(() => opt.loadStateDict(sd)).toThrow(/param_groups\[0\]: rowwise is 4 and cannot change to 8/);
      // A dict from an elementwise Adagrad: its sum has a value per element.
      const flat = new Adagrad([new Float32Array(8)]);
      expect(() => opt.loadStateDict(flat.stateDict())).toThrow(/state\[0\]\.sum has length 8, but param 0 keeps one value per row here: 2/);
      for (const other of [new Adagrad([new Float32Array(8)], { rowwise: 2 }), flat]) {
        expect(() => opt.loadState(other.saveState())).toThrow(CheckpointError);
        expect(() => opt.loadState(other.saveState())).toThrow(/param group 0: rowwise is 4 and cannot change to (2|0)/);
        expect(() => other.loadState(opt.saveState())).toThrow(/rowwise is (2|0) and cannot change to 4/);
      }
      expect(snapshot(opt, [w])).toBe(before);
    });

    it("sparse rows of another dim", async () => {
      await init({ backend });
      const w = new Float32Array(8);
      const opt = new Adagrad([w], { rowwise: 4 });
      const before = snapshot(opt, [w]);
      expect(() => opt.step([{ indices: [0], values: new Float32Array(2), dim: 2 }])).toThrow(new RangeError(
        "Adagrad.step: grads[0].dim is 2, but the state of params[0] keeps one value per row of 4 (rowwise: 4)"));
      expect(snapshot(opt, [w])).toBe(before);
    });
  });
}
