// A quick timing of the Adam, AdamW and SGD-momentum kernels at 1e4, 1e5 and 1e6 elements:
// - wasm: the kernel export called directly on pointers into its memory (the zero-copy path
//   without the optimizer object), from build/simdopt.wasm;
// - C: the same formula compiled -O3 -msse4.2 (bench/native/, same bits, 128-bit SIMD);
// - plain JS: the update written by hand in doubles (bench/by-hand.mjs, in its own process);
// and RMSprop's wasm kernel beside Adam's, for the cost of Adam's extra division.
//
//   npm run build && node bench/kernels-quick.mjs [--rounds N]
//
// Each implementation is timed once per round in a rotating order; a figure is the median of
// the round medians, in ns per element for one step. The wasm rows run under `--no-liftoff`
// (the script restarts itself with it): V8 first runs wasm through its baseline compiler and
// recompiles busy functions with its optimising one in the background, which on a loaded
// machine took longer than whole timings here (Adam read 1.0x or 1.3x the C time from one run
// to the next). The flag gives the optimised code, the code every kernel ends up running, from
// the first call.
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { fill, GRAD_SEED, KERNELS, PARAM_SEED } from "./data.mjs";
import { batchFor, time } from "./measure.mjs";
import { buildNative, runNative } from "./native.mjs";
import { median } from "./stats.mjs";

if (!process.execArgv.includes("--no-liftoff")) {
  const args = ["--no-liftoff", ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)];
  process.exit(spawnSync(process.execPath, args, { stdio: "inherit" }).status ?? 1);
}

const SIZES = [1e4, 1e5, 1e6];
const roundsArg = process.argv.indexOf("--rounds");
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 3;
const TIMING = { timeMs: 40, warmupMs: 15, minIterations: 3 };
// Flag bits of the kernels (src/backend.ts).
const MOMENTUM = 8, DECOUPLED_DECAY = 256;
const f = Math.fround;

// One wasm instance, its memory grown once for five buffers of the largest size.
const wasm = new WebAssembly.Instance(
  new WebAssembly.Module(readFileSync(new URL("../build/simdopt.wasm", import.meta.url))),
  { env: { memory: new WebAssembly.Memory({ initial: 1, maximum: 65536 }) } }, // imported, as the package does
).exports;
const SLOT = Math.ceil((Math.max(...SIZES) * 4) / 64) * 64;
const BASE = 64; // the first bytes stay unused, as the heap keeps them
wasm.memory.grow(Math.ceil((BASE + 5 * SLOT) / 65536) - wasm.memory.buffer.byteLength / 65536);
const ptr = (k) => BASE + k * SLOT;

/** Resets the five buffers: params and gradient from the shared seeds, state zero. */
function resetWasm(n) {
  const x = new Float32Array(wasm.memory.buffer);
  fill(x.subarray(ptr(0) / 4, ptr(0) / 4 + n), PARAM_SEED);
  fill(x.subarray(ptr(1) / 4, ptr(1) / 4 + n), GRAD_SEED);
  for (let k = 2; k < 5; k++) x.fill(0, ptr(k) / 4, ptr(k) / 4 + n);
}

function adamConstants({ options: { lr, betas: [b1, b2], eps, weightDecay = 0 }, fixedStep: step }) {
  const bc1 = 1 - b1 ** step, bc2 = 1 - b2 ** step;
  return [f(b1), f(1 - b1), f(b2), f(1 - b2), f(Math.sqrt(bc2)), f(eps), 0, f(-(lr / bc1)), f(1 - lr * weightDecay)];
}

const wasmSteps = {
  adam: (n) => {
    const c = adamConstants(KERNELS.adam);
    return () => wasm.adam(0, n, ptr(0), ptr(1), ptr(2), ptr(3), 0, ...c);
  },
  adamw: (n) => {
    const c = adamConstants(KERNELS.adamw);
    return () => wasm.adam(DECOUPLED_DECAY, n, ptr(0), ptr(1), ptr(2), ptr(3), 0, ...c);
  },
  "sgd-momentum": (n) => {
    const { lr, momentum, dampening } = KERNELS["sgd-momentum"].options;
    const M = f(momentum), D = f(1 - dampening), L = f(-lr);
    return () => wasm.sgd(MOMENTUM, n, ptr(0), ptr(1), ptr(2), 0, M, D, L);
  },
  rmsprop: (n) => {
    const { lr, alpha, eps } = KERNELS.rmsprop.options;
    const A = f(alpha), B = f(1 - alpha), E = f(eps), L = f(-lr);
    return () => wasm.rmsprop(0, n, ptr(0), ptr(1), ptr(2), 0, 0, A, B, E, 0, 0, L);
  },
};

const native = buildNative({ sse: ["-msse4.2"] });
const byHand = fileURLToPath(new URL("./by-hand.mjs", import.meta.url));

/** One timing (median ns/element) of one implementation of one kernel. */
async function timeOnce(impl, kernel, n) {
  const batch = batchFor(n);
  if (impl === "wasm") {
    resetWasm(n);
    return (await time({ step: wasmSteps[kernel](n), flip() {} }, n, batch, TIMING)).median;
  }
  if (impl === "c") return runNative(native.binaries.sse, kernel, n, batch, TIMING.timeMs).median;
  const args = [byHand, kernel, String(n), String(batch), String(TIMING.timeMs), String(TIMING.warmupMs)];
  return JSON.parse(execFileSync(process.execPath, args, { encoding: "utf8" })).median;
}


const ROWS = [
  ...["adam", "adamw", "sgd-momentum"].flatMap((kernel) =>
    ["wasm", ...(native.binaries.sse ? ["c"] : []), "js"].map((impl) => ({ kernel, impl }))),
  { kernel: "rmsprop", impl: "wasm" },
];

if (!native.binaries.sse) console.log(`C rows skipped: ${native.why.sse}`);
const results = {};
try {
  for (const n of SIZES) {
    const samples = ROWS.map(() => []);
    for (let r = 0; r < ROUNDS; r++) {
      for (let k = 0; k < ROWS.length; k++) {
        const j = (k + r) % ROWS.length;
        samples[j].push(await timeOnce(ROWS[j].impl, ROWS[j].kernel, n));
      }
    }
    ROWS.forEach(({ kernel, impl }, j) => ((results[kernel] ??= {})[impl] ??= {})[n] = median(samples[j]));
  }
} finally {
  native.cleanup();
}

const fmt = (x) => (x === undefined ? "-" : x < 10 ? x.toFixed(3) : x.toPrecision(3));
const ratio = (a, b) => (a === undefined || b === undefined ? "-" : `${(a / b).toFixed(2)}x`);
console.log(`\nns per element for one step (median of ${ROUNDS} rounds), Node ${process.version}\n`);
console.log("| kernel | n | wasm | C -O3 -msse4.2 | plain JS | wasm / C | plain JS / wasm |");
console.log("|---|--:|--:|--:|--:|--:|--:|");
for (const kernel of ["adam", "adamw", "sgd-momentum"]) {
  const r = results[kernel];
  for (const n of SIZES) {
    const w = r.wasm[n], c = r.c?.[n], j = r.js[n];
    console.log(`| ${KERNELS[kernel].label} | ${n.toExponential(0)} | ${fmt(w)} | ${fmt(c)} | ${fmt(j)} | ${ratio(w, c)} | ${ratio(j, w)} |`);
  }
}
console.log("\n| n | RMSprop wasm | Adam wasm | Adam / RMSprop |");
console.log("|--:|--:|--:|--:|");
for (const n of SIZES) {
  const a = results.adam.wasm[n], rm = results.rmsprop.wasm[n];
  console.log(`| ${n.toExponential(0)} | ${fmt(rm)} | ${fmt(a)} | ${ratio(a, rm)} |`);
}
