// The printed tables and the speed checklist.
import { KERNELS } from "./data.mjs";
import { NOISY } from "./stats.mjs";
import { CLIP_GOAL, DENORMAL_GOAL, SPARSE_GOAL } from "./toolkit.mjs";

const WIDTH = 26;
const pad = (s, w) => String(s).padStart(w);
const padEnd = (s, w) => String(s).padEnd(w);
const fmt = (x, digits = 3) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toPrecision(digits));
const sizeLabel = (n) => n.toExponential(0).replace("+", "");

/** One table per kernel: ns/element ± spread (GB/s) and time ÷ simdopt wasm zero-copy. */
export function printResults(results, sizes, kernels, { rounds, config }) {
  console.log(`Each cell: ns per element for one step (lower is better) ± spread, (GB/s), time ÷ simdopt wasm zero-copy.`);
  console.log(`A value is the median over rounds (${rounds}, or ${2 * rounds} up to 1e4) of each round's median; ± reaches the round`);
  console.log(`medians that hold the median with 90% confidence (all of them below 8 rounds). * marks a noisy cell: spread`);
  console.log(`above ±${100 * NOISY}%${config.remeasure ? ` even after more rounds (up to ${config.remeasure.factor}×, within a time budget)` : ""}.\n`);
  for (const kernel of kernels) {
    console.log(`${KERNELS[kernel].label} (${KERNELS[kernel].bytes} B/element moved)`);
    console.log(padEnd("implementation", 27) + sizes.map((n) => pad(sizeLabel(n), WIDTH)).join(""));
    const notes = new Set();
    for (const impl of [...new Set(results.filter((r) => r.kernel === kernel).map((r) => r.impl))]) {
      const rows = sizes.map((n) => results.find((r) => r.kernel === kernel && r.n === n && r.impl === impl));
      const cells = rows.map((r) => {
        if (!r) return pad("-", WIDTH);
        if (!r.available) {
          notes.add(`${r.label}: ${r.why}`);
          return pad("-", WIDTH);
        }
        const text = `${fmt(r.nsPerElement)} ±${r.spreadPercent.toFixed(0)}% (${fmt(r.gbPerSecond, 2)}) ${fmt(r.ratioToWasm, 2)}×${r.noisy ? "*" : ""}`;
        return pad(text, WIDTH);
      });
      console.log(padEnd(rows.find(Boolean)?.label ?? impl, 27) + cells.join(""));
    }
    for (const note of notes) console.log(`  - ${note}`);
    const tfCpu = results.filter((r) => r.kernel === kernel && r.impl === "tfjs-cpu" && r.available).at(-1);
    if (tfCpu && tfCpu.n < sizes[sizes.length - 1]) {
      console.log(`  - one TF.js cpu step at ${sizeLabel(tfCpu.n)} took ${((tfCpu.nsPerElement * tfCpu.n) / 1e6).toFixed(1)} ms, and grows with the size`);
    }
    console.log();
  }
}

/** A check whose cells are all measured; noisy when any of them is. */
function check(out, name, cells, value, ok, detail) {
  if (cells.some((c) => !c?.available)) return;
  const noisy = cells.some((c) => c.noisy);
  console.log(`${ok ? "met    " : "NOT MET"}  ${padEnd(name, 62)} ${detail}${noisy ? "  (noisy cell)" : ""}`);
  out.push({ name, value, ok, noisy });
}

/** Prints and returns each speed target with its measured value. */
export function printChecklist(results, { facade, skipCheck, subnormal, toolkit }) {
  const get = (kernel, n, impl) => results.find((r) => r.kernel === kernel && r.n === n && r.impl === impl);
  const sizesOf = (kernel) => [...new Set(results.filter((r) => r.kernel === kernel).map((r) => r.n))];
  const has = (kernel) => results.some((r) => r.kernel === kernel);
  const out = [];
  console.log("Speed checklist (this run):");
  for (const kernel of ["rmsprop", "rmsprop-cm", "adagrad"].filter(has)) {
    for (const n of sizesOf(kernel)) {
      const label = `${KERNELS[kernel].label} ${sizeLabel(n)}`;
      const wasm = get(kernel, n, "wasm");
      const js = get(kernel, n, "plain-js");
      const min = n >= 1e7 ? 5 : 6;
      check(out, `${label}: plain JS loop ÷ wasm ≥ ${min}`, [wasm, js], js.ratioToWasm, js.ratioToWasm >= min, `${js.ratioToWasm.toFixed(2)}×`);
      const tf = get(kernel, n, "tfjs-wasm");
      check(out, `${label}: TF.js wasm ÷ wasm ≥ 5`, [wasm, tf], tf.ratioToWasm, tf.ratioToWasm >= 5, `${tf.ratioToWasm?.toFixed(1)}×`);
      const c = get(kernel, n, "c-sse4.2");
      const limit = n >= 1e7 ? 1.25 : 1.1;
      const r = 1 / c.ratioToWasm;
      check(out, `${label}: wasm ÷ C -msse4.2 ≤ ${limit}`, [wasm, c], r, r <= limit, `${r.toFixed(3)}×`);
      const exact = get(kernel, n, "js");
      const e = exact.nsPerElement / js.nsPerElement;
      check(out, `${label}: exact JS backend ÷ plain JS loop ≤ 1.6`, [exact, js], e, e <= 1.6, `${e.toFixed(2)}×`);
    }
  }
  if (has("adam")) {
    for (const n of sizesOf("adam").filter((n) => n >= 1e4 && n <= 1e6)) {
      const wasm = get("adam", n, "wasm"), c = get("adam", n, "c-sse4.2");
      const r = wasm.nsPerElement / c.nsPerElement;
      check(out, `Adam ${sizeLabel(n)}: wasm ÷ C -O3 -msse4.2 -ffp-contract=off ≤ 1.10`, [wasm, c], r, r <= 1.1, `${r.toFixed(3)}×`);
    }
  }
  if (has("sgd-momentum")) {
    for (const n of sizesOf("sgd-momentum").filter((n) => n >= 1e5 && n <= 1e6)) {
      const wasm = get("sgd-momentum", n, "wasm"), js = get("sgd-momentum", n, "plain-js");
      check(out, `SGD momentum ${sizeLabel(n)}: plain JS loop ÷ wasm ≥ 4`, [wasm, js], js.ratioToWasm, js.ratioToWasm >= 4, `${js.ratioToWasm.toFixed(2)}×`);
    }
  }
  if (has("adam") && has("rmsprop")) {
    for (const n of sizesOf("adam").filter((n) => sizesOf("rmsprop").includes(n))) {
      const a = get("adam", n, "wasm"), r = get("rmsprop", n, "wasm");
      const x = a.nsPerElement / r.nsPerElement;
      check(out, `${sizeLabel(n)}: Adam wasm ÷ RMSprop wasm ≤ 1.5`, [a, r], x, x <= 1.5, `${x.toFixed(2)}×`);
    }
  }
  check(out, `opt.step() on ${facade.n} elements ÷ direct kernel call ≤ 1.25`, [{ available: true, noisy: facade.noisy }], facade.ratio, facade.ratio <= 1.25,
    `${facade.ratio.toFixed(2)}× (${facade.stepNs.toFixed(0)} ns vs ${facade.directNs.toFixed(0)} ns)`);
  if (toolkit) toolkitChecks(out, toolkit);
  const met = out.filter((t) => t.ok).length;
  console.log(`${met} of ${out.length} targets met`);
  console.log(`\nnonFinite: "skip" at ${sizeLabel(skipCheck.n)}: ${skipCheck.skipNsPerElement.toFixed(3)} vs ${skipCheck.plainNsPerElement.toFixed(3)} ns/element plain, ${skipCheck.ratio.toFixed(2)}× the plain step`);
  // Subnormal slowdowns vary from run to run on a VM (microcode assists), by up to 2x for the
  // same code, so they are shown side by side rather than checked.
  for (const [kernel, { n, wasm, c }] of Object.entries(subnormal)) {
    const cText = c ? `C -msse4.2 ${c.normalNs.toFixed(3)} -> ${c.subnormalNs.toFixed(3)} ns (${c.ratio.toFixed(2)}×)` : "C not available";
    console.log(`subnormal gradients, ${KERNELS[kernel].label} ${sizeLabel(n)}: wasm ${wasm.normalNs.toFixed(3)} -> ${wasm.subnormalNs.toFixed(3)} ns/element (${wasm.ratio.toFixed(2)}×), ${cText}`);
  }
  return out;
}

/** The toolkit's ratios (toolkit.mjs) against their goals; a ratio is noisy when a row of it is. */
function toolkitChecks(out, { clip, sparse, denormal }) {
  const clipStore = clip.rows.find((r) => r.id === "clip-store");
  check(out, `clipGradNorm ${sizeLabel(clip.n)}, ParamStore ÷ RMSprop step ≤ ${CLIP_GOAL}`, [clipStore, clip.rows[0]].map(measured), clip.ratio,
    clip.ratio <= CLIP_GOAL, `${clip.ratio.toFixed(2)}×`);
  for (const path of sparse.paths.filter((p) => p.id === "zero-copy")) {
    check(out, `sparse Adagrad ${sizeLabel(sparse.rows)} × ${sparse.dim}, 1% of rows: dense step ÷ sparse ≥ ${SPARSE_GOAL}`, path.rows.map(measured), path.ratio,
      path.ratio >= SPARSE_GOAL, `${path.ratio.toFixed(1)}×`);
  }
  for (const d of denormal) {
    const base = d.rows.find((r) => r.id === "normal"), guarded = d.rows.find((r) => r.id === "subnormal-guard");
    check(out, `RMSprop ${d.label} ${sizeLabel(d.n)}: subnormal state, flushDenormals ÷ normal ≤ ${DENORMAL_GOAL}`, [base, guarded].map(measured), d.ratio,
      d.ratio <= DENORMAL_GOAL, `${d.ratio.toFixed(2)}×`);
  }
}

const measured = (row) => ({ available: true, noisy: row.noisy });
