// simdopt/tfjs against TensorFlow.js itself: every factory and every option combination TF.js
// accepts, trained side by side with `tf.train.*` on TF.js's cpu backend from the same weights
// and gradients, must leave the same bits in every variable after every step and the same
// optimizer weights (names, order, bits), on both simdopt backends. Gradients include ±0,
// subnormals, ±Inf and NaN at a low rate (NaN matches any NaN; +0 and -0 differ).
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { init } from "../src/index.js";
import * as simd from "../src/tfjs/index.js";

type Backend = "wasm" | "js";
const BACKENDS: readonly Backend[] = ["wasm", "js"];
const SHAPES: readonly number[][] = [[1], [3], [17], [25, 40], [1027]];

// --- data ----------------------------------------------------------------------------------

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
function rngOf(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SPECIALS = [0, -0, Infinity, -Infinity, NaN, 1e-45, -1e-40, 3e38, 1e-20];

/** `n` float32 values: signed, magnitudes from 1e-3 to 10, specials at `special` rate. */
function values(n: number, seed: number, special = 0.005): Float32Array {
  const r = rngOf(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = r();
    a[i] = u < special ? SPECIALS[Math.floor(r() * SPECIALS.length)]! : (r() < 0.5 ? -1 : 1) * 10 ** (r() * 4 - 3);
  }
  return a;
}

function bitsOf(a: ArrayLike<number>): Uint32Array {
  return new Uint32Array(Float32Array.from(a).buffer);
}

/** Same bits, except that any NaN matches any NaN. */
function expectSameBits(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  const g = bitsOf(got), w = bitsOf(want);
  for (let i = 0; i < g.length; i++) {
    if (g[i] === w[i] || (Number.isNaN(got[i]) && Number.isNaN(want[i]))) continue;
    throw new Error(`${what}: element ${i} of ${g.length} differs: got ${got[i]} (0x${g[i]!.toString(16)}), want ${want[i]} (0x${w[i]!.toString(16)})`);
  }
}

let uid = 0;
const freshName = (label: string) => `${label}_${uid++}`;

/** A set of variables of odd sizes, all from the same seed. */
function makeVariables(label: string, seed: number): tf.Variable[] {
  return SHAPES.map((shape, i) => tf.variable(tf.tensor(values(shapeSize(shape), seed * 31 + i, 0), shape), true, freshName(`${label}/v${i}`)));
}

const shapeSize = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

function gradsFor(vars: tf.Variable[], seed: number): tf.Tensor[] {
  return vars.map((v, i) => tf.tensor(values(v.size, seed * 1009 + i), v.shape));
}

/** The same gradients for two lists of variables, as a map or a list of { name, tensor }. */
function gradientArgs(vars: tf.Variable[], grads: tf.Tensor[], asMap: boolean): tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[] {
  if (!asMap) return vars.map((v, i) => ({ name: v.name, tensor: grads[i]! }));
  const m: tf.NamedTensorMap = {};
  vars.forEach((v, i) => (m[v.name] = grads[i]!));
  return m;
}

/** Slot weights with the variable part of their names replaced by its position. */
async function weightsOf(opt: tf.Optimizer, vars: tf.Variable[]): Promise<Array<{ name: string; data: Float32Array | Int32Array }>> {
  const ws = await opt.getWeights();
  return ws.map((w) => {
    let name = w.name;
    vars.forEach((v, i) => (name = name.replace(`${v.name}/`, `#${i}/`)));
    return { name, data: w.tensor.dataSync() as Float32Array | Int32Array };
  });
}

async function expectSameWeights(ours: tf.Optimizer, oursVars: tf.Variable[], theirs: tf.Optimizer, theirVars: tf.Variable[], what: string) {
  const a = await weightsOf(ours, oursVars);
  const b = await weightsOf(theirs, theirVars);
  expect(a.map((w) => w.name), `${what}: weight names`).toEqual(b.map((w) => w.name));
  expect(a[0]!.data[0], `${what}: iterations`).toBe(b[0]!.data[0]);
  a.slice(1).forEach((w, i) => expectSameBits(w.data, b[i + 1]!.data, `${what}: weight ${w.name}`));
}

// --- the cases: every factory and every option combination --------------------------------

type Make = () => tf.Optimizer;
interface Case {
  label: string;
  tf: Make;
  ours: Make;
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const decay of [undefined, 0.8]) {
    for (const momentum of [undefined, 0, 0.9]) {
      for (const epsilon of [undefined, null, 1e-4]) {
        for (const centered of [undefined, false, true]) {
          // undefined and the default give the same optimizer: test each once per group.
          if ((momentum === 0 && epsilon !== undefined) || (centered === false && momentum !== 0.9)) continue;
          out.push({
            label: `rmsprop(0.01, ${decay}, ${momentum}, ${epsilon}, ${centered})`,
            tf: () => tf.train.rmsprop(0.01, decay, momentum, epsilon as number, centered),
            ours: () => simd.rmsprop(0.01, decay, momentum, epsilon, centered),
          });
        }
      }
    }
  }
  for (const args of [[], [0.01], [0.02, 0.8, 0.99], [0.001, 0.9, 0.999, null], [0.005, 0.5, 0.9, 1e-3], [-0.001, 0.95]] as const) {
    out.push({
      label: `adam(${args.join(", ")})`,
      tf: () => (tf.train.adam as (...a: unknown[]) => tf.Optimizer)(...args),
      ours: () => (simd.adam as (...a: unknown[]) => tf.Optimizer)(...args),
    });
  }
  for (const args of [[0.1], [0.05, 0], [0.2, 1.5]] as const) {
    out.push({
      label: `adagrad(${args.join(", ")})`,
      tf: () => (tf.train.adagrad as (...a: unknown[]) => tf.Optimizer)(...args),
      ours: () => (simd.adagrad as (...a: unknown[]) => tf.Optimizer)(...args),
    });
  }
  for (const lr of [0.1, 0.003, -0.5]) {
    out.push({ label: `sgd(${lr})`, tf: () => tf.train.sgd(lr), ours: () => simd.sgd(lr) });
  }
  for (const args of [[0.1, 0.9], [0.1, 0.9, false], [0.05, 0.9, true], [0.01, 0, true], [0.2, 0.5, false]] as const) {
    out.push({
      label: `momentum(${args.join(", ")})`,
      tf: () => (tf.train.momentum as (...a: unknown[]) => tf.Optimizer)(...args),
      ours: () => (simd.momentum as (...a: unknown[]) => tf.Optimizer)(...args),
    });
  }
  return out;
}

const CASES = cases();
const STEPS = 8;

async function sideBySide(c: Case, seed: number): Promise<void> {
  const theirs = makeVariables("tf", seed);
  const ours = makeVariables("simd", seed);
  const optT = c.tf();
  const optO = c.ours();
  for (let t = 1; t <= STEPS; t++) {
    const grads = gradsFor(theirs, seed + t);
    // Alternate the two argument forms TF.js accepts.
    optT.applyGradients(gradientArgs(theirs, grads, t % 2 === 0));
    optO.applyGradients(gradientArgs(ours, grads, t % 2 === 0));
    tf.dispose(grads);
    ours.forEach((v, i) => expectSameBits(v.dataSync(), theirs[i]!.dataSync(), `${c.label} step ${t} variable ${i}`));
  }
  await expectSameWeights(optO, ours, optT, theirs, c.label);
  optT.dispose();
  optO.dispose();
  tf.dispose([...theirs, ...ours]);
}

beforeAll(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
});

describe.each(BACKENDS)("simdopt/tfjs on the %s backend, against tf.train on TF.js's cpu backend", (backend) => {
  beforeAll(async () => {
    expect(await init({ backend })).toBe(backend);
  });

  it.each(CASES.map((c, i) => [c.label, c, i] as const))("%s: same bits after every step, same weights", async (_, c, i) => {
    await sideBySide(c, 1000 + i);
  });
});
