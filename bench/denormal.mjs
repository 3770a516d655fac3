// `node bench/denormal.mjs` (after `npm run build`): what subnormal state costs, and what the
// guard (`flushDenormals: true`) costs. RMSprop over a ParamStore, wasm backend, one run, the
// rows alternated so that machine noise hits all alike; with the default options (whose loop
// flushes as it stores) and with momentum and centered (flushed in a pass over each block):
// - a normal step: square_avg of ordinary size, gradients in [-1, 1);
// - the same with the guard on (its cost when nothing needs flushing);
// - subnormal state, unguarded: square_avg subnormal and gradients 0, as a weight whose gradient
//   has stayed 0 for ~8,700 steps has it; every step keeps it subnormal;
// - the same with the guard on: its first step flushes the state, and every step after runs on
//   zeros (timed from the second step on: the steady state of such weights).
// Each row is the median of its rounds' medians, relative to the normal step.
import { performance } from "node:perf_hooks";
import { initSync, ParamStore, RMSprop } from "../dist/index.js";
import { fill, GRAD_SEED, PARAM_SEED } from "./data.mjs";

const SIZES = process.argv.includes("--quick") ? [1e5] : [1e5, 1e6];
const CONFIGS = { "default options": { lr: 1e-3 }, "momentum 0.9, centered": { lr: 1e-3, momentum: 0.9, centered: true } };
const ROUNDS = 5;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Median µs of a step over ~`ms` of samples, after `warm` untimed steps. */
function time(step, ms = 50, warm = 2) {
  for (let i = 0; i < warm; i++) step();
  const samples = [];
  const stop = performance.now() + ms;
  do {
    const t0 = performance.now();
    step();
    samples.push((performance.now() - t0) * 1e3);
  } while (performance.now() < stop || samples.length < 5);
  return median(samples);
}

function measure(n, options) {
  initSync({ backend: "wasm" });
  const store = new ParamStore({ w: n });
  const opt = new RMSprop(store, options);
  fill(store.param("w"), PARAM_SEED);
  const grads = fill(new Float32Array(n), GRAD_SEED);
  const zeros = new Float32Array(n);
  /** RMSprop's state as a dict: every square_avg element `value` (with a little spread). */
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
  const setup = (state, g, guard) => () => {
    opt.loadStateDict(state);
    opt.paramGroups[0].flushDenormals = guard;
    store.grad("w").set(g);
  };
  const rows = {
    "normal step": [setup(normal, grads, false), 2],
    "normal step, guard on": [setup(normal, grads, true), 2],
    "subnormal state, no guard": [setup(subnormal, zeros, false), 0],
    "subnormal state, guard on": [setup(subnormal, zeros, true), 1],
  };
  const out = Object.fromEntries(Object.keys(rows).map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [k, [prepare, warm]] of Object.entries(rows)) {
      prepare();
      out[k].push(time(() => opt.step(), 50, warm));
    }
  }
  for (const b of Object.values(opt.stateDict().state[0])) {
    if (b instanceof Float32Array && b.some((x) => x !== 0 && Math.abs(x) < 2 ** -126)) throw new Error("the guard left subnormal state");
  }
  opt.dispose();
  store.dispose();
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, median(v)]));
}

for (const [label, options] of Object.entries(CONFIGS)) {
  for (const n of SIZES) {
    const m = measure(n, options);
    const base = m["normal step"];
    console.log(`\nRMSprop, ${label}: a step over ${n.toExponential(0)} elements (wasm, ParamStore)`);
    for (const [k, us] of Object.entries(m)) {
      console.log(`  ${k.padEnd(28)} ${us.toFixed(0).padStart(7)} µs  ${(us / base).toFixed(2)}x the normal step`);
    }
  }
}
