// The zero-copy path: ParamStore views, one kernel call per contiguous group, views that never
// go silently stale, and memory given back on dispose.
import { afterEach, describe, expect, it } from "vitest";
import { Adagrad, init, ParamStore, RMSprop, StaleViewError, type Optimizer } from "../src/index.js";
import type { Backend } from "../src/backend.js";
import { engineOf } from "../src/optimizer.js";
import { forceGrowth } from "./helpers/memory.js";
import { setMemoryMode } from "../src/wasm/memory.js";

// Some tests here check the rules of non-shared memory (growth detaches views: StaleViewError);
// test/shared-memory.test.ts checks those of shared memory, the default where it exists.
setMemoryMode("unshared");

const BACKENDS = ["wasm", "js"] as const;

function randomArray(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = (s / 2 ** 32 - 0.5) * 2;
  }
  return a;
}

/** Counts an optimizer's kernel calls until `restore` is called. */
function countCalls(opt: Optimizer<object>) {
  // Private engine fields: its bound kernel, and the heap generation it was bound at.
  const e = engineOf(opt) as unknown as { kernel: (...a: number[]) => void; kernelGeneration: number; backend: Backend };
  const counts = { calls: 0 };
  const original = e.backend.bind(engineOf(opt).family.kernel) as (...a: number[]) => void;
  e.kernel = (...args: number[]) => (counts.calls++, original(...args));
  e.kernelGeneration = e.backend.heap.generation;
  return { counts, restore: () => (e.kernelGeneration = -1) };
}

const disposers: Array<() => void> = [];
afterEach(() => {
  while (disposers.length) disposers.pop()!();
});

for (const backend of BACKENDS) {
  describe(`zero-copy (${backend})`, () => {
    it("updates store views in place and matches the marshalled path bit for bit", async () => {
      await init({ backend });
      const sizes = { a: 7, b: 1000, c: 1, d: 0, e: 33 };
      const store = new ParamStore<Record<string, number>>(sizes);
      const plain = Object.entries(sizes).map(([name, n], i) => {
        const p = randomArray(n, i + 1);
        store.param(name).set(p);
        return p;
      });
      const opts = { lr: 1e-2, momentum: 0.9, centered: true, weightDecay: 1e-3 };
      const zc = new RMSprop(store, opts);
      const ms = new RMSprop(plain, opts);
      disposers.push(() => zc.dispose(), () => ms.dispose(), () => store.dispose());
      const before = store.param("b").slice();
      for (let step = 0; step < 3; step++) {
        const grads = Object.entries(sizes).map(([, n], i) => randomArray(n, 100 * step + i));
        store.names.forEach((name, i) => store.grad(name).set(grads[i]!));
        expect(zc.step()).toBe(true);
        ms.step(grads);
      }
      expect(store.param("b")).not.toEqual(before);
      store.names.forEach((name, i) => {
        expect(new Uint32Array(store.param(name).slice().buffer)).toEqual(new Uint32Array(plain[i]!.slice().buffer));
      });
      const zs = zc.stateDict().state, mst = ms.stateDict().state;
      zs.forEach((s, i) => {
        for (const key of ["square_avg", "momentum_buffer", "grad_avg"]) {
          expect(new Uint32Array((s[key] as Float32Array).buffer)).toEqual(new Uint32Array((mst[i]![key] as Float32Array).buffer));
        }
      });
    });

    it("steps a 200-tensor group with one kernel call, zero-copy or marshalled", async () => {
      await init({ backend });
      const layout: Record<string, number> = {};
      for (let i = 0; i < 200; i++) layout[`t${i}`] = 1000 + (i % 7);
      const store = new ParamStore(layout);
      const opt = new Adagrad(store, { lr: 0.1 });
      const plain = store.names.map((n) => new Float32Array(layout[n]!).fill(1));
      const marshalled = new RMSprop(plain, { lr: 0.1 });
      disposers.push(() => opt.dispose(), () => marshalled.dispose(), () => store.dispose());
      for (const n of store.names) store.grad(n).fill(0.5);
      const spy = countCalls(opt);
      const spy2 = countCalls(marshalled);
      try {
        opt.step();
        opt.step(store.grads());
        marshalled.step(plain.map((p) => new Float32Array(p.length).fill(0.25)));
      } finally {
        spy.restore();
        spy2.restore();
      }
      expect(spy.counts.calls).toBe(2);
      expect(spy2.counts.calls).toBe(1);
      expect(store.param("t199")[0]).not.toBe(0);
      expect(plain[199]![3]).not.toBe(1);
    });

    it("splits into per-tensor calls when a group's tensors are not contiguous", async () => {
      await init({ backend });
      const store = new ParamStore({ a: 8, b: 8, c: 8 });
      const opt = new RMSprop([{ params: [store.param("a"), store.param("c")] }, { params: [store.param("b")], lr: 0 }]);
      disposers.push(() => opt.dispose(), () => store.dispose());
      for (const n of store.names) store.grad(n).fill(1);
      const spy = countCalls(opt);
      try {
        opt.step();
      } finally {
        spy.restore();
      }
      expect(spy.counts.calls).toBe(3);
      expect(store.param("b")[0]).toBe(0); // lr 0 in its own group: untouched by a and c's span
      expect(store.param("a")[0]).toBeLessThan(0);
      expect(store.param("c")[7]).toBeLessThan(0);
    });

    it("never lets a view go silently stale when memory grows", async () => {
      await init({ backend });
      const store = new ParamStore({ w: 64 }, { reserve: 0 });
      const oldW = store.param("w");
      const oldG = store.grad("w");
      oldW.fill(1);
      const opt = new RMSprop(store, { lr: 0.5 });
      disposers.push(() => opt.dispose(), () => store.dispose());
      const big = forceGrowth(engineOf(opt).backend.heap);
      disposers.push(() => big.dispose());
      // wasm detaches the old buffer; the JS backend keeps it but no longer reads it. Either way
      // the old view no longer reaches the parameters, and stepping says so.
      if (backend === "wasm") expect(oldW.length).toBe(0);
      else expect(oldW.buffer).not.toBe(engineOf(opt).backend.heap.buffer);
      expect(() => opt.step()).toThrow(StaleViewError);
      expect(() => opt.step()).toThrow(/store\.param\("w"\).*store\.grad\("w"\)|store\.grad\("w"\).*store\.param\("w"\)/);
      expect(() => opt.step([oldG])).toThrow(backend === "wasm" ? /grads\[0\] is detached/ : StaleViewError);
      // Re-reading the views makes them live again, with the data intact.
      const w = store.param("w");
      expect(w[0]).toBe(1);
      expect(() => opt.step()).toThrow(StaleViewError); // grad("w") is still out
      store.grad("w").fill(2);
      expect(opt.step()).toBe(true);
      expect(w[0]).toBeLessThan(1);
      expect(store.param("w")).toBe(w);
    });

    it("checks a grads array again after memory growth, even one it accepted before", async () => {
      await init({ backend });
      const store = new ParamStore({ w: 32 }, { reserve: 0 });
      const g = store.grad("w");
      g.fill(1);
      const opt = new Adagrad(store);
      disposers.push(() => opt.dispose(), () => store.dispose());
      expect(opt.step([g])).toBe(true);
      expect(opt.step([g])).toBe(true);
      const big = forceGrowth(engineOf(opt).backend.heap);
      disposers.push(() => big.dispose());
      store.param("w");
      // g was taken before the growth: wasm detached it, JS left it on the old buffer.
      expect(() => opt.step([g])).toThrow(backend === "wasm" ? /grads\[0\] is detached/ : StaleViewError);
      const fresh = store.grad("w");
      expect(fresh === g).toBe(false);
      expect(fresh[0]).toBe(1);
      expect(opt.step([fresh])).toBe(true);
      expect(opt.stateDict().state[0]!.step).toBe(3);
    });

    it("re-derives views taken after growth without any error", async () => {
      await init({ backend });
      const store = new ParamStore({ w: 16 }, { reserve: 0 });
      const big = forceGrowth(store.runtime.heap);
      const opt = new Adagrad(store);
      disposers.push(() => opt.dispose(), () => store.dispose(), () => big.dispose());
      store.grad("w").fill(1);
      expect(opt.step()).toBe(true);
      expect(store.param("w")[0]).toBeCloseTo(-0.01, 6);
    });

    it("gives memory back: 10,000 create/dispose cycles do not grow it", async () => {
      await init({ backend });
      const heap = (await import("../src/runtime.js")).currentBackend().heap;
      const params = [new Float32Array(1000), new Float32Array(17)];
      const cycle = (i: number) => {
        const store = new ParamStore({ a: 100 + (i % 50), b: 3 }, { reserve: 0 });
        const zc = new RMSprop(store, { momentum: 0.9, centered: i % 2 === 0 });
        const ms = new Adagrad(params);
        ms.step([params[0]!.map(() => 1) as Float32Array, new Float32Array(17)]);
        zc.dispose();
        ms.dispose();
        store.dispose();
      };
      cycle(0);
      const used = heap.usedBytes;
      const capacity = heap.capacityBytes;
      for (let i = 1; i < 10_000; i++) cycle(i);
      expect(heap.usedBytes).toBe(used);
      expect(heap.capacityBytes).toBe(capacity);
    });

    it("zeroGrad sets every gradient slot to +0 and touches nothing else", async () => {
      await init({ backend });
      const store = new ParamStore({ a: 5, b: 0, c: 9 });
      disposers.push(() => store.dispose());
      for (const n of store.names) {
        store.param(n).fill(3);
        store.grad(n).fill(-0.5);
      }
      store.grad("c")[8] = -0;
      store.zeroGrad();
      for (const n of store.names) {
        expect([...store.grad(n)].every((x) => Object.is(x, 0))).toBe(true);
        expect([...store.param(n)].every((x) => x === 3)).toBe(true);
      }
    });

    it("refuses to use disposed optimizers and stores", async () => {
      await init({ backend });
      const store = new ParamStore({ w: 4 });
      const opt = new RMSprop(store);
      expect(opt.isDisposed).toBe(false);
      opt.dispose();
      expect(opt.isDisposed).toBe(true);
      opt.dispose(); // a second dispose is harmless
      expect(() => opt.step()).toThrow(/disposed/);
      expect(() => opt.stateDict()).toThrow(/disposed/);
      const opt2 = new RMSprop(store);
      store.dispose();
      expect(store.isDisposed).toBe(true);
      expect(() => store.param("w")).toThrow(/disposed/);
      expect(() => opt2.step()).toThrow(/disposed/);
      opt2.dispose();
    });
  });
}

describe("paramGroups[i].params", () => {
  for (const backend of BACKENDS) {
    it(`stays live across memory growth (${backend})`, async () => {
      await init({ backend });
      const store = new ParamStore({ a: 3, b: 5 }, { reserve: 0 });
      const own = new Float32Array([1, 2]);
      const opt = new RMSprop([{ params: store }, { params: [own] }]);
      const before = opt.paramGroups[0]!.params;
      expect(opt.paramGroups[0]!.params).toBe(before);
      expect(opt.paramGroups[1]!.params[0]).toBe(own);
      const heap = engineOf(opt).backend.heap;
      const big = forceGrowth(heap);
      const after = opt.paramGroups[0]!.params;
      expect(after.map((p) => p.length)).toEqual([3, 5]);
      expect(after[0]!.buffer).toBe(engineOf(opt).backend.heap.buffer);
      store.param("b").fill(7);
      expect([...after[1]!]).toEqual([7, 7, 7, 7, 7]);
      expect(opt.paramGroups[1]!.params[0]).toBe(own);
      expect(Object.isFrozen(after)).toBe(true);
      opt.dispose();
      store.dispose();
      big.dispose();
    });
  }
});
