// `npm run bench`: one optimizer step of simdopt against JS, TensorFlow.js and native C, at
// sizes 1e3..1e7, for RMSprop, RMSprop centered+momentum and Adagrad. Prints tables, checks the
// speed targets of issue 4, writes an SVG chart and, with --json PATH, the results.
//
//   node bench/run.mjs [--quick] [--json PATH] [--chart PATH] [--rounds N]
//
// Every implementation is timed once per round, in an order that rotates each round, so that
// machine noise hits all of them alike; the reported value is the median over rounds of each
// round's median, and the spread is the range of those round medians.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { chart } from "./chart.mjs";
import { flips, KERNELS } from "./data.mjs";
import { IMPLEMENTATIONS } from "./impls.mjs";
import { batchFor, time } from "./measure.mjs";
import { buildNative, runNative } from "./native.mjs";
import { coldStart, describeColdStart } from "./cold-start.mjs";
import { groups, printGroups } from "./groups.mjs";
import { overhead } from "./overhead.mjs";
import { bytesPerElement, printResults, printTargets } from "./report.mjs";

const started = performance.now();
const args = parseArgs(process.argv.slice(2));
const SIZES = args.quick ? [1e3, 1e5, 1e6] : [1e3, 1e4, 1e5, 1e6, 1e7];
const ROUNDS = args.rounds ?? (args.quick ? 2 : 4);
// Small sizes take milliseconds a round but are the most exposed to a noisy neighbour, so they
// get twice the rounds: their medians then rest on more samples at little cost.
const roundsFor = (n) => (n <= 1e4 ? 2 * ROUNDS : ROUNDS);
const TIMING = args.quick
  ? { timeMs: 25, warmupMs: 10, minIterations: 3 }
  : { timeMs: 50, warmupMs: 20, minIterations: 3 };

function parseArgs(argv) {
  const out = { quick: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--quick") out.quick = true;
    else if (a === "--json" || a === "--chart") out[a.slice(2)] = argv[++i];
    else if (a === "--rounds") out.rounds = Number(argv[++i]);
    else {
      console.error(`unknown argument ${a}\nusage: node bench/run.mjs [--quick] [--json PATH] [--chart PATH] [--rounds N]`);
      process.exit(2);
    }
  }
  return out;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const native = buildNative(Object.fromEntries(IMPLEMENTATIONS.filter((i) => i.native).map((i) => [i.id, i.native])));
const childProcess = (impl) => impl.native || impl.script;

/** Times a row that runs in a child process; undefined when it is not available. */
function timeChild(impl, kernel, n, batch) {
  if (impl.native) {
    const bin = native.binaries[impl.id];
    return bin ? runNative(bin, kernel, n, batch, TIMING.timeMs) : undefined;
  }
  const script = fileURLToPath(new URL(impl.script, import.meta.url));
  const args = [script, kernel, String(n), String(batch), String(TIMING.timeMs), String(TIMING.warmupMs)];
  return JSON.parse(execFileSync(process.execPath, args, { encoding: "utf8" }));
}
process.on("exit", native.cleanup);

console.log(`simdopt bench: Node ${process.version}, ${cpus()[0]?.model ?? "unknown CPU"} (${cpus().length} cores)`);
console.log(`sizes ${SIZES.map((n) => n.toExponential(0)).join(", ")}; ${ROUNDS} rounds (${2 * ROUNDS} up to 1e4); ${args.quick ? "quick" : "full"} run\n`);

const results = [];
for (const kernel of Object.keys(KERNELS)) {
  for (const n of SIZES) {
    const batch = batchFor(n);
    const live = [];
    for (const impl of IMPLEMENTATIONS) {
      if (childProcess(impl)) continue;
      const inst = await impl.setup(kernel, n);
      if (!flips(kernel)) inst.flip = () => {};
      live.push({ impl, inst });
    }
    const rounds = new Map(IMPLEMENTATIONS.map((i) => [i.id, []]));
    for (let r = 0; r < roundsFor(n); r++) {
      const order = IMPLEMENTATIONS.map((_, k) => IMPLEMENTATIONS[(k + r) % IMPLEMENTATIONS.length]);
      for (const impl of order) {
        if (childProcess(impl)) {
          const m = timeChild(impl, kernel, n, batch);
          if (m) rounds.get(impl.id).push(m);
        } else {
          const { inst } = live.find((l) => l.impl === impl);
          rounds.get(impl.id).push(await time(inst, n, batch, TIMING));
        }
      }
    }
    for (const { inst } of live) inst.dispose();
    const base = median(rounds.get("wasm").map((m) => m.median));
    for (const impl of IMPLEMENTATIONS) {
      const ms = rounds.get(impl.id);
      if (ms.length === 0) {
        results.push({ kernel, n, impl: impl.id, label: impl.label, available: false, why: native.why[impl.id] });
        continue;
      }
      const meds = ms.map((m) => m.median);
      const nsPerElement = median(meds);
      results.push({
        kernel, n, impl: impl.id, label: impl.label, available: true,
        nsPerElement,
        spread: [Math.min(...meds), Math.max(...meds)],
        gbPerSecond: bytesPerElement(kernel) / nsPerElement,
        ratioToWasm: nsPerElement / base,
      });
    }
    process.stdout.write(`  measured ${KERNELS[kernel].label} at ${n.toExponential(0)}\n`);
  }
}

const extra = await overhead({ quick: args.quick, rounds: ROUNDS, nativeBinary: native.binaries["c-sse4.2"] });
console.log();
printResults(results, SIZES);
printTargets(results, extra);
const memoryPaths = await groups({ rounds: ROUNDS, timing: TIMING });
printGroups(memoryPaths, results);
const cold = coldStart(args.quick ? 7 : 21);
console.log(`\n${describeColdStart(cold)}`);

const chartPath = args.chart ?? new URL("./results/chart.svg", import.meta.url).pathname;
mkdirSync(dirname(chartPath), { recursive: true });
writeFileSync(chartPath, chart(results, SIZES));
console.log(`\nchart: ${chartPath}`);
if (args.json) {
  mkdirSync(dirname(args.json), { recursive: true });
  const meta = { node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, date: new Date().toISOString(), quick: args.quick, rounds: ROUNDS, timing: TIMING };
  writeFileSync(args.json, JSON.stringify({ meta, results, ...extra, memoryPaths, coldStart: cold }, null, 2));
  console.log(`json: ${args.json}`);
}
console.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
