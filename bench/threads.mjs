// `node bench/threads.mjs [--quick] [--hog] [--json]` (after `npm run build`): what threads
// buy. One step of RMSprop, Adagrad and Adam on a ParamStore (zero-copy), wasm backend, with one
// thread and with two (`init({ threads: 2 })`), each timed in a fresh process as a training
// loop runs it (workers started once, then many steps), alternating which goes first each
// round so that machine noise hits both alike. Prints medians and the speedup
// (one thread's time / two threads' time). `--hog` adds rows measured while a child process
// keeps one core busy: there the adaptive fallback should keep two threads within 10% of one.
// `--json` prints the rows as JSON only (bench/run.mjs reads them). Before and after the rows it
// measures the cross-core hand-off (handoff.mjs), which moves the rows at 1e5.
import { execFileSync, spawn } from "node:child_process";
import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { init, ParamStore, threads, threadsReason } from "../dist/index.js";
import * as simdopt from "../dist/index.js";
import { fill, GRAD_SEED, KERNELS, PARAM_SEED } from "./data.mjs";
import { handoffRoundTrip } from "./handoff.mjs";
import { median } from "./stats.mjs";

const KERNEL_IDS = ["rmsprop", "adagrad", "adam"];

/** Median ms per step over samples of at least `minMs` (several steps each), for about `ms`. */
function time(step, ms, minMs = 2) {
  for (let i = 0; i < 3; i++) step();
  let batch = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) step();
    if (performance.now() - t0 >= minMs) break;
    batch *= 2;
  }
  const samples = [];
  const stop = performance.now() + ms;
  do {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) step();
    samples.push((performance.now() - t0) / batch);
  } while (samples.length < 5 || performance.now() < stop);
  return median(samples);
}

/** A child process that keeps one core busy until killed. */
function startHog() {
  const hog = spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" });
  return () => hog.kill();
}

/** In a child process: ms per step of `kernel` at `n` elements with `threads` threads. */
async function child(kernel, n, count, ms) {
  const k = KERNELS[kernel];
  await init({ backend: "wasm", threads: count === "auto" ? "auto" : Number(count) });
  const store = new ParamStore({ w: n });
  fill(store.param("w"), PARAM_SEED);
  fill(store.grad("w"), GRAD_SEED);
  const opt = new simdopt[k.optimizer](store, k.options);
  time(() => opt.step(), ms / 2); // warm-up: code tiers, workers' first wake-ups, the fallback's first tries
  return { ms: time(() => opt.step(), ms), threads: threads(), reason: threadsReason() };
}

/**
 * Rows { kernel, n, hog, oneMs, twoMs, speedup }: `rounds` alternations of one and two threads
 * per row, each timed for `ms` in a child process.
 */
export async function threadRows({ quick = false, hog = false, rounds = quick ? 2 : 3, ms = quick ? 200 : 400 } = {}) {
  const sizes = quick ? [1e4, 1e6] : [1e3, 1e4, 1e5, 1e6, 1e7];
  const cases = KERNEL_IDS.flatMap((kernel) => sizes.map((n) => ({ kernel, n, hog: false })));
  if (hog) cases.push(...KERNEL_IDS.map((kernel) => ({ kernel, n: 1e6, hog: true })));
  const self = fileURLToPath(import.meta.url);
  // "auto" is one thread per core: where that is 2, the two-thread rows are timed with "auto".
  const twoArg = availableParallelism() === 2 ? "auto" : "2";
  const rows = [];
  let reason;
  const handoffNs = [await handoffRoundTrip()];
  for (const c of cases) {
    const stopHog = c.hog ? startHog() : () => {};
    const one = [], two = [];
    try {
      for (let r = 0; r < rounds; r++) {
        for (const count of r % 2 === 0 ? [1, 2] : [2, 1]) {
          // With a hog, long enough for the fallback's backoff to reach its steady state.
          const argv = ["--no-liftoff", self, "--child", c.kernel, String(c.n), count === 1 ? "1" : twoArg, String(c.hog ? ms * 3 : ms)];
          const out = JSON.parse(execFileSync(process.execPath, argv, { encoding: "utf8" }));
          if (count === 2 && out.threads !== 2) reason = out.reason;
          (count === 1 ? one : two).push(out.ms);
        }
      }
    } finally {
      stopHog();
    }
    const k = KERNELS[c.kernel];
    const oneMs = median(one), twoMs = median(two);
    rows.push({ kernel: c.kernel, label: k.label, n: c.n, hog: c.hog, oneMs, twoMs, speedup: oneMs / twoMs });
  }
  handoffNs.push(await handoffRoundTrip());
  return { rows, reason, handoffNs, twoThreads: twoArg === "auto" ? 'init({ threads: "auto" }), 2 on this machine' : "init({ threads: 2 })" };
}

const sizeLabel = (n) => n.toExponential(0).replace("+", "");

/** Prints the rows, and the targets: ≥ 1.8× at 1e5..1e7, never below 1/1.05 at 1e3, 1e4, and ≥ 1/1.10 with a hog. */
export function printThreads({ rows, reason, handoffNs, twoThreads = "init({ threads: 2 })" }) {
  console.log(`\nthreads: one step on a ParamStore, one thread vs two (${twoThreads}), each in a fresh process, alternating`);
  if (handoffNs) console.log(`  cross-core hand-off round trip (bench/handoff.mjs): ${handoffNs.map((x) => `${x.toFixed(0)} ns`).join(" before the rows, ")} after`);
  if (reason) console.log(`  two threads were not available: ${reason}`);
  for (const r of rows) {
    const target = r.hog ? 1 / 1.1 : r.n >= 1e5 ? 1.8 : 1 / 1.05;
    const ok = r.speedup >= target ? "ok" : "MISSED";
    console.log(`  ${r.label.padEnd(8)} ${sizeLabel(r.n).padStart(4)}${r.hog ? " with a CPU hog" : "               "}  ` +
      `1 thread ${r.oneMs.toFixed(4)} ms, 2 threads ${r.twoMs.toFixed(4)} ms: ${r.speedup.toFixed(2)}× ` +
      `(target >= ${target.toFixed(2)}×: ${ok})`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  if (argv[0] === "--child") {
    const [, kernel, n, count, ms] = argv;
    process.stdout.write(`${JSON.stringify(await child(kernel, Number(n), count, Number(ms)))}\n`);
    process.exit(0);
  }
  const result = await threadRows({ quick: argv.includes("--quick"), hog: argv.includes("--hog") });
  if (argv.includes("--json")) process.stdout.write(`${JSON.stringify(result)}\n`);
  else printThreads(result);
}
