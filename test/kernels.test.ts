// The update kernels called directly, on both backends: the round-2 PyTorch trajectories (SGD,
// Adam, AdamW) bit for bit, eps under the square root (RMSprop, Adagrad) against a plain
// float32 reference, and every flag combination of every kernel on random data. Every call
// also checks that the kernel writes nothing outside its enabled buffers: an off option's
// buffer pointer leads to a sentinel block, and every buffer sits between guard bytes.
//
// Data come from a seeded PRNG; each test's seed is printed in its failures. Run with
// SIMDOPT_SEED=<number> to explore other seeds.
import type { FamilyKernel, JsKernel } from "../src/backend.js";
import { adagradJs } from "../src/js/adagrad.js";
import { adamJs } from "../src/js/adam.js";
import { rmspropJs } from "../src/js/rmsprop.js";
import { sgdJs } from "../src/js/sgd.js";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  AMSGRAD, CENTERED, DECOUPLED_DECAY, EPS_IN_SQRT, FIRST_STEP, MAXIMIZE, MOMENTUM, NESTEROV, WEIGHT_DECAY,
  type Backend, type BackendName,
} from "../src/backend.js";
import { init } from "../src/index.js";
import { currentBackend } from "../src/runtime.js";
import {
  decodeF32, DENSE_FIXTURE_DIR, denseFixtureIndex, expectBits, loadDenseFixture, type DenseFixture,
} from "./helpers/fixtures.js";
import { adagradRef, adamRef, rmspropRef, sgdRef } from "./helpers/kernel-reference.js";
import { rngOf, type Rng } from "./helpers/random.js";

const f = Math.fround;
const BACKENDS: readonly BackendName[] = ["wasm", "js"];
const BASE_SEED = process.env.SIMDOPT_SEED !== undefined ? Number(process.env.SIMDOPT_SEED) >>> 0 : 0x6b65726e;

/** The backend `name`. Call one at a time: `init` switches the process-wide current backend. */
async function backendOf(name: BackendName): Promise<Backend> {
  expect(await init({ backend: name })).toBe(name);
  const backend = currentBackend();
  expect(backend.name).toBe(name);
  return backend;
}

async function bothBackends(): Promise<Backend[]> {
  const out: Backend[] = [];
  for (const name of BACKENDS) out.push(await backendOf(name));
  return out;
}

// --- the kernels' calling conventions ---------------------------------------------------------

type KernelName = "rmsprop" | "adagrad" | "sgd" | "adam";
const KERNELS: Record<KernelName, FamilyKernel<JsKernel>> = {
  rmsprop: { wasm: "rmsprop", js: rmspropJs as JsKernel },
  adagrad: { wasm: "adagrad", js: adagradJs as JsKernel },
  sgd: { wasm: "sgd", js: sgdJs as JsKernel },
  adam: { wasm: "adam", js: adamJs as JsKernel },
};
type Buffers = Array<Float32Array | null>;
type Variadic = (...args: unknown[]) => void;

interface Spec {
  /** Buffer arguments in order; the first two are always p and g. */
  buffers: readonly string[];
  /** The flag bit without which a buffer is never touched. */
  optional: Readonly<Record<string, number>>;
  /** Buffers that hold non-negative values in real use (running squares). */
  nonNegative: readonly string[];
  /** The flag bits the kernel takes, and those only read together with MOMENTUM. */
  bits: readonly number[];
  withMomentumOnly?: number;
  /** The float32 reference over plain arrays, in the kernel's argument order. */
  ref: Variadic;
}

const SPECS: Record<KernelName, Spec> = {
  rmsprop: {
    buffers: ["p", "g", "square_avg", "grad_avg", "momentum_buffer"],
    optional: { grad_avg: CENTERED, momentum_buffer: MOMENTUM },
    nonNegative: ["square_avg"],
    bits: [MAXIMIZE, WEIGHT_DECAY, CENTERED, MOMENTUM, EPS_IN_SQRT],
    ref: rmspropRef as Variadic,
  },
  adagrad: {
    buffers: ["p", "g", "sum"],
    optional: {},
    nonNegative: ["sum"],
    bits: [MAXIMIZE, WEIGHT_DECAY, EPS_IN_SQRT],
    ref: adagradRef as Variadic,
  },
  sgd: {
    buffers: ["p", "g", "momentum_buffer"],
    optional: { momentum_buffer: MOMENTUM },
    nonNegative: [],
    bits: [MAXIMIZE, WEIGHT_DECAY, MOMENTUM, NESTEROV, FIRST_STEP],
    withMomentumOnly: NESTEROV | FIRST_STEP,
    ref: sgdRef as Variadic,
  },
  adam: {
    buffers: ["p", "g", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"],
    optional: { max_exp_avg_sq: AMSGRAD },
    nonNegative: ["exp_avg_sq", "max_exp_avg_sq"],
    bits: [MAXIMIZE, WEIGHT_DECAY, AMSGRAD, DECOUPLED_DECAY],
    ref: adamRef as Variadic,
  },
};

const FLAG_NAMES: Record<number, string> = {
  [MAXIMIZE]: "maximize", [WEIGHT_DECAY]: "weight_decay", [CENTERED]: "centered", [MOMENTUM]: "momentum",
  [EPS_IN_SQRT]: "eps_in_sqrt", [NESTEROV]: "nesterov", [FIRST_STEP]: "first_step", [AMSGRAD]: "amsgrad",
  [DECOUPLED_DECAY]: "decoupled_decay",
};
const flagNames = (flags: number) =>
  Object.entries(FLAG_NAMES).filter(([bit]) => flags & Number(bit)).map(([, name]) => name).join("+") || "plain";

/** Every subset of `bits`. */
const combinations = (bits: readonly number[]) =>
  Array.from({ length: 1 << bits.length }, (_, k) => bits.reduce((acc, bit, j) => (k & (1 << j) ? acc | bit : acc), 0));

const enabled = (spec: Spec, name: string, flags: number) => !(name in spec.optional) || (flags & spec.optional[name]!) !== 0;

// --- one kernel call in a backend's heap, with sentinels and guards ---------------------------

const SENTINEL = 0xdeadbeef; // bits of an ordinary float (-6.3e18): any write changes them
const GUARD = 0x7fc0babe; // a NaN payload no kernel produces
const GUARD_BYTES = 32;

const bitsOf = (heap: Backend["heap"], ptr: number, count: number) => new Uint32Array(heap.buffer, ptr, count).slice();

/**
 * Runs kernel `name` once on `backend` over copies of `inputs` (one per buffer, null for an
 * off option's buffer) and returns the buffers afterwards. Each buffer sits `shift` bytes
 * (a multiple of 4) into its own block, between guard bytes; an off option's block is filled
 * with a sentinel and its start passed as the pointer. Throws if the kernel wrote to the
 * gradient, a guard or a sentinel.
 */
function runKernel(
  backend: Backend, name: KernelName, flags: number, n: number, inputs: Buffers, consts: readonly number[], shift: number,
): Buffers {
  const { heap } = backend;
  const spec = SPECS[name];
  const words = (n * 4 + shift + GUARD_BYTES) / 4;
  const blocks = spec.buffers.map(() => heap.alloc(words * 4));
  try {
    // Views only after the last allocation: an allocation may grow the memory.
    const ptrs = spec.buffers.map((b, i) => {
      const on = enabled(spec, b, flags);
      new Uint32Array(heap.buffer, blocks[i]!, words).fill(on ? GUARD : SENTINEL);
      if (!on) return blocks[i]!;
      heap.view(blocks[i]! + shift, n).set(inputs[i]!);
      return blocks[i]! + shift;
    });
    const before = blocks.map((b) => bitsOf(heap, b, words));
    // Bound after the last allocation: the JS backend binds the heap's current array.
    (backend.bind(KERNELS[name]) as Variadic)(flags, n, ...ptrs, ...consts);
    return spec.buffers.map((b, i) => {
      const after = bitsOf(heap, blocks[i]!, words);
      const from = enabled(spec, b, flags) ? shift / 4 : 0;
      const to = from + (enabled(spec, b, flags) ? n : 0);
      const untouched = (lo: number, hi: number) => before[i]!.subarray(lo, hi).every((x, k) => x === after[lo + k]);
      const what = `${name} ${flagNames(flags)} n=${n} on ${backend.name}`;
      if (!untouched(0, from) || !untouched(to, words)) throw new Error(`${what} wrote outside ${b} (or to its off-option sentinel)`);
      if (b === "g" && !untouched(from, to)) throw new Error(`${what} changed the gradient`);
      return enabled(spec, b, flags) ? heap.view(ptrs[i]!, n).slice() : null;
    });
  } finally {
    for (const b of blocks) heap.release(b);
  }
}

/** The reference on copies of `inputs`. */
function runRef(name: KernelName, flags: number, n: number, inputs: Buffers, consts: readonly number[]): Buffers {
  const out = inputs.map((a) => a?.slice() ?? null);
  SPECS[name].ref(flags, n, ...out, consts);
  return out;
}

function expectSameBuffers(name: KernelName, got: Buffers, want: Buffers, what: string): void {
  SPECS[name].buffers.forEach((b, i) => {
    expect(got[i] === null, `${what}: ${b} present`).toBe(want[i] === null);
    if (want[i]) expectBits(got[i]!, want[i]!, `${what}: ${b}`);
  });
}

// --- round-2 PyTorch fixtures, replayed at the kernel level ------------------------------------

const denseIndex = denseFixtureIndex();

describe("round-2 dense fixture set", () => {
  it("holds the 20 SGD, Adam and AdamW fixtures, unchanged from the shared copy", () => {
    expect(denseIndex).toHaveLength(20);
    const kinds = denseIndex.map((e) => e.file.split("-")[0]);
    expect(kinds.filter((k) => k === "sgd")).toHaveLength(7);
    expect(kinds.filter((k) => k === "adam")).toHaveLength(9);
    expect(kinds.filter((k) => k === "adamw")).toHaveLength(4);
    for (const e of denseIndex) {
      const sha = createHash("sha256").update(readFileSync(join(DENSE_FIXTURE_DIR, e.file))).digest("hex");
      expect(sha, e.file).toBe(e.sha256);
    }
  });
});

type Hyper = Record<string, number | boolean | number[]>;

/** Flags, constants and kernel of one step (`t` counts from 1), as FORMULAS-2.md computes them. */
function stepCall(fx: DenseFixture, t: number, bufferExists: boolean): { name: KernelName; flags: number; consts: number[] } {
  const h = fx.hyperparameters as Hyper;
  const lr = h.lr as number, wd = h.weight_decay as number;
  const common = (h.maximize ? MAXIMIZE : 0);
  if (fx.optimizer === "SGD") {
    const momentum = h.momentum as number;
    const flags = common | (wd !== 0 ? WEIGHT_DECAY : 0) |
      (momentum !== 0 ? MOMENTUM | (h.nesterov ? NESTEROV : 0) | (bufferExists ? 0 : FIRST_STEP) : 0);
    return { name: "sgd", flags, consts: [f(wd), f(momentum), f(1 - (h.dampening as number)), f(-lr)] };
  }
  const [b1, b2] = h.betas as number[];
  const bc1 = 1 - b1! ** t, bc2 = 1 - b2! ** t;
  const adamw = fx.optimizer === "AdamW";
  const flags = common | (h.amsgrad ? AMSGRAD : 0) | (adamw ? DECOUPLED_DECAY : wd !== 0 ? WEIGHT_DECAY : 0);
  const consts = [
    f(b1!), f(1 - b1!), f(b2!), f(1 - b2!), f(Math.sqrt(bc2)), f(h.eps as number), f(wd), f(-(lr / bc1)), f(1 - lr * wd),
  ];
  return { name: "adam", flags, consts };
}

function replayDense(backend: Backend, fx: DenseFixture): void {
  const kernel = fx.optimizer === "SGD" ? "sgd" : "adam";
  const spec = SPECS[kernel];
  const n = fx.n;
  let params = decodeF32(fx.initial.params);
  // torch creates SGD's momentum buffer at the first step (None before); Adam's state at the
  // first step, zero-filled. Before then the kernel must not read it: give it NaN.
  let state: Buffers = spec.buffers.slice(2).map(() => null);
  for (let k = 0; k < fx.num_steps; k++) {
    const want = fx.steps[k]!;
    const exists = state.some((s) => s !== null);
    const { flags, consts } = stepCall(fx, k + 1, exists);
    const fresh = () => (kernel === "adam" ? new Float32Array(n) : new Float32Array(n).fill(NaN));
    const inputs: Buffers = [params, decodeF32(want.grad), ...state.map((s, i) => (enabled(spec, spec.buffers[i + 2]!, flags) ? (s ?? fresh()) : null))];
    const out = runKernel(backend, kernel, flags, n, inputs, consts, 0);
    params = out[0]!;
    state = out.slice(2);
    const where = `${fx.id} step ${k + 1} (${backend.name})`;
    expectBits(params, decodeF32(want.params), `${where} params`);
    if (kernel === "adam") expect(want.state.step, `${where} step count`).toBe(k + 1);
    spec.buffers.slice(2).forEach((b, i) => {
      const w = want.state[b];
      if (w === undefined || w === null) expect(state[i], `${where}: torch has no ${b}`).toBeNull();
      else {
        expect(state[i], `${where}: ${b} missing`).not.toBeNull();
        expectBits(state[i]!, decodeF32(w as { b64: string }), `${where} ${b}`);
      }
    });
  }
}

for (const backendName of BACKENDS) {
  describe(`round-2 PyTorch fixtures at the kernel level, ${backendName} backend`, () => {
    it.each(denseIndex.map((e) => [e.file.replace(/\.json$/, ""), e.file]))("%s", async (_id, file) => {
      replayDense(await backendOf(backendName), loadDenseFixture(file));
    });
  });
}

// --- random data: reference, both backends, every flag combination ---------------------------



function seedFor(label: string): number {
  let h = 0x811c9dc5 ^ BASE_SEED;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const fromBits = (u: number) => new Float32Array(Uint32Array.of(u).buffer)[0]!;

const SPECIALS: readonly number[] = [
  0, -0, NaN, Infinity, -Infinity,
  fromBits(0x00000001), fromBits(0x80000001), fromBits(0x007fffff), fromBits(0x807fffff), fromBits(0x00800000),
  1e-30, -1e-30, 1e-20, 1.8e19, -1.8e19, 3e38, -3e38, 3.4028234663852886e38, -3.4028234663852886e38, 1, -1,
];

/** `n` float32 values: mostly ordinary, some log-uniform over the whole range, some special. */
function values(r: Rng, n: number, specialRate: number, nonNegative: boolean): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = r();
    const x = u < specialRate ? pick(r, SPECIALS)
      : u < specialRate + 0.2 ? (r() < 0.5 ? -1 : 1) * 10 ** (r() * 76 - 38)
        : (r() * 2 - 1) * 4;
    a[i] = nonNegative ? Math.abs(x) : x;
  }
  return a;
}

const someOf = (r: Rng, xs: readonly number[]) => (r() < 0.25 ? r() : pick(r, xs));
const lrOf = (r: Rng) => someOf(r, [0, 1e-3, 0.01, 1]);
const epsOf = (r: Rng) => someOf(r, [0, 1e-10, 1e-8, 1e-3]);
const decayOf = (r: Rng) => someOf(r, [0.01, 0.1, 0.5, 2]);
const momentumOf = (r: Rng) => someOf(r, [0.5, 0.9, 0.99, 1]);

/** Random hyperparameters, turned into the kernel's constants as a caller would. */
const CONSTANTS: Record<KernelName, (r: Rng) => number[]> = {
  rmsprop: (r) => {
    const alpha = someOf(r, [0, 0.5, 0.9, 0.99, 0.999, 1]);
    return [f(alpha), f(1 - alpha), f(epsOf(r)), f(decayOf(r)), f(momentumOf(r)), f(-lrOf(r))];
  },
  adagrad: (r) => {
    const lr = lrOf(r), lrDecay = someOf(r, [0, 0.1, 3.7]), step = 1 + Math.floor(r() * 20);
    return [f(epsOf(r)), f(decayOf(r)), f(-(lr / (1 + (step - 1) * lrDecay)))];
  },
  sgd: (r) => [f(decayOf(r)), f(momentumOf(r)), f(1 - someOf(r, [0, 0.1, 0.5, 1])), f(-lrOf(r))],
  adam: (r) => {
    const b1 = someOf(r, [0, 0.5, 0.9, 0.99]), b2 = someOf(r, [0, 0.9, 0.99, 0.999]);
    const t = pick(r, [1, 2, 3, 10, 1000]) + Math.floor(r() * 3);
    const lr = lrOf(r), wd = decayOf(r);
    return [f(b1), f(1 - b1), f(b2), f(1 - b2), f(Math.sqrt(1 - b2 ** t)), f(epsOf(r)), f(wd), f(-(lr / (1 - b1 ** t))), f(1 - lr * wd)];
  },
};

/**
 * Two steps of `flags` on random data for each length: both backends must equal the
 * reference bit for bit (and so each other), with nothing written outside enabled buffers.
 */
async function checkCombination(
  name: KernelName, flags: number, lengths: readonly number[], specialRate: number, label: string,
): Promise<void> {
  const seed = seedFor(label);
  const r = rngOf(seed);
  const spec = SPECS[name];
  const backends = await bothBackends();
  for (const n of lengths) {
    const consts = CONSTANTS[name](r);
    const shift = 4 * Math.floor(r() * 4);
    let state: Buffers = spec.buffers.map((b) =>
      enabled(spec, b, flags) ? values(r, n, specialRate, spec.nonNegative.includes(b)) : null);
    const outs = backends.map(() => state);
    for (let step = 1; step <= 2; step++) {
      const g = values(r, n, specialRate, false);
      const what = `${label} n=${n} step ${step} [seed 0x${seed.toString(16)}]`;
      state = runRef(name, flags, n, [state[0]!, g, ...state.slice(2)], consts);
      backends.forEach((b, k) => {
        const prev = outs[k]!;
        outs[k] = runKernel(b, name, flags, n, [prev[0]!, g, ...prev.slice(2)], consts, shift);
        expectSameBuffers(name, outs[k]!, state, `${what} ${b.name}`);
      });
    }
  }
}

/** The combinations a kernel distinguishes (options read only with momentum stay off without it). */
const combinationsOf = (spec: Spec) =>
  combinations(spec.bits).filter((fl) => !(spec.withMomentumOnly && fl & spec.withMomentumOnly && !(fl & MOMENTUM)));

const RANGE = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe("eps under the square root (no torch fixture): reference and both backends agree", () => {
  // Special values at a high rate: 0, subnormals, NaN, ±Inf and near-overflow in every buffer.
  for (const name of ["rmsprop", "adagrad"] as const) {
    const lengths = [...RANGE(0, 37), 1027];
    it.each(combinationsOf(SPECS[name]).filter((fl) => fl & EPS_IN_SQRT).map((fl) => [flagNames(fl), fl]))(
      `${name} %s, lengths 0-37 and 1027`,
      async (label, flags) => {
        await checkCombination(name, flags as number, lengths, 0.3, `${name} ${label}`);
      },
    );
  }
});

describe("every flag combination on random data: reference and both backends agree", () => {
  for (const name of ["sgd", "adam", "rmsprop", "adagrad"] as const) {
    const long = 950 + Math.floor(rngOf(seedFor(name))() * 100);
    const lengths = [...RANGE(0, 70), long];
    it.each(combinationsOf(SPECS[name]).map((fl) => [flagNames(fl), fl]))(
      `${name} %s, lengths 0-70 and ${long}`,
      async (label, flags) => {
        await checkCombination(name, flags as number, lengths, 0.05, `${name} ${label}`);
      },
    );
  }

  it("an option read only with momentum changes nothing without it (sgd)", async () => {
    const backends = await bothBackends();
    const r = rngOf(seedFor("sgd momentum-only"));
    for (const n of [0, 5, 33, 1000]) {
      const p = values(r, n, 0.05, false), g = values(r, n, 0.05, false);
      const consts = CONSTANTS.sgd(r);
      for (const b of backends) {
        const plain = runKernel(b, "sgd", WEIGHT_DECAY, n, [p, g, null], consts, 0);
        for (const extra of [NESTEROV, FIRST_STEP, NESTEROV | FIRST_STEP]) {
          expectSameBuffers("sgd", runKernel(b, "sgd", WEIGHT_DECAY | extra, n, [p, g, null], consts, 0), plain, `${flagNames(extra)} n=${n} ${b.name}`);
        }
      }
    }
  });
});
