// simdopt/tfjs against TensorFlow.js itself: every factory and every option combination TF.js
// accepts, trained side by side with `tf.train.*` on TF.js's cpu backend from the same weights
// and gradients, must leave the same bits in every variable after every step and the same
// optimizer weights (names, order, bits), on both simdopt backends. Gradients include ±0,
// subnormals, ±Inf and NaN at a low rate (NaN matches any NaN; +0 and -0 differ).
// Then, per factory: slots by position (variables appearing later, null gradients, shorter
// lists, memory growth), getWeights/setWeights in both directions with tf.train, minimize,
// tensor counts, tfjs-layers (model.fit, save and load), arguments and disposal, the built
// ESM and CommonJS subpaths, and a report against TF.js's wasm backend.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
// tfjs-layers registers TF.js's gradients (minimize, model.fit).
import * as tfl from "@tensorflow/tfjs-layers";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { init, ParamStore } from "../src/index.js";
import * as simd from "../src/tfjs/index.js";
import { rngOf } from "./helpers/random.js";

type Backend = "wasm" | "js";
const BACKENDS: readonly Backend[] = ["wasm", "js"];
const SHAPES: readonly number[][] = [[1], [3], [17], [25, 40], [1027]];

// --- data ----------------------------------------------------------------------------------


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
      label: `adam(${args.map(String).join(", ")})`,
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

// --- slots by position, created lazily; null gradients; subsets --------------------------

/** One option set per factory, for the tests that are about the optimizer object, not its formula. */
const PER_FACTORY: Case[] = [
  { label: "rmsprop", tf: () => tf.train.rmsprop(0.01, 0.9, 0.5, undefined, true), ours: () => simd.rmsprop(0.01, 0.9, 0.5, null, true) },
  { label: "adam", tf: () => tf.train.adam(0.01), ours: () => simd.adam(0.01) },
  { label: "adagrad", tf: () => tf.train.adagrad(0.1, 0.2), ours: () => simd.adagrad(0.1, 0.2) },
  { label: "sgd", tf: () => tf.train.sgd(0.1), ours: () => simd.sgd(0.1) },
  { label: "momentum", tf: () => tf.train.momentum(0.05, 0.9, true), ours: () => simd.momentum(0.05, 0.9, true) },
];

/** Runs `steps` on both sides: each step lists, by position, the variables given a gradient (null: a null gradient). */
async function scripted(c: Case, seed: number, steps: ReadonlyArray<ReadonlyArray<number | null>>) {
  const theirs = makeVariables("tf", seed);
  const ours = makeVariables("simd", seed);
  const optT = c.tf();
  const optO = c.ours();
  for (const [t, step] of steps.entries()) {
    const grads = gradsFor(theirs, seed + t);
    const args = (vars: tf.Variable[]) => {
      // A null entry names the next unused variable with a null gradient.
      const used = new Set(step.filter((i): i is number => i !== null));
      const spare = vars.map((_, i) => i).filter((i) => !used.has(i));
      return step.map((i) => (i === null ? { name: vars[spare.shift()!]!.name, tensor: null as unknown as tf.Tensor } : { name: vars[i]!.name, tensor: grads[i]! }));
    };
    optT.applyGradients(args(theirs));
    optO.applyGradients(args(ours));
    tf.dispose(grads);
    ours.forEach((v, i) => expectSameBits(v.dataSync(), theirs[i]!.dataSync(), `${c.label} step ${t + 1} variable ${i}`));
  }
  await expectSameWeights(optO, ours, optT, theirs, c.label);
  return { theirs, ours, optT, optO, done: () => (optT.dispose(), optO.dispose(), tf.dispose([...theirs, ...ours])) };
}

describe("slots by position, as TF.js keeps them", () => {
  beforeAll(async () => {
    await init({ backend: "wasm" });
  });

  it.each(PER_FACTORY.map((c) => [c.label, c] as const))(
    "%s: variables appearing later, null gradients and shorter lists step as in TF.js",
    async (_, c) => {
      const run = await scripted(c, 77, [
        [0, 1], // two variables: their slots
        [0, 1, 2, 3], // two more: the layout grows, the first two keep their slots
        [0, null, 2, 3, 4], // a null gradient skips position 1 (TF.js still makes slots for it)
        [0, 1], // a shorter list steps positions 0 and 1 only
        [0, 1, 2, 3, 4],
      ]);
      run.done();
    },
  );

  it.each(BACKENDS)("simdopt memory growing between steps (%s backend) changes nothing", async (backend) => {
    await init({ backend });
    const c = PER_FACTORY[0]!;
    const theirs = makeVariables("tf", 8);
    const ours = makeVariables("simd", 8);
    const optT = c.tf();
    const optO = c.ours();
    const stores: ParamStore[] = [];
    for (let t = 1; t <= 4; t++) {
      const grads = gradsFor(theirs, 800 + t);
      optT.applyGradients(gradientArgs(theirs, grads, false));
      optO.applyGradients(gradientArgs(ours, grads, false));
      tf.dispose(grads);
      ours.forEach((v, i) => expectSameBits(v.dataSync(), theirs[i]!.dataSync(), `step ${t} variable ${i}`));
      // Take more memory than there is: the next step runs in a grown (moved) memory.
      stores.push(new ParamStore({ w: 1 << 21 }, { reserve: 0 }));
    }
    for (const st of stores) st.dispose();
    optT.dispose();
    optO.dispose();
    tf.dispose([...theirs, ...ours]);
  });

  it("a variable of another size at a known position is refused, changing nothing", async () => {
    const run = await scripted(PER_FACTORY[0]!, 5, [[0, 1, 2]]);
    const before = await weightsOf(run.optO, run.ours);
    const values = run.ours.map((v) => v.dataSync().slice());
    const g = gradsFor(run.ours, 9);
    expect(() => run.optO.applyGradients([{ name: run.ours[1]!.name, tensor: g[1]! }, { name: run.ours[0]!.name, tensor: g[0]! }])).toThrow(RangeError);
    expect(() => run.optO.applyGradients([{ name: run.ours[0]!.name, tensor: g[0]! }, { name: run.ours[0]!.name, tensor: g[0]! }])).toThrow(/twice/);
    expect(() => run.optO.applyGradients({ [run.ours[0]!.name]: g[1]! })).toThrow(/shape/);
    expect(() => run.optO.applyGradients({ "no such variable": g[0]! })).toThrow(TypeError);
    expect(run.optO.iterations).toBe(1);
    run.ours.forEach((v, i) => expectSameBits(v.dataSync(), values[i]!, `variable ${i}`));
    const after = await weightsOf(run.optO, run.ours);
    after.forEach((w, i) => expectSameBits(w.data, before[i]!.data, w.name));
    tf.dispose(g);
    run.done();
  });
});

// --- optimizer weights: round trips and interchange with TF.js ----------------------------

/** Copies of `vars` (same shapes and values) under fresh names. */
function copyVariables(vars: tf.Variable[], label: string): tf.Variable[] {
  return vars.map((v, i) => tf.variable(v.clone(), true, freshName(`${label}/c${i}`)));
}

/** `a` and `b` continue side by side for a few steps and must stay identical. */
function continueTogether(a: tf.Optimizer, av: tf.Variable[], b: tf.Optimizer, bv: tf.Variable[], seed: number, what: string) {
  for (let t = 0; t < 3; t++) {
    const grads = gradsFor(av, seed + t);
    a.applyGradients(gradientArgs(av, grads, false));
    b.applyGradients(gradientArgs(bv, grads, false));
    tf.dispose(grads);
    av.forEach((v, i) => expectSameBits(v.dataSync(), bv[i]!.dataSync(), `${what}: step ${t + 1} after loading, variable ${i}`));
  }
}

describe.each(BACKENDS)("getWeights / setWeights on the %s backend", (backend) => {
  beforeAll(async () => {
    await init({ backend });
  });

  it.each(PER_FACTORY.map((c) => [c.label, c] as const))("%s: weights from tf.train load into ours and continue identically, and back", async (_, c) => {
    const run = await scripted(c, 31, [[0, 1, 2, 3, 4], [0, 1, 2, 3, 4], [0, 1, 2, 3, 4]]);
    // TF.js -> simdopt
    const fromTf = c.ours();
    await fromTf.setWeights(await run.optT.getWeights());
    const oursCopy = copyVariables(run.theirs, "fromTf");
    const tfCopy = copyVariables(run.theirs, "tfCopy");
    const tfAgain = c.tf();
    await tfAgain.setWeights(await run.optT.getWeights());
    continueTogether(fromTf, oursCopy, tfAgain, tfCopy, 500, `${c.label} tf -> simdopt`);
    // Loaded weights keep the names they were saved with.
    await expectSameWeights(fromTf, run.theirs, tfAgain, run.theirs, `${c.label} tf -> simdopt`);
    // simdopt -> TF.js
    const toTf = c.tf();
    await toTf.setWeights(await run.optO.getWeights());
    const tfFromOurs = copyVariables(run.ours, "toTf");
    continueTogether(run.optO, run.ours, toTf, tfFromOurs, 600, `${c.label} simdopt -> tf`);
    // simdopt -> simdopt
    const again = c.ours();
    await again.setWeights(await run.optO.getWeights());
    const oursAgain = copyVariables(run.ours, "again");
    continueTogether(run.optO, run.ours, again, oursAgain, 700, `${c.label} simdopt -> simdopt`);
    await expectSameWeights(again, run.ours, run.optO, run.ours, `${c.label} simdopt -> simdopt`);
    for (const o of [fromTf, tfAgain, toTf, again]) o.dispose();
    tf.dispose([...oursCopy, ...tfCopy, ...tfFromOurs, ...oursAgain]);
    run.done();
  });

  it("weights that do not fit are refused and change nothing", async () => {
    const run = await scripted(PER_FACTORY[0]!, 3, [[0, 1]]);
    const ws = await run.optO.getWeights();
    const before = await weightsOf(run.optO, run.ours);
    // centered RMSprop saves three slot kinds per variable: 1 + 3·n weights.
    await expect(run.optO.setWeights(ws.slice(0, 3))).rejects.toThrow(RangeError);
    // Position 0's slots must all have one size (here 1 and 3).
    await expect(run.optO.setWeights([ws[0]!, ws[1]!, ws[2]!, ws[4]!, ws[3]!, ws[5]!, ws[6]!])).rejects.toThrow(RangeError);
    await expect(run.optO.setWeights([])).rejects.toThrow(TypeError);
    const sgd = simd.sgd(0.1);
    await expect(sgd.setWeights(ws)).rejects.toThrow(RangeError);
    sgd.dispose();
    expect(run.optO.iterations).toBe(1);
    const after = await weightsOf(run.optO, run.ours);
    after.forEach((w, i) => expectSameBits(w.data, before[i]!.data, w.name));
    run.done();
  });
});

// --- minimize ------------------------------------------------------------------------------

describe("minimize", () => {
  beforeAll(async () => {
    await init({ backend: "wasm" });
  });

  it.each(PER_FACTORY.map((c) => [c.label, c] as const))("%s: minimize, with and without varList, matches tf.train", (_, c) => {
    const theirs = makeVariables("tf", 11).slice(0, 4);
    const ours = makeVariables("simd", 11).slice(0, 4);
    const target = values(1000, 5, 0);
    // A loss that mixes the variables: each gets a different, nonzero gradient.
    const loss = (vs: tf.Variable[]) => () =>
      tf.tidy(() => {
        const t = tf.tensor(target, [25, 40]);
        return tf.add(tf.sum(tf.square(tf.sub(vs[3]!, t))), tf.mul(tf.sum(vs[2]!), tf.sum(tf.mul(vs[0]!, tf.slice(vs[1]!, 0, 1))))) as tf.Scalar;
      });
    const optT = c.tf();
    const optO = c.ours();
    for (let t = 0; t < 4; t++) {
      const withList = t % 2 === 0;
      const costT = optT.minimize(loss(theirs), true, withList ? theirs : undefined)!;
      const costO = optO.minimize(loss(ours), true, withList ? ours : undefined)!;
      expectSameBits(costO.dataSync(), costT.dataSync(), `${c.label} cost ${t}`);
      tf.dispose([costT, costO]);
      ours.forEach((v, i) => expectSameBits(v.dataSync(), theirs[i]!.dataSync(), `${c.label} minimize ${t} variable ${i}`));
    }
    optT.dispose();
    optO.dispose();
    tf.dispose([...theirs, ...ours]);
  });
});

// --- no tensor leaks -----------------------------------------------------------------------

describe("tensors", () => {
  beforeAll(async () => {
    await init({ backend: "wasm" });
  });

  it.each(PER_FACTORY.map((c) => [c.label, c] as const))("%s: tf.memory().numTensors stays flat over 1,000 steps", async (_, c) => {
    const vars = [tf.variable(tf.tensor(values(17, 1, 0))), tf.variable(tf.tensor(values(3, 2, 0), [3, 1]))];
    const grads = gradsFor(vars, 3).map((g) => tf.mul(g, 1e-3));
    const opt = c.ours();
    opt.applyGradients(gradientArgs(vars, grads, true));
    const start = tf.memory().numTensors;
    for (let t = 0; t < 1000; t++) opt.applyGradients(gradientArgs(vars, grads, t % 2 === 0));
    expect(tf.memory().numTensors).toBe(start);
    // getWeights' tensors are the optimizer's: the same ones, refreshed, at every call.
    const w1 = await opt.getWeights();
    const afterFirst = tf.memory().numTensors;
    for (let t = 0; t < 10; t++) tf.dispose((await opt.getWeights())[0]!.tensor); // the iteration scalar is the caller's, as in TF.js
    expect(tf.memory().numTensors).toBe(afterFirst);
    opt.dispose();
    tf.dispose(w1[0]!.tensor);
    expect(tf.memory().numTensors).toBe(start);
    tf.dispose([...vars, ...grads]);
  });
});

// --- tfjs-layers: model.fit, model.save / tf.loadLayersModel -----------------------------

/** A small classifier with fixed initial weights, and a batch of data for it. */
function smallModel(optimizer: tf.Optimizer): tfl.Sequential {
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [12], units: 17, activation: "relu", kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }),
      tfl.layers.dense({ units: 3, activation: "softmax", kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
  model.compile({ optimizer, loss: "categoricalCrossentropy" });
  return model;
}

function fitData(): { x: tf.Tensor; y: tf.Tensor } {
  const x = tf.tensor2d(values(48 * 12, 123, 0), [48, 12]);
  const labels = Array.from({ length: 48 }, (_, i) => (i * 7) % 3);
  return { x, y: tf.oneHot(tf.tensor1d(labels, "int32"), 3) };
}

function expectSameModels(a: tfl.LayersModel, b: tfl.LayersModel, what: string): void {
  const wa = a.getWeights(), wb = b.getWeights();
  expect(wa.length).toBe(wb.length);
  wa.forEach((w, i) => expectSameBits(w.dataSync(), wb[i]!.dataSync(), `${what}: model weight ${i}`));
}

describe("tfjs-layers", () => {
  beforeAll(async () => {
    await init({ backend: "wasm" });
  });

  it.each(PER_FACTORY.map((c) => [c.label, c] as const))("%s: model.fit gives the same weights as with tf.train", async (_, c) => {
    const { x, y } = fitData();
    const theirs = smallModel(c.tf());
    const ours = smallModel(c.ours());
    expectSameModels(ours, theirs, `${c.label} before fit`);
    const fit = { epochs: 3, batchSize: 16, shuffle: false, verbose: 0 as const };
    const hT = await theirs.fit(x, y, fit);
    const hO = await ours.fit(x, y, fit);
    expect(hO.history.loss).toEqual(hT.history.loss);
    expectSameModels(ours, theirs, `${c.label} after fit`);
    for (const m of [theirs, ours]) {
      m.optimizer.dispose();
      m.dispose();
    }
    tf.dispose([x, y]);
  });

  it("getConfig / fromConfig: TF.js's config, and the class found by its registered name", () => {
    const pairs: Array<[tf.Optimizer, tf.Optimizer]> = PER_FACTORY.map((c) => [c.ours(), c.tf()]);
    for (const [ours, theirs] of pairs) {
      expect(ours.getConfig()).toEqual(theirs.getConfig());
      const cls = tf.serialization.SerializationMap.getMap().classNameMap[ours.getClassName()]!;
      expect(cls, ours.getClassName()).toBeDefined();
      expect(ours.getClassName()).not.toBe(theirs.getClassName());
      const copy = cls[1](cls[0], ours.getConfig());
      expect(copy.getClassName()).toBe(ours.getClassName());
      expect(copy.getConfig()).toEqual(ours.getConfig());
      for (const o of [ours, theirs, copy as tf.Optimizer]) o.dispose();
    }
    // TF.js's own classes keep their names.
    expect(tf.serialization.SerializationMap.getMap().classNameMap["RMSProp"]![0]).toBe(tf.RMSPropOptimizer);
  });

  it("model.save with the optimizer, then tf.loadLayersModel: our optimizer comes back with its weights and continues identically", async () => {
    const { x, y } = fitData();
    const model = smallModel(simd.rmsprop(0.01, 0.9, 0.5, null, true));
    const fit = { epochs: 2, batchSize: 16, shuffle: false, verbose: 0 as const };
    await model.fit(x, y, fit);
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }), { includeOptimizer: true });
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
    expect(loaded.optimizer.getClassName()).toBe("SimdoptRMSProp");
    expect(loaded.optimizer).toBeInstanceOf(simd.SimdoptRMSProp);
    const a = await model.optimizer.getWeights(), b = await loaded.optimizer.getWeights();
    expect(b.map((w) => w.name)).toEqual(a.map((w) => w.name));
    b.forEach((w, i) => expectSameBits(w.tensor.dataSync(), a[i]!.tensor.dataSync(), `loaded weight ${w.name}`));
    await model.fit(x, y, fit);
    await loaded.fit(x, y, fit);
    expectSameModels(loaded, model, "after fitting on");
    for (const m of [model, loaded]) {
      m.optimizer.dispose();
      m.dispose();
    }
    tf.dispose([x, y]);
  });
});

// --- arguments, disposal -------------------------------------------------------------------

describe("arguments and disposal", () => {
  it("factories take TF.js's arguments and refuse what can only give NaN, naming it", () => {
    expect(() => simd.rmsprop(undefined as unknown as number)).toThrow(/rmsprop: learningRate must be a number, got undefined/);
    expect(() => simd.rmsprop(NaN)).toThrow(RangeError);
    expect(() => simd.rmsprop(0.1, 0.9, 0, null, "yes" as unknown as boolean)).toThrow(/centered must be a boolean/);
    expect(() => simd.adam(0.1, Infinity)).toThrow(/adam: beta1 must be a finite number, got Infinity/);
    expect(() => simd.adagrad(0.1, "0.1" as unknown as number)).toThrow(TypeError);
    expect(() => simd.sgd(undefined as unknown as number)).toThrow(TypeError);
    expect(() => simd.momentum(0.1, undefined as unknown as number)).toThrow(/momentum: momentum must be a number/);
    // TF.js's defaults, resolved as TF.js resolves them.
    expect(simd.rmsprop(0.1).getConfig()).toEqual({ learningRate: 0.1, decay: 0.9, momentum: 0, epsilon: 1e-7, centered: false });
    expect(simd.adam().getConfig()).toEqual({ learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
    expect(simd.adagrad(0.1).getConfig()).toEqual({ learningRate: 0.1, initialAccumulatorValue: 0.1 });
    expect(simd.momentum(0.1, 0.9).getConfig()).toEqual({ learningRate: 0.1, momentum: 0.9, useNesterov: false });
  });

  it("setLearningRate and setMomentum act as in TF.js", async () => {
    await init({ backend: "wasm" });
    const c: Case = {
      label: "momentum",
      tf: () => {
        const o = tf.train.momentum(0.1, 0.9);
        o.setLearningRate(0.05);
        o.setMomentum(0.5); // TF.js reports it but keeps stepping with 0.9
        return o;
      },
      ours: () => {
        const o = simd.momentum(0.1, 0.9);
        o.setLearningRate(0.05);
        o.setMomentum(0.5);
        return o;
      },
    };
    await sideBySide(c, 42);
    const s: Case = {
      label: "sgd",
      tf: () => {
        const o = tf.train.sgd(0.1);
        o.setLearningRate(0.02);
        return o;
      },
      ours: () => {
        const o = simd.sgd(0.1);
        o.setLearningRate(0.02);
        return o;
      },
    };
    await sideBySide(s, 43);
  });

  it("after dispose, every use throws and the memory is given back", async () => {
    await init({ backend: "wasm" });
    const v = tf.variable(tf.zeros([5]));
    const g = tf.ones([5]);
    const opt = simd.adam();
    opt.applyGradients({ [v.name]: g });
    opt.dispose();
    opt.dispose();
    expect(() => opt.applyGradients({ [v.name]: g })).toThrow(/disposed/);
    await expect(opt.getWeights()).rejects.toThrow(/disposed/);
    await expect(opt.setWeights([])).rejects.toThrow(/disposed/);
    tf.dispose([v, g]);
  });
});

// --- the built package: simdopt/tfjs in ESM and CommonJS ---------------------------------

describe("the built package", () => {
  const ROOT = join(import.meta.dirname, "..");
  // Each script runs in a fresh Node process, from the package root, so that "simdopt" and
  // "simdopt/tfjs" resolve through package.json's exports as they do for users.
  const SCRIPT = (load: string) => `
    ${load}
    tf.env().set("IS_TEST", true);
    const out = {};
    const v = tf.variable(tf.tensor1d([1, 2, 3]));
    const g = tf.tensor1d([0.5, -1, 2]);
    try { tfjs.rmsprop(0.1).applyGradients({ [v.name]: g }); } catch (e) { out.before = e.message; }
    const ready = async () => {
      await tf.setBackend("cpu");
      out.backend = await simdopt.init();
      const ours = tfjs.rmsprop(0.1, 0.9, 0.5, null, true), theirs = tf.train.rmsprop(0.1, 0.9, 0.5, null, true);
      const w = tf.variable(tf.tensor1d([1, 2, 3]));
      for (let t = 0; t < 5; t++) { ours.applyGradients({ [v.name]: g }); theirs.applyGradients({ [w.name]: g }); }
      out.same = Array.from(new Uint32Array(v.dataSync().buffer.slice(0))).join() === Array.from(new Uint32Array(w.dataSync().buffer.slice(0))).join();
      out.exports = Object.keys(tfjs).sort();
      console.log("RESULT " + JSON.stringify(out));
    };
    ready();`;
  const run = (args: string[]) => {
    const text = execFileSync(process.execPath, args, { cwd: ROOT, encoding: "utf8" });
    return JSON.parse(text.slice(text.indexOf("RESULT ") + 7));
  };
  const EXPORTS = ["SimdoptAdagrad", "SimdoptAdam", "SimdoptMomentum", "SimdoptRMSProp", "SimdoptSGD", "adagrad", "adam", "momentum", "rmsprop", "sgd"];

  for (const [label, args] of [
    ["ESM: import \"simdopt/tfjs\"", ["--input-type=module", "-e", SCRIPT(`
      import * as tf from "@tensorflow/tfjs-core"; import "@tensorflow/tfjs-backend-cpu";
      import * as simdopt from "simdopt"; import * as tfjs from "simdopt/tfjs";`)]],
    ["CommonJS: require(\"simdopt/tfjs\")", ["-e", SCRIPT(`
      const tf = require("@tensorflow/tfjs-core"); require("@tensorflow/tfjs-backend-cpu");
      const simdopt = require("simdopt"); const tfjs = require("simdopt/tfjs");`)]],
  ] as const) {
    it(`${label}: needs init() from "simdopt", then steps as tf.train does`, () => {
      const out = run([...args]);
      // One runtime for both entries: before init() the tfjs entry is uninitialised too, and
      // after "simdopt"'s init() it steps on the wasm backend.
      expect(out.before).toMatch(/call `await init\(\)` from "simdopt"/);
      expect(out.backend).toBe("wasm");
      expect(out.same).toBe(true);
      expect(out.exports).toEqual(EXPORTS);
    });
  }

  it("the CommonJS and ESM builds are the same files the exports map names", async () => {
    const require = createRequire(import.meta.url);
    expect(require.resolve("simdopt/tfjs")).toBe(join(ROOT, "dist", "tfjs.cjs"));
    const esm = await import("../dist/tfjs.js");
    expect(Object.keys(esm).sort()).toEqual(EXPORTS);
  });
});

// --- TF.js's wasm backend: reported, not required to match ---------------------------------

describe("against tf.train on TF.js's wasm backend", () => {
  const rows: string[] = [];
  beforeAll(async () => {
    await import("@tensorflow/tfjs-backend-wasm");
    await tf.setBackend("wasm");
    await init({ backend: "wasm" });
  });
  afterAll(async () => {
    await tf.setBackend("cpu");
    console.log(`simdopt/tfjs vs tf.train on TF.js's wasm backend, ${STEPS} steps, ${SHAPES.map(shapeSize).join("+")} elements:\n${rows.join("\n")}`);
  });

  it.each(CASES.map((c) => [c.label, c] as const))("%s: the difference is reported, and stays within float32 rounding", (_, c) => {
    expect(tf.getBackend()).toBe("wasm");
    const theirs = makeVariables("tf", 9);
    const ours = makeVariables("simd", 9);
    const optT = c.tf();
    const optO = c.ours();
    let differ = 0, total = 0, worst = 0;
    for (let t = 1; t <= STEPS; t++) {
      const grads = gradsFor(theirs, 9 + t);
      optT.applyGradients(gradientArgs(theirs, grads, false));
      optO.applyGradients(gradientArgs(ours, grads, false));
      tf.dispose(grads);
      ours.forEach((v, i) => {
        const a = v.dataSync(), b = theirs[i]!.dataSync();
        for (let j = 0; j < a.length; j++) {
          total++;
          if (Object.is(a[j], b[j]) || (Number.isNaN(a[j]) && Number.isNaN(b[j]))) continue;
          differ++;
          const gap = Math.abs(a[j]! - b[j]!) / Math.max(Math.abs(b[j]!), 1e-30);
          worst = Math.max(worst, Number.isNaN(gap) ? Infinity : gap);
        }
      });
    }
    rows.push(`  ${c.label.padEnd(36)} ${differ} of ${total} element-steps differ${differ ? `, largest relative difference ${worst.toExponential(2)}` : ""}`);
    // A different formula or operation order shows up far above this; rounding differences do not.
    expect(worst).toBeLessThan(1e-4);
    optT.dispose();
    optO.dispose();
    tf.dispose([...theirs, ...ours]);
  });
});
