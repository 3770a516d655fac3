// TensorFlow.js with simdopt's optimizers: a tf.sequential 784-128-10 model fitted to MNIST
// with `rmsprop` from simdopt/tfjs in place of tf.train.rmsprop. The rest is plain TF.js.
//
//   npm run example:tfjs               3 epochs on 8,000 digits, tested on 2,000
//   npm run example:tfjs -- --compare  also fits with tf.train.rmsprop and compares
//   npm run example:tfjs -- --quick    1 epoch on 2,000 digits, checked; 10 batches compared with tf.train
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import * as tfl from "@tensorflow/tfjs-layers";
import { init } from "simdopt";
import { rmsprop } from "simdopt/tfjs"; // instead of tf.train.rmsprop: the only change
import { check, flags } from "../shared/cli.mjs";
import { startUnit } from "../shared/progress.mjs";
import { seeded, shuffle } from "../shared/random.mjs";
import { loadDigits, PIXELS } from "../mnist-mlp/data.mjs";

const args = flags({ compare: { type: "boolean", default: false } });
const EPOCHS = args.quick ? 1 : 3;
const TRAIN = args.quick ? 2000 : Infinity;
const BATCH = 64;
const LR = 1e-3;

tf.enableProdMode(); // no debug checks, and no advice to install tfjs-node
await tf.setBackend("cpu");
const backend = await init(); // simdopt's kernels: once, before the first step

const digits = loadDigits();
/** Tensors of `count` images (every k-th, so all ten digits stay in), in a seeded random order. */
function toTensors(data, count = data.count) {
  const n = Math.min(count, data.count);
  const picked = shuffle(Array.from({ length: n }, (_, i) => Math.floor((i * data.count) / n)), seeded(7));
  const x = new Float32Array(n * PIXELS);
  const y = new Float32Array(n * 10);
  picked.forEach((k, i) => {
    x.set(data.images.subarray(k * PIXELS, (k + 1) * PIXELS), i * PIXELS);
    y[i * 10 + data.labels[k]] = 1;
  });
  return { x: tf.tensor2d(x, [n, PIXELS]), y: tf.tensor2d(y, [n, 10]), count: n };
}
const train = toTensors(digits.train, TRAIN);
const test = toTensors(digits.test);
console.log(`tfjs: tf.sequential 784-128-10, ${train.count} training and ${test.count} test digits, batch ${BATCH}, ${EPOCHS} epoch${EPOCHS > 1 ? "s" : ""}; TF.js ${tf.getBackend()} backend, simdopt ${backend}`);

function model(optimizer) {
  const m = tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [PIXELS], units: 128, activation: "relu", kernelInitializer: tfl.initializers.heUniform({ seed: 1 }) }),
      tfl.layers.dense({ units: 10, activation: "softmax", kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
  m.compile({ optimizer, loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  return m;
}

async function fit(label, optimizer, data = train) {
  const m = model(optimizer);
  const batches = Math.ceil(data.count / BATCH);
  const t0 = performance.now();
  let unit;
  await m.fit(data.x, data.y, {
    epochs: EPOCHS,
    batchSize: BATCH,
    shuffle: false, // the same batches for both optimizers
    verbose: 0,
    callbacks: {
      onEpochBegin: async (epoch) => {
        unit = startUnit(`${label.padEnd(32)} epoch ${epoch + 1}/${EPOCHS}`, batches);
      },
      onBatchEnd: async (batch, logs) => unit.tick(batch + 1, `loss ${logs.loss.toFixed(3)}`),
      onEpochEnd: async (_, logs) => unit.done(`loss ${logs.loss.toFixed(4)}  accuracy ${(100 * logs.acc).toFixed(2)}%`),
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  const [loss, accuracy] = m.evaluate(test.x, test.y, { batchSize: 500 }).map((t) => t.dataSync()[0]);
  const weights = m.getWeights().map((w) => w.dataSync().slice());
  console.log(`${label.padEnd(32)} test accuracy ${(100 * accuracy).toFixed(2)}%, test loss ${loss.toFixed(4)}; fit took ${seconds.toFixed(1)} s`);
  m.dispose();
  optimizer.dispose();
  return { accuracy, seconds, weights };
}

const ours = await fit("simdopt/tfjs rmsprop", rmsprop(LR));
if (args.compare || args.quick) {
  // Both optimizers from the same weights on the same batches. Quick mode compares 10 batches:
  // tf.train's step is the slow one.
  const data = args.quick ? { x: tf.slice(train.x, 0, 640), y: tf.slice(train.y, 0, 640), count: 640 } : train;
  const suffix = args.quick ? ", 10 batches" : "";
  const mine = args.quick ? await fit(`simdopt/tfjs rmsprop${suffix}`, rmsprop(LR), data) : ours;
  const theirs = await fit(`tf.train.rmsprop${suffix}`, tf.train.rmsprop(LR), data);
  const same = mine.weights.every((w, i) => Buffer.compare(Buffer.from(w.buffer), Buffer.from(theirs.weights[i].buffer)) === 0);
  check(same, "simdopt/tfjs's rmsprop should give tf.train.rmsprop's weights bit for bit");
  console.log(`the same weights, bit for bit; model.fit took ${(theirs.seconds / mine.seconds).toFixed(2)}x as long with tf.train.rmsprop`);
  if (args.quick) tf.dispose([data.x, data.y]);
}
if (args.quick) {
  check(ours.accuracy >= 0.8, `one epoch on 2,000 digits should reach 80% test accuracy, reached ${(100 * ours.accuracy).toFixed(1)}%`);
  console.log("reached at least 80% test accuracy");
}
tf.dispose([train.x, train.y, test.x, test.y]);
