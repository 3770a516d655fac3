// The playground page: optimizers side by side on a loss surface, each path drawn live from
// simdopt's own optimizers, with the loss below. Charts are the story's Vega-Lite specs.
import * as simdopt from "simdopt";
import * as vega from "vega";
import { compile } from "vega-lite";
import { colorScale, lossChart, pathOverlay } from "../shared/charts.mjs";
import { contourRows } from "../shared/contours.mjs";
import { surfaces } from "../shared/surfaces.mjs";
import { runOn, storyRuns } from "../shared/trajectories.mjs";

/** Each family's settings as the page offers them: [option, label, kind, default]. */
const FAMILIES = {
  SGD: [["lr", "lr", "number", 0.01], ["momentum", "momentum", "number", 0], ["nesterov", "Nesterov", "boolean", false]],
  Adagrad: [["lr", "lr", "number", 0.1], ["lrDecay", "lr decay", "number", 0], ["epsInSqrt", "eps in sqrt", "boolean", true]],
  RMSprop: [["lr", "lr", "number", 0.1], ["alpha", "α", "number", 0.9], ["momentum", "momentum", "number", 0], ["centered", "centered", "boolean", false], ["epsInSqrt", "eps in sqrt", "boolean", true]],
  Adam: [["lr", "lr", "number", 0.1], ["beta1", "β1", "number", 0.9], ["beta2", "β2", "number", 0.999], ["amsgrad", "AMSGrad", "boolean", false]],
  AdamW: [["lr", "lr", "number", 0.1], ["beta1", "β1", "number", 0.9], ["beta2", "β2", "number", 0.999], ["weightDecay", "weight decay", "number", 0.01]],
};
/** What the page shows at first: three of the story's runs. */
const FIRST_RUNS = ["gd", "adagrad", "rmsprop"];
const ANIMATION_MS = 2000;

const $ = (id) => document.getElementById(id);
const state = { surface: surfaces.bowl, steps: storyRuns.bowl.steps, start: surfaces.bowl.start, runs: [] };
let views = [];
let animation = 0;
let drawing = 0;

/** A run's options for the simdopt class, from the page's values (β1 and β2 become `betas`). */
function optionsOf(run) {
  const { beta1, beta2, ...rest } = run.values;
  return beta1 === undefined ? rest : { ...rest, betas: [beta1, beta2] };
}

function defaultsOf(family) {
  return Object.fromEntries(FAMILIES[family].map(([key, , , value]) => [key, value]));
}

/** The story's settings for run `id` on the current surface, as page values. */
function storyRun(id) {
  const r = storyRuns[state.surface.id].runs.find((s) => s.id === id);
  return { family: r.family, values: { ...defaultsOf(r.family), ...r.options } };
}

// ---- controls -----------------------------------------------------------------------------

function renderControls() {
  const colors = colorScale(labels()).range;
  const box = $("runs");
  box.replaceChildren();
  state.runs.forEach((run, i) => {
    const el = document.createElement("div");
    el.className = "run";
    el.id = `run-${i}`;
    el.style.setProperty("--color", colors[i]);
    const family = document.createElement("select");
    family.className = "family";
    family.setAttribute("aria-label", `optimizer ${i + 1}`);
    for (const name of Object.keys(FAMILIES)) family.add(new Option(name, name, false, name === run.family));
    family.addEventListener("change", () => {
      run.family = family.value;
      run.values = defaultsOf(run.family);
      draw();
    });
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = "Remove";
    remove.disabled = state.runs.length === 1;
    remove.addEventListener("click", () => {
      state.runs.splice(i, 1);
      draw();
    });
    const head = document.createElement("div");
    head.className = "head";
    head.append(family, remove);
    const options = document.createElement("div");
    options.className = "options";
    for (const [key, label, kind] of FAMILIES[run.family]) {
      const input = document.createElement("input");
      input.name = key;
      if (kind === "boolean") {
        input.type = "checkbox";
        input.checked = run.values[key];
      } else {
        input.type = "number";
        input.step = "any";
        input.value = String(run.values[key]);
      }
      input.addEventListener("change", () => {
        run.values[key] = kind === "boolean" ? input.checked : Number(input.value);
        draw();
      });
      const l = document.createElement("label");
      l.append(`${label} `, input);
      options.append(l);
    }
    const status = document.createElement("div");
    status.className = `status${run.error ? " error" : ""}`;
    status.textContent = run.error ?? run.summary ?? "";
    el.append(head, options, status);
    box.append(el);
  });
}

const labels = () => state.runs.map((r, i) => `${i + 1}. ${r.family}`);

// ---- runs and charts ----------------------------------------------------------------------

/** Runs every optimizer with simdopt; a bad setting becomes that run's message, not an exception. */
function computePaths() {
  const rows = [];
  state.runs.forEach((run, i) => {
    const label = labels()[i];
    run.error = undefined;
    try {
      const { xs, ys, loss } = runOn(simdopt, state.surface, run.family, optionsOf(run), state.steps, state.start);
      let last = 0;
      for (let step = 0; step < xs.length; step++) {
        // A diverged path stops where it stops being finite.
        if (!Number.isFinite(loss[step]) || Math.abs(xs[step]) > 1e6 || Math.abs(ys[step]) > 1e6) break;
        rows.push({ run: label, step, x: xs[step], y: ys[step], loss: Math.max(loss[step], 1e-12) });
        last = step;
      }
      run.summary = last < state.steps ? `diverged after ${last} steps` : `loss ${loss[state.steps].toPrecision(3)} after ${state.steps} steps`;
    } catch (e) {
      run.error = e.message;
    }
  });
  return rows;
}

async function draw() {
  const me = ++drawing;
  document.body.dataset.draws = String(me);
  $("start").textContent = `(${state.start.map((v) => v.toFixed(2)).join(", ")})`;
  cancelAnimationFrame(animation);
  document.body.dataset.status = "drawing";
  for (const v of views) v.finalize();
  views = [];
  const rows = computePaths();
  renderControls();
  const runs = labels();
  // Dots at every step while they can be told apart: they show how the step sizes change.
  const points = state.steps <= 200;
  const pathsSpec = compile(pathOverlay({ surface: state.surface, contour: contourRows(state.surface), paths: rows, runs, start: state.start, points })).spec;
  const lossSpec = compile(lossChart({ rows, runs, width: 520, height: 180, live: true })).spec;
  const pathsView = new vega.View(vega.parse(pathsSpec), { renderer: "canvas", container: "#paths-chart", hover: false });
  const lossView = new vega.View(vega.parse(lossSpec), { renderer: "canvas", container: "#loss-chart", hover: false });
  await Promise.all([pathsView.runAsync(), lossView.runAsync()]);
  // A newer draw started meanwhile: it owns the page now.
  if (me !== drawing) {
    pathsView.finalize();
    lossView.finalize();
    return;
  }
  views = [pathsView, lossView];
  animate();
}

/** Moves `upto` from 0 to the last step over ANIMATION_MS: the paths grow live. */
function animate() {
  cancelAnimationFrame(animation);
  document.body.dataset.status = "drawing";
  const t0 = performance.now();
  const frame = async (now) => {
    const k = Math.min(state.steps, Math.ceil((state.steps * (now - t0)) / ANIMATION_MS));
    const drawn = views;
    await Promise.all(drawn.map((v) => v.signal("upto", k).runAsync()));
    if (drawn !== views) return;
    if (k < state.steps) animation = requestAnimationFrame(frame);
    else document.body.dataset.status = "idle";
  };
  animation = requestAnimationFrame(frame);
}

// ---- start --------------------------------------------------------------------------------

$("surface").addEventListener("change", (e) => {
  state.surface = surfaces[e.target.value];
  state.steps = storyRuns[state.surface.id].steps;
  state.start = state.surface.start;
  state.runs = FIRST_RUNS.map(storyRun);
  $("steps").value = String(state.steps);
  draw();
});
$("steps").addEventListener("change", (e) => {
  state.steps = Math.max(1, Math.min(5000, Math.round(Number(e.target.value)) || 1));
  e.target.value = String(state.steps);
  draw();
});
$("add").addEventListener("click", () => {
  const next = storyRuns[state.surface.id].runs.find((r) => !state.runs.some((s) => s.family === r.family && JSON.stringify(s.values) === JSON.stringify(storyRun(r.id).values)));
  state.runs.push(next ? storyRun(next.id) : { family: "Adam", values: defaultsOf("Adam") });
  draw();
});
$("replay").addEventListener("click", () => animate());
// Clicking inside the plot moves the start there: the pixel, less the plot's origin in the
// canvas, through the inverse of the chart's scales.
$("paths-chart").addEventListener("click", (e) => {
  const view = views[0];
  const canvas = $("paths-chart").querySelector("canvas");
  if (!view || !canvas) return;
  const rect = canvas.getBoundingClientRect();
  const [ox, oy] = view.origin();
  const x = view.scale("x").invert(e.clientX - rect.left - ox);
  const y = view.scale("y").invert(e.clientY - rect.top - oy);
  const { domain } = state.surface;
  if (x < domain.x[0] || x > domain.x[1] || y < domain.y[0] || y > domain.y[1]) return;
  state.start = [x, y];
  draw();
});
$("reset-start").addEventListener("click", () => {
  state.start = state.surface.start;
  draw();
});

$("backend").textContent = `${await simdopt.init()} backend`;
state.runs = FIRST_RUNS.map(storyRun);
$("steps").value = String(state.steps);
await draw();
