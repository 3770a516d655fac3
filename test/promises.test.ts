// Promises that hostile or careless input once broke: each test pins one of them on both
// backends. (Heap placement, checkpoints and init have suites of their own.)
import { beforeEach, describe, expect, it } from "vitest";
import {
  Adagrad, init, NonFiniteGradientError, ParamStore, RMSprop, StaleViewError,
} from "../src/index.js";
import { engineOf } from "../src/optimizer.js";
import { setMemoryMode } from "../src/wasm/memory.js";

// Some tests here check the rules of non-shared memory (growth detaches views: StaleViewError);
// test/shared-memory.test.ts checks those of shared memory, the default where it exists.
setMemoryMode("unshared");

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

/** A store whose allocation must grow the heap (detaching or orphaning every earlier view). */
function growMemory(backend: "wasm" | "js"): ParamStore {
  const heap = engineOf(new RMSprop([new Float32Array(1)])).backend.heap;
  const before = heap.generation;
  const s = new ParamStore({ big: heap.capacityBytes / 4 + 1024 }, { reserve: 0 });
  expect(heap.generation, `${backend}: memory grew`).toBeGreaterThan(before);
  return s;
}

for (const backend of ["wasm", "js"] as const) {
  describe(`${backend} backend`, () => {
    beforeEach(async () => {
      expect(await init({ backend })).toBe(backend);
    });

    it("step() reads each grads[i] once: a getter answering differently the second time changes nothing", () => {
      const w = new Float32Array([1, 2, 3, 4]);
      const twin = w.slice();
      const good = new Float32Array([0.5, -0.5, 0.25, 1]);
      const reads: number[] = [];
      const grads = new Proxy([good], {
        get(target, key, receiver) {
          if (key === "0") {
            reads.push(0);
            return reads.length === 1 ? good : new Float32Array([9, 9, 9, 9]);
          }
          return Reflect.get(target, key, receiver);
        },
      });
      const opt = new RMSprop([w], { momentum: 0.9 });
      const ref = new RMSprop([twin], { momentum: 0.9 });
      opt.step(grads);
      ref.step([good]);
      expect(reads).toHaveLength(1);
      expect(bits(w)).toEqual(bits(twin));
      expect(opt.stateDict()).toEqual(ref.stateDict());
    });

    it("paramGroups[i].params held across a memory growth make step() throw StaleViewError until re-read", () => {
      const store = new ParamStore({ w: 16 }, { reserve: 0 });
      const opt = new RMSprop(store);
      const held = opt.paramGroups[0]!.params;
      expect(held[0]!.length).toBe(16);
      const big = growMemory(backend);
      expect(() => opt.step()).toThrow(StaleViewError);
      const fresh = opt.paramGroups[0]!.params;
      expect(fresh[0] === held[0]).toBe(false);
      expect(opt.step()).toBe(true);
      big.dispose();
      opt.dispose();
      store.dispose();
    });

    it("a store view taken before a growth is refused as a param, not taken as a caller-owned copy", () => {
      const store = new ParamStore({ w: 8 }, { reserve: 0 });
      const old = store.param("w");
      const big = growMemory(backend);
      expect(() => new Adagrad([old])).toThrow(TypeError);
      expect(() => new Adagrad([old])).toThrow(/params\[0\]/);
      big.dispose();
      store.dispose();
    });

    it("a detached Float32Array is refused as a param", () => {
      const a = new Float32Array(8);
      structuredClone(a.buffer, { transfer: [a.buffer] });
      expect(a.length).toBe(0);
      expect(() => new RMSprop([a])).toThrow(/params\[0\] is detached/);
      expect(() => new RMSprop([{ params: [new Float32Array(2), a] }])).toThrow(/params\[0\]\.params\[1\] is detached/);
      // A genuinely empty array is still a valid (empty) param.
      expect(() => new RMSprop([new Float32Array(0)]).dispose()).not.toThrow();
    });

    it("a disposed optimizer refuses option assignments (which would allocate memory never freed)", () => {
      const opt = new RMSprop([new Float32Array(4)]);
      const used = engineOf(opt).backend.heap.usedBytes;
      opt.dispose();
      const afterDispose = engineOf(opt).backend.heap.usedBytes;
      expect(afterDispose).toBeLessThan(used);
      expect(() => (opt.paramGroups[0]!.momentum = 0.9)).toThrow(/disposed/);
      expect(() => (opt.nonFinite = "skip")).toThrow(/disposed/);
      expect(engineOf(opt).backend.heap.usedBytes).toBe(afterDispose);
    });

    it("a zero-length tensor does not hide an overlapping grad", () => {
      const store = new ParamStore({ a: 8, b: 8, z: 0 });
      const opt = new RMSprop([store.param("a"), store.param("b"), store.param("z")]);
      const before = bits(store.param("b"));
      expect(() => opt.step([new Float32Array(8).fill(1), store.grad("a"), new Float32Array(0)])).toThrow(/grads\[1\] overlaps/);
      expect(bits(store.param("b"))).toEqual(before);
      opt.dispose();
      store.dispose();
    });

    it("skippedSteps is read-only, and paramGroups cannot be replaced", () => {
      const opt = new RMSprop([new Float32Array(2)]);
      expect(() => ((opt as { skippedSteps: number }).skippedSteps = 1.5)).toThrow(TypeError);
      expect(opt.skippedSteps).toBe(0);
      expect(() => ((opt.paramGroups as unknown[])[0] = { lr: 1 })).toThrow(TypeError);
      expect(() => (opt.paramGroups as unknown[]).push({ lr: 1 })).toThrow(TypeError);
      expect(opt.paramGroups[0]!.lr).toBe(0.01);
      opt.dispose();
    });

    it("an option named __proto__ is refused like any unknown name", () => {
      const w = new Float32Array(2);
      expect(() => new RMSprop([w], JSON.parse('{"__proto__": {"lr": 5}}'))).toThrow(/unknown option "__proto__"/);
      expect(() => new RMSprop([JSON.parse('{"params": null}')])).toThrow(TypeError);
      const groups = [Object.assign(JSON.parse('{"__proto__": {"lr": 5}}'), { params: [w] })];
      expect(() => new RMSprop(groups)).toThrow(/unknown option "__proto__"/);
    });

    it("NonFiniteGradientError says what changed when given grads were copied into a store's slots", () => {
      const store = new ParamStore({ w: 4 });
      const opt = new Adagrad(store, { nonFinite: "throw" });
      const w0 = bits(store.param("w"));
      const sd0 = opt.stateDict();
      const err = (() => {
        try {
          opt.step([new Float32Array([1, NaN, 0, 0])]);
        } catch (e) {
          return e as Error;
        }
        throw new Error("did not throw");
      })();
      expect(err).toBeInstanceOf(NonFiniteGradientError);
      expect(err.message).toMatch(/grads\[0\]\[1\] is NaN/);
      expect(err.message).toMatch(/copied into the ParamStore's gradient slots/);
      expect(bits(store.param("w"))).toEqual(w0);
      expect(opt.stateDict()).toEqual(sd0);
      // From the store's own slots nothing is copied, and the message does not claim it was.
      store.grad("w").set([Infinity, 0, 0, 0]);
      expect(() => opt.step()).toThrow(/no parameter or state was changed$/);
      opt.dispose();
      store.dispose();
    });

    it("the memory limit is checked up front for caller-owned arrays: nothing is allocated or grown", () => {
      const heap = engineOf(new RMSprop([new Float32Array(1)])).backend.heap;
      const before = { used: heap.usedBytes, capacity: heap.capacityBytes };
      // 1 GiB of params: staging (2 GiB) plus three state buffers (3 GiB) cannot fit in 4 GiB.
      const big = new Float32Array(2 ** 28);
      const opts = { momentum: 0.9, centered: true };
      if (backend === "wasm") expect(() => new RMSprop([big], opts)).toThrow(/RMSprop state and staging needs .*does not fit/);
      else expect(heap.maxBytes).toBeGreaterThan(5 * 2 ** 30); // the JS backend's limit is higher
      expect(heap.usedBytes).toBe(before.used);
      expect(heap.capacityBytes).toBe(before.capacity);
    });

    it("opt.backend names the store's backend, even after init() changed the default", async () => {
      const store = new ParamStore({ w: 4 });
      const other = backend === "wasm" ? "js" : "wasm";
      await init({ backend: other });
      const opt = new RMSprop(store);
      expect(opt.backend).toBe(backend);
      expect(new RMSprop([new Float32Array(1)]).backend).toBe(other);
      opt.dispose();
      store.dispose();
    });
  });
}
