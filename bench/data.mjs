// The benchmark's inputs and hyperparameters, shared by every implementation (the C harness
// repeats them): values uniform in [-1, 1) from a 32-bit LCG, so every run sees the same data.

/**
 * The optimizer configurations the bench times, in the order it prints them:
 * - `optimizer`: the simdopt class, `options` its options (also the plain JS loop's and C's);
 * - `bytes`: bytes one step reads and writes per element (p, g and state in; p and state out);
 * - `fixedStep`: for Adam and AdamW, the step whose bias corrections the plain JS loop and C
 *   use throughout (simdopt's step count advances; the work per element is the same);
 * - `tf`: the TF.js optimizer with the same work per element, or why there is none.
 */
export const KERNELS = {
  rmsprop: {
    label: "RMSprop",
    optimizer: "RMSprop",
    options: { lr: 1e-3, alpha: 0.99, eps: 1e-8 },
    bytes: 20,
    // TF.js puts eps inside the square root; the work per element is the same.
    tf: (train, o) => train.rmsprop(o.lr, o.alpha, 0, o.eps, false),
  },
  "rmsprop-cm": {
    label: "RMSprop centered+momentum",
    optimizer: "RMSprop",
    options: { lr: 1e-3, alpha: 0.99, eps: 1e-8, momentum: 0.9, centered: true },
    bytes: 36,
    tf: (train, o) => train.rmsprop(o.lr, o.alpha, o.momentum, o.eps, true),
  },
  adagrad: {
    label: "Adagrad",
    optimizer: "Adagrad",
    options: { lr: 1e-3, eps: 1e-10 },
    bytes: 20,
    // TF.js starts the accumulator at 0.1 and has no eps; the work per element is the same.
    tf: (train, o) => train.adagrad(o.lr),
  },
  adam: {
    label: "Adam",
    optimizer: "Adam",
    options: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8 },
    fixedStep: 10,
    bytes: 28,
    tf: (train, o) => train.adam(o.lr, o.betas[0], o.betas[1], o.eps),
  },
  adamw: {
    label: "AdamW",
    optimizer: "AdamW",
    options: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 },
    fixedStep: 10,
    bytes: 28,
    tf: "TF.js has no AdamW",
  },
  "sgd-momentum": {
    label: "SGD momentum",
    optimizer: "SGD",
    options: { lr: 0.01, momentum: 0.9, dampening: 0 },
    bytes: 20,
    // buf = momentum·buf + g, w -= lr·buf: torch's update with dampening 0.
    tf: (train, o) => train.momentum(o.lr, o.momentum, false),
  },
};

/** Fills `x` with the LCG sequence of `seed` (the C harness's `fill`). */
export function fill(x, seed) {
  let s = seed >>> 0;
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = (s / 4294967296) * 2 - 1;
  }
  return x;
}

export const PARAM_SEED = 1;
export const GRAD_SEED = 2;

/**
 * Whether a kernel's gradient flips sign between samples. With a constant gradient, centered
 * RMSprop's variance v - ḡ² converges to 0 and then to rounding noise, so sqrt gives NaN and
 * every later value is NaN: not a training run anyone has. Flipping keeps ḡ away from g.
 */
export const flips = (kernel) => kernel === "rmsprop-cm";
