// MNIST with a hand-written 784-128-10 MLP over a simdopt ParamStore, trained with SGD +
// momentum, Adagrad, RMSprop, RMSprop + momentum (centered) and Adam, each with a cosine
// learning-rate schedule and gradient clipping, checkpointed after every epoch.
//
//   npm run example:mnist-mlp                  10 epochs each; prints the accuracy table and
//                                              draws docs/mnist-loss.svg
//   npm run example:mnist-mlp -- --resume      continues each run from its last checkpoint
//   npm run example:mnist-mlp -- --quick       2 epochs on half of the data, with checks
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as simdopt from "simdopt";
import { Adagrad, Adam, CosineAnnealingLR, ParamStore, RMSprop, SGD, clipGradNorm } from "simdopt";
import { check, flags } from "../shared/cli.mjs";
import { startUnit } from "../shared/progress.mjs";
import { seeded, shuffle } from "../shared/random.mjs";
import { toSvg } from "../shared/render-svg.mjs";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint.mjs";
import { loadDigits } from "./data.mjs";
import { lossCurves } from "./chart.mjs";
import { LAYOUT, Mlp } from "./mlp.mjs";

const args = flags({ epochs: { type: "string" }, resume: { type: "boolean", default: false } });
const EPOCHS = Number(args.epochs ?? (args.quick ? 2 : 10));
const BATCH = 64;
const MAX_GRAD_NORM = 5;
// Quick runs keep their own checkpoints: a full run must not resume from one.
const CHECKPOINTS = fileURLToPath(new URL(args.quick ? "./checkpoints/quick/" : "./checkpoints/", import.meta.url));

/** The runs: each a name, its settings as the table shows them, and how to build it on a store. */
const RECIPES = [
  { id: "sgd-momentum", label: "SGD + momentum", settings: "lr 0.05, momentum 0.9", make: (s) => new SGD(s, { lr: 0.05, momentum: 0.9 }) },
  { id: "adagrad", label: "Adagrad", settings: "lr 0.05", make: (s) => new Adagrad(s, { lr: 0.05 }) },
  { id: "rmsprop", label: "RMSprop", settings: "lr 0.001, α 0.99", make: (s) => new RMSprop(s, { lr: 1e-3 }) },
  {
    id: "rmsprop-centered",
    label: "RMSprop + momentum, centered",
    settings: "lr 0.0002, α 0.99, momentum 0.9, centered",
    make: (s) => new RMSprop(s, { lr: 2e-4, momentum: 0.9, centered: true }),
  },
  { id: "adam", label: "Adam", settings: "lr 0.001, β 0.9/0.999", make: (s) => new Adam(s, { lr: 1e-3 }) },
];

const backend = await simdopt.init();
const digits = loadDigits();
// Quick mode trains on half of the training images (the same ones every run).
const train = args.quick ? subset(digits.train, 4000) : digits.train;
const test = digits.test;
console.log(`mnist-mlp: ${train.count} training and ${test.count} test digits, batch ${BATCH}, ${EPOCHS} epochs, backend ${backend}`);
mkdirSync(CHECKPOINTS, { recursive: true });

/** A model, its optimizer and its schedule, built afresh (the same way when resuming). */
function build(recipe, epochs) {
  const store = new ParamStore(LAYOUT);
  const model = new Mlp(store);
  model.initialise(seeded(42));
  const opt = recipe.make(store);
  // Cosine decay of the lr to 0 over the whole run, stepped after every batch.
  const sched = new CosineAnnealingLR(opt, { tMax: epochs * Math.ceil(train.count / BATCH) });
  const plan = { epochs, batch: BATCH, train: train.count };
  return { recipe: recipe.id, plan, store, model, opt, sched, epoch: 0, history: { batches: [], epochs: [] } };
}

function dispose(run) {
  run.opt.dispose();
  run.store.dispose();
}

/** One epoch: shuffled batches (the order depends only on the epoch), clip, step, schedule. */
function trainEpoch(run, label) {
  const order = shuffle(Array.from({ length: train.count }, (_, i) => i), seeded(1000 + run.epoch));
  const batches = Math.ceil(train.count / BATCH);
  const unit = startUnit(`${label.padEnd(28)} epoch ${run.epoch + 1}/${EPOCHS}`, batches);
  let sum = 0;
  let window = 0;
  let clipped = 0;
  for (let b = 0; b < batches; b++) {
    const loss = run.model.backward(train, order.slice(b * BATCH, (b + 1) * BATCH));
    if (clipGradNorm(run.store, MAX_GRAD_NORM) > MAX_GRAD_NORM) clipped++;
    run.opt.step();
    run.sched.step();
    sum += loss;
    window += loss;
    // The training loss, averaged over every 25 batches, for the loss curve.
    if ((b + 1) % 25 === 0 || b === batches - 1) {
      const n = (b % 25) + 1;
      run.history.batches.push({ epoch: run.epoch + (b + 1) / batches, loss: window / n });
      window = 0;
    }
    if (b % 10 === 0) unit.tick(b + 1, `loss ${loss.toFixed(3)}`);
  }
  run.epoch++;
  const evaluated = run.model.evaluate(test);
  run.history.epochs.push({ epoch: run.epoch, trainLoss: sum / batches, testLoss: evaluated.loss, testAccuracy: evaluated.accuracy, clipped });
  unit.done(`train loss ${(sum / batches).toFixed(4)}  test loss ${evaluated.loss.toFixed(4)}  test accuracy ${(100 * evaluated.accuracy).toFixed(2)}%${clipped ? `  (${clipped} batches clipped)` : ""}`);
}

function checkpointFile(recipe) {
  return `${CHECKPOINTS}${recipe.id}.json`;
}

// ---- every recipe, checkpointed after each epoch ------------------------------------------

const started = performance.now();
const results = [];
for (const recipe of RECIPES) {
  const run = build(recipe, EPOCHS);
  const file = checkpointFile(recipe);
  if (args.resume && existsSync(file)) {
    Object.assign(run, loadCheckpoint(file, run));
    console.log(`${recipe.label}: resumed after epoch ${run.epoch} from ${file}`);
  }
  while (run.epoch < EPOCHS) {
    trainEpoch(run, recipe.label);
    saveCheckpoint(file, run);
  }
  const last = run.history.epochs.at(-1);
  results.push({ recipe, history: run.history, last, weights: run.store.params().map((w) => w.slice()) });
  dispose(run);
}

// ---- resuming equals never stopping -------------------------------------------------------

{
  // Train the last recipe again up to the middle, save, throw everything away, build it anew,
  // load the checkpoint and finish: the weights must be the uninterrupted run's, bit for bit.
  const recipe = RECIPES.at(-1);
  const middle = Math.max(1, Math.floor(EPOCHS / 2));
  const file = `${CHECKPOINTS}${recipe.id}.resume-check.json`;
  const first = build(recipe, EPOCHS);
  while (first.epoch < middle) trainEpoch(first, `${recipe.label} (resume check)`);
  saveCheckpoint(file, first);
  dispose(first);
  const second = build(recipe, EPOCHS);
  Object.assign(second, loadCheckpoint(file, second));
  while (second.epoch < EPOCHS) trainEpoch(second, `${recipe.label} (resumed)`);
  const uninterrupted = results.at(-1).weights;
  const same = second.store.params().every((w, i) => Buffer.compare(Buffer.from(w.buffer, w.byteOffset, w.byteLength), Buffer.from(uninterrupted[i].buffer)) === 0);
  dispose(second);
  check(same, `${recipe.label}: resuming from the epoch-${middle} checkpoint should give the uninterrupted run's weights`);
  console.log(`${recipe.label}: stopped after epoch ${middle}, resumed from its checkpoint: the same weights, bit for bit, as without stopping`);
}

// ---- the table, the picture, the checks ---------------------------------------------------

console.log("");
console.log(`| optimizer | settings | test accuracy | test loss | training loss |`);
console.log(`|---|---|--:|--:|--:|`);
for (const { recipe, last } of results) {
  console.log(`| ${recipe.label} | ${recipe.settings} | ${(100 * last.testAccuracy).toFixed(2)}% | ${last.testLoss.toFixed(4)} | ${last.trainLoss.toFixed(4)} |`);
}
console.log("");
console.log(`${EPOCHS} epochs of ${train.count} digits, tested on ${test.count}; cosine lr schedule, gradients clipped to norm ${MAX_GRAD_NORM}.`);

if (args.quick) {
  // After 2 epochs on 4,000 digits every optimizer should classify most held-out digits.
  const QUICK_ACCURACY = 0.85;
  for (const { recipe, last } of results) {
    check(last.testAccuracy >= QUICK_ACCURACY, `${recipe.label} reached ${(100 * last.testAccuracy).toFixed(1)}% test accuracy, below ${100 * QUICK_ACCURACY}%`);
  }
  console.log(`every optimizer reached at least ${100 * QUICK_ACCURACY}% test accuracy`);
} else if (EPOCHS === 10 && train.count === digits.train.count) {
  const svg = await toSvg(lossCurves(results.map(({ recipe, history }) => ({ label: recipe.label, history }))));
  writeFileSync(new URL("../../docs/mnist-loss.svg", import.meta.url), `${svg.trim()}\n`);
  console.log("wrote docs/mnist-loss.svg");
}
console.log(`mnist-mlp done in ${((performance.now() - started) / 1000).toFixed(1)} s`);

function subset(data, count) {
  // Every k-th image, so all ten digits stay represented.
  const step = data.count / count;
  const picked = Array.from({ length: count }, (_, i) => Math.floor(i * step));
  const images = new Float32Array(count * 784);
  picked.forEach((n, i) => images.set(data.images.subarray(n * 784, (n + 1) * 784), i * 784));
  return { images, labels: Uint8Array.from(picked, (n) => data.labels[n]), count };
}
