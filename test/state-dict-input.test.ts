// loadStateDict and option objects as the caller may really give them: state as an array, a
// plain object or a Map keyed by param id (anything else is refused, and input that holds state
// never reads as "no state"); Proxies and getters read at most once per property; input that
// throws while being read, or that views the optimizer's own memory, either loads exactly or
// changes nothing; option names that are also Object.prototype members refused like any other.
import { beforeEach, describe, expect, it } from "vitest";
import { Adagrad, init, ParamStore, RMSprop, type StateDict } from "../src/index.js";
import { engineOf } from "../src/optimizer.js";
import { setMemoryMode } from "../src/wasm/memory.js";

// Some tests here check the rules of non-shared memory (growth detaches views: StaleViewError);
// test/shared-memory.test.ts checks those of shared memory, the default where it exists.
setMemoryMode("unshared");

type Kind = "RMSprop" | "Adagrad";
type Opt = RMSprop | Adagrad;

const bitsOf = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

function data(n: number, salt: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.sin((i + 1) * 12.9898 + salt * 78.233) * (1 + (i % 5));
  return a;
}

/** The state dict as bits, so that a comparison sees every bit (and -0 vs +0). */
function sdBits(sd: StateDict) {
  return {
    state: sd.state.map((e) => Object.fromEntries(Object.entries(e).map(([k, v]) => [k, v instanceof Float32Array ? bitsOf(v) : v]))),
    param_groups: JSON.stringify(sd.param_groups),
  };
}

const RICH: Record<Kind, Record<string, unknown>> = {
  RMSprop: { lr: 0.02, momentum: 0.9, centered: true, weightDecay: 0.01 },
  Adagrad: { lr: 0.05, lrDecay: 0.1, weightDecay: 0.01, initialAccumulatorValue: 0.1 },
};
const LENGTHS = [5, 8, 3];
const grads = (k: number) => LENGTHS.map((n, i) => data(n, 100 + 10 * k + i));

/** Two param groups over tensors of 5, 8 and 3 elements, stepped `steps` times. */
function make(kind: Kind, steps = 1, options = RICH[kind]) {
  const params = LENGTHS.map((n, i) => data(n, i));
  const groups = [{ params: [params[0]!, params[1]!] }, { params: [params[2]!], lr: 0.003 }];
  const opt: Opt = kind === "RMSprop" ? new RMSprop(groups, options) : new Adagrad(groups, options);
  for (let k = 0; k < steps; k++) opt.step(grads(k));
  return { opt, params };
}

/** Everything a load may change: params, every state buffer and step, every option, the policy. */
function snap(c: { opt: Opt; params: Float32Array[] }) {
  return {
    params: c.params.map(bitsOf),
    sd: sdBits(c.opt.stateDict()),
    groups: c.opt.paramGroups.map((g) => Object.fromEntries(Object.entries(g).filter(([k]) => k !== "params"))),
    nonFinite: c.opt.nonFinite,
    skippedSteps: c.opt.skippedSteps,
  };
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected the call to throw, but it returned normally");
}

/** `fn` must throw `Cls` with a message matching `message`, and change nothing in `c`. */
function refuses(c: { opt: Opt; params: Float32Array[] }, fn: () => unknown, Cls: typeof TypeError, message: RegExp): void {
  const before = snap(c);
  const e = thrown(fn);
  expect(e, `${e.name}: ${e.message}`).toBeInstanceOf(Cls);
  expect(e.message).toMatch(message);
  expect(snap(c)).toEqual(before);
}

/** Plain objects and arrays of `value`, deeply, each wrapped in a Proxy that reports every trap. */
function wrapDeep(value: unknown, onTrap: (target: object, trap: string, key?: PropertyKey) => void): unknown {
  if (typeof value !== "object" || value === null || ArrayBuffer.isView(value)) return value;
  const copy = (Array.isArray(value) ? [] : {}) as Record<PropertyKey, unknown>;
  for (const k of Reflect.ownKeys(value)) {
    if (Array.isArray(value) && k === "length") continue;
    copy[k] = wrapDeep((value as Record<PropertyKey, unknown>)[k], onTrap);
  }
  return new Proxy(copy, {
    get(t, k, r) {
      onTrap(t, "get", k);
      return Reflect.get(t, k, r);
    },
    has(t, k) {
      onTrap(t, "has", k);
      return Reflect.has(t, k);
    },
    ownKeys(t) {
      onTrap(t, "ownKeys");
      return Reflect.ownKeys(t);
    },
    getOwnPropertyDescriptor(t, k) {
      onTrap(t, "getOwnPropertyDescriptor", k);
      return Reflect.getOwnPropertyDescriptor(t, k);
    },
    getPrototypeOf(t) {
      onTrap(t, "getPrototypeOf");
      return Reflect.getPrototypeOf(t);
    },
  });
}

/** The dict with every Float32Array replaced by a plain array of its numbers (as from JSON). */
const asNumbers = (sd: StateDict) => ({
  state: sd.state.map((e) => Object.fromEntries(Object.entries(e).map(([k, v]) => [k, v instanceof Float32Array ? Array.from(v) : v]))),
  param_groups: sd.param_groups,
});

/** A view of `want`'s bits where they sit in the optimizer's memory. */
function findInMemory(opt: Opt, want: Float32Array): Float32Array {
  const heap = engineOf(opt).backend.heap;
  const u = new Uint32Array(heap.buffer);
  const w = bitsOf(want);
  for (let i = 0; i + w.length <= u.length; i++) {
    let j = 0;
    while (j < w.length && u[i + j] === w[j]) j++;
    if (j === w.length) return new Float32Array(heap.buffer, i * 4, w.length);
  }
  throw new Error("state buffer not found in the optimizer's memory");
}

for (const backend of ["wasm", "js"] as const) {
  describe(`${backend} backend`, () => {
    beforeEach(async () => {
      expect(await init({ backend })).toBe(backend);
    });

    describe.each(["RMSprop", "Adagrad"] as const)("%s.loadStateDict: the forms of state", (kind) => {
      it("state as a Map keyed by param id (numbers or strings) loads like the array form, and training continues from it", () => {
        const source = make(kind, 3);
        const sd = source.opt.stateDict();
        for (const key of [(i: number) => i, (i: number) => String(i)]) {
          const viaMap = make(kind, 1);
          const viaArray = make(kind, 1);
          viaMap.opt.loadStateDict({ state: new Map(sd.state.map((e, i) => [key(i), e])), param_groups: sd.param_groups } as unknown as StateDict);
          viaArray.opt.loadStateDict(sd);
          expect(sdBits(viaMap.opt.stateDict())).toEqual(sdBits(sd));
          viaMap.params.forEach((p, i) => p.set(source.params[i]!));
          viaArray.params.forEach((p, i) => p.set(source.params[i]!));
          viaMap.opt.step(grads(7));
          viaArray.opt.step(grads(7));
          expect(viaMap.params.map(bitsOf)).toEqual(viaArray.params.map(bitsOf));
          expect(sdBits(viaMap.opt.stateDict())).toEqual(sdBits(viaArray.opt.stateDict()));
        }
      });

      it("state as a null-prototype object, or with non-enumerable keys, is read, never taken for no state", () => {
        const sd = make(kind, 3).opt.stateDict();
        const bare = Object.assign(Object.create(null) as object, Object.fromEntries(sd.state.map((e, i) => [i, e])));
        const hidden = {};
        sd.state.forEach((e, i) => Object.defineProperty(hidden, String(i), { value: e, enumerable: false }));
        for (const state of [bare, hidden]) {
          const c = make(kind, 1);
          c.opt.loadStateDict({ state, param_groups: sd.param_groups } as unknown as StateDict);
          expect(sdBits(c.opt.stateDict())).toEqual(sdBits(sd));
        }
      });

      it("state that is not an array, a plain object or a Map is refused with a TypeError, changing nothing", () => {
        const sd = make(kind, 2).opt.stateDict();
        const entries = sd.state.map((e, i) => [i, e] as const);
        class StateTable {}
        const bad: unknown[] = [
          new Set(sd.state), new WeakMap(), new Float32Array(3), new Date(0), new StateTable(),
          Object.create(Object.fromEntries(entries)), new Proxy(new Map(entries), {}), () => sd.state, "abc", 5, true, null,
        ];
        for (const state of bad) {
          const c = make(kind);
          refuses(c, () => c.opt.loadStateDict({ state, param_groups: sd.param_groups } as unknown as StateDict), TypeError,
            /state must be an array, a plain object or a Map keyed by param id, got/);
        }
      });

      it("a Map whose keys are not the param ids is refused, changing nothing", () => {
        const sd = make(kind, 2).opt.stateDict();
        const [a, b, c] = sd.state;
        const map = (...entries: Array<[unknown, unknown]>) => new Map<unknown, unknown>(entries);
        const cases: Array<[Map<unknown, unknown>, typeof TypeError, RegExp]> = [
          [map([0, a], [1, b], [7, c]), RangeError, /state\[7\] names no param listed in param_groups/],
          [map([0, a], ["0", b], [2, c]), RangeError, /state has two entries for param id 0/],
          [map([0, a], [1, b], [{}, c]), TypeError, /state has a key Object; keys are param ids \(numbers or strings\)/],
          [map([0, a], [1, b]), RangeError, /state has 2 entr\(ies\) for 3 param\(s\)/],
        ];
        for (const [state, Cls, message] of cases) {
          const ctx = make(kind);
          refuses(ctx, () => ctx.opt.loadStateDict({ state, param_groups: sd.param_groups } as unknown as StateDict), Cls, message);
        }
      });
    });

    it.each(["RMSprop", "Adagrad"] as const)("%s: a param id that is neither a number nor a string is refused", (kind) => {
      const sd = make(kind, 2).opt.stateDict();
      const c = make(kind);
      sd.param_groups[1]!.params = [{ toString: () => "2" } as unknown as number];
      refuses(c, () => c.opt.loadStateDict(sd), TypeError, /param_groups\[1\]\.params\[0\] must be a param id \(a number or a string\), got Object/);
    });

    describe.each(["RMSprop", "Adagrad"] as const)("%s.loadStateDict reads its input once, before it changes anything", (kind) => {
      it.each([["Float32Arrays", false], ["plain arrays of numbers", true]] as const)(
        "every property of a Proxy-wrapped dict (buffers as %s) is read at most once",
        (_form, numbers) => {
          const sd = make(kind, 3).opt.stateDict();
          const reads = new Map<object, Map<string, number>>();
          const wrapped = wrapDeep(numbers ? asNumbers(sd) : sd, (t, trap, key) => {
            const perTarget = reads.get(t) ?? new Map<string, number>();
            reads.set(t, perTarget);
            const name = `${trap} ${String(key)}`;
            perTarget.set(name, (perTarget.get(name) ?? 0) + 1);
          });
          const c = make(kind, 1);
          c.opt.loadStateDict(wrapped as StateDict);
          expect(sdBits(c.opt.stateDict())).toEqual(sdBits(sd));
          const repeated = [...reads.values()].flatMap((m) => [...m].filter(([, n]) => n > 1).map(([k, n]) => `${k} ×${n}`));
          expect(repeated).toEqual([]);
        },
      );

      it("a dict whose k-th read throws changes nothing, for every k; past the last read it loads", () => {
        const sd = asNumbers(make(kind, 3).opt.stateDict());
        sd.param_groups[0]!.lr = 0.5; // a valid change, so that a half-applied load would show
        const expected = make(kind, 1);
        expected.opt.loadStateDict(sd as unknown as StateDict);
        let k = 0;
        for (; k < 10_000; k++) {
          const c = make(kind, 1);
          let reads = 0;
          const boom = new Error(`read ${k}`);
          const wrapped = wrapDeep(sd, () => {
            if (reads++ === k) throw boom;
          });
          const before = snap(c);
          let err: unknown;
          try {
            c.opt.loadStateDict(wrapped as StateDict);
          } catch (e) {
            err = e;
          }
          if (err === undefined) {
            expect(snap(c)).toEqual(snap(expected));
            break;
          }
          expect(err).toBe(boom);
          expect(snap(c)).toEqual(before);
        }
        expect(k).toBeGreaterThan(50); // every read of the dict was tried
      });

      it("a buffer that is a Proxy of a Float32Array is refused (it is not one), changing nothing", () => {
        const sd = make(kind, 3).opt.stateDict();
        sd.param_groups[0]!.lr = 0.5;
        const slot = kind === "RMSprop" ? "square_avg" : "sum";
        const real = sd.state[1]![slot] as Float32Array;
        for (const throwAt of [-1, 0, 3]) {
          let reads = 0;
          sd.state[1]![slot] = new Proxy(real, {
            get(t, key) {
              if (reads++ === throwAt) throw new Error("read");
              const v = Reflect.get(t, key, t);
              return typeof v === "function" ? v.bind(t) : v;
            },
          });
          const c = make(kind);
          const before = snap(c);
          const e = thrown(() => c.opt.loadStateDict(sd));
          if (e.message !== "read") {
            expect(e, e.message).toBeInstanceOf(TypeError);
            expect(e.message).toMatch(new RegExp(`state\\[1\\]\\.${slot} must be a Float32Array or an array of numbers, got an object that is not a Float32Array`));
          }
          expect(snap(c)).toEqual(before);
        }
      });

      it("a getter is called once, and what it returned first is what loads", () => {
        const sd = make(kind, 3).opt.stateDict();
        const slot = kind === "RMSprop" ? "square_avg" : "sum";
        const entry = sd.state[0]!;
        const first = entry[slot] as Float32Array;
        let calls = 0;
        Object.defineProperty(entry, slot, {
          enumerable: true,
          get: () => (++calls === 1 ? first : new Float32Array(first.length).fill(NaN)),
        });
        const c = make(kind);
        c.opt.loadStateDict(sd);
        expect(calls).toBe(1);
        expect(bitsOf(c.opt.stateDict().state[0]![slot] as Float32Array)).toEqual(bitsOf(first));
      });

      it("state buffers that view the optimizer's own state memory load the values they held", () => {
        // Each buffer of the dict is a view of another of this optimizer's live buffers, so
        // writing any slot before every input is copied would corrupt what is read after it.
        const c = make(kind, 0, { ...RICH[kind], lr: 0.0123 });
        for (let k = 0; k < 3; k++) c.opt.step(LENGTHS.map((n, i) => data(n, 900 + 10 * k + i))); // bits no other test has
        const sd = c.opt.stateDict();
        const want = sdBits(sd);
        const views = sd.state.flatMap((e) => Object.values(e).filter((v): v is Float32Array => v instanceof Float32Array).map((v) => findInMemory(c.opt, v)));
        let next = 0;
        for (const e of sd.state) for (const key of Object.keys(e)) if (key !== "step") e[key] = views[next++]!;
        c.opt.loadStateDict(sd);
        expect(sdBits(c.opt.stateDict())).toEqual(want);
      });
    });
  });
}

describe("a state buffer that is a view of wasm memory, where loading grows that memory", () => {
  it("loads the values the view held, and the options with them", async () => {
    await init({ backend: "wasm" });
    const n = 1000;
    const p = data(n, 1);
    const opt = new RMSprop([p]); // momentum 0: no momentum buffer yet
    opt.step([data(n, 2)]);
    const store = new ParamStore({ w: n }, { reserve: 0 });
    const heap = engineOf(opt).backend.heap;
    // Take the free memory, so that the momentum buffer the load allocates cannot fit.
    const need = Math.ceil((n * 4) / 64) * 64;
    const pads: number[] = [];
    const free = () => heap.capacityBytes - heap.baseBytes - heap.usedBytes - heap.quarantinedBytes;
    while (free() >= need) pads.push(heap.alloc(Math.max(64, free() - need + 64)));
    const view = store.param("w");
    view.set(data(n, 3));
    const sd = opt.stateDict();
    sd.param_groups[0]!.momentum = 0.9;
    sd.state[0]!.momentum_buffer = view;
    const generation = heap.generation;
    opt.loadStateDict(sd);
    expect(heap.generation).toBeGreaterThan(generation); // the memory grew, detaching `view`
    expect(view.length).toBe(0);
    expect(bitsOf(opt.stateDict().state[0]!.momentum_buffer as Float32Array)).toEqual(bitsOf(data(n, 3)));
    expect(opt.paramGroups[0]!.momentum).toBe(0.9);
    for (const ptr of pads) heap.release(ptr);
    opt.dispose();
    store.dispose();
  });
});

describe("option names that are Object.prototype members are refused like any unknown name", () => {
  const NAMES = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"];
  /** An options object with `name` as an own key (as JSON.parse gives it, even for __proto__). */
  const own = (name: string, value: unknown) => JSON.parse(`{${JSON.stringify(name)}: ${JSON.stringify(value)}}`) as Record<string, unknown>;

  it.each(NAMES)("%s in constructor options, in a param group and in a state dict's param_groups", async (name) => {
    await init({ backend: "js" });
    expect(Object.keys(own(name, 0.5))).toEqual([name]);
    for (const value of [0.5, { lr: 5 }]) {
      expect(() => new RMSprop([data(2, 1)], own(name, value))).toThrow(new TypeError(
        `RMSprop options has unknown option ${JSON.stringify(name)} (known: lr, alpha, eps, weightDecay, momentum, centered, maximize, epsInSqrt, flushDenormals, nonFinite)`));
      const group = Object.assign(own(name, value), { params: [data(2, 1)] });
      expect(() => new Adagrad([group])).toThrow(new RegExp(`Adagrad: params\\[0\\] has unknown option ${JSON.stringify(name)}`));
      const c = make("RMSprop");
      const sd = c.opt.stateDict();
      sd.param_groups[1] = { ...sd.param_groups[1]!, ...own(name, value) };
      refuses(c, () => c.opt.loadStateDict(sd), TypeError, new RegExp(`param_groups\\[1\\] has unknown key ${JSON.stringify(name)}`));
    }
  });

  it("a symbol key is refused, and a non-enumerable option is applied, not dropped", async () => {
    await init({ backend: "js" });
    expect(() => new RMSprop([data(2, 1)], { [Symbol("lr")]: 0.5 } as object)).toThrow(/unknown option Symbol\(lr\)/);
    const hidden = Object.defineProperty({}, "lr", { value: 0.5, enumerable: false });
    expect(new RMSprop([data(2, 1)], hidden).paramGroups[0]!.lr).toBe(0.5);
    const c = make("Adagrad");
    const sd = c.opt.stateDict();
    Object.defineProperty(sd.param_groups[0]!, "lr", { value: 0.25, enumerable: false });
    c.opt.loadStateDict(sd);
    expect(c.opt.paramGroups[0]!.lr).toBe(0.25);
  });
});
