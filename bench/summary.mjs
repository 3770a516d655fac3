// Markdown tables of a bench run, for the README: every kernel's ns/element per
// implementation and size, and each comparison's range over sizes.
//
//   node bench/summary.mjs RESULTS.json
import { readFileSync } from "node:fs";
import { KERNELS } from "./data.mjs";
import { CLIP_GOAL, DENORMAL_GOAL, SPARSE_GOAL } from "./toolkit.mjs";

const [input] = process.argv.slice(2);
if (!input) {
  console.error("usage: node bench/summary.mjs RESULTS.json");
  process.exit(2);
}
const { meta, results, checklist, toolkit, threads } = JSON.parse(readFileSync(input, "utf8"));
const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toPrecision(3));
const sizeLabel = (n) => n.toExponential(0).replace("+", "");
const get = (kernel, n, impl) => results.find((r) => r.kernel === kernel && r.n === n && r.impl === impl);
const cell = (r) => (r?.available ? `${fmt(r.nsPerElement)}${r.noisy ? "*" : ""}` : "–");

console.log(`${meta.date.slice(0, 10)}, Node ${meta.node}, ${meta.cpu} (${meta.cores} cores); ${meta.quick ? "quick" : "full"} run in ${meta.durationSeconds.toFixed(0)} s; ` +
  `1-min load average ${meta.load.during.min.toFixed(2)}–${meta.load.during.max.toFixed(2)} (mean ${meta.load.during.mean.toFixed(2)})\n`);

for (const kernel of meta.kernels) {
  console.log(`${KERNELS[kernel].label}, ns per element for one step (* noisy):\n`);
  console.log(`| implementation | ${meta.sizes.map(sizeLabel).join(" | ")} |`);
  console.log(`|---|${meta.sizes.map(() => "--:").join("|")}|`);
  for (const impl of [...new Set(results.filter((r) => r.kernel === kernel).map((r) => r.impl))]) {
    const label = results.find((r) => r.impl === impl).label;
    const cells = meta.sizes.map((n) => cell(get(kernel, n, impl)));
    console.log(impl === "wasm" ? `| **${label}** | ${cells.map((c) => `**${c}**`).join(" | ")} |` : `| ${label} | ${cells.join(" | ")} |`);
  }
  console.log();
}

/** The range over sizes of `ratio(kernel, n)`, skipping sizes where it is undefined. */
function range(kernel, ratio) {
  const xs = meta.sizes.map((n) => ratio(kernel, n)).filter((x) => Number.isFinite(x));
  if (xs.length === 0) return "–";
  const lo = Math.min(...xs), hi = Math.max(...xs);
  const f = (x) => x.toFixed(x >= 10 ? 0 : 2);
  return f(lo) === f(hi) ? `${f(lo)}×` : `${f(lo)}–${f(hi)}×`;
}
const over = (impl, base = "wasm") => (kernel, n) => {
  const a = get(kernel, n, impl), b = get(kernel, n, base);
  return a?.available && b?.available ? a.nsPerElement / b.nsPerElement : undefined;
};

console.log(`Ratios over ${meta.sizes.map(sizeLabel).join(", ")} (time ÷ time):\n`);
console.log("| kernel | plain JS ÷ wasm | TF.js wasm ÷ wasm | wasm ÷ C -msse4.2 | marshalled ÷ zero-copy | exact JS ÷ plain JS |");
console.log("|---|--:|--:|--:|--:|--:|");
for (const kernel of meta.kernels) {
  console.log(`| ${KERNELS[kernel].label} | ${range(kernel, over("plain-js"))} | ${range(kernel, over("tfjs-wasm"))} | ` +
    `${range(kernel, over("wasm", "c-sse4.2"))} | ${range(kernel, over("wasm-marshalled"))} | ${range(kernel, over("js", "plain-js"))} |`);
}
if (toolkit) {
  const { clip, sparse, denormal } = toolkit;
  const ratio = (x, noisy, digits = 2) => `${x.toFixed(digits)}×${noisy ? "*" : ""}`;
  console.log("\nToolkit costs (time ÷ time, * noisy):\n");
  console.log("| cost | ratio | goal |");
  console.log("|---|--:|--:|");
  console.log(`| clipGradNorm on a ${sizeLabel(clip.n)}-element ParamStore ÷ a default RMSprop step | ${ratio(clip.ratio, clip.noisy)} | ≤ ${CLIP_GOAL} |`);
  for (const p of sparse.paths) {
    console.log(`| dense ÷ sparse Adagrad step, ${sizeLabel(sparse.rows)} × ${sparse.dim} table, 1% of rows, ${p.label} | ${ratio(p.ratio, p.noisy, 1)} | ${p.id === "zero-copy" ? `≥ ${SPARSE_GOAL}` : "–"} |`);
  }
  for (const d of denormal) {
    console.log(`| RMSprop ${d.label}, ${sizeLabel(d.n)}: subnormal state with flushDenormals ÷ normal step | ${ratio(d.ratio, d.noisy)} | ≤ ${DENORMAL_GOAL} |`);
  }
}
if (threads) {
  const sizes = [...new Set(threads.rows.filter((r) => !r.hog).map((r) => r.n))];
  const kernels = [...new Set(threads.rows.map((r) => r.kernel))];
  console.log(`\nTwo threads (${threads.twoThreads ?? "init({ threads: 2 })"}): one thread's time ÷ two threads' time, ParamStore:\n`);
  console.log(`| kernel | ${sizes.map(sizeLabel).join(" | ")} | 1e6, other core busy |`);
  console.log(`|---|${sizes.map(() => "--:|").join("")}--:|`);
  for (const kernel of kernels) {
    const cell = (r) => (r ? `${r.speedup.toFixed(2)}× (${((r.twoMs * 1e6) / r.n).toFixed(3)} ns)` : "–");
    const row = (n, hog) => threads.rows.find((r) => r.kernel === kernel && r.n === n && r.hog === hog);
    console.log(`| ${KERNELS[kernel].label} | ${sizes.map((n) => cell(row(n, false))).join(" | ")} | ${cell(row(1e6, true))} |`);
  }
  console.log("\n(ns: two threads' ns per element)");
  if (threads.handoffNs) console.log(`Cross-core hand-off round trip: ${threads.handoffNs.map((x) => `${x.toFixed(0)} ns`).join(" before the rows, ")} after.`);
}
if (checklist) {
  const met = checklist.filter((c) => c.ok).length;
  console.log(`\nChecklist: ${met} of ${checklist.length} targets met. Not met:`);
  for (const c of checklist.filter((c) => !c.ok)) console.log(`- ${c.name}: ${c.value.toFixed(3)}${c.noisy ? " (noisy cell)" : ""}`);
}
