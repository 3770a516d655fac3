// Vega-Lite specs for the story's pictures and the playground: paths on a contour, loss
// against steps, effective learning rates. Data goes in as plain rows; every axis, tick and
// legend is Vega-Lite's. Browser-safe.

/** The story's runs keep their colours in every picture; other labels take FALLBACK in order. */
export const RUN_COLORS = {
  GD: "#4e79a7",
  "GD + momentum": "#76b7b2",
  Adagrad: "#e15759",
  RMSprop: "#59a14f",
  "RMSprop + momentum": "#b07aa1",
  Adam: "#f28e2b",
};

const CONFIG = {
  // No per-mark aria labels: thousands of points would each carry one, tripling the files.
  aria: false,
  background: "white",
  font: "Helvetica, Arial, sans-serif",
  view: { stroke: "#ccc" },
  title: { fontSize: 13, subtitleFontSize: 11, subtitleColor: "#555", anchor: "start" },
  axis: { labelFontSize: 10, titleFontSize: 11, grid: false },
  legend: { labelFontSize: 11, titleFontSize: 11 },
};

/** The colour scale for `labels` (default: the story's runs): `{ domain, range }`. */
export function colorScale(labels) {
  const domain = labels ?? Object.keys(RUN_COLORS);
  return { domain, range: domain.map((l, i) => RUN_COLORS[l] ?? FALLBACK[i % FALLBACK.length]) };
}
/** Log-axis labels at powers of ten only: plain numbers from 0.001 to 1000, 1e-8 style beyond. */
const LOG_AXIS = {
  labelExpr:
    "abs(log(datum.value) / LN10 - round(log(datum.value) / LN10)) > 1e-6 ? '' : " +
    "datum.value >= 0.001 && datum.value <= 1000 ? format(datum.value, '~g') : replace(format(datum.value, '.0e'), 'e+', 'e')",
};

// Blue, red, green first: the playground's first three runs (GD, Adagrad, RMSprop) look as in the story.
const FALLBACK = ["#4e79a7", "#e15759", "#59a14f", "#f28e2b", "#b07aa1", "#76b7b2", "#edc948", "#ff9da7"];

/**
 * The layers of one contour panel: isolines, the paths of `runs`, start and minimum. With
 * `live`, paths are drawn up to the step in the `upto` signal, which the page moves on.
 */
function contourLayers(surface, { points, runs, colors, live, start = surface.start }) {
  const x = { field: "x", type: "quantitative", scale: { domain: surface.domain.x, nice: false, zero: false }, title: "x" };
  const y = { field: "y", type: "quantitative", scale: { domain: surface.domain.y, nice: false, zero: false }, title: "y" };
  const inRuns = { filter: { field: "run", oneOf: runs } };
  const shown = live ? [inRuns, { filter: "datum.step <= upto" }] : [inRuns];
  const color = { field: "run", type: "nominal", scale: colors, legend: null };
  const layers = [
    {
      data: { name: "contour" },
      mark: { type: "line", strokeWidth: 0.8, color: "#c8c8c8", clip: true },
      encoding: { x, y, detail: { field: "line" }, order: { field: "i", type: "quantitative" } },
    },
    {
      data: { name: "paths" },
      transform: shown,
      mark: { type: "line", strokeWidth: 1.5, clip: true, point: points ? { size: 9, filled: true } : false },
      encoding: { x, y, color, order: { field: "step", type: "quantitative" } },
    },
    {
      data: { values: [{ x: start[0], y: start[1], what: "start" }, { x: surface.minimum[0], y: surface.minimum[1], what: "minimum" }] },
      mark: { type: "point", filled: true, size: 50, color: "black" },
      encoding: { x, y, shape: { field: "what", type: "nominal", scale: { domain: ["start", "minimum"], range: ["circle", "cross"] }, legend: null } },
    },
  ];
  return layers;
}

/** Panel size in pixels with the window's own aspect ratio, so circles look round. */
function panelSize(surface, width) {
  const [x0, x1] = surface.domain.x;
  const [y0, y1] = surface.domain.y;
  return { width, height: Math.round((width * (y1 - y0)) / (x1 - x0)) };
}

/**
 * Small multiples, one panel per run: the surface's contour and that run's path from the
 * common start. `panels` are `{ run, title, subtitle }`; data: `contour` rows (contours.mjs)
 * and `paths` rows `{ run, step, x, y, loss }`.
 */
export function pathPanels({ surface, contour, paths, panels, title, points, columns = 3, width = 230 }) {
  const colors = colorScale();
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: title.text, subtitle: title.subtitle, fontSize: 15 },
    datasets: { contour, paths },
    columns,
    concat: panels.map((p) => ({
      ...panelSize(surface, width),
      title: { text: p.title, subtitle: p.subtitle },
      layer: contourLayers(surface, { points, runs: [p.run], colors }),
    })),
    // Titles may be wider than a panel by Vega's estimate of text width (no fonts in Node), but
    // not in fact: lay the panels out by their plots alone.
    bounds: "flush",
    // Room for the axes and the next row's three-line title.
    spacing: { row: 90, column: 60 },
    config: CONFIG,
  };
}

/**
 * One panel with several runs overlaid (the playground): paths drawn up to the step in the
 * signal `upto`, from `start`, with a dot at every step if `points`.
 */
export function pathOverlay({ surface, contour, paths, runs, start, points = false, width = 520 }) {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    ...panelSize(surface, width),
    params: [{ name: "upto", value: 0 }],
    datasets: { contour, paths },
    layer: contourLayers(surface, { points, runs, colors: colorScale(runs), live: true, start }),
    config: CONFIG,
  };
}

/**
 * Loss against steps on a log scale, one line per run; `rows` are the paths' rows.
 * `lossDomain` ([lo, hi]) fixes the axis; lines below it are cut off.
 */
export function lossChart({ rows, runs, title, subtitle, width = 300, height = 200, lossDomain, live = false }) {
  const colors = colorScale(runs);
  return {
    width,
    height,
    ...(title ? { title: { text: title, subtitle } } : {}),
    ...(live ? { params: [{ name: "upto", value: 0 }], transform: [{ filter: "datum.step <= upto" }], config: CONFIG } : {}),
    data: live ? { name: "paths", values: rows } : { values: rows },
    mark: { type: "line", strokeWidth: 1.5, clip: true },
    encoding: {
      x: { field: "step", type: "quantitative", title: "step" },
      y: { field: "loss", type: "quantitative", scale: { type: "log", domain: lossDomain }, axis: LOG_AXIS, title: "loss (log scale)" },
      color: { field: "run", type: "nominal", scale: colors, title: null },
    },
  };
}

/** Several loss charts side by side, as one picture. */
export function lossCharts({ charts, title }) {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: title.text, subtitle: title.subtitle, fontSize: 15 },
    hconcat: charts.map((c) => lossChart(c)),
    // One colour scale, so one legend for all the charts.
    resolve: { scale: { color: "shared" } },
    config: CONFIG,
  };
}

/**
 * Each weight's effective learning rate against steps, log scale: `rows` are
 * `{ run, weight, step, lr }`, one line per run and weight.
 */
export function effectiveLrChart({ rows, title, subtitle, width = 520, height = 240 }) {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width,
    height,
    title: { text: title, subtitle, fontSize: 15 },
    data: { values: rows },
    mark: { type: "line", strokeWidth: 1.8 },
    encoding: {
      x: { field: "step", type: "quantitative", title: "step" },
      y: { field: "lr", type: "quantitative", scale: { type: "log" }, axis: LOG_AXIS, title: "lr / sqrt(G + eps)" },
      color: { field: "run", type: "nominal", scale: colorScale(["Adagrad", "RMSprop"]), title: null },
      strokeDash: { field: "weight", type: "nominal", title: "weight" },
    },
    config: CONFIG,
  };
}
