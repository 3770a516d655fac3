// `node bench/clip.mjs` (after `npm run build`): what gradient clipping costs next to the step it
// precedes. Times clipGradNorm on a ParamStore (in place) and on caller-owned arrays, against one
// default RMSprop step over the same store, in one run, alternating them so that machine noise
// hits all alike. Each clip starts from the same gradients (restored untimed), so every timed
// call measures the norm and scales by a coefficient below 1.
import { performance } from "node:perf_hooks";
import { clipGradNorm, initSync, ParamStore, RMSprop } from "../dist/index.js";
import { fill, GRAD_SEED, PARAM_SEED } from "./data.mjs";

const SIZES = process.argv.includes("--quick") ? [1e6] : [1e4, 1e5, 1e6];
const ROUNDS = 5;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Median µs of `run` over ~`ms` of samples; `reset` runs untimed before each sample. */
function time(run, reset, ms = 60) {
  const samples = [];
  const stop = performance.now() + ms;
  do {
    reset();
    const t0 = performance.now();
    run();
    samples.push((performance.now() - t0) * 1e3);
  } while (performance.now() < stop || samples.length < 5);
  return median(samples);
}

function measure(n) {
  initSync({ backend: "wasm" });
  const store = new ParamStore({ w: n });
  const opt = new RMSprop(store);
  fill(store.param("w"), PARAM_SEED);
  const saved = fill(new Float32Array(n), GRAD_SEED);
  const grad = store.grad("w");
  grad.set(saved);
  const own = saved.slice();
  const maxNorm = 1; // the gradients' norm is about sqrt(n / 3): every clip scales
  const rows = {
    "RMSprop step (zero-copy)": () => time(() => opt.step(), () => {}),
    "clipGradNorm, ParamStore": () => time(() => clipGradNorm(store, maxNorm), () => grad.set(saved)),
    "clipGradNorm, Float32Array[]": () => time(() => clipGradNorm([own], maxNorm), () => own.set(saved)),
    // The exact JS kernels on the same arrays, in place (what the JS backend does).
    "clipGradNorm, Float32Array[], JS backend": () => {
      initSync({ backend: "js" });
      const us = time(() => clipGradNorm([own], maxNorm), () => own.set(saved));
      initSync({ backend: "wasm" });
      return us;
    },
  };
  const out = Object.fromEntries(Object.keys(rows).map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) for (const [k, fn] of Object.entries(rows)) out[k].push(fn());
  opt.dispose();
  store.dispose();
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, median(v)]));
}

for (const n of SIZES) {
  const m = measure(n);
  const step = m["RMSprop step (zero-copy)"];
  console.log(`\n${n.toExponential(0)} elements`);
  for (const [k, us] of Object.entries(m)) {
    console.log(`  ${k.padEnd(42)} ${us.toFixed(1).padStart(8)} µs  ${(us / step).toFixed(2)}x the step`);
  }
}
