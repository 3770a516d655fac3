// Embeddings, where Adagrad is at home: matrix factorisation of synthetic ratings, with a user
// table and an item table in a simdopt ParamStore. Each batch looks up a few rows of each, and
// the gradient goes to the optimizer as sparse rows. Trains with Adagrad (one accumulator per
// weight) and row-wise Adagrad (one per row), then times a sparse step against a dense step of
// the same tables.
//
//   npm run example:embeddings              100,000 users × 20,000 items, 10 epochs each;
//                                           prints the RMSE, memory and speed tables and draws
//                                           docs/embeddings-rmse.svg
//   npm run example:embeddings -- --quick   20,000 × 4,000, 5 epochs, with checks
import { writeFileSync } from "node:fs";
import * as simdopt from "simdopt";
import { Adagrad, ParamStore } from "simdopt";
import { check, flags } from "../shared/cli.mjs";
import { startUnit } from "../shared/progress.mjs";
import { seeded, shuffle } from "../shared/random.mjs";
import { toSvg } from "../shared/render-svg.mjs";
import { rmseCurves } from "./chart.mjs";
import { makeRatings } from "./data.mjs";
import { MatrixFactorisation } from "./mf.mjs";
import { sparseAgainstDense } from "./speed.mjs";

const args = flags({ epochs: { type: "string" } });
const { quick } = args;
const SIZE = quick ? { users: 20_000, items: 4_000 } : { users: 100_000, items: 20_000 };
const EPOCHS = Number(args.epochs ?? (quick ? 5 : 10));
const DIM = 32; // the model's row length
const RANK = 8; // the hidden structure's
const NOISE = 0.25; // standard deviation of the noise on each rating: the best held-out RMSE possible
const BATCH = 512;
const L2 = 0.05; // the weight of the L2 penalty on the rows a batch looks up
const LR = 0.2;
const SPEED_STEPS = quick ? 40 : 100;

/** The two runs: each a name, its settings as the table shows them, and how to build its optimizer. */
const RECIPES = [
  { id: "adagrad", label: "Adagrad", settings: `lr ${LR}`, make: (store) => new Adagrad(store, { lr: LR }) },
  { id: "rowwise", label: "Adagrad, row-wise", settings: `lr ${LR}, rowwise ${DIM}`, make: (store) => new Adagrad(store, { lr: LR, rowwise: DIM }) },
];

const started = performance.now();
const backend = await simdopt.init();
const ratings = makeRatings({ ...SIZE, rank: RANK, minPerUser: 20, maxPerUser: 80, noise: NOISE, heldOutFraction: 0.1, seed: 1 });
const { train, heldOut } = ratings;
const rows = SIZE.users + SIZE.items;
console.log(
  `embeddings: ${SIZE.users.toLocaleString("en")} users × ${SIZE.items.toLocaleString("en")} items, ` +
    `${train.count.toLocaleString("en")} training and ${heldOut.count.toLocaleString("en")} held-out ratings of rank ${RANK} + noise ${NOISE}; ` +
    `rows of ${DIM}, batch ${BATCH}, ${EPOCHS} epochs, backend ${backend}`,
);

/** A model and its optimizer, built afresh: the same starting weights every time. */
function build(recipe) {
  const store = new ParamStore({ users: SIZE.users * DIM, items: SIZE.items * DIM });
  const model = new MatrixFactorisation(store, { dim: DIM, batch: BATCH, l2: L2 });
  model.initialise(seeded(42), 0.1);
  const opt = recipe.make(store);
  return {
    store,
    model,
    opt,
    dispose() {
      opt.dispose();
      store.dispose();
    },
  };
}

/** Bytes of optimizer state: the `sum` of every tensor. */
function stateBytes(opt) {
  return opt.stateDict().state.reduce((bytes, s) => bytes + s.sum.byteLength, 0);
}

// ---- training ------------------------------------------------------------------------------

const results = [];
for (const recipe of RECIPES) {
  const run = build(recipe);
  const history = [{ epoch: 0, train: run.model.rmse(train), heldOut: run.model.rmse(heldOut) }];
  for (let epoch = 1; epoch <= EPOCHS; epoch++) {
    // The order depends only on the epoch: both runs see the same batches.
    const order = shuffle(Array.from({ length: train.count }, (_, k) => k), seeded(1000 + epoch));
    const batches = Math.ceil(train.count / BATCH);
    const unit = startUnit(`${recipe.label.padEnd(17)} epoch ${epoch}/${EPOCHS}`, batches);
    for (let b = 0; b < batches; b++) {
      const start = b * BATCH;
      const end = Math.min(train.count, start + BATCH);
      const squaredErrors = run.model.backward(train, order, start, end);
      run.opt.step(run.model.gradients);
      if (b % 100 === 0) unit.tick(b + 1, `batch RMSE ${Math.sqrt(squaredErrors / (end - start)).toFixed(3)}`);
    }
    const row = { epoch, train: run.model.rmse(train), heldOut: run.model.rmse(heldOut) };
    history.push(row);
    unit.done(`train RMSE ${row.train.toFixed(4)}  held-out RMSE ${row.heldOut.toFixed(4)}`);
  }
  results.push({ recipe, history, stateBytes: stateBytes(run.opt), tableBytes: run.store.params().reduce((n, t) => n + t.byteLength, 0) });
  run.dispose();
}

// ---- a sparse step against a dense step of the same tables ----------------------------------

console.log("");
const speed = RECIPES.map((recipe) => {
  const unit = startUnit(`${recipe.label.padEnd(17)} sparse and dense steps`, 1);
  const measured = sparseAgainstDense({ build: () => build(recipe), data: train, batch: BATCH, steps: SPEED_STEPS });
  unit.done(`sparse ${ms(measured.sparse)}, dense ${ms(measured.dense)}: ${(measured.dense / measured.sparse).toFixed(1)}× faster`);
  return { recipe, ...measured };
});

// ---- the tables, the picture, the checks ----------------------------------------------------

const mb = (bytes) => `${(bytes / 1e6).toFixed(2)} MB`;
console.log("");
console.log(`| optimizer | settings | train RMSE | held-out RMSE | optimizer state |`);
console.log(`|---|---|--:|--:|--:|`);
for (const { recipe, history, stateBytes } of results) {
  const last = history.at(-1);
  console.log(`| ${recipe.label} | ${recipe.settings} | ${last.train.toFixed(4)} | ${last.heldOut.toFixed(4)} | ${mb(stateBytes)} |`);
}
console.log("");
console.log(
  `RMSE after ${EPOCHS} epochs (before training: ${results[0].history[0].heldOut.toFixed(4)} held out; the noise alone gives ${NOISE}). ` +
    `The tables hold ${mb(results[0].tableBytes)}; row-wise state is ${(results[0].stateBytes / results[1].stateBytes).toFixed(0)}× smaller.`,
);
console.log("");
console.log(`| optimizer | sparse step | dense step | dense / sparse | writing the dense gradient |`);
console.log(`|---|--:|--:|--:|--:|`);
for (const s of speed) console.log(`| ${s.recipe.label} | ${ms(s.sparse)} | ${ms(s.dense)} | ${(s.dense / s.sparse).toFixed(1)}× | ${ms(s.writeDense)} |`);
console.log("");
console.log(
  `Medians of ${SPEED_STEPS} steps each on ${rows.toLocaleString("en")} rows × ${DIM}, a batch of ${BATCH} ratings looking up about ` +
    `${speed[0].distinctRows.toLocaleString("en")} distinct rows.`,
);
const [plain, rowwise] = speed;
console.log(
  `Stepped with the same gradients from the same start, sparse and dense end with ${rowwise.sameBits ? "the same weights, bit for bit," : "different weights"} ` +
    `for row-wise Adagrad, and within ${plain.largestDifference.toExponential(1)} for Adagrad, whose sparse update rounds in another order (as PyTorch's does).`,
);

for (const { recipe, history } of results) {
  const [before, last] = [history[0].heldOut, history.at(-1).heldOut];
  check(last < 0.5 * before, `${recipe.label}: held-out RMSE ${last.toFixed(4)} should be under half of ${before.toFixed(4)}, before training`);
}
const [plainRun, rowwiseRun] = results.map((r) => r.history.at(-1).heldOut);
check(Math.abs(rowwiseRun - plainRun) < 0.05 * plainRun, `row-wise Adagrad's held-out RMSE ${rowwiseRun.toFixed(4)} should be within 5% of Adagrad's ${plainRun.toFixed(4)}`);
check(results[0].stateBytes === DIM * results[1].stateBytes, `row-wise state should be ${DIM}× smaller`);
// Row-wise Adagrad gives the same bits for a dense gradient as for the same rows listed sparsely;
// plain Adagrad's sparse update rounds in another order (as PyTorch's does), so only close.
check(rowwise.sameBits, "row-wise Adagrad: sparse and dense steps should give the same weights");
check(plain.largestDifference < 1e-5, `Adagrad: sparse and dense weights differ by ${plain.largestDifference}`);

if (!quick && args.epochs === undefined) {
  const svg = await toSvg(rmseCurves({ results, size: SIZE, dim: DIM, rank: RANK, noise: NOISE, batch: BATCH }));
  writeFileSync(new URL("../../docs/embeddings-rmse.svg", import.meta.url), `${svg.trim()}\n`);
  console.log("wrote docs/embeddings-rmse.svg");
}
console.log(`embeddings done in ${((performance.now() - started) / 1000).toFixed(1)} s`);

function ms(value) {
  return `${value < 1 ? value.toFixed(3) : value.toFixed(2)} ms`;
}
