// The nonFinite policies, memory limits, and PyTorch's behaviour for empty tensors and groups.
import { describe, expect, it } from "vitest";
import { Adagrad, init, NonFiniteGradientError, ParamStore, RMSprop } from "../src/index.js";
import { currentBackend } from "../src/runtime.js";

const bits = (x: unknown) => (x instanceof Float32Array ? [...new Uint32Array(x.slice().buffer)] : x);
const snapshot = (opt: RMSprop | Adagrad, params: Float32Array[]) =>
  JSON.stringify([opt.stateDict(), params], (_k, v) => bits(v));

for (const backend of ["wasm", "js"] as const) {
  describe(`nonFinite policies (${backend})`, () => {
    const bad = [NaN, Infinity, -Infinity];
    for (const value of bad) {
      for (const where of [0, 3, 4, 16, 1026]) {
        it(`"skip" and "throw" catch ${value} at element ${where}, changing nothing`, async () => {
          await init({ backend });
          const params = [new Float32Array(1027).fill(1), new Float32Array(3).fill(-1)];
          const grads = [new Float32Array(1027).fill(0.5), new Float32Array(3).fill(0.25)];
          const skip = new RMSprop(params.map((p) => p.slice()), { momentum: 0.9, nonFinite: "skip" });
          const thrower = new Adagrad(params, { nonFinite: "throw" });
          skip.step(grads);
          thrower.step(grads);
          grads[0]![where] = value;
          const skipParams = skip.paramGroups[0]!.params as Float32Array[];
          const before = [snapshot(skip, skipParams), snapshot(thrower, params)];
          expect(skip.step(grads)).toBe(false);
          expect(skip.skippedSteps).toBe(1);
          expect(() => thrower.step(grads)).toThrow(NonFiniteGradientError);
          expect(() => thrower.step(grads)).toThrow(new RegExp(`grads\\[0\\]\\[${where}\\] is ${value}`));
          expect([snapshot(skip, skipParams), snapshot(thrower, params)]).toEqual(before);
          grads[0]![where] = 0.5;
          expect(skip.step(grads)).toBe(true);
          expect(skip.stateDict().state[0]!.step).toBe(2);
        });
      }
    }

    it('"propagate" (the default) keeps PyTorch\'s behaviour: NaN stays in that element only', async () => {
      await init({ backend });
      const w = new Float32Array(8).fill(1);
      const opt = new RMSprop([w]);
      expect(opt.nonFinite).toBe("propagate");
      const g = new Float32Array(8).fill(1);
      g[5] = NaN;
      expect(opt.step([g])).toBe(true);
      expect(Number.isNaN(w[5])).toBe(true);
      expect(w.filter((x) => Number.isNaN(x))).toHaveLength(1);
    });

    it("checks zero-copy gradients too, and the policy can change between steps", async () => {
      await init({ backend });
      const store = new ParamStore({ a: 5, b: 9 });
      const opt = new Adagrad(store, { nonFinite: "skip" });
      store.grad("b")[8] = -Infinity;
      expect(opt.step()).toBe(false);
      expect(store.param("b")[0]).toBe(0);
      expect(() => (opt.nonFinite = "never" as "skip")).toThrow(/nonFinite must be one of/);
      opt.nonFinite = "propagate";
      expect(opt.step()).toBe(true);
      store.dispose();
    });
  });

  describe(`limits and empty tensors (${backend})`, () => {
    it("zero-length tensors and empty groups step as in PyTorch", async () => {
      await init({ backend });
      const w = new Float32Array([1, 2]);
      const empty = new Float32Array(0);
      const opt = new RMSprop([{ params: [] }, { params: [empty, w], momentum: 0.9 }]);
      expect(opt.step([new Float32Array(0), new Float32Array([1, 1])])).toBe(true);
      const sd = opt.stateDict();
      expect(sd.param_groups.map((g) => g.params)).toEqual([[], [0, 1]]);
      expect(sd.state[0]!.square_avg).toEqual(new Float32Array(0));
      expect(sd.state[1]!.step).toBe(1);
      expect(w[0]).toBeLessThan(1);
      expect(() => new RMSprop([])).toThrow(/empty list/);
    });
  });
}

describe("wasm32 memory limit", () => {
  it("refuses more than 4 GiB up front, naming the limit and the JS backend, allocating nothing", async () => {
    await init({ backend: "wasm" });
    const heap = currentBackend().heap;
    const used = heap.usedBytes;
    const capacity = heap.capacityBytes;
    expect(() => new ParamStore({ huge: 2 ** 29 })).toThrow(RangeError);
    expect(() => new ParamStore({ huge: 2 ** 29 })).toThrow(/at most 4\.00 GiB.*init\(\{ backend: "js" \}\)/);
    expect(heap.usedBytes).toBe(used);
    expect(heap.capacityBytes).toBe(capacity);
  });
});
