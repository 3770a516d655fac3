// Runs a simdopt optimizer on a two-weight surface and records where it goes. Used by the story
// (Node, both backends) and the playground (the browser). Browser-safe.

/**
 * The six runs of the story, per surface, at comparable learning rates: the adaptive methods
 * step about `lr` per weight per step, so their runs share one lr, and the momentum variants
 * take a tenth of it (momentum 0.9 multiplies a steady step by 10). Plain gradient descent
 * steps lr·gradient instead; it gets 90% of the largest lr that is stable across the steep
 * walls (2 / the largest curvature), with momentum a tenth of that.
 * Adagrad and RMSprop use the article's formula: eps under the root (`epsInSqrt: true`) and,
 * for RMSprop, a running average with decay 0.9 (`alpha: 0.9`).
 */
export const storyRuns = {
  bowl: {
    steps: 100,
    runs: [
      { id: "gd", label: "GD", family: "SGD", options: { lr: 0.036 } },
      { id: "gd-momentum", label: "GD + momentum", family: "SGD", options: { lr: 0.0036, momentum: 0.9 } },
      { id: "adagrad", label: "Adagrad", family: "Adagrad", options: { lr: 0.1, epsInSqrt: true } },
      { id: "rmsprop", label: "RMSprop", family: "RMSprop", options: { lr: 0.1, alpha: 0.9, epsInSqrt: true } },
      { id: "rmsprop-momentum", label: "RMSprop + momentum", family: "RMSprop", options: { lr: 0.01, alpha: 0.9, momentum: 0.9, epsInSqrt: true } },
      { id: "adam", label: "Adam", family: "Adam", options: { lr: 0.1 } },
    ],
  },
  rosenbrock: {
    steps: 1500,
    runs: [
      { id: "gd", label: "GD", family: "SGD", options: { lr: 0.001 } },
      { id: "gd-momentum", label: "GD + momentum", family: "SGD", options: { lr: 0.0001, momentum: 0.9 } },
      { id: "adagrad", label: "Adagrad", family: "Adagrad", options: { lr: 0.02, epsInSqrt: true } },
      { id: "rmsprop", label: "RMSprop", family: "RMSprop", options: { lr: 0.02, alpha: 0.9, epsInSqrt: true } },
      { id: "rmsprop-momentum", label: "RMSprop + momentum", family: "RMSprop", options: { lr: 0.002, alpha: 0.9, momentum: 0.9, epsInSqrt: true } },
      { id: "adam", label: "Adam", family: "Adam", options: { lr: 0.02 } },
    ],
  },
};

/** The labels of the story's runs, in drawing order; charts colour them consistently. */
export const runLabels = storyRuns.bowl.runs.map((r) => r.label);

const SHORT = { alpha: "α", betas: "β", momentum: "momentum", weightDecay: "wd" };

/** "lr 0.1, α 0.9": a run's options as a caption shows them (eps placement is said elsewhere). */
export function describeOptions(options) {
  return Object.entries(options)
    .filter(([k]) => k !== "epsInSqrt")
    .map(([k, v]) => `${SHORT[k] ?? k} ${Array.isArray(v) ? v.join("/") : v}`)
    .join(", ");
}

/**
 * Runs `family` (a simdopt class name: "SGD", "Adagrad", "RMSprop", "Adam", "AdamW") with
 * `options` from the surface's start for `steps` steps, on the backend chosen by the last
 * `init()`. Returns the path (float32 weights after each step, the start first), the loss
 * there, and, for Adagrad and plain RMSprop, each weight's effective learning rate
 * lr / sqrt(G + eps) (or lr / (sqrt(G) + eps) without `epsInSqrt`) after each step.
 */
export function runOn(simdopt, surface, family, options, steps, start = surface.start) {
  const Optimizer = simdopt[family];
  if (typeof Optimizer !== "function") throw new TypeError(`unknown optimizer ${JSON.stringify(family)}`);
  const w = Float32Array.from(start);
  const g = new Float32Array(2);
  const opt = new Optimizer([w], options);
  const xs = new Float32Array(steps + 1);
  const ys = new Float32Array(steps + 1);
  const loss = new Float64Array(steps + 1);
  const effectiveLr = family === "Adagrad" || (family === "RMSprop" && !options.momentum && !options.centered) ? [] : undefined;
  const record = (t) => {
    xs[t] = w[0];
    ys[t] = w[1];
    loss[t] = surface.loss(w[0], w[1]);
  };
  record(0);
  try {
    for (let t = 1; t <= steps; t++) {
      const [gx, gy] = surface.grad(w[0], w[1]);
      g[0] = gx;
      g[1] = gy;
      opt.step([g]);
      record(t);
      if (effectiveLr) effectiveLr.push(effectiveLrOf(opt));
    }
  } finally {
    opt.dispose();
  }
  return { xs, ys, loss, effectiveLr };
}

/** Each weight's lr / (root of its accumulator): the step it takes per unit of gradient. */
function effectiveLrOf(opt) {
  const group = opt.paramGroups[0];
  const state = opt.stateDict().state[0];
  const acc = state.sum ?? state.square_avg;
  const root = (G) => (group.epsInSqrt ? Math.sqrt(G + group.eps) : Math.sqrt(G) + group.eps);
  return Array.from(acc, (G) => group.lr / root(G));
}
