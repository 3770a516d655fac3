// Bad input is refused with a TypeError/RangeError that names the parameter and the bad value,
// and changes nothing: params, grads and every state buffer keep their bits, and the optimizer
// then continues exactly as a twin that never saw the bad call. Also the good-path basics:
// PyTorch's defaults and names, state dict shapes and copies, and checkpoint round trips.
import { beforeEach, describe, expect, it } from "vitest";
import { Adagrad, init, initSync, ParamStore, RMSprop, type Optimizer, type StateDict } from "../src/index.js";
import { decodeF32, expectBits, fixtureIndex, loadFixture } from "./helpers/fixtures.js";
import { checkStep, makeOptimizer, optimizerClass, type Mode } from "./helpers/replay.js";

type Kind = "RMSprop" | "Adagrad";
type Opt = Optimizer<{ lr?: number }>;
type Anyish = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const Ctor = (kind: Kind) => optimizerClass(kind) as unknown as new (p: unknown, o?: unknown) => Opt;

const bitsOf = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

/** A deterministic float32 array with varied signs and magnitudes. */
function data(n: number, salt: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.sin((i + 1) * 12.9898 + salt * 78.233) * (1 + (i % 5));
  return a;
}

/** The state dict as bits, so that a comparison sees every bit (and -0 vs +0). */
function sdBits(sd: StateDict) {
  return {
    state: sd.state.map((e) =>
      Object.fromEntries(Object.entries(e).map(([k, v]) => [k, v instanceof Float32Array ? { f32: bitsOf(v) } : v]))),
    param_groups: JSON.stringify(sd.param_groups),
  };
}

const groupValues = (opt: Opt) =>
  opt.paramGroups.map((g) => Object.fromEntries(Object.entries(g).filter(([k]) => k !== "params")));

interface Ctx {
  kind: Kind;
  opt: Opt;
  twin: Opt;
  params: Float32Array[];
  twinParams: Float32Array[];
  lengths: number[];
  /** Good grads for step k. */
  grads: (k: number) => Float32Array[];
}

const RICH: Record<Kind, Record<string, unknown>> = {
  RMSprop: { lr: 0.02, momentum: 0.9, centered: true, weightDecay: 0.01 },
  Adagrad: { lr: 0.05, lrDecay: 0.1, weightDecay: 0.01, initialAccumulatorValue: 0.1 },
};

/**
 * An optimizer and its twin over copies of the same params, two param groups (the second with
 * its own lr), already stepped once so that every state buffer exists.
 */
function make(kind: Kind, options: Record<string, unknown> = RICH[kind], lengths = [5, 8, 3]): Ctx {
  const params = lengths.map((n, i) => data(n, i));
  const twinParams = params.map((p) => p.slice());
  const groupsOf = (ps: Float32Array[]) => [{ params: [ps[0]!, ps[1]!] }, { params: ps.slice(2), lr: 0.003 }];
  const C = Ctor(kind);
  const opt = new C(groupsOf(params), options);
  const twin = new C(groupsOf(twinParams), options);
  const grads = (k: number) => lengths.map((n, i) => data(n, 100 + 10 * k + i));
  opt.step(grads(0));
  twin.step(grads(0));
  return { kind, opt, twin, params, twinParams, lengths, grads };
}

function snap(ctx: Ctx, extra: Float32Array[]) {
  return {
    params: ctx.params.map(bitsOf),
    extra: extra.map((a) => (a.buffer.byteLength === 0 ? "detached" : bitsOf(a))),
    sd: sdBits(ctx.opt.stateDict()),
    groups: groupValues(ctx.opt),
    nonFinite: ctx.opt.nonFinite,
  };
}

/** After the rejected call, both optimizers take the same steps and must stay identical. */
function continuesLikeTwin(ctx: Ctx): void {
  expect(sdBits(ctx.opt.stateDict())).toEqual(sdBits(ctx.twin.stateDict()));
  expect(groupValues(ctx.opt)).toEqual(groupValues(ctx.twin));
  for (let k = 1; k <= 2; k++) {
    ctx.opt.step(ctx.grads(k));
    ctx.twin.step(ctx.grads(k));
    ctx.params.forEach((p, i) => expectBits(p, ctx.twinParams[i]!, `params[${i}] after step ${k + 1}`));
    expect(sdBits(ctx.opt.stateDict())).toEqual(sdBits(ctx.twin.stateDict()));
  }
}

type Needle = string | RegExp;

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected the call to throw, but it returned normally");
}

function expectError(e: Error, Cls: typeof TypeError | typeof RangeError, needles: Needle[]): void {
  expect(e, `${e?.name}: ${e?.message}`).toBeInstanceOf(Cls);
  for (const n of needles) {
    if (typeof n === "string") expect(e.message).toContain(n);
    else expect(e.message).toMatch(n);
  }
}

/** `fn` must throw Cls naming every needle, and leave ctx (and `extra` arrays) untouched. */
function rejects(ctx: Ctx, fn: () => unknown, Cls: typeof TypeError | typeof RangeError, needles: Needle[], extra: Float32Array[] = []): void {
  const before = snap(ctx, extra);
  expectError(thrown(fn), Cls, needles);
  expect(snap(ctx, extra)).toEqual(before);
  continuesLikeTwin(ctx);
}

const num = (v: number) => new RegExp(`(^|[^\\w.-])${String(v).replace(/[.+]/g, "\\$&")}(?![\\w.])`);

for (const backend of ["wasm", "js"] as const) {
  describe(`${backend} backend`, () => {
    beforeEach(async () => {
      expect(await init({ backend })).toBe(backend);
    });

    describe.each(["RMSprop", "Adagrad"] as const)("%s.step refuses bad grads and changes nothing", (kind) => {
      it("wrong number of grads", () => {
        const ctx = make(kind);
        const g = ctx.grads(5);
        rejects(ctx, () => ctx.opt.step(g.slice(0, 2)), RangeError, [/grad/, num(2), num(3)], g);
        rejects(ctx, () => ctx.opt.step([...g, data(3, 9)]), RangeError, [/grad/, num(4), num(3)], g);
        rejects(ctx, () => ctx.opt.step([]), RangeError, [/grad/, num(0), num(3)], g);
      });

      it("grads missing or not an array", () => {
        const ctx = make(kind);
        rejects(ctx, () => ctx.opt.step(), TypeError, [/grads/]);
        rejects(ctx, () => ctx.opt.step(data(5, 1) as Anyish), TypeError, [/grads/, "Float32Array"]);
        rejects(ctx, () => ctx.opt.step(null as Anyish), TypeError, [/grads/, "null"]);
      });

      it("length mismatch, in the last grad (after earlier grads were fine)", () => {
        const ctx = make(kind);
        const g = ctx.grads(5);
        const short = [g[0]!, g[1]!, data(2, 7)];
        rejects(ctx, () => ctx.opt.step(short), RangeError, ["grads[2]", num(2), num(3)], short);
        const long = [g[0]!, data(9, 7), g[2]!];
        rejects(ctx, () => ctx.opt.step(long), RangeError, ["grads[1]", num(9), num(8)], long);
      });

      it("grads that are not Float32Array: Float64Array, number[], null, undefined", () => {
        const ctx = make(kind);
        const g = ctx.grads(5);
        rejects(ctx, () => ctx.opt.step([g[0]!, new Float64Array(8) as Anyish, g[2]!]), TypeError, ["grads[1]", "Float64Array"], g);
        rejects(ctx, () => ctx.opt.step([g[0]!, g[1]!, [1, 2, 3] as Anyish]), TypeError, ["grads[2]", /array/i], g);
        rejects(ctx, () => ctx.opt.step([null as Anyish, g[1]!, g[2]!]), TypeError, ["grads[0]", "null"], g);
        rejects(ctx, () => ctx.opt.step([g[0]!, undefined as Anyish, g[2]!]), TypeError, ["grads[1]", "undefined"], g);
        rejects(ctx, () => ctx.opt.step([g[0]!, new Int32Array(8) as Anyish, g[2]!]), TypeError, ["grads[1]", "Int32Array"], g);
      });

      it("a grad that is a param, or another view of a param's memory", () => {
        const ctx = make(kind);
        const g = ctx.grads(5);
        rejects(ctx, () => ctx.opt.step([ctx.params[0]!, g[1]!, g[2]!]), TypeError, ["grads[0]"], g);
        const p1 = ctx.params[1]!;
        const alias = new Float32Array(p1.buffer, p1.byteOffset, p1.length);
        rejects(ctx, () => ctx.opt.step([g[0]!, alias, g[2]!]), TypeError, ["grads[1]"], g);
        // Another param's memory, in the last position.
        const other = new Float32Array(p1.buffer, p1.byteOffset, 3);
        rejects(ctx, () => ctx.opt.step([g[0]!, g[1]!, other]), TypeError, ["grads[2]"], g);
      });

      it("a grad that partly overlaps a param in a shared buffer", () => {
        // Params as disjoint subarrays of one buffer; a grad straddles the end of one of them.
        const buf = new Float32Array(40);
        buf.set(data(40, 3));
        const twinBuf = buf.slice();
        const at = (b: Float32Array) => [b.subarray(0, 5), b.subarray(8, 16), b.subarray(20, 23)];
        const params = at(buf);
        const twinParams = at(twinBuf);
        const C = Ctor(kind);
        const opt = new C(params, RICH[kind]);
        const twin = new C(twinParams, RICH[kind]);
        const lengths = [5, 8, 3];
        const grads = (k: number) => lengths.map((n, i) => data(n, 100 + 10 * k + i));
        opt.step(grads(0));
        twin.step(grads(0));
        const ctx: Ctx = { kind, opt, twin, params, twinParams, lengths, grads };
        const g = grads(5);
        rejects(ctx, () => opt.step([buf.subarray(4, 9), g[1]!, g[2]!]), TypeError, ["grads[0]"], g);
        rejects(ctx, () => opt.step([g[0]!, g[1]!, buf.subarray(15, 18)]), TypeError, ["grads[2]"], g);
        // A grad in the gap between params is fine and gives the twin's result.
        const gap = buf.subarray(16, 19);
        gap.set(g[2]!);
        opt.step([g[0]!, g[1]!, gap]);
        twin.step([g[0]!, g[1]!, g[2]!]);
        params.forEach((p, i) => expectBits(p, twinParams[i]!, `params[${i}]`));
      });

      it("a detached grad", () => {
        const ctx = make(kind);
        const g = ctx.grads(5);
        const d = data(8, 4);
        structuredClone(d.buffer, { transfer: [d.buffer] });
        rejects(ctx, () => ctx.opt.step([g[0]!, d, g[2]!]), TypeError, ["grads[1]"], g);
      });

      it("under nonFinite: \"throw\", a NaN grad throws naming grads[i][j] and changes nothing", () => {
        const ctx = make(kind, { ...RICH[kind], nonFinite: "throw" });
        const g = ctx.grads(5);
        g[2]![1] = NaN;
        rejects(ctx, () => ctx.opt.step(g), RangeError, ["grads[2][1]", "NaN"], g);
        g[2]![1] = 0;
        g[0]![4] = -Infinity;
        rejects(ctx, () => ctx.opt.step(g), RangeError, ["grads[0][4]", "-Infinity"], g);
      });
    });

    describe.each(["RMSprop", "Adagrad"] as const)("%s: zero-copy grads that alias", (kind) => {
      // Two identical stores with an optimizer each: one gets the bad call, the twin does not.
      const twinStores = (k: typeof kind) => {
        const store = new ParamStore({ a: 6, b: 6 });
        const twinStore = new ParamStore({ a: 6, b: 6 });
        for (const s of [store, twinStore]) {
          s.param("a").set(data(6, 1));
          s.param("b").set(data(6, 2));
        }
        const C = Ctor(k);
        return { store, twinStore, opt: new C(store, RICH[k]), twin: new C(twinStore, RICH[k]) };
      };

      it("a store param passed as a grad is refused and changes nothing", () => {
        const { store, twinStore, opt, twin } = twinStores(kind);
        const grads = (k: number) => [data(6, 50 + k), data(6, 60 + k)];
        opt.step(grads(0));
        twin.step(grads(0));
        const ctx: Ctx = {
          kind, opt, twin, lengths: [6, 6], grads,
          get params() {
            return store.params();
          },
          get twinParams() {
            return twinStore.params();
          },
        } as Ctx;
        rejects(ctx, () => opt.step([store.param("b"), grads(5)[1]!]), TypeError, ["grads[0]"]);
        rejects(ctx, () => opt.step([grads(5)[0]!, store.param("b")]), TypeError, ["grads[1]"]);
        opt.dispose();
        twin.dispose();
        store.dispose();
        twinStore.dispose();
      });

      it("a grad that is a view of one of the optimizer's state buffers is refused", async () => {
        // Reach the optimizer's memory through a store view, find a state buffer there by its
        // bits, and pass a view of it as a gradient: marshalled and zero-copy optimizers alike.
        // The twins live on the other backend, so that the only copy of these state bits in
        // this backend's memory is the optimizer's own (the backends agree bit for bit).
        const C = Ctor(kind);
        const lengths = [5, 8, 3];
        const params = lengths.map((n, i) => data(n, 10 + i));
        const twinParams = params.map((x) => x.slice());
        const grads = (k: number) => lengths.map((n, i) => data(n, 200 + 10 * k + i));
        await init({ backend: backend === "wasm" ? "js" : "wasm" });
        const twinStore = new ParamStore({ a: 6, b: 6 });
        twinStore.param("a").set(data(6, 1));
        twinStore.param("b").set(data(6, 2));
        const marshalledTwin = new C(twinParams, RICH[kind]);
        const zcTwin = new C(twinStore, RICH[kind]);
        await init({ backend });
        const store = new ParamStore({ a: 6, b: 6 });
        store.param("a").set(data(6, 1));
        store.param("b").set(data(6, 2));
        const marshalled = new C(params, RICH[kind]);
        const zc = new C(store, RICH[kind]);
        expect(marshalled.backend).not.toBe(marshalledTwin.backend);
        marshalled.step(grads(0));
        marshalledTwin.step(grads(0));
        zc.step([data(6, 3), data(6, 4)]);
        zcTwin.step([data(6, 3), data(6, 4)]);
        const heapView = () => {
          const a = store.param("a");
          return new Float32Array(a.buffer);
        };
        const find = (want: Float32Array): Float32Array => {
          const heap = heapView();
          const u = new Uint32Array(heap.buffer);
          const w = bitsOf(want);
          for (let i = 0; i + w.length <= u.length; i++) {
            let j = 0;
            while (j < w.length && u[i + j] === w[j]) j++;
            if (j === w.length) return heap.subarray(i, i + w.length);
          }
          throw new Error("state buffer not found in the optimizer's memory");
        };
        const slot = kind === "RMSprop" ? "square_avg" : "sum";
        // Marshalled optimizer, state of its second param.
        const m = find(marshalled.stateDict().state[1]![slot] as Float32Array);
        expect(m.buffer).toBe(store.param("a").buffer);
        const ctxM: Ctx = { kind, opt: marshalled, twin: marshalledTwin, params, twinParams, lengths, grads };
        const g = grads(5);
        rejects(ctxM, () => marshalled.step([g[0]!, m, g[2]!]), TypeError, ["grads[1]"]);
        // Zero-copy optimizer, state of its first param.
        const z = find(zc.stateDict().state[0]![slot] as Float32Array);
        const ctxZ = {
          kind, opt: zc, twin: zcTwin, lengths: [6, 6], grads: (k: number) => [data(6, 80 + k), data(6, 90 + k)],
          get params() {
            return store.params();
          },
          get twinParams() {
            return twinStore.params();
          },
        } as Ctx;
        rejects(ctxZ, () => zc.step([z, data(6, 5)]), TypeError, ["grads[0]"]);
        for (const o of [marshalled, marshalledTwin, zc, zcTwin]) o.dispose();
        store.dispose();
        twinStore.dispose();
      });

      it("the store's own grad views passed in swapped order are refused, changing nothing", () => {
        // grads[0] is the view of b's gradient slot and grads[1] that of a's. Gradients are
        // staged into their slots in param order, so a's slot would be overwritten before b
        // read it: another param's gradient slot is refused as a grad, like any overlap.
        const { store, twinStore, opt, twin } = twinStores(kind);
        const grads = (k: number) => [data(6, 70 + k), data(6, 80 + k)];
        opt.step(grads(0));
        twin.step(grads(0));
        store.grad("a").set(data(6, 71));
        store.grad("b").set(data(6, 72));
        const ctx: Ctx = {
          kind, opt, twin, lengths: [6, 6], grads,
          get params() {
            return store.params();
          },
          get twinParams() {
            return twinStore.params();
          },
        } as Ctx;
        rejects(ctx, () => opt.step([store.grad("b"), store.grad("a")]), TypeError,
          ["grads[0] overlaps a parameter, a state buffer or another parameter's gradient slot of this optimizer"],
          [store.grad("a"), store.grad("b")]);
        opt.dispose();
        twin.dispose();
        store.dispose();
        twinStore.dispose();
      });
    });

    describe("constructor options: bad values throw naming the option and value", () => {
      const p = () => [data(5, 1), data(3, 2)];
      const cases: Array<[Kind, Record<string, unknown>, typeof TypeError | typeof RangeError, Needle[]]> = [];
      for (const kind of ["RMSprop", "Adagrad"] as const) {
        for (const lr of [NaN, Infinity, -Infinity, -1, -1e-9]) cases.push([kind, { lr }, RangeError, ["lr", num(lr)]]);
        cases.push([kind, { lr: "0.1" }, TypeError, ["lr", "0.1"]]);
        cases.push([kind, { lr: null }, TypeError, ["lr", "null"]]);
        cases.push([kind, { eps: -1e-8 }, RangeError, ["eps", num(-1e-8)]]);
        cases.push([kind, { eps: NaN }, RangeError, ["eps", "NaN"]]);
        cases.push([kind, { weightDecay: -0.1 }, RangeError, ["weightDecay", num(-0.1)]]);
        cases.push([kind, { weightDecay: Infinity }, RangeError, ["weightDecay", "Infinity"]]);
        cases.push([kind, { maximize: 1 }, TypeError, ["maximize", num(1)]]);
        cases.push([kind, { maximize: "true" }, TypeError, ["maximize", "true"]]);
        cases.push([kind, { nonFinite: "ignore" }, RangeError, ["nonFinite", "ignore"]]);
        cases.push([kind, { nonFinite: 0 }, TypeError, ["nonFinite", num(0)]]);
        cases.push([kind, { learningRate: 0.1 }, TypeError, ["learningRate"]]);
        cases.push([kind, { weight_decay: 0.1 }, TypeError, ["weight_decay"]]);
      }
      cases.push(["RMSprop", { alpha: -0.01 }, RangeError, ["alpha", num(-0.01)]]);
      cases.push(["RMSprop", { alpha: 1.5 }, RangeError, ["alpha", num(1.5)]]);
      cases.push(["RMSprop", { alpha: 1.0000001 }, RangeError, ["alpha", num(1.0000001)]]);
      cases.push(["RMSprop", { alpha: NaN }, RangeError, ["alpha", "NaN"]]);
      cases.push(["RMSprop", { momentum: -0.5 }, RangeError, ["momentum", num(-0.5)]]);
      cases.push(["RMSprop", { momentum: NaN }, RangeError, ["momentum", "NaN"]]);
      cases.push(["RMSprop", { centered: "yes" }, TypeError, ["centered", "yes"]]);
      cases.push(["RMSprop", { lrDecay: 0.1 }, TypeError, ["lrDecay"]]);
      cases.push(["Adagrad", { lrDecay: -1 }, RangeError, ["lrDecay", num(-1)]]);
      cases.push(["Adagrad", { lrDecay: Infinity }, RangeError, ["lrDecay", "Infinity"]]);
      cases.push(["Adagrad", { initialAccumulatorValue: -0.5 }, RangeError, ["initialAccumulatorValue", num(-0.5)]]);
      cases.push(["Adagrad", { initialAccumulatorValue: NaN }, RangeError, ["initialAccumulatorValue", "NaN"]]);
      cases.push(["Adagrad", { momentum: 0.9 }, TypeError, ["momentum"]]);
      cases.push(["Adagrad", { alpha: 0.9 }, TypeError, ["alpha"]]);

      it.each(cases.map(([k, o, C, n]) => [`${k} ${JSON.stringify(o, (_, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v))}`, k, o, C, n] as const))(
        "%s",
        (_name, kind, o, Cls, needles) => {
          const C = Ctor(kind);
          // At the top level…
          let params = p();
          let before = params.map(bitsOf);
          expectError(thrown(() => new C(params, o)), Cls, needles);
          expect(params.map(bitsOf)).toEqual(before);
          // …and, except for the optimizer-wide nonFinite, as a param group override.
          if (!("nonFinite" in o)) {
            params = p();
            before = params.map(bitsOf);
            expectError(thrown(() => new C([{ params: [params[0]!] }, { params: [params[1]!], ...o }], { lr: 0.1 })), Cls, needles);
            expect(params.map(bitsOf)).toEqual(before);
          }
          // The same params still work with a good optimizer afterwards.
          const ok = new C(params, {});
          ok.step([data(5, 3), data(3, 4)]);
          ok.dispose();
        },
      );

      it("an options argument that is not an object", () => {
        for (const kind of ["RMSprop", "Adagrad"] as const) {
          expectError(thrown(() => new (Ctor(kind))(p(), 0.1)), TypeError, ["options", num(0.1)]);
          expectError(thrown(() => new (Ctor(kind))(p(), [1])), TypeError, ["options", /array/i]);
        }
      });
    });

    describe.each(["RMSprop", "Adagrad"] as const)("%s constructor: bad params", (kind) => {
      const C = Ctor(kind);
      it("empty params list", () => {
        expectError(thrown(() => new C([])), RangeError, ["params", /empty/]);
      });
      it("params that are not Float32Array", () => {
        expectError(thrown(() => new C([data(3, 1), new Float64Array(3)])), TypeError, ["params[1]", "Float64Array"]);
        expectError(thrown(() => new C([[1, 2, 3]])), TypeError, ["params[0]", /array/i]);
        expectError(thrown(() => new C([null])), TypeError, ["params[0]", "null"]);
        expectError(thrown(() => new C(null)), TypeError, ["params", "null"]);
        expectError(thrown(() => new C(data(3, 1))), TypeError, ["params", "Float32Array"]);
        expectError(thrown(() => new C([{ params: [new Float64Array(2)] }])), TypeError, ["params[0].params[0]", "Float64Array"]);
      });
      it("duplicate and overlapping params", () => {
        const w = data(4, 1);
        const before = bitsOf(w);
        expectError(thrown(() => new C([w, w])), TypeError, ["params[0]", "params[1]"]);
        expectError(thrown(() => new C([{ params: [w] }, { params: [data(2, 2), w] }])), TypeError, ["params[0]", "params[2]"]);
        const buf = data(10, 3);
        expectError(thrown(() => new C([buf.subarray(0, 5), buf.subarray(4, 8)])), TypeError, ["params[0]", "params[1]"]);
        expect(bitsOf(w)).toEqual(before);
        // Adjacent, non-overlapping subarrays are fine.
        new C([buf.subarray(0, 5), buf.subarray(5, 8)]).dispose();
      });
      it("unknown option in a param group", () => {
        const w = data(4, 1);
        expectError(thrown(() => new C([{ params: [w], betas: 0.9 }])), TypeError, ["betas"]);
        expectError(thrown(() => new C([{ params: [w], weight_decay: 0.1 }])), TypeError, ["weight_decay"]);
      });
    });

    describe.each(["RMSprop", "Adagrad"] as const)("%s.paramGroups[i] and nonFinite setters refuse bad values and keep the old one", (kind) => {
      type Bad = Array<[string, unknown, typeof TypeError | typeof RangeError, Needle[]]>;
      const bad: Bad = [
        ["lr", -1, RangeError, [num(-1)]],
        ["lr", NaN, RangeError, ["NaN"]],
        ["lr", Infinity, RangeError, ["Infinity"]],
        ["lr", "0.1", TypeError, ["0.1"]],
        ["lr", undefined, TypeError, ["undefined"]],
        ["eps", -1e-3, RangeError, [num(-1e-3)]],
        ["weightDecay", NaN, RangeError, ["NaN"]],
        ["weightDecay", -2, RangeError, [num(-2)]],
        ["maximize", 1, TypeError, [num(1)]],
        ...(kind === "RMSprop"
          ? ([
              ["alpha", 2, RangeError, [num(2)]],
              ["alpha", -0.5, RangeError, [num(-0.5)]],
              ["momentum", -0.1, RangeError, [num(-0.1)]],
              ["momentum", Infinity, RangeError, ["Infinity"]],
              ["centered", "yes", TypeError, ["yes"]],
            ] as Bad)
          : ([
              ["lrDecay", -0.1, RangeError, [num(-0.1)]],
              ["lrDecay", NaN, RangeError, ["NaN"]],
              ["initialAccumulatorValue", -1, RangeError, [num(-1)]],
            ] as Bad)),
      ];
      it.each(bad.map(([k, v, C, n]) => [`${k} = ${typeof v === "string" ? JSON.stringify(v) : String(v)}`, k, v, C, n] as const))(
        "%s",
        (_name, key, v, Cls, needles) => {
          const ctx = make(kind);
          rejects(ctx, () => {
            (ctx.opt.paramGroups[1] as Anyish)[key] = v;
          }, Cls, [key, ...needles]);
          expect((ctx.opt.paramGroups[1] as Anyish)[key]).toEqual((ctx.twin.paramGroups[1] as Anyish)[key]);
        },
      );
      it("unknown or read-only group properties", () => {
        const ctx = make(kind);
        rejects(ctx, () => {
          (ctx.opt.paramGroups[0] as Anyish).learningRate = 0.5;
        }, TypeError, ["learningRate"]);
        rejects(ctx, () => {
          (ctx.opt.paramGroups[0] as Anyish).params = [];
        }, TypeError, ["params"]);
      });
      it("nonFinite", () => {
        const ctx = make(kind);
        rejects(ctx, () => {
          (ctx.opt as Anyish).nonFinite = "ignore";
        }, RangeError, ["nonFinite", "ignore"]);
        expect(ctx.opt.nonFinite).toBe("propagate");
      });
      it("a valid lr assignment takes effect at the next step (and only for that group)", () => {
        const ctx = make(kind);
        ctx.opt.paramGroups[1]!.lr = 0;
        expect(ctx.opt.paramGroups[1]!.lr).toBe(0);
        expect(ctx.opt.paramGroups[0]!.lr).toBe(RICH[kind].lr);
        const p2 = bitsOf(ctx.params[2]!);
        const p0 = bitsOf(ctx.params[0]!);
        ctx.opt.step(ctx.grads(1));
        // lr = 0 leaves group 1's param bits unchanged (these params and grads are finite).
        expect(bitsOf(ctx.params[2]!)).toEqual(p2);
        expect(bitsOf(ctx.params[0]!)).not.toEqual(p0);
        expect(ctx.opt.stateDict().param_groups[1]!.lr).toBe(0);
      });
    });

    describe.each(["RMSprop", "Adagrad"] as const)("%s.loadStateDict refuses a dict that does not fit and changes nothing", (kind) => {
      const slot = kind === "RMSprop" ? "square_avg" : "sum";
      const optional = kind === "RMSprop" ? "momentum_buffer" : "sum";
      /** A valid dict for ctx (from its twin, one step further), to corrupt in one place. */
      const good = (ctx: Ctx): StateDict => {
        const probe = make(kind);
        probe.opt.step(probe.grads(3));
        const sd = probe.opt.stateDict();
        sd.param_groups[0]!.lr = 0.5; // a valid change that must not be applied either
        probe.opt.dispose();
        probe.twin.dispose();
        expect(ctx.opt.stateDict().state.length).toBe(3);
        return sd;
      };
      const cases: Array<[string, (sd: StateDict) => unknown, typeof TypeError | typeof RangeError, Needle[]]> = [
        ["null", () => null, TypeError, ["null"]],
        ["wrong group count (1 of 2)", (sd) => ({ ...sd, param_groups: sd.param_groups.slice(0, 1) }), RangeError, ["param_groups", num(1), num(2)]],
        ["wrong group count (3 of 2)", (sd) => ({ ...sd, param_groups: [...sd.param_groups, { ...sd.param_groups[1]!, params: [7] }] }), RangeError, ["param_groups", num(3)]],
        ["param_groups not an array", (sd) => ({ ...sd, param_groups: 5 }), RangeError, ["param_groups", num(5)]],
        ["wrong param count in a group", (sd) => { sd.param_groups[1]!.params = [2, 3]; return sd; }, RangeError, ["param_groups[1]", "params", num(2)]],
        ["a param id listed twice", (sd) => { sd.param_groups[1]!.params = [1]; return sd; }, RangeError, ["param_groups[1]", "params[0]", num(1)]],
        ["wrong state entry count", (sd) => { sd.state = sd.state.slice(0, 2); return sd; }, RangeError, ["state", num(2), num(3)]],
        ["non-array state (number)", (sd) => ({ ...sd, state: 5 }), TypeError, ["state", num(5)]],
        ["non-array state (string)", (sd) => ({ ...sd, state: "abc" }), TypeError, ["state", "abc"]],
        ["non-array state (null)", (sd) => ({ ...sd, state: null }), TypeError, ["state", "null"]],
        ["a state entry that is not an object", (sd) => { (sd.state as Anyish)[2] = 7; return sd; }, TypeError, ["state[2]", num(7)]],
        ["wrong buffer length (short)", (sd) => { sd.state[2]![slot] = (sd.state[2]![slot] as Float32Array).subarray(1); return sd; }, RangeError, ["state[2]", slot, num(2), num(3)]],
        ["wrong buffer length (long)", (sd) => { sd.state[0]![slot] = new Float32Array(6); return sd; }, RangeError, ["state[0]", slot, num(6), num(5)]],
        ["missing required buffer", (sd) => { delete (sd.state[1] as Anyish)[optional]; return sd; }, RangeError, ["state[1]", optional]],
        ["buffer of the wrong type", (sd) => { sd.state[1]![slot] = new Float64Array(8) as Anyish; return sd; }, TypeError, ["state[1]", slot, "Float64Array"]],
        ["buffer that is a string", (sd) => { sd.state[1]![slot] = "abc" as Anyish; return sd; }, TypeError, ["state[1]", slot, "abc"]],
        ["unknown state key", (sd) => { (sd.state[2] as Anyish).exp_avg = new Float32Array(3); return sd; }, TypeError, ["state[2]", "exp_avg"]],
        ["negative step", (sd) => { sd.state[2]!.step = -1; return sd; }, RangeError, ["state[2]", "step", num(-1)]],
        ["fractional step", (sd) => { sd.state[2]!.step = 1.5; return sd; }, RangeError, ["state[2]", "step", num(1.5)]],
        ["NaN step", (sd) => { sd.state[2]!.step = NaN; return sd; }, RangeError, ["state[2]", "step", "NaN"]],
        ["string step", (sd) => { (sd.state[2] as Anyish).step = "2"; return sd; }, RangeError, ["state[2]", "step", "\"2\""]],
        ["missing step", (sd) => { delete (sd.state[2] as Anyish).step; return sd; }, RangeError, ["state[2]", "step", "undefined"]],
        ["bad option value in a group", (sd) => { sd.param_groups[1]!.lr = -1; return sd; }, RangeError, ["param_groups[1]", "lr", num(-1)]],
        ["infinite lr in a group", (sd) => { sd.param_groups[0]!.lr = Infinity; return sd; }, RangeError, ["param_groups[0]", "lr", "Infinity"]],
        ["NaN eps in a group", (sd) => { sd.param_groups[1]!.eps = NaN; return sd; }, RangeError, ["param_groups[1]", "eps", "NaN"]],
        ["bad option type in a group", (sd) => { sd.param_groups[1]!.maximize = "no"; return sd; }, TypeError, ["param_groups[1]", "maximize", "no"]],
        ["unknown key in a group", (sd) => { sd.param_groups[1]!.betas = [0.9, 0.99]; return sd; }, TypeError, ["param_groups[1]", "betas"]],
        ["camelCase key in a group", (sd) => { sd.param_groups[0]!.weightDecay = 0.1; return sd; }, TypeError, ["param_groups[0]", "weightDecay"]],
      ];
      if (kind === "RMSprop") {
        cases.push(["alpha out of range in a group", (sd) => { sd.param_groups[0]!.alpha = 1.5; return sd; }, RangeError, ["param_groups[0]", "alpha", num(1.5)]]);
        cases.push(["grad_avg missing while centered", (sd) => { delete (sd.state[0] as Anyish).grad_avg; return sd; }, RangeError, ["state[0]", "grad_avg"]]);
        cases.push(["momentum turned on without a momentum buffer", (sd) => {
          const probe = new RMSprop([data(5, 1), data(8, 2), data(3, 3)], { centered: true });
          probe.step([data(5, 1), data(8, 2), data(3, 3)]);
          const sd2 = probe.stateDict();
          probe.dispose();
          sd2.param_groups = sd.param_groups.map((g) => ({ ...g, momentum: 0.5 }));
          return sd2;
        }, RangeError, ["momentum_buffer"]]);
      } else {
        cases.push(["empty state for Adagrad, which always keeps state", (sd) => ({ ...sd, state: [] }), RangeError, ["state", /empty/]]);
        cases.push(["negative lr_decay in a group", (sd) => { sd.param_groups[0]!.lr_decay = -0.5; return sd; }, RangeError, ["param_groups[0]", "lr_decay", num(-0.5)]]);
      }
      it.each(cases.map(([n, f, C, nd]) => [n, f, C, nd] as const))("%s", (_name, corrupt, Cls, needles) => {
        const ctx = make(kind);
        const bad = corrupt(good(ctx));
        rejects(ctx, () => ctx.opt.loadStateDict(bad as StateDict), Cls, needles);
      });

      it("the dict it rejected is left as it was", () => {
        const ctx = make(kind);
        const sd = good(ctx);
        sd.state[2]!.step = -3;
        const before = sdBits(sd);
        rejects(ctx, () => ctx.opt.loadStateDict(sd), RangeError, ["step"]);
        expect(sdBits(sd)).toEqual(before);
      });
    });

    describe("init", () => {
      it("a bad backend name is refused naming the value, and the default backend stays", async () => {
        const bad = async (o: unknown) => {
          try {
            await init(o as Anyish);
          } catch (e) {
            return e as Error;
          }
          throw new Error(`init(${JSON.stringify(o)}) did not throw`);
        };
        expectError(await bad({ backend: "gpu" }), RangeError, ["backend", "gpu"]);
        expectError(await bad({ backend: "WASM" }), RangeError, ["backend", "WASM"]);
        expectError(await bad({ backend: 1 }), RangeError, ["backend", num(1)]);
        expectError(await bad({ backnd: "js" }), TypeError, ["backnd"]);
        expectError(await bad(null), TypeError, ["null"]);
        expectError(thrown(() => initSync({ backend: "gpu" as Anyish })), RangeError, ["backend", "gpu"]);
        const opt = new RMSprop([data(3, 1)]);
        expect(opt.backend).toBe(backend);
        opt.dispose();
      });
      it("is idempotent and resolves to the backend in use", async () => {
        expect(await init({ backend })).toBe(backend);
        expect(await init({ backend })).toBe(backend);
        expect(new Adagrad([data(2, 1)]).backend).toBe(backend);
      });
    });

    describe("good path: defaults, state dict shapes and names", () => {
      it("RMSprop defaults match PyTorch's, with PyTorch's names in param_groups", () => {
        const opt = new RMSprop([data(3, 1), data(2, 2)]);
        expect(groupValues(opt)).toEqual([{ lr: 0.01, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false, epsInSqrt: false, flushDenormals: false }]);
        const sd = opt.stateDict();
        expect(sd.param_groups).toHaveLength(1);
        expect(sd.param_groups[0]).toMatchObject({
          lr: 0.01, alpha: 0.99, eps: 1e-8, weight_decay: 0, momentum: 0, centered: false, maximize: false, params: [0, 1],
        });
        expect(Object.keys(sd.param_groups[0]!)).not.toContain("weightDecay");
        expect(opt.nonFinite).toBe("propagate");
      });

      it("Adagrad defaults match PyTorch's, with PyTorch's names in param_groups", () => {
        const opt = new Adagrad([data(3, 1)]);
        expect(groupValues(opt)).toEqual([{ lr: 0.01, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false, epsInSqrt: false, rowwise: 0, flushDenormals: false }]);
        const g = opt.stateDict().param_groups[0]!;
        expect(g).toMatchObject({ lr: 0.01, lr_decay: 0, weight_decay: 0, initial_accumulator_value: 0, eps: 1e-10, maximize: false, params: [0] });
        for (const camel of ["lrDecay", "weightDecay", "initialAccumulatorValue"]) expect(Object.keys(g)).not.toContain(camel);
      });

      it("param groups: per-group overrides over the defaults, params numbered in order", () => {
        const opt = new RMSprop([{ params: [data(2, 1), data(3, 2)], weightDecay: 1e-4 }, { params: [data(4, 3)], momentum: 0.5 }], { lr: 1e-3 });
        const pg = opt.stateDict().param_groups;
        expect(pg[0]).toMatchObject({ lr: 1e-3, weight_decay: 1e-4, momentum: 0, params: [0, 1] });
        expect(pg[1]).toMatchObject({ lr: 1e-3, weight_decay: 0, momentum: 0.5, params: [2] });
        expect(opt.paramGroups[1]!.params).toHaveLength(1);
      });

      it.each([
        [{}, ["square_avg", "step"]],
        [{ momentum: 0.9 }, ["momentum_buffer", "square_avg", "step"]],
        [{ centered: true }, ["grad_avg", "square_avg", "step"]],
        [{ momentum: 0.5, centered: true }, ["grad_avg", "momentum_buffer", "square_avg", "step"]],
      ])("RMSprop state: empty before the first step, then %j → %j", (o, keys) => {
        const params = [data(5, 1), data(0, 2), data(9, 3)];
        const opt = new RMSprop(params, o);
        expect(opt.stateDict().state).toEqual([]);
        opt.step([data(5, 4), data(0, 5), data(9, 6)]);
        const st = opt.stateDict().state;
        expect(st).toHaveLength(3);
        st.forEach((e, i) => {
          expect(Object.keys(e).sort()).toEqual(keys);
          expect(e.step).toBe(1);
          for (const k of keys) if (k !== "step") {
            expect(e[k]).toBeInstanceOf(Float32Array);
            expect((e[k] as Float32Array).length).toBe(params[i]!.length);
          }
        });
      });

      it("Adagrad state exists from construction: step 0, sum = initialAccumulatorValue (per group)", () => {
        const opt = new Adagrad([{ params: [data(5, 1), data(3, 2)] }, { params: [data(6, 3)], initialAccumulatorValue: 0.25 }], { initialAccumulatorValue: 0.1 });
        const st = opt.stateDict().state;
        expect(st).toHaveLength(3);
        const want = [Math.fround(0.1), Math.fround(0.1), 0.25];
        st.forEach((e, i) => {
          expect(Object.keys(e).sort()).toEqual(["step", "sum"]);
          expect(e.step).toBe(0);
          const sum = e.sum as Float32Array;
          expect(sum).toBeInstanceOf(Float32Array);
          expect(Array.from(sum)).toEqual(new Array(sum.length).fill(want[i]));
        });
        opt.step([data(5, 4), data(3, 5), data(6, 6)]);
        expect(opt.stateDict().state.map((e) => e.step)).toEqual([1, 1, 1]);
      });

      it.each(["RMSprop", "Adagrad"] as const)("%s: arrays in stateDict() are copies; mutating them changes nothing", (kind) => {
        const ctx = make(kind);
        const sd = ctx.opt.stateDict();
        const before = sdBits(ctx.opt.stateDict());
        for (const e of sd.state) {
          for (const v of Object.values(e)) if (v instanceof Float32Array) v.fill(123.5);
          e.step = 99;
        }
        sd.param_groups[0]!.lr = 7;
        sd.param_groups[0]!.params.push(42);
        expect(sdBits(ctx.opt.stateDict())).toEqual(before);
        expect(ctx.opt.paramGroups[0]!.lr).toBe(RICH[kind].lr);
        continuesLikeTwin(ctx);
      });

      it.each(["RMSprop", "Adagrad"] as const)("%s: loadStateDict(stateDict()) round-trips exactly, also into a fresh optimizer", (kind) => {
        const ctx = make(kind);
        ctx.opt.step(ctx.grads(7));
        ctx.twin.step(ctx.grads(7));
        const sd = ctx.opt.stateDict();
        const bits = sdBits(sd);
        ctx.opt.loadStateDict(sd);
        expect(sdBits(ctx.opt.stateDict())).toEqual(bits);
        expect(sdBits(sd)).toEqual(bits);
        // A fresh optimizer with other options, over copies of the current params, takes the
        // options and state from the dict and continues exactly like the original.
        const copies = ctx.params.map((p) => p.slice());
        const fresh = new (Ctor(kind))([{ params: [copies[0]!, copies[1]!] }, { params: [copies[2]!] }], { lr: 0.9 });
        fresh.loadStateDict(sd);
        expect(sdBits(fresh.stateDict())).toEqual(bits);
        expect(fresh.paramGroups[0]!.lr).toBe(RICH[kind].lr);
        expect(fresh.paramGroups[1]!.lr).toBe(0.003);
        for (let k = 8; k < 11; k++) {
          fresh.step(ctx.grads(k));
          ctx.twin.step(ctx.grads(k));
          copies.forEach((p, i) => expectBits(p, ctx.twinParams[i]!, `params[${i}] after step ${k}`));
          expect(sdBits(fresh.stateDict())).toEqual(sdBits(ctx.twin.stateDict()));
        }
      });

      it.each(["RMSprop", "Adagrad"] as const)("%s: state keyed by param id (PyTorch's dict form) loads like the array form", (kind) => {
        const ctx = make(kind);
        const sd = ctx.opt.stateDict();
        const keyed = { state: Object.fromEntries(sd.state.map((e, i) => [String(i), e])), param_groups: sd.param_groups };
        const fresh = make(kind);
        fresh.opt.loadStateDict(keyed as unknown as StateDict);
        expect(sdBits(fresh.opt.stateDict())).toEqual(sdBits(sd));
      });

      it("RMSprop: loading a dict with empty state drops the state, as in PyTorch", () => {
        const ctx = make("RMSprop");
        const sd = ctx.opt.stateDict();
        ctx.opt.loadStateDict({ state: [], param_groups: sd.param_groups });
        expect(ctx.opt.stateDict().state).toEqual([]);
        // The next step starts from zero state, like a new optimizer over the current params.
        const copies = ctx.params.map((p) => p.slice());
        const fresh = new RMSprop([{ params: [copies[0]!, copies[1]!] }, { params: [copies[2]!], lr: 0.003 }], RICH.RMSprop);
        ctx.opt.step(ctx.grads(4));
        fresh.step(ctx.grads(4));
        copies.forEach((p, i) => expectBits(ctx.params[i]!, p, `params[${i}]`));
        expect(sdBits(ctx.opt.stateDict())).toEqual(sdBits(fresh.stateDict()));
      });

      it("Adagrad: per-param step counts from a loaded dict are honoured (lr decay per param)", () => {
        // Tensors of one group at different steps must each use their own decayed lr, exactly
        // as single-tensor optimizers at those steps would.
        const o = { lr: 0.1, lrDecay: 0.5, initialAccumulatorValue: 0.2 };
        const ps = [data(5, 1), data(7, 2)];
        const singles = ps.map((p) => p.slice());
        const opt = new Adagrad([ps[0]!, ps[1]!], o);
        const sA = new Adagrad([singles[0]!], o);
        const sB = new Adagrad([singles[1]!], o);
        for (let k = 0; k < 4; k++) sA.step([data(5, 30 + k)]);
        sB.step([data(7, 40)]);
        const a = sA.stateDict();
        const b = sB.stateDict();
        ps[0]!.set(singles[0]!);
        ps[1]!.set(singles[1]!);
        opt.loadStateDict({ state: [a.state[0]!, b.state[0]!], param_groups: [{ ...a.param_groups[0]!, params: [0, 1] }] });
        expect(opt.stateDict().state.map((e) => e.step)).toEqual([4, 1]);
        for (let k = 0; k < 3; k++) {
          const g0 = data(5, 50 + k);
          const g1 = data(7, 60 + k);
          opt.step([g0, g1]);
          sA.step([g0]);
          sB.step([g1]);
          expectBits(ps[0]!, singles[0]!, `params[0] step ${k}`);
          expectBits(ps[1]!, singles[1]!, `params[1] step ${k}`);
        }
        expect(opt.stateDict().state.map((e) => e.step)).toEqual([7, 4]);
      });

      it.each(["RMSprop", "Adagrad"] as const)("%s: a detached param is refused naming it, and nothing else changes", (kind) => {
        const ctx = make(kind);
        const before = sdBits(ctx.opt.stateDict());
        const others = [bitsOf(ctx.params[0]!), bitsOf(ctx.params[2]!)];
        structuredClone(ctx.params[1]!.buffer, { transfer: [ctx.params[1]!.buffer] });
        expectError(thrown(() => ctx.opt.step(ctx.grads(3))), TypeError, ["params[1]"]);
        expect(sdBits(ctx.opt.stateDict())).toEqual(before);
        expect([bitsOf(ctx.params[0]!), bitsOf(ctx.params[2]!)]).toEqual(others);
      });

      it("a plain-number-array state dict (as from JSON) loads the same values", () => {
        const ctx = make("RMSprop");
        const sd = ctx.opt.stateDict();
        const plain = {
          state: sd.state.map((e) => Object.fromEntries(Object.entries(e).map(([k, v]) => [k, v instanceof Float32Array ? Array.from(v) : v]))),
          param_groups: sd.param_groups,
        } as unknown as StateDict;
        ctx.twin.loadStateDict(plain);
        expect(sdBits(ctx.twin.stateDict())).toEqual(sdBits(sd));
      });
    });

    describe("resuming from a checkpoint replays the PyTorch fixtures exactly", () => {
      const ids = [
        "rmsprop-all-n33", "rmsprop-centered-momentum-n7", "rmsprop-nonfinite-centered-momentum-n16",
        "rmsprop-eps0-momentum-centered-n15", "adagrad-all-n33", "adagrad-lr_decay3.7-n5", "adagrad-lr_decay-iav-n31",
        "rmsprop-logmixed-centered-momentum-weight_decay-n1027", "adagrad-logmixed-all-n1027",
      ];
      const files = new Map(fixtureIndex().map((e) => [e.id, e.file]));
      const plans: Array<[string, string, Mode, Mode, "wasm" | "js"]> = [];
      for (const id of ids) {
        plans.push([id, files.get(id)!, "marshalled", "marshalled", backend]);
        plans.push([id, files.get(id)!, "zero-copy", "marshalled", backend]);
        plans.push([id, files.get(id)!, "marshalled", "zero-copy", backend === "wasm" ? "js" : "wasm"]);
      }
      it.each(plans)("%s (%s): save after k steps (%s), load into a fresh optimizer (%s, %s backend), continue", async (id, file, m1, m2, other) => {
        expect(files.has(id)).toBe(true);
        const fx = loadFixture(file);
        for (const k of [1, Math.floor(fx.num_steps / 2), fx.num_steps - 1]) {
          await init({ backend });
          const a = makeOptimizer(fx, m1);
          for (let s = 0; s < k; s++) {
            a.grad(decodeF32(fx.steps[s]!.grad));
            checkStep(fx, s, a.params(), a.opt);
          }
          const sd = a.opt.stateDict();
          const saved = a.params().slice();
          a.dispose();
          await init({ backend: other });
          // The fresh optimizer starts from the fixture's initial options, so the dict must
          // carry everything (options in param_groups, state) for the trajectory to match.
          const b = makeOptimizer(fx, m2, saved);
          b.opt.loadStateDict(sd);
          expect(b.opt.stateDict().param_groups).toEqual(sd.param_groups);
          for (let s = k; s < fx.num_steps; s++) {
            b.grad(decodeF32(fx.steps[s]!.grad));
            checkStep(fx, s, b.params(), b.opt);
          }
          b.dispose();
        }
      });
    });
  });
}
