// The bench's chart, in Vega-Lite, rendered to SVG in Node: one panel per kernel, ns/element
// against tensor size on log axes, one line per implementation with error bars from the spread.
// The C rows are drawn last, dashed and with their own markers, so they stay visible where
// they lie on top of simdopt's line.
//
// Also a command, to redraw a chart from a results file:
//   node bench/chart.mjs RESULTS.json OUT.svg
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as vega from "vega";
import * as vl from "vega-lite";
import { KERNELS } from "./data.mjs";
import { IMPLEMENTATIONS } from "./impls.mjs";

// Per implementation: colour, dash (empty: solid), marker, line width.
const STYLE = {
  wasm: ["#d62728", [], "circle", 3],
  "wasm-marshalled": ["#ff7f0e", [], "circle", 1.5],
  js: ["#2ca02c", [], "circle", 1.5],
  "plain-js": ["#1f77b4", [], "square", 1.5],
  "tfjs-wasm": ["#9467bd", [], "diamond", 1.5],
  "tfjs-cpu": ["#8c564b", [], "diamond", 1.5],
  "c-sse4.2": ["#111111", [6, 3], "triangle-up", 1.5],
  "c-native": ["#7f7f7f", [2, 2], "triangle-down", 1.5],
  "wasm-2-threads": ["#e377c2", [], "circle", 2.5],
};
const isC = (id) => id.startsWith("c-");
// The threads rows (bench/threads.mjs) of the kernels they cover: two threads' time, quiet.
const TWO_THREADS = { id: "wasm-2-threads", label: "simdopt wasm, zero-copy, 2 threads" };

/** The Vega-Lite spec of a bench run ({ meta, results, threads? }). */
export function chartSpec({ meta, results, threads }) {
  const kernels = meta.kernels.filter((k) => results.some((r) => r.kernel === k && r.available));
  const twoThreads = (threads?.rows ?? []).filter((r) => !r.hog && kernels.includes(r.kernel) && meta.sizes.includes(r.n)).map((r) => {
    const ns = (r.twoMs * 1e6) / r.n;
    return { kernel: KERNELS[r.kernel].label, n: r.n, impl: TWO_THREADS.label, c: false, marker: STYLE[TWO_THREADS.id][2], width: STYLE[TWO_THREADS.id][3], ns, lo: ns, hi: ns, noisy: false };
  });
  const shown = IMPLEMENTATIONS.filter((i) => results.some((r) => r.impl === i.id && r.available));
  if (twoThreads.length > 0) shown.splice(shown.findIndex((i) => i.id === "wasm") + 1, 0, TWO_THREADS);
  const values = twoThreads.concat(results.filter((r) => r.available).map((r) => ({
    kernel: KERNELS[r.kernel].label,
    n: r.n,
    impl: r.label,
    c: isC(r.impl),
    marker: STYLE[r.impl][2],
    width: STYLE[r.impl][3],
    ns: r.nsPerElement,
    lo: r.spread[0],
    hi: r.spread[1],
    noisy: r.noisy,
  })));
  const channel = (i) => ({ field: "impl", type: "nominal", title: null, scale: { domain: shown.map((s) => s.label), range: shown.map((s) => STYLE[s.id][i]) } });
  const date = meta.date.slice(0, 10);
  // Decades that hold every point and error bar: gridlines and labels at powers of ten only.
  const ys = values.flatMap((v) => [v.lo, v.hi]);
  const decades = [];
  for (let e = Math.floor(Math.log10(Math.min(...ys))); e <= Math.ceil(Math.log10(Math.max(...ys))); e++) decades.push(10 ** e);
  const tfCpu = results.some((r) => r.impl === "tfjs-cpu" && r.available) ? [`TF.js cpu backend timed up to ${meta.tfCpuMax.toExponential(0).replace("+", "")} elements only`] : [];
  const line = (c) => ({
    transform: [{ filter: c ? "datum.c" : "!datum.c" }],
    mark: { type: "line", point: false },
    encoding: { strokeDash: channel(1), strokeWidth: { field: "width", type: "quantitative", scale: null, legend: null } },
  });
  const points = (c) => ({
    transform: [{ filter: c ? "datum.c" : "!datum.c" }],
    mark: { type: "point", filled: !c, size: 45, strokeWidth: 1.5, opacity: 1 },
    encoding: {
      // The legend shows each line's colour and dash; the markers only tell points apart.
      shape: { field: "marker", type: "nominal", scale: null },
      tooltip: [{ field: "impl" }, { field: "n" }, { field: "ns", format: ".3g" }, { field: "noisy" }],
    },
  });
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: "One optimizer step: ns per element (lower is better)",
      subtitle: [
        `${meta.cpu}, ${meta.cores} cores, Node ${meta.node}, ${date}${meta.quick ? " (quick run)" : ""}`,
        "median over rounds; error bars hold the median with 90% confidence; log axes",
        ...tfCpu,
        ...(twoThreads.length > 0 ? ["2 threads: init({ threads: 2 }), RMSprop, Adagrad and Adam only, medians without error bars"] : []),
      ],
      anchor: "start",
    },
    data: { values },
    facet: { field: "kernel", type: "nominal", sort: kernels.map((k) => KERNELS[k].label), title: null, header: { labelFontSize: 13, labelFontWeight: "bold" } },
    columns: Math.min(3, kernels.length),
    spec: {
      width: 250,
      height: 210,
      encoding: {
        x: {
          field: "n", type: "quantitative", title: "elements in the tensor (log)",
          scale: { type: "log", domain: [meta.sizes[0], meta.sizes[meta.sizes.length - 1]], nice: false },
          axis: { values: meta.sizes, labelExpr: "'1e' + round(log(datum.value) / LN10)" },
        },
        y: {
          field: "ns", type: "quantitative", title: "ns per element per step (log)",
          scale: { type: "log", domain: [decades[0], decades[decades.length - 1]], nice: false },
          axis: { values: decades, format: "~g" },
        },
        color: { ...channel(0), legend: { symbolType: "stroke", symbolStrokeWidth: 2.5, symbolSize: 300, symbolOpacity: 1 } },
      },
      layer: [
        { mark: { type: "errorbar", ticks: { size: 6 } }, encoding: { y: { field: "lo", type: "quantitative" }, y2: { field: "hi" } } },
        line(false),
        points(false),
        line(true),
        points(true),
      ],
    },
    config: {
      legend: { orient: "bottom", columns: 4, columnPadding: 16, labelLimit: 200 },
      axis: { grid: true, gridColor: "#e6e6e6" },
      background: "white",
    },
  };
}

/** The chart of a bench run as an SVG string. */
export async function chart(run) {
  const view = new vega.View(vega.parse(vl.compile(chartSpec(run)).spec), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [input, output] = process.argv.slice(2);
  if (!input || !output) {
    console.error("usage: node bench/chart.mjs RESULTS.json OUT.svg");
    process.exit(2);
  }
  writeFileSync(output, await chart(JSON.parse(readFileSync(input, "utf8"))));
  console.log(`chart: ${output}`);
}
