// The benchmark's inputs and hyperparameters, shared by every implementation (the C harness
// repeats them): values uniform in [-1, 1) from a 32-bit LCG, so every run sees the same data.

/** The three optimizer configurations the bench times. */
export const KERNELS = {
  rmsprop: { label: "RMSprop", options: { lr: 1e-3, alpha: 0.99, eps: 1e-8 } },
  "rmsprop-cm": {
    label: "RMSprop centered+momentum",
    options: { lr: 1e-3, alpha: 0.99, eps: 1e-8, momentum: 0.9, centered: true },
  },
  adagrad: { label: "Adagrad", options: { lr: 1e-3, eps: 1e-10 } },
};

/**
 * Adam, AdamW and SGD with momentum, as bench/kernels-quick.mjs times them: Adam at its 10th
 * step, SGD after its first (the C harness repeats these).
 */
export const ADAM_SGD_KERNELS = {
  adam: { label: "Adam", options: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, step: 10 } },
  adamw: { label: "AdamW", options: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01, step: 10 } },
  "sgd-momentum": { label: "SGD momentum", options: { lr: 0.01, momentum: 0.9, dampening: 0 } },
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
