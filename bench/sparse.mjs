// `node bench/sparse.mjs` (after `npm run build`): what a sparse Adagrad step costs next to a
// dense step of the same embedding table. A table of 1e6 rows × 64 (256 MB of float32), a batch
// touching 1% of its rows (10,000 row numbers drawn with repeats, as a batch of lookups has):
// the sparse step against the dense step over the whole table, on a ParamStore (zero-copy) and
// on a caller-owned array (marshalled), wasm backend, in one run, alternating the rows so that
// machine noise hits both alike. Prints medians and the ratio. `--js`: the JS backend too.
import { performance } from "node:perf_hooks";
import { Adagrad, initSync, ParamStore } from "../dist/index.js";
import { fill, GRAD_SEED, PARAM_SEED } from "./data.mjs";

const ROWS = 1e6;
const DIM = 64;
const TOUCHED = ROWS / 100;
const ROUNDS = 3;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Median ms of `run` over at least `count` samples and about `ms` milliseconds. */
function time(run, count, ms) {
  const samples = [];
  const stop = performance.now() + ms;
  do {
    const t0 = performance.now();
    run();
    samples.push(performance.now() - t0);
  } while (samples.length < count || performance.now() < stop);
  return median(samples);
}

/** A batch's row numbers: Zipf-like, so popular rows repeat (about 9% of entries are repeats). */
function batch(seed) {
  let s = seed >>> 0;
  const out = new Int32Array(TOUCHED);
  for (let j = 0; j < TOUCHED; j++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 4294967296;
    out[j] = Math.min(ROWS - 1, Math.floor(ROWS * u ** 3));
  }
  return out;
}

function measure(backend) {
  initSync({ backend });
  const n = ROWS * DIM;
  const values = fill(new Float32Array(TOUCHED * DIM), GRAD_SEED);
  const batches = [1, 2, 3, 4].map(batch);
  const distinct = new Set(batches[0]).size;
  const dense = fill(new Float32Array(n), GRAD_SEED + 1);
  const results = {};
  // Zero-copy: the table in a ParamStore, its dense gradient in the store's slot.
  {
    const store = new ParamStore({ emb: n }, { reserve: 0 });
    const opt = new Adagrad(store, { lr: 0.01 });
    // Views taken after the optimizer, whose state may have grown the memory.
    fill(store.param("emb"), PARAM_SEED);
    store.grad("emb").set(dense);
    let k = 0;
    const sparse = () => opt.step([{ indices: batches[k++ & 3], values, dim: DIM }]);
    sparse(); // the first sparse step sizes the scratch (which may grow the memory) and makes the row map
    store.params();
    store.grads(); // re-read after a growth, as the README's memory rules say
    const rows = { dense: () => time(() => opt.step(), 3, 300), sparse: () => time(sparse, 30, 200) };
    results["ParamStore (zero-copy)"] = run(rows);
    opt.dispose();
    store.dispose();
  }
  // Marshalled: a caller-owned table, copied in and out by the dense step; the sparse step copies
  // the rows it touches.
  {
    const table = fill(new Float32Array(n), PARAM_SEED);
    const opt = new Adagrad([table], { lr: 0.01 });
    let k = 0;
    const sparse = () => opt.step([{ indices: batches[k++ & 3], values, dim: DIM }]);
    sparse();
    const rows = { dense: () => time(() => opt.step([dense]), 3, 300), sparse: () => time(sparse, 30, 200) };
    results["Float32Array (marshalled)"] = run(rows);
    opt.dispose();
  }
  return { results, distinct };
}

function run(rows) {
  const out = { dense: [], sparse: [] };
  for (let r = 0; r < ROUNDS; r++) for (const [k, fn] of Object.entries(rows)) out[k].push(fn());
  return { dense: median(out.dense), sparse: median(out.sparse) };
}

console.log(`Adagrad on a ${ROWS.toExponential(0)} × ${DIM} table; a sparse step lists ${TOUCHED} rows (1%)`);
for (const backend of process.argv.includes("--js") ? ["wasm", "js"] : ["wasm"]) {
  const { results, distinct } = measure(backend);
  console.log(`\n${backend} backend (${distinct} distinct rows per batch)`);
  for (const [path, { dense, sparse }] of Object.entries(results)) {
    console.log(`  ${path.padEnd(26)} dense ${dense.toFixed(1).padStart(7)} ms   sparse ${sparse.toFixed(3).padStart(7)} ms   ` +
      `sparse is ${(dense / sparse).toFixed(0)}x faster`);
  }
}
