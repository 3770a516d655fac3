// The costs of simdopt's tools next to the step they go with, each as a ratio with a goal:
// - gradient clipping: clipGradNorm on a ParamStore (in place) and on caller-owned arrays, against
//   one default RMSprop step over the same store. Each clip starts from the same gradients
//   (restored untimed), so every timed call measures the norm and scales by a factor below 1;
// - sparse rows: a sparse Adagrad step on a 1e6 × 64 embedding table (256 MB of float32) listing
//   10,000 row numbers (1% of the rows, drawn with repeats as a batch of lookups has) against a
//   dense step of the same table, on a ParamStore (zero-copy) and on a caller-owned array
//   (marshalled: the rows listed are copied in and out);
// - the denormal guard: RMSprop with `flushDenormals: true` on state gone subnormal (square_avg
//   below 2^-126 and gradients 0, as a weight whose gradient has stayed 0 for ~8,700 steps has
//   it), against a normal step; with the default options and with momentum and centered, with
//   the guard on and off on both states.
// Rows compared are timed in alternation (alternate.mjs). Used by run.mjs and by the standalone
// scripts clip.mjs, sparse.mjs and denormal.mjs.
import { performance } from "node:perf_hooks";
import { Adagrad, clipGradNorm, initSync, ParamStore, RMSprop } from "../dist/index.js";
import { alternate } from "./alternate.mjs";
import { fill, GRAD_SEED, PARAM_SEED } from "./data.mjs";

/** clipGradNorm ÷ a default RMSprop step at most this. */
export const CLIP_GOAL = 0.5;
/** A dense step ÷ a sparse step of 1% of the rows at least this, on a ParamStore. */
export const SPARSE_GOAL = 30;
/** A step on subnormal state with the guard ÷ a normal step at most this. */
export const DENORMAL_GOAL = 1.1;

const sizeLabel = (n) => n.toExponential(0).replace("+", "");
const fmtTime = (us) => (us >= 1000 ? `${(us / 1000).toPrecision(3)} ms` : `${us.toPrecision(3)} µs`);
const cell = (row) => `${fmtTime(row.us)} ±${row.spreadPercent.toFixed(0)}%${row.noisy ? "*" : ""}`;
const byId = (rows) => Object.fromEntries(rows.map((r) => [r.id, r]));

// --- gradient clipping ---------------------------------------------------------------------------

/** clipGradNorm against a default RMSprop step on `n` elements; `withJs` adds the JS backend's clip. */
export async function clipCost({ n, rounds, timing, remeasure, withJs = false }) {
  initSync({ backend: "wasm" });
  const store = new ParamStore({ w: n });
  const opt = new RMSprop(store);
  fill(store.param("w"), PARAM_SEED);
  const saved = fill(new Float32Array(n), GRAD_SEED);
  store.grad("w").set(saved);
  const own = saved.slice();
  const maxNorm = 1; // the gradients' norm is about sqrt(n / 3): every clip scales
  // Later setups may replace the memory, which leaves views behind: re-read them before timing.
  const wasm = () => void (initSync({ backend: "wasm" }), store.params(), store.grads());
  const rows = [
    { id: "step", label: "RMSprop step, ParamStore", enter: wasm, step: () => opt.step() },
    { id: "clip-store", label: "clipGradNorm, ParamStore", enter: wasm, flip: () => store.grad("w").set(saved), step: () => clipGradNorm(store, maxNorm) },
    { id: "clip-arrays", label: "clipGradNorm, Float32Array[]", enter: wasm, flip: () => own.set(saved), step: () => clipGradNorm([own], maxNorm) },
  ];
  // The exact JS kernels on the same arrays, in place (what the JS backend does).
  if (withJs) rows.push({ id: "clip-arrays-js", label: "clipGradNorm, Float32Array[], JS backend", enter: () => void initSync({ backend: "js" }), flip: () => own.set(saved), step: () => clipGradNorm([own], maxNorm) });
  const measured = await alternate(rows, { rounds, timing, remeasure });
  initSync({ backend: "wasm" });
  opt.dispose();
  store.dispose();
  const { step, "clip-store": clip } = byId(measured);
  return { n, rows: measured, ratio: clip.us / step.us, noisy: clip.noisy || step.noisy };
}

export function describeClip({ n, rows }) {
  const step = rows[0];
  const lines = [`gradient clipping, ${sizeLabel(n)} elements (wasm):`];
  for (const r of rows) lines.push(`  ${r.label.padEnd(42)} ${cell(r).padStart(16)}${r === step ? "" : `  ${(r.us / step.us).toFixed(2)}× the step`}`);
  return lines.join("\n");
}

// --- sparse rows ---------------------------------------------------------------------------------

/** A batch's row numbers: Zipf-like, so popular rows repeat (about 7% of entries are repeats). */
function lookups(rows, count, seed) {
  let s = seed >>> 0;
  const out = new Int32Array(count);
  for (let j = 0; j < count; j++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[j] = Math.min(rows - 1, Math.floor(rows * (s / 4294967296) ** 3));
  }
  return out;
}

/**
 * A sparse Adagrad step listing 1% of the rows of a `rows × dim` table against a dense step, on
 * a ParamStore and on a caller-owned array, on `backend`.
 */
export async function sparseCost({ rows = 1e6, dim = 64, backend = "wasm", rounds, timing, remeasure }) {
  initSync({ backend });
  const n = rows * dim;
  const listed = rows / 100;
  const values = fill(new Float32Array(listed * dim), GRAD_SEED);
  const batches = [1, 2, 3, 4].map((seed) => lookups(rows, listed, seed));
  const dense = fill(new Float32Array(n), GRAD_SEED + 1);
  const paths = [];
  const compare = async (id, label, opt, denseStep, enter) => {
    let k = 0;
    const sparse = () => opt.step([{ indices: batches[k++ & 3], values, dim }]);
    sparse(); // the first sparse step sizes the scratch (which may grow the memory)
    const measured = await alternate([
      { id: "dense", label: "dense step", enter, step: denseStep },
      { id: "sparse", label: "sparse step", enter, step: sparse },
    ], { rounds, timing, remeasure });
    const [d, s] = measured;
    paths.push({ id, label, rows: measured, ratio: d.us / s.us, noisy: d.noisy || s.noisy });
  };
  {
    const store = new ParamStore({ emb: n }, { reserve: 0 });
    const opt = new Adagrad(store, { lr: 0.01 });
    // Views taken after the optimizer, whose state may have grown the memory.
    fill(store.param("emb"), PARAM_SEED);
    store.grad("emb").set(dense);
    // Re-read after a growth, as the README's memory rules say.
    await compare("zero-copy", "ParamStore (zero-copy)", opt, () => opt.step(), () => void (initSync({ backend }), store.params(), store.grads()));
    opt.dispose();
    store.dispose();
  }
  {
    const table = fill(new Float32Array(n), PARAM_SEED);
    const opt = new Adagrad([table], { lr: 0.01 });
    await compare("marshalled", "Float32Array (marshalled)", opt, () => opt.step([dense]), () => void initSync({ backend }));
    opt.dispose();
  }
  return { backend, rows, dim, listed, distinct: new Set(batches[0]).size, paths };
}

export function describeSparse({ backend, rows, dim, listed, distinct, paths }) {
  const lines = [`sparse rows, Adagrad on a ${sizeLabel(rows)} × ${dim} table, ${listed.toLocaleString("en")} rows listed (1%; ${distinct.toLocaleString("en")} distinct) (${backend}):`];
  for (const p of paths) {
    const [d, s] = p.rows;
    lines.push(`  ${p.label.padEnd(26)} dense ${cell(d).padStart(16)}   sparse ${cell(s).padStart(16)}   dense ÷ sparse ${p.ratio.toFixed(1)}×`);
  }
  return lines.join("\n");
}

// --- the denormal guard --------------------------------------------------------------------------

export const DENORMAL_CONFIGS = {
  "default options": { lr: 1e-3 },
  "momentum 0.9, centered": { lr: 1e-3, momentum: 0.9, centered: true },
};

/** RMSprop with `options` over `n` elements: normal and subnormal state, guard on and off. */
export async function denormalCost({ n, label, options, rounds, timing, remeasure }) {
  initSync({ backend: "wasm" });
  const store = new ParamStore({ w: n });
  const opt = new RMSprop(store, options);
  fill(store.param("w"), PARAM_SEED);
  const grads = fill(new Float32Array(n), GRAD_SEED);
  const zeros = new Float32Array(n);
  /** RMSprop's state as a dict: every square_avg element about `value` (with a little spread). */
  const stateOf = (value) => {
    const sq = fill(new Float32Array(n), 3).map((x) => value * (1.5 + x));
    const entry = { step: 9000, square_avg: sq };
    // The other buffers as small as the gradients that have stayed 0 leave them.
    if (options.momentum) entry.momentum_buffer = sq.map((x) => x * 0.001);
    if (options.centered) entry.grad_avg = sq.map((x) => x * 0.001);
    return { state: [entry], param_groups: opt.stateDict().param_groups };
  };
  const normal = stateOf(0.5);
  const subnormal = stateOf(2 ** -130); // about 7e-40: below the smallest normal float32
  // Each timing starts from its state; its warm-up steps hold the guard's first, flushing step.
  const from = (state, g, guard) => () => {
    initSync({ backend: "wasm" });
    opt.loadStateDict(state);
    opt.paramGroups[0].flushDenormals = guard;
    store.grad("w").set(g);
  };
  const step = () => opt.step();
  const measured = await alternate([
    { id: "normal", label: "normal step", enter: from(normal, grads, false), step },
    { id: "normal-guard", label: "normal step, guard on", enter: from(normal, grads, true), step },
    { id: "subnormal", label: "subnormal state, no guard", enter: from(subnormal, zeros, false), step },
    { id: "subnormal-guard", label: "subnormal state, guard on", enter: from(subnormal, zeros, true), step },
  ], { rounds, timing, remeasure });
  // The rows ran in rotating order: the guard's own step, from subnormal state, is checked last.
  from(subnormal, zeros, true)();
  step();
  for (const b of Object.values(opt.stateDict().state[0])) {
    if (b instanceof Float32Array && b.some((x) => x !== 0 && Math.abs(x) < 2 ** -126)) throw new Error("the guard left subnormal state");
  }
  opt.dispose();
  store.dispose();
  const { normal: base, "subnormal-guard": guarded } = byId(measured);
  return { n, label, options, rows: measured, ratio: guarded.us / base.us, noisy: guarded.noisy || base.noisy };
}

export function describeDenormal({ n, label, rows }) {
  const base = rows[0];
  const lines = [`denormal guard, RMSprop ${label}, ${sizeLabel(n)} elements (wasm, ParamStore):`];
  for (const r of rows) lines.push(`  ${r.label.padEnd(28)} ${cell(r).padStart(16)}  ${(r.us / base.us).toFixed(2)}× the normal step`);
  return lines.join("\n");
}

// --- all three, for run.mjs -------------------------------------------------------------------------

/** The bench's toolkit section: clipping and the guard at `n`, sparse rows on a 1e6 × 64 table. */
export async function toolkit({ n, rounds, timing, sparseTiming, remeasure }) {
  const timed = async (what, measure) => {
    const t0 = performance.now();
    const out = await measure();
    const noisy = (out.paths ?? [out]).some((x) => x.noisy);
    process.stdout.write(`  ${what}: ${((performance.now() - t0) / 1000).toFixed(1)} s${noisy ? "; still noisy" : ""}\n`);
    return out;
  };
  const clip = await timed(`clipGradNorm at ${sizeLabel(n)}`, () => clipCost({ n, rounds, timing, remeasure }));
  const sparse = await timed("sparse rows", () => sparseCost({ rounds, timing: sparseTiming, remeasure }));
  const denormal = [];
  for (const [label, options] of Object.entries(DENORMAL_CONFIGS)) {
    denormal.push(await timed(`denormal guard, ${label}, at ${sizeLabel(n)}`, () => denormalCost({ n, label, options, rounds, timing, remeasure })));
  }
  return { clip, sparse, denormal };
}

export function printToolkit(t) {
  console.log("\nToolkit costs: each row µs or ms per call ± spread (* noisy), its rows timed in alternation");
  console.log(describeClip(t.clip));
  console.log(describeSparse(t.sparse));
  for (const d of t.denormal) console.log(describeDenormal(d));
}
