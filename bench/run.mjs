// `npm run bench`: one thread against two (threads.mjs); one optimizer step of simdopt against
// JS, TensorFlow.js and native C, at sizes 1e3..1e7, for each configuration of data.mjs
// (RMSprop, RMSprop centered+momentum, Adagrad, Adam, AdamW, SGD momentum); then the toolkit's
// costs next to the step they go with (clipping, sparse rows, the denormal guard: toolkit.mjs).
// Prints tables and a checklist of speed targets, writes a chart and, with --json PATH, every
// measurement.
//
//   node bench/run.mjs [--quick] [--only KERNEL,...] [--json PATH] [--chart PATH] [--rounds N]
//
// Every implementation is timed once per round, in an order that rotates each round, so that
// machine noise hits all of them alike; the reported value is the median over rounds of each
// round's median, with the spread of stats.mjs. A cell whose spread passes ±10% gets more
// rounds, up to three times as many, and is marked noisy if that does not settle it.
//
// The process runs with V8's `--no-liftoff` (it restarts itself with the flag): V8 first runs
// wasm through a baseline compiler and swaps in optimised code from a background thread, which
// on a busy machine can arrive after whole timings are done. The flag gives every wasm row,
// simdopt's and TF.js's alike, the optimised code a training loop runs after its first steps.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

if (!process.execArgv.includes("--no-liftoff")) {
  const argv = ["--no-liftoff", ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)];
  process.exit(spawnSync(process.execPath, argv, { stdio: "inherit" }).status ?? 1);
}

const { chart } = await import("./chart.mjs");
const { flips, KERNELS } = await import("./data.mjs");
const { IMPLEMENTATIONS } = await import("./impls.mjs");
const { batchFor, time } = await import("./measure.mjs");
const { buildNative, runNative } = await import("./native.mjs");
const { coldStart, describeColdStart } = await import("./cold-start.mjs");
const { groups, printGroups } = await import("./groups.mjs");
const { printThreads } = await import("./threads.mjs");
const { overhead } = await import("./overhead.mjs");
const { printChecklist, printResults } = await import("./report.mjs");
const { remeasureBudget } = await import("./alternate.mjs");
const { printToolkit, toolkit } = await import("./toolkit.mjs");
const { CONFIDENCE, confidenceRank, NOISY, summarise } = await import("./stats.mjs");
const sizeLabel = (n) => n.toExponential(0).replace("+", "");

const USAGE = "usage: node bench/run.mjs [--quick] [--only KERNEL,...] [--json PATH] [--chart PATH] [--rounds N]";
const started = performance.now();
const args = parseArgs(process.argv.slice(2));
const FULL = {
  sizes: [1e3, 1e4, 1e5, 1e6, 1e7],
  rounds: 4,
  timing: { timeMs: 50, warmupMs: 20, minIterations: 3 },
  tfCpuMax: 1e5,
  // Re-measuring stops at 3× a cell's rounds, or before it would pass 8 s on one cell or
  // 90 s in the whole run: on a busy machine more rounds rarely settle every cell.
  remeasure: { factor: 3, cellMs: 8_000, totalMs: 90_000, toolkitMs: 30_000 },
  coldStarts: 21,
  // The toolkit rows: clipping and the denormal guard at this size; a dense step of the sparse
  // rows' 1e6 × 64 table takes tens of milliseconds, hence its longer timings.
  toolkit: { n: 1e6, sparseTiming: { timeMs: 300, warmupMs: 20, minIterations: 3 } },
};
const QUICK = {
  sizes: [1e4, 1e6],
  rounds: 2,
  timing: { timeMs: 20, warmupMs: 8, minIterations: 3 },
  tfCpuMax: 1e4,
  remeasure: null,
  coldStarts: 5,
  toolkit: { n: 1e5, sparseTiming: { timeMs: 100, warmupMs: 10, minIterations: 3 } },
};
const config = args.quick ? QUICK : FULL;
const SIZES = config.sizes;
const ROUNDS = args.rounds ?? config.rounds;
const TIMING = config.timing;
const kernels = args.only ?? Object.keys(KERNELS);
// Small sizes take milliseconds a round but are the most exposed to a noisy neighbour, so they
// get twice the rounds: their medians then rest on more samples at little cost.
const roundsFor = (n) => (n <= 1e4 ? 2 * ROUNDS : ROUNDS);

function parseArgs(argv) {
  const out = { quick: false };
  const fail = (why) => {
    console.error(`${why}\n${USAGE}`);
    process.exit(2);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--quick") out.quick = true;
    else if (a === "--json" || a === "--chart") {
      out[a.slice(2)] = argv[++i];
      if (!out[a.slice(2)]) fail(`${a} needs a path`);
    } else if (a === "--rounds") {
      out.rounds = Number(argv[++i]);
      if (!Number.isInteger(out.rounds) || out.rounds < 1) fail(`--rounds needs a whole number >= 1, got ${argv[i]}`);
    } else if (a === "--only") {
      out.only = (argv[++i] ?? "").split(",").filter(Boolean);
      const unknown = out.only.filter((k) => !(k in KERNELS));
      if (out.only.length === 0 || unknown.length) fail(`--only takes a comma-separated list of ${Object.keys(KERNELS).join(", ")}; got ${argv[i]}`);
    } else fail(`unknown argument ${a}`);
  }
  return out;
}

const native = buildNative(Object.fromEntries(IMPLEMENTATIONS.filter((i) => i.native).map((i) => [i.id, i.native])));
process.on("exit", native.cleanup);
const inChild = (impl) => impl.native || impl.script;

/** Why `impl` has no cell at this kernel and size, or undefined when it has one. */
const missing = (impl, kernel, n) =>
  impl.skip?.(kernel, n, config) ?? (impl.native && !native.binaries[impl.id] ? native.why[impl.id] : undefined);

/** Times a row that runs in a child process. */
function timeChild(impl, kernel, n, batch) {
  if (impl.native) return runNative(native.binaries[impl.id], kernel, n, batch, TIMING.timeMs);
  const script = fileURLToPath(new URL(impl.script, import.meta.url));
  const argv = [script, kernel, String(n), String(batch), String(TIMING.timeMs), String(TIMING.warmupMs)];
  return JSON.parse(execFileSync(process.execPath, argv, { encoding: "utf8" }));
}

/**
 * One round over `rows` ({ impl, inst }), starting at a different row each round; returns the
 * milliseconds it took.
 */
async function round(rows, r, kernel, n, batch, medians) {
  const t0 = performance.now();
  for (let k = 0; k < rows.length; k++) {
    const { impl, inst } = rows[(k + r) % rows.length];
    const m = inChild(impl) ? timeChild(impl, kernel, n, batch) : await time(inst, n, batch, TIMING);
    medians.get(impl.id).push(m.median);
  }
  return performance.now() - t0;
}

const load = [];
const sampleLoad = () => load.push(loadavg()[0]);
const loadAtStart = loadavg();
sampleLoad();

const cpu = cpus()[0]?.model?.trim() ?? "unknown CPU";
console.log(`simdopt bench: Node ${process.version}, ${cpu} (${cpus().length} cores); load average ${loadAtStart.map((x) => x.toFixed(2)).join(", ")}`);
console.log(`${args.quick ? "quick" : "full"} run: sizes ${SIZES.map((n) => sizeLabel(n)).join(", ")}; ${ROUNDS} rounds (${2 * ROUNDS} up to 1e4)` +
  `${config.remeasure ? `, up to ${config.remeasure.factor}× as many (within a time budget) for a cell whose spread passes ±${100 * NOISY}%` : ", no re-measuring"}; ` +
  `TF.js cpu backend timed up to ${sizeLabel(config.tfCpuMax)} only (slow beyond)`);
console.log("wasm (simdopt's and TF.js's) runs V8's optimised code from the first call (--no-liftoff): the code a training loop runs after a few steps\n");

// Threads first, in a process of their own (starting workers there leaves this one as it was):
// of all the rows they depend most on the rest of the machine (the cross-core hand-off, other
// work on the second core), so the run's first lines tell whether the machine is quiet enough.
const threadsArgv = ["--no-liftoff", fileURLToPath(new URL("./threads.mjs", import.meta.url)), "--json", "--hog", ...(args.quick ? ["--quick"] : [])];
const threadResults = JSON.parse(execFileSync(process.execPath, threadsArgv, { encoding: "utf8" }));
printThreads(threadResults);
console.log();
sampleLoad();

const results = [];
let remeasureMs = 0;
for (const kernel of kernels) {
  for (const n of SIZES) {
    const cellStart = performance.now();
    const batch = batchFor(n);
    const rows = [];
    for (const impl of IMPLEMENTATIONS) {
      if (missing(impl, kernel, n)) continue;
      if (inChild(impl)) {
        rows.push({ impl });
        continue;
      }
      const inst = await impl.setup(kernel, n);
      if (!flips(kernel)) inst.flip = () => {};
      // The first step creates Adam's, SGD's and TF.js's state: keep that out of the timings.
      await inst.enter?.();
      inst.step();
      rows.push({ impl, inst });
    }
    const medians = new Map(rows.map(({ impl }) => [impl.id, []]));
    const base = roundsFor(n);
    let baseMs = 0;
    for (let r = 0; r < base; r++) baseMs += await round(rows, r, kernel, n, batch, medians);

    // Re-measure noisy cells, rotating among them, while they stay noisy. Rounds come in steps
    // that narrow the confidence interval by one rank at each end (4 -> 8 -> 11 rounds...):
    // fewer would only widen the spread.
    const remeasured = new Set();
    if (config.remeasure) {
      const cap = config.remeasure.factor * base;
      const t0 = performance.now();
      const until = Math.min(t0 + config.remeasure.cellMs, t0 + config.remeasure.totalMs - remeasureMs);
      let noisy = rows.filter(({ impl }) => summarise(medians.get(impl.id)).noisy);
      let roundMs = (baseMs * noisy.length) / rows.length / base; // the base rounds' pace
      for (let r = 0; noisy.length > 0; ) {
        const k = medians.get(noisy[0].impl.id).length;
        let next = k + 1;
        while (confidenceRank(next) === confidenceRank(k) && next < cap) next++;
        if (confidenceRank(next) === confidenceRank(k) || performance.now() + (next - k) * roundMs > until) break;
        for (const { impl } of noisy) remeasured.add(impl.id);
        const s0 = performance.now();
        while (r < next - base) await round(noisy, r++, kernel, n, batch, medians);
        roundMs = (performance.now() - s0) / (next - k);
        const before = noisy.length;
        noisy = noisy.filter(({ impl }) => medians.get(impl.id).length < cap && summarise(medians.get(impl.id)).noisy);
        roundMs *= noisy.length / before;
      }
      remeasureMs += performance.now() - t0;
    }
    for (const { inst } of rows) inst?.dispose();
    sampleLoad();

    const baseline = summarise(medians.get("wasm")).value;
    for (const impl of IMPLEMENTATIONS) {
      const why = missing(impl, kernel, n);
      if (why) {
        results.push({ kernel, n, impl: impl.id, label: impl.label, available: false, why });
        continue;
      }
      const rounds = medians.get(impl.id);
      const s = summarise(rounds);
      results.push({
        kernel, n, impl: impl.id, label: impl.label, available: true,
        nsPerElement: s.value,
        spread: s.spread,
        spreadPercent: s.spreadPercent,
        noisy: s.noisy,
        rounds: rounds.length,
        remeasured: remeasured.has(impl.id),
        roundMedians: rounds,
        gbPerSecond: KERNELS[kernel].bytes / s.value,
        ratioToWasm: s.value / baseline,
      });
    }
    const cells = results.filter((r) => r.kernel === kernel && r.n === n);
    const note = (pick) => cells.filter(pick).map((r) => r.label).join(", ");
    const again = note((r) => r.remeasured), noisy = note((r) => r.noisy);
    process.stdout.write(`  ${KERNELS[kernel].label} at ${sizeLabel(n)}: ${((performance.now() - cellStart) / 1000).toFixed(1)} s` +
      `${again ? `; more rounds for ${again}` : ""}${noisy ? `; still noisy: ${noisy}` : ""}\n`);
  }
}

const extra = await overhead({ quick: args.quick, rounds: ROUNDS, nativeBinary: native.binaries["c-sse4.2"] });
sampleLoad();
const toolkitBudget = remeasureBudget(config.remeasure?.toolkitMs ?? 0);
const tools = await toolkit({
  ...config.toolkit,
  rounds: ROUNDS,
  timing: TIMING,
  remeasure: config.remeasure && { factor: config.remeasure.factor, budget: toolkitBudget },
});
sampleLoad();
console.log();
printResults(results, SIZES, kernels, { rounds: ROUNDS, config });
printToolkit(tools);
console.log();
const checklist = printChecklist(results, { ...extra, toolkit: tools });
const memoryPaths = await groups({ rounds: ROUNDS, timing: TIMING });
printGroups(memoryPaths, results);
const cold = coldStart(config.coldStarts);
console.log(`\n${describeColdStart(cold)}`);
sampleLoad();

const loadAtEnd = loadavg();
const durationSeconds = (performance.now() - started) / 1000;
const meta = {
  node: process.version,
  v8Flags: ["--no-liftoff"],
  cpu,
  cores: cpus().length,
  date: new Date().toISOString(),
  quick: args.quick,
  kernels,
  sizes: SIZES,
  rounds: ROUNDS,
  timing: TIMING,
  tfCpuMax: config.tfCpuMax,
  remeasure: config.remeasure && { ...config.remeasure, spentSeconds: remeasureMs / 1000, toolkitSpentSeconds: toolkitBudget.spentMs / 1000 },
  spread: { confidence: CONFIDENCE, noisyAbovePercent: 100 * NOISY },
  // One-minute load averages; the bench itself keeps about one core busy.
  load: {
    atStart: loadAtStart,
    atEnd: loadAtEnd,
    during: { min: Math.min(...load), max: Math.max(...load), mean: load.reduce((a, b) => a + b, 0) / load.length, samples: load.length },
  },
  durationSeconds,
};
console.log(`\nload average (1 min) during the run: ${meta.load.during.min.toFixed(2)} to ${meta.load.during.max.toFixed(2)}, mean ${meta.load.during.mean.toFixed(2)} (${cpus().length} cores; the bench itself keeps one busy)`);

const chartPath = args.chart ?? new URL("./results/chart.svg", import.meta.url).pathname;
mkdirSync(dirname(chartPath), { recursive: true });
writeFileSync(chartPath, await chart({ meta, results, threads: threadResults }));
console.log(`chart: ${chartPath}`);
if (args.json) {
  mkdirSync(dirname(args.json), { recursive: true });
  writeFileSync(args.json, `${JSON.stringify({ meta, results, checklist, ...extra, toolkit: tools, memoryPaths, threads: threadResults, coldStart: cold }, null, 2)}\n`);
  console.log(`json: ${args.json}`);
}
console.log(`done in ${durationSeconds.toFixed(1)} s`);
