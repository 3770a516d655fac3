// ParamStore and the memory behind it: options, what views of disposed stores can reach,
// when creating optimizers grows memory, and what a StaleViewError tells the user to do.
import { afterEach, describe, expect, it } from "vitest";
import { init, ParamStore, RMSprop, StaleViewError, type Optimizer } from "../src/index.js";
import { currentBackend } from "../src/runtime.js";
import { forceGrowth, scribble } from "./helpers/memory.js";
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

const allZero = (a: Float32Array) => a.every((x) => x === 0);

const disposers: Array<{ dispose(): void }> = [];
afterEach(() => {
  while (disposers.length) disposers.pop()!.dispose();
});
function keep<T extends ParamStore | Optimizer<object>>(x: T): T {
  disposers.push(x);
  return x;
}

describe("ParamStore options", () => {
  it("refuses unknown option names and options that are not an object, allocating nothing", async () => {
    await init({ backend: "wasm" });
    const heap = currentBackend().heap;
    const used = heap.usedBytes;
    expect(() => new ParamStore({ w: 4 }, { reserv: 1 } as never)).toThrow(TypeError);
    expect(() => new ParamStore({ w: 4 }, { reserv: 1 } as never)).toThrow(/unknown option "reserv" \(known: reserve\)/);
    for (const bad of [3, "reserve", null, [1], true]) {
      expect(() => new ParamStore({ w: 4 }, bad as never)).toThrow(/ParamStore: options must be an object/);
    }
    expect(() => new ParamStore({ w: 4 }, { reserve: -1 })).toThrow(RangeError);
    expect(heap.usedBytes).toBe(used);
    keep(new ParamStore({ w: 4 }, undefined));
    keep(new ParamStore({ w: 4 }, {}));
  });
});

for (const backend of BACKENDS) {
  describe(`ParamStore memory (${backend})`, () => {
    it("never lets a view kept past dispose() write into what is created after", async () => {
      await init({ backend });
      const heap = currentBackend().heap;
      const layout = { w: 20_000, b: 3 };
      let kept: Float32Array[] = [];
      const generation = heap.generation;
      let replacements = 0;
      for (let i = 1; replacements < 2 && i < 2000; i++) {
        // A view taken from a store, and one from an optimizer's param group, each kept past
        // the disposal of its store.
        const a = new ParamStore(layout, { reserve: 0 });
        kept.push(a.param("w"), a.grad("b"));
        a.dispose();
        const b = new ParamStore(layout, { reserve: 0 });
        const bOpt = new RMSprop(b);
        kept.push(...bOpt.paramGroups[0]!.params);
        bOpt.dispose();
        b.dispose();
        const before = heap.generation;
        // Same layout: exactly the blocks just given back would fit.
        const next = keep(new ParamStore(layout, { reserve: 0 }));
        const opt = keep(new RMSprop(next, { momentum: 0.9, centered: true }));
        if (heap.generation !== before) replacements++;
        for (const v of kept) scribble(v, i);
        // With zero gradients, a step keeps everything zero, unless a write above reached it.
        expect(opt.step()).toBe(true);
        expect(allZero(next.param("w")) && allZero(next.param("b"))).toBe(true);
        expect(allZero(next.grad("w")) && allZero(next.grad("b"))).toBe(true);
        for (const t of opt.stateDict().state) {
          for (const x of Object.values(t)) if (x instanceof Float32Array) expect(allZero(x)).toBe(true);
        }
        disposers.pop()!.dispose();
        disposers.pop()!.dispose();
        kept = kept.slice(-16); // on JS, kept views keep their old buffers alive
      }
      // The loop went through memory replacements, which is when quarantined blocks come back.
      expect(heap.generation).toBeGreaterThan(generation);
      expect(replacements).toBe(2);
    });

    it("a store, its optimizer and an optimizer of the same size over caller-owned arrays do not grow memory once views are out", async () => {
      await init({ backend });
      const layout = { w1: 784 * 128, b1: 128, w2: 128 * 10, b2: 10 };
      const store = keep(new ParamStore(layout));
      const heap = store.runtime.heap;
      const params = store.params();
      const grads = store.grads();
      const generation = heap.generation;
      const opt = keep(new RMSprop(store, { momentum: 0.9, centered: true }));
      const own = Object.values(layout).map((n, i) => randomArray(n, i + 1));
      const other = keep(new RMSprop(own, { momentum: 0.9, centered: true }));
      other.step(own.map((p, i) => randomArray(p.length, 10 + i)));
      for (const g of grads) g.fill(0.5);
      expect(opt.step()).toBe(true);
      expect(heap.generation).toBe(generation);
      expect(params[0]![0]).toBeLessThan(0);
    });

    it("sets aside memory for each store's optimizers, also when several stores come first", async () => {
      await init({ backend });
      // The second store is the bigger one: had it taken the first's set-aside for its blocks,
      // growing for its own would leave nothing over for the first's optimizer.
      const a = keep(new ParamStore({ w: 50_000, b: 100 }));
      const b = keep(new ParamStore({ w: 1_000_000, b: 100 }));
      const heap = a.runtime.heap;
      const views = [...a.params(), ...a.grads(), ...b.params(), ...b.grads()];
      const generation = heap.generation;
      const optA = keep(new RMSprop(a, { momentum: 0.9, centered: true }));
      const optB = keep(new RMSprop(b, { momentum: 0.9, centered: true }));
      for (const v of views) v.fill(0.25);
      expect(optA.step()).toBe(true);
      expect(optB.step()).toBe(true);
      expect(heap.generation).toBe(generation);
    });

    it("says which single call re-reads the stale views", async () => {
      await init({ backend });
      const heap = currentBackend().heap;
      const make = () => {
        const store = keep(new ParamStore({ w: 8, b: 2 }, { reserve: 0 }));
        return { store, opt: keep(new RMSprop(store)) };
      };
      const loop = make(); // a training loop that re-reads gradients but not parameters
      loop.store.params();
      loop.store.grads();
      const one = make();
      one.store.grad("w");
      const mixed = make();
      mixed.store.grad("w");
      mixed.store.param("b");
      keep(forceGrowth(heap));
      loop.store.grads();
      expect(() => loop.opt.step()).toThrow(StaleViewError);
      expect(() => loop.opt.step()).toThrow(/store\.param\("w"\), store\.param\("b"\)\..*call store\.params\(\) once/);
      expect(() => one.opt.step()).toThrow(/: store\.grad\("w"\)\..*call store\.grad\("w"\) again/);
      expect(() => mixed.opt.step()).toThrow(/call store\.params\(\) and store\.grads\(\) once/);
      loop.store.params();
      expect(loop.opt.step()).toBe(true);
    });

    it("keeps every store and optimizer intact through holes, stores too big for them, and two optimizers", async () => {
      await init({ backend });
      const n = 50_000;
      // Holes: stores made without a set-aside and disposed.
      for (const size of [n / 2, n / 4]) new ParamStore({ w: size }, { reserve: 0 }).dispose();
      const unrelated = keep(new ParamStore({ u: n }, { reserve: 0 }));
      unrelated.param("u").fill(3);
      unrelated.grad("u").fill(-1);
      // Stores too big for the holes, then two optimizers over them.
      const s1 = keep(new ParamStore({ w: n }, { reserve: 0 }));
      const s2 = keep(new ParamStore({ w: n }, { reserve: 0 }));
      const o1 = keep(new RMSprop(s1, { momentum: 0.9, centered: true }));
      const o2 = keep(new RMSprop(s2, { momentum: 0.9, centered: true }));
      for (const s of [s1, s2]) {
        s.param("w").fill(1);
        s.grad("w").fill(0.5);
      }
      for (let k = 0; k < 3; k++) {
        expect(o1.step()).toBe(true);
        expect(o2.step()).toBe(true);
      }
      expect(unrelated.param("u").every((x) => x === 3)).toBe(true);
      expect(unrelated.grad("u").every((x) => x === -1)).toBe(true);
      expect(s1.param("w")).toEqual(s2.param("w"));
      expect(s1.param("w")[n - 1]).toBeLessThan(1);
    });
  });
}
