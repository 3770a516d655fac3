// The story in pictures: why per-weight learning rates, and why RMSprop's running average
// rather than Adagrad's sum. Runs GD, GD + momentum, Adagrad, RMSprop, RMSprop + momentum and
// Adam with simdopt on two surfaces, on both backends, checks that they agree bit for bit and
// that the pictures show what the README says, then draws the SVGs in docs/.
//
//   npm run example:story            draws docs/story-*.svg
//   npm run example:story -- --quick checks everything and that docs/ is current; writes nothing
import { readFileSync, writeFileSync } from "node:fs";
import * as simdopt from "simdopt";
import { check, flags } from "../shared/cli.mjs";
import { contourRows } from "../shared/contours.mjs";
import { effectiveLrChart, lossCharts, pathPanels } from "../shared/charts.mjs";
import { toSvg } from "../shared/render-svg.mjs";
import { simplify } from "../shared/simplify.mjs";
import { bowl, rosenbrock } from "../shared/surfaces.mjs";
import { describeOptions, runOn, storyRuns } from "../shared/trajectories.mjs";

const { quick } = flags();
const DOCS = new URL("../../docs/", import.meta.url);
const SURFACES = [bowl, rosenbrock];

/** Every run of the story on the backend `init` chose. */
function runAll() {
  const out = {};
  for (const surface of SURFACES) {
    const { steps, runs } = storyRuns[surface.id];
    out[surface.id] = runs.map((r) => ({ ...r, ...runOn(simdopt, surface, r.family, r.options, steps) }));
  }
  return out;
}

function sameBits(a, b) {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return ua.length === ub.length && ua.every((v, i) => v === ub[i]);
}

function assertSamePaths(a, b, what) {
  for (const surface of SURFACES) {
    a[surface.id].forEach((r, k) => {
      const s = b[surface.id][k];
      check(sameBits(r.xs, s.xs) && sameBits(r.ys, s.ys), `${what}: ${surface.id} ${r.label} paths differ`);
      check(JSON.stringify(r.effectiveLr) === JSON.stringify(s.effectiveLr), `${what}: ${surface.id} ${r.label} effective lrs differ`);
    });
  }
}

// ---- runs, on both backends ---------------------------------------------------------------

const t0 = performance.now();
await simdopt.init({ backend: "wasm" });
const runs = runAll();
assertSamePaths(runs, runAll(), "two runs on wasm");
await simdopt.init({ backend: "js" });
assertSamePaths(runs, runAll(), "wasm against js");
console.log(`story: ${SURFACES.map((s) => `${storyRuns[s.id].runs.length} runs × ${storyRuns[s.id].steps} steps on the ${s.id}`).join(", ")}`);
console.log(`  wasm and js backends: identical paths and effective learning rates, bit for bit; repeated runs identical (${((performance.now() - t0) / 1000).toFixed(1)} s)`);

// ---- what the pictures must show ----------------------------------------------------------

const byId = (surface, id) => runs[surface.id].find((r) => r.id === id);
const last = (r) => r.xs.length - 1;
const distance = (surface, r, t = last(r)) => Math.hypot(r.xs[t] - surface.minimum[0], r.ys[t] - surface.minimum[1]);
const stepLength = (r, t) => Math.hypot(r.xs[t] - r.xs[t - 1], r.ys[t] - r.ys[t - 1]);

console.log("");
console.log("  surface     run                  after   x        y        loss      distance to minimum");
for (const surface of SURFACES) {
  for (const r of runs[surface.id]) {
    const t = last(r);
    console.log(`  ${surface.id.padEnd(11)} ${r.label.padEnd(20)} ${String(t).padStart(5)}  ${r.xs[t].toFixed(3).padStart(7)}  ${r.ys[t].toFixed(3).padStart(7)}  ${r.loss[t].toExponential(2).padStart(8)}  ${distance(surface, r).toFixed(3)}`);
  }
}
console.log("");

{
  const gd = byId(bowl, "gd");
  let flips = 0;
  for (let t = 1; t <= 20; t++) if (Math.sign(gd.ys[t]) !== Math.sign(gd.ys[t - 1])) flips++;
  check(flips === 20, `GD should cross the bowl's narrow direction at every one of its first 20 steps, crossed ${flips} times`);
  check(distance(bowl, gd) > 0.05, "GD should still be crawling along the bowl's floor after 100 steps");
  console.log(`  bowl, GD: crosses the narrow direction at each of its first 20 steps; ${distance(bowl, gd).toFixed(2)} from the minimum after ${last(gd)}`);

  const ada = byId(bowl, "adagrad");
  const first = stepLength(ada, 1);
  const final = stepLength(ada, last(ada));
  check(final < first / 10 && distance(bowl, ada) > 1, `Adagrad should stall: first step ${first}, last ${final}, distance ${distance(bowl, ada)}`);
  console.log(`  bowl, Adagrad: its step shrinks from ${first.toFixed(3)} to ${final.toFixed(4)}; stalls ${distance(bowl, ada).toFixed(2)} from the minimum`);

  const rms = byId(bowl, "rmsprop");
  check(distance(bowl, rms) < 0.01, `RMSprop should reach the bowl's minimum, is ${distance(bowl, rms)} away`);
  console.log(`  bowl, RMSprop: ${distance(bowl, rms).toFixed(4)} from the minimum after ${last(rms)} steps`);

  for (const w of [0, 1]) {
    const a = ada.effectiveLr.map((e) => e[w]);
    const r = rms.effectiveLr.map((e) => e[w]);
    // G only grows, so the rate can only fall; and it falls by several times within the run.
    check(a.every((v, k) => k === 0 || v <= a[k - 1]) && a.at(-1) < a[0] / 4, `Adagrad's effective lr of ${"xy"[w]} should fade: ${a[0]} -> ${a.at(-1)}`);
    check(r.at(-1) >= r[0], `RMSprop's effective lr of ${"xy"[w]} should stay alive: ${r[0]} -> ${r.at(-1)}`);
    console.log(`  bowl, effective lr of ${"xy"[w]}: Adagrad ${a[0].toPrecision(2)} -> ${a.at(-1).toPrecision(2)}, RMSprop ${r[0].toPrecision(2)} -> ${r.at(-1).toPrecision(2)}`);
  }

  // Near the minimum the gradients vanish, RMSprop's average decays and its rate climbs, until
  // a step overshoots: the loss jumps and the rate falls back. The captions point at that step.
  const rate = [NaN, ...rms.effectiveLr.map((e) => e[1])]; // rate[t]: y's rate after step t
  const fall = rate.findIndex((v, t) => t > 1 && v < rate[t - 1] / 2);
  const top = Math.max(...rate.slice(1, fall));
  let peak = fall - 3;
  for (let t = fall - 3; t <= fall; t++) if (rms.loss[t] > rms.loss[peak]) peak = t;
  check(fall > 50 && rms.loss[peak] > 100 * Math.min(...rms.loss.slice(0, peak)), `RMSprop on the bowl should overshoot once its rate has climbed (rate falls at step ${fall})`);
  console.log(`  bowl, RMSprop: its rate for y climbs to ${top.toPrecision(2)}, a step overshoots (the loss jumps to ${rms.loss[peak].toPrecision(2)} at step ${peak}), and the rate falls back to ${rate[fall].toPrecision(2)} at step ${fall}`);

  const rAda = byId(rosenbrock, "adagrad");
  const rMom = byId(rosenbrock, "rmsprop-momentum");
  check(distance(rosenbrock, rAda) > 1, `Adagrad should stall in Rosenbrock's valley, is ${distance(rosenbrock, rAda)} from the minimum`);
  check(distance(rosenbrock, rMom) < 0.01, `RMSprop + momentum should reach (1, 1), is ${distance(rosenbrock, rMom)} away`);
  console.log(`  rosenbrock: Adagrad stalls ${distance(rosenbrock, rAda).toFixed(2)} from (1, 1); RMSprop + momentum ends ${distance(rosenbrock, rMom).toFixed(4)} from it`);
}

// ---- pictures -----------------------------------------------------------------------------

const fmt = (v) => (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e4 ? v.toExponential(1) : v.toPrecision(3));

/** Path rows for the charts; `tolerance` (a fraction of the window's width) thins a path to what can be seen. */
function pathRows(surface, { every = 1, tolerance = 0 } = {}) {
  const width = surface.domain.x[1] - surface.domain.x[0];
  return runs[surface.id].flatMap((r) => {
    const kept = tolerance > 0 ? simplify(r.xs, r.ys, tolerance * width) : Array.from(r.xs.keys()).filter((t) => t % every === 0 || t === last(r));
    return kept.map((step) => ({ run: r.label, step, x: r.xs[step], y: r.ys[step], loss: r.loss[step] }));
  });
}

function pathsPicture(surface, points) {
  const { steps } = storyRuns[surface.id];
  return pathPanels({
    surface,
    contour: contourRows(surface),
    // Every step where the dots show the step sizes; otherwise thinned below a pixel.
    paths: pathRows(surface, { tolerance: points ? 0 : 1e-3 }),
    points,
    title: {
      text: surface.title,
      subtitle: [
        `${steps} steps of each optimizer from the dot at (${surface.start.join(", ")}) toward the minimum at (${surface.minimum.join(", ")}).`,
        "Adagrad and RMSprop as in the original formulas: eps under the root (epsInSqrt: true),",
        "RMSprop's running average with decay α = 0.9.",
      ],
    },
    panels: runs[surface.id].map((r) => ({
      run: r.label,
      title: r.label,
      subtitle: [describeOptions(r.options), `after ${last(r)} steps: loss ${fmt(r.loss[last(r)])}`],
    })),
  });
}

const pictures = {
  "story-bowl.svg": pathsPicture(bowl, true),
  "story-rosenbrock.svg": pathsPicture(rosenbrock, false),
  "story-effective-lr.svg": effectiveLrChart({
    title: "Each weight's effective learning rate, lr / sqrt(G + eps), on the bowl",
    subtitle: [
      "Adagrad: G is the sum of all the weight's squared gradients, so the rate only falls.",
      "RMSprop: G is their running average (α = 0.9), so the rate follows the recent gradients.",
      "The runs of the bowl picture: lr 0.1, eps under the root (epsInSqrt: true). Log scale.",
    ],
    rows: ["adagrad", "rmsprop"].flatMap((id) => {
      const r = byId(bowl, id);
      return r.effectiveLr.flatMap((e, k) => [
        { run: r.label, weight: "x (shallow)", step: k + 1, lr: e[0] },
        { run: r.label, weight: "y (steep)", step: k + 1, lr: e[1] },
      ]);
    }),
  }),
  "story-loss.svg": lossCharts({
    title: { text: "Loss against steps, for the runs above", subtitle: "Same optimizers, settings and start as the path pictures." },
    charts: [
      { title: "Elongated bowl", rows: pathRows(bowl), width: 300, lossDomain: [1e-8, 1e2] },
      { title: "Rosenbrock", rows: pathRows(rosenbrock, { every: 5 }), width: 300, lossDomain: [1e-8, 1e2] },
    ],
  }),
};

const stale = [];
for (const [name, spec] of Object.entries(pictures)) {
  const svg = `${(await toSvg(spec)).trim()}\n`;
  const file = new URL(name, DOCS);
  if (quick) {
    let committed = "";
    try {
      committed = readFileSync(file, "utf8");
    } catch {}
    if (committed !== svg) stale.push(name);
  } else {
    writeFileSync(file, svg);
    console.log(`  wrote docs/${name} (${(svg.length / 1024).toFixed(0)} KB)`);
  }
}
check(stale.length === 0, `docs/${stale.join(", docs/")} differ from what the story draws now: run \`npm run example:story\` and commit them`);
if (quick) console.log(`  docs/story-*.svg: the ${Object.keys(pictures).length} committed pictures are what the story draws`);
console.log(`story done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
