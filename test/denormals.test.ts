// The denormal guard (`flushDenormals`, kernel flag FLUSH_DENORMALS).
// - Kernel level, every family kernel and every flag combination, lengths around the guard's
//   1024-element blocks, state full of subnormals: with the guard, both backends give the
//   reference's params and the reference's state with exactly its subnormal values turned into
//   zeros of their sign; without it, the reference's bits (the guard costs nothing when off).
// - Optimizer level, every family (rowwise and sparse Adagrad included): a guarded step is an
//   unguarded step from the same state, then the flush; wasm and JS agree; the option is a
//   per-group setting that state dicts and checkpoints keep. (Off, the PyTorch fixtures of every
//   suite keep passing: the guard is a flag the kernels test once per call.)
import { describe, expect, it } from "vitest";
import {
  AMSGRAD, CENTERED, DECOUPLED_DECAY, EPS_IN_SQRT, FIRST_STEP, FLUSH_DENORMALS, MAXIMIZE, MOMENTUM, NESTEROV, WEIGHT_DECAY,
  type Backend, type FamilyKernel, type JsKernel,
} from "../src/backend.js";
import { Adagrad, Adam, AdamW, init, RMSprop, SGD, type Optimizer, type SparseRows, type StateDict } from "../src/index.js";
import { adagradJs } from "../src/js/adagrad.js";
import { adamJs } from "../src/js/adam.js";
import { rmspropJs } from "../src/js/rmsprop.js";
import { sgdJs } from "../src/js/sgd.js";
import { currentBackend } from "../src/runtime.js";
import { expectBits } from "./helpers/fixtures.js";
import { adagradRef, adamRef, rmspropRef, sgdRef } from "./helpers/kernel-reference.js";
import { rngOf as rng } from "./helpers/random.js";

const f = Math.fround;
const BACKENDS = ["wasm", "js"] as const;
const MIN_NORMAL = 2 ** -126;

/** The guard's reference: a value below the smallest normal float32 in magnitude becomes a zero of its sign. */
const flushOne = (v: number) => (Math.abs(v) < MIN_NORMAL ? (Object.is(v, -0) || v < 0 ? -0 : 0) : v);
const flushAll = (a: Float32Array) => a.map(flushOne);

/** Subnormals (both signs, the largest and smallest too), zeros, tiny and ordinary normals, NaN. */
function mixed(r: () => number, n: number, nonNegative: boolean): Float32Array {
  const edge = [2 ** -149, MIN_NORMAL - 2 ** -149, MIN_NORMAL, 0, -0];
  return Float32Array.from({ length: n }, () => {
    const u = r();
    const sign = nonNegative || r() < 0.5 ? 1 : -1;
    if (u < 0.4) return sign * f(r() * MIN_NORMAL);
    if (u < 0.5) return sign * edge[Math.floor(r() * edge.length)]!;
    if (u < 0.7) return sign * f(MIN_NORMAL * (1 + r() * 1e3));
    if (u < 0.995) return sign * f(r() * 2);
    return NaN;
  });
}

// --- kernel level ---------------------------------------------------------------------------------

type Buf = Float32Array | null;

interface KernelSpec {
  kernel: FamilyKernel<JsKernel>;
  /** Buffers after p and g, with the flag that turns each on (0: always). */
  state: Array<[name: string, flag: number, nonNegative: boolean]>;
  bits: number[];
  /** Combinations the kernel is never called with. */
  valid?: (flags: number) => boolean;
  consts: number[];
  /** Extra arguments after the constants (adagrad's row length, unused here). */
  tail?: number[];
  ref: (flags: number, n: number, p: Float32Array, g: Float32Array, state: Buf[], consts: number[]) => void;
}

const SPECS: Record<string, KernelSpec> = {
  rmsprop: {
    kernel: { wasm: "rmsprop", js: rmspropJs as JsKernel },
    state: [["square_avg", 0, true], ["grad_avg", CENTERED, false], ["momentum_buffer", MOMENTUM, false]],
    bits: [MAXIMIZE, WEIGHT_DECAY, CENTERED, MOMENTUM, EPS_IN_SQRT],
    consts: [f(0.9), f(0.1), f(1e-8), f(0.01), f(0.9), f(-0.01)],
    ref: (flags, n, p, g, s, c) => rmspropRef(flags, n, p, g, s[0]!, s[1]!, s[2]!, c),
  },
  adagrad: {
    kernel: { wasm: "adagrad", js: adagradJs as JsKernel },
    state: [["sum", 0, true]],
    bits: [MAXIMIZE, WEIGHT_DECAY, EPS_IN_SQRT],
    consts: [f(1e-10), f(0.01), f(-0.1)],
    tail: [0],
    ref: (flags, n, p, g, s, c) => adagradRef(flags, n, p, g, s[0]!, c),
  },
  sgd: {
    kernel: { wasm: "sgd", js: sgdJs as JsKernel },
    state: [["momentum_buffer", MOMENTUM, false]],
    bits: [MAXIMIZE, WEIGHT_DECAY, MOMENTUM, NESTEROV, FIRST_STEP],
    valid: (flags) => (flags & MOMENTUM) !== 0 || (flags & (NESTEROV | FIRST_STEP)) === 0,
    consts: [f(0.01), f(0.9), f(0.9), f(-0.1)],
    ref: (flags, n, p, g, s, c) => sgdRef(flags, n, p, g, s[0]!, c),
  },
  adam: {
    kernel: { wasm: "adam", js: adamJs as JsKernel },
    state: [["exp_avg", 0, false], ["exp_avg_sq", 0, true], ["max_exp_avg_sq", AMSGRAD, true]],
    bits: [MAXIMIZE, WEIGHT_DECAY, AMSGRAD, DECOUPLED_DECAY],
    consts: [f(0.9), f(0.1), f(0.999), f(0.001), f(Math.sqrt(1 - 0.999 ** 3)), f(1e-8), f(0.01), f(-0.001 / (1 - 0.9 ** 3)), f(1 - 1e-5)],
    ref: (flags, n, p, g, s, c) => adamRef(flags, n, p, g, s[0]!, s[1]!, s[2]!, c),
  },
};

const combinations = (bits: readonly number[]) =>
  Array.from({ length: 1 << bits.length }, (_, k) => bits.reduce((acc, bit, j) => (k & (1 << j) ? acc | bit : acc), 0));

/** Runs `spec`'s kernel on `backend` over copies of the inputs; returns [p, ...state]. */
function call(backend: Backend, spec: KernelSpec, flags: number, n: number, p: Float32Array, g: Float32Array, state: Buf[]): Buf[] {
  const heap = backend.heap;
  const inputs = [p, g, ...state];
  const blocks = inputs.map(() => heap.alloc(n * 4 + 16));
  try {
    inputs.forEach((x, i) => x && heap.view(blocks[i]!, n).set(x));
    const ptrs = inputs.map((x, i) => (x ? blocks[i]! : 0));
    (backend.bind(spec.kernel) as (...a: number[]) => void)(flags, n, ...ptrs, ...spec.consts, ...(spec.tail ?? []));
    return inputs.map((x, i) => (i === 1 ? null : x ? heap.view(blocks[i]!, n).slice() : null));
  } finally {
    for (const b of blocks) heap.release(b);
  }
}

for (const [name, spec] of Object.entries(SPECS)) {
  describe(`${name} kernel with and without the guard`, () => {
    for (const flags of combinations(spec.bits).filter((x) => spec.valid?.(x) ?? true)) {
      it(`flags ${flags}: the guard flushes exactly the subnormal state values; off, the reference's bits`, async () => {
        const r = rng(0xf1a5 + flags * 131 + name.length);
        for (const n of [0, 1, 7, 1023, 1024, 1025, 2053]) {
          const p = mixed(r, n, false), g = mixed(r, n, false);
          const state = spec.state.map(([, flag, nonNeg]) => (flag === 0 || flags & flag ? mixed(r, n, nonNeg) : null));
          const want = [p.slice(), ...state.map((s) => s?.slice() ?? null)];
          spec.ref(flags, n, want[0]!, g.slice(), want.slice(1), spec.consts);
          const flushed = want.map((x, i) => (i === 0 || x === null ? x : flushAll(x)));
          const holdsState = state.some((x) => x !== null);
          expect(flushed.slice(1).some((x, i) => x && bitsDiffer(x, want[i + 1]!)) || n < 100 || !holdsState, "the data hold subnormal state").toBe(true);
          for (const backendName of BACKENDS) {
            await init({ backend: backendName });
            const backend = currentBackend();
            const off = call(backend, spec, flags, n, p, g, state);
            const on = call(backend, spec, flags | FLUSH_DENORMALS, n, p, g, state);
            const what = `${name} flags ${flags} n=${n} ${backendName}`;
            for (const [label, got, expected] of [["off", off, want], ["on", on, flushed]] as const) {
              const [p1, , ...s1] = got;
              expectBits(p1!, expected[0]!, `${what} ${label}: p`);
              s1.forEach((x, k) => {
                expect(x === null, `${what} ${label}: ${spec.state[k]![0]} in use`).toBe(expected[k + 1] === null);
                if (x) expectBits(x, expected[k + 1]!, `${what} ${label}: ${spec.state[k]![0]}`);
              });
            }
          }
        }
      });
    }
  });
}

function bitsDiffer(a: Float32Array, b: Float32Array): boolean {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return ua.some((x, i) => x !== ub[i]);
}

// --- optimizer level --------------------------------------------------------------------------------

type Any = Optimizer<object>;
interface Case {
  name: string;
  make: (params: Float32Array[], guard: boolean) => Any;
  sizes: number[];
  /** Gradients of a step: dense arrays, or sparse rows. */
  grads: (r: () => number, step: number) => Array<Float32Array | SparseRows>;
}

/** Gradients that die out: after a few ordinary steps, tiny values and zeros drive the state subnormal. */
const fading = (r: () => number, n: number, step: number, scale = 1e-18) =>
  Float32Array.from({ length: n }, (_, i) => (step < 3 ? f((r() - 0.5) * scale) : i % 3 === 0 ? 0 : f((r() - 0.5) * 1e-30)));

const CASES: Case[] = [
  {
    name: "RMSprop centered, momentum",
    make: (p, guard) => new RMSprop(p, { lr: 1e-3, alpha: 0.5, momentum: 0.5, centered: true, flushDenormals: guard }) as Any,
    sizes: [1030, 5], grads: (r, s) => [fading(r, 1030, s), fading(r, 5, s)],
  },
  {
    name: "RMSprop",
    make: (p, guard) => new RMSprop(p, { alpha: 0.1, flushDenormals: guard }) as Any,
    sizes: [17], grads: (r, s) => [fading(r, 17, s)],
  },
  {
    name: "Adagrad",
    make: (p, guard) => new Adagrad(p, { flushDenormals: guard }) as Any,
    sizes: [1100], grads: (r, s) => [fading(r, 1100, s)],
  },
  {
    name: "Adagrad rowwise, dense and sparse",
    make: (p, guard) => new Adagrad(p, { rowwise: 6, maximize: true, flushDenormals: guard }) as Any,
    sizes: [60, 24],
    // A row's accumulator grows by the mean of its squares: smaller gradients reach subnormals.
    grads: (r, s) => [fading(r, 60, s, 1e-20), { indices: [3, 1, 3], values: fading(r, 18, s, 1e-20), dim: 6 }],
  },
  {
    name: "Adagrad sparse",
    make: (p, guard) => new Adagrad(p, { epsInSqrt: true, flushDenormals: guard }) as Any,
    sizes: [40],
    grads: (r, s) => [{ indices: [1, 7, 1, 0], values: fading(r, 20, s), dim: 5 }],
  },
  {
    name: "SGD momentum, nesterov",
    make: (p, guard) => new SGD(p, { lr: 0.1, momentum: 1e-3, nesterov: true, flushDenormals: guard }) as Any,
    sizes: [1500], grads: (r, s) => [fading(r, 1500, s)],
  },
  {
    name: "Adam amsgrad",
    make: (p, guard) => new Adam(p, { betas: [0.5, 0.5], amsgrad: true, flushDenormals: guard }) as Any,
    sizes: [1027], grads: (r, s) => [fading(r, 1027, s)],
  },
  {
    name: "AdamW",
    make: (p, guard) => new AdamW(p, { betas: [0.5, 0.5], flushDenormals: guard }) as Any,
    sizes: [9], grads: (r, s) => [fading(r, 9, s)],
  },
];

/** Every state buffer with its subnormal values flushed, and whether any was. */
function flushState(sd: StateDict): { sd: StateDict; any: boolean } {
  let any = false;
  const state = sd.state.map((e) => Object.fromEntries(Object.entries(e).map(([k, v]) => {
    if (!(v instanceof Float32Array)) return [k, v];
    const out = flushAll(v);
    any ||= bitsDiffer(out, v);
    return [k, out];
  })));
  return { sd: { ...sd, state }, any };
}

const asBits = (x: unknown) => JSON.stringify(x, (_k, v) => (v instanceof Float32Array ? [...new Uint32Array(v.slice().buffer)] : v));

for (const c of CASES) {
  describe(`${c.name} with flushDenormals`, () => {
    it("each step is an unguarded step from the same state, then the flush; both backends agree", async () => {
      const results: string[] = [];
      for (const backend of BACKENDS) {
        await init({ backend });
        const r = rng(42);
        const p0 = c.sizes.map((n) => Float32Array.from({ length: n }, () => f((r() - 0.5) * 1e-3)));
        const params = p0.map((p) => p.slice());
        const guarded = c.make(params, true);
        let flushedAny = false;
        for (let step = 0; step < 12; step++) {
          const grads = c.grads(r, step);
          // The same step without the guard, from the guarded optimizer's state.
          const mirror = params.map((p) => p.slice());
          const plain = c.make(mirror, false);
          if (step > 0) {
            const sd = guarded.stateDict();
            sd.param_groups.forEach((g) => (g.flush_denormals = false));
            plain.loadStateDict(sd);
          }
          guarded.step(grads);
          plain.step(grads);
          const { sd: want, any } = flushState(plain.stateDict());
          flushedAny ||= any;
          want.param_groups.forEach((g) => (g.flush_denormals = true));
          mirror.forEach((m, i) => expectBits(params[i]!, m, `${backend} step ${step} params[${i}]`));
          expect(asBits(guarded.stateDict()), `${backend} step ${step} state`).toBe(asBits(want));
          plain.dispose();
        }
        expect(flushedAny, "the run drove some state subnormal").toBe(true);
        results.push(asBits([guarded.stateDict(), params]));
        guarded.dispose();
      }
      expect(results[1]).toBe(results[0]);
    });
  });
}

for (const backend of BACKENDS) {
  describe(`flushDenormals as an option (${backend})`, () => {
    it("defaults to false, is per group, assignable, and kept by state dicts and checkpoints", async () => {
      await init({ backend });
      const a = new Float32Array(4), b = new Float32Array(4);
      const opt = new RMSprop([{ params: [a], flushDenormals: true }, { params: [b] }]);
      expect(opt.paramGroups.map((g) => g.flushDenormals)).toEqual([true, false]);
      expect(opt.stateDict().param_groups.map((g) => g.flush_denormals)).toEqual([true, false]);
      expect(() => ((opt.paramGroups[1] as { flushDenormals: unknown }).flushDenormals = 1)).toThrow(/flushDenormals must be a boolean, got 1/);
      const bytes = opt.saveState();
      opt.paramGroups[0]!.flushDenormals = false;
      opt.paramGroups[1]!.flushDenormals = true;
      opt.loadState(bytes);
      expect(opt.paramGroups.map((g) => g.flushDenormals)).toEqual([true, false]);
      const sd = opt.stateDict();
      sd.param_groups[1]!.flush_denormals = true;
      opt.loadStateDict(sd);
      expect(opt.paramGroups.map((g) => g.flushDenormals)).toEqual([true, true]);
    });
  });
}
