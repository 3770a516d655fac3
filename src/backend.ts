import type { Heap } from "./heap.js";

// Option bits of every kernel's `flags`: one bit space for all kernels (assembly/options.ts
// holds the same values). A kernel ignores the bits it does not take.
/** Maximise: the gradient's sign flips first. */
export const MAXIMIZE = 1;
/** L2 weight decay added to the gradient: g = g + W·p (the parameter before any other change). */
export const WEIGHT_DECAY = 2;
/** RMSprop: divide by the centered variance, keeping a running mean gradient. */
export const CENTERED = 4;
/** RMSprop and SGD: keep a momentum buffer. */
export const MOMENTUM = 8;
/** RMSprop and Adagrad: eps under the square root, sqrt(v + eps), instead of sqrt(v) + eps. */
export const EPS_IN_SQRT = 16;
/** SGD with MOMENTUM: Nesterov momentum. */
export const NESTEROV = 32;
/** SGD with MOMENTUM: the buffer starts as a copy of the gradient (torch's first step). */
export const FIRST_STEP = 64;
/** Adam: divide by the running maximum of v. */
export const AMSGRAD = 128;
/** Adam: decoupled weight decay (AdamW), p = p·K before the update. */
export const DECOUPLED_DECAY = 256;

/**
 * The update kernels of one backend.
 *
 * Pointers are byte offsets into the backend's heap: 4-byte aligned (tensors start 16-byte
 * aligned), every buffer holds `n` float32. The buffer of an option that is off is never
 * touched, and its pointer may be 0. Constants are float32 values: the caller does the
 * hyperparameter arithmetic in double and rounds once (`Math.fround`). Each kernel runs one
 * specialised loop per combination of its flags, in the float32 operation order of
 * test/fixtures/FORMULAS.md and FORMULAS-2.md; every backend gives the same bits.
 */
export interface Kernels {
  /**
   * RMSprop. Flags MAXIMIZE, WEIGHT_DECAY, CENTERED (`ga` = grad_avg), MOMENTUM (`buf`),
   * EPS_IN_SQRT. A = alpha, B = 1 − alpha, E = eps, W = weight_decay, M = momentum, L = −lr.
   */
  rmsprop(
    flags: number, n: number, p: number, g: number, sq: number, ga: number, buf: number,
    A: number, B: number, E: number, W: number, M: number, L: number,
  ): void;
  /**
   * Adagrad. Flags MAXIMIZE, WEIGHT_DECAY, EPS_IN_SQRT. E = eps, W = weight_decay,
   * C = −lr / (1 + (step − 1)·lr_decay).
   */
  adagrad(flags: number, n: number, p: number, g: number, sum: number, E: number, W: number, C: number): void;
  /**
   * SGD. Flags MAXIMIZE, WEIGHT_DECAY, MOMENTUM (`buf`), and with MOMENTUM: NESTEROV and
   * FIRST_STEP (`buf` is written, not read). W = weight_decay, M = momentum,
   * D = 1 − dampening, L = −lr.
   */
  sgd(flags: number, n: number, p: number, g: number, buf: number, W: number, M: number, D: number, L: number): void;
  /**
   * Adam and AdamW (`m` = exp_avg, `v` = exp_avg_sq). Flags MAXIMIZE, WEIGHT_DECAY (Adam's
   * L2), AMSGRAD (`vmax` = max_exp_avg_sq; NaN wins the maximum), DECOUPLED_DECAY (AdamW).
   * B1 = beta1, C1 = 1 − beta1, B2 = beta2, C2 = 1 − beta2, S = sqrt(1 − beta2^step),
   * E = eps, W = weight_decay, L = −lr / (1 − beta1^step), K = 1 − lr·weight_decay.
   */
  adam(
    flags: number, n: number, p: number, g: number, m: number, v: number, vmax: number,
    B1: number, C1: number, B2: number, C2: number, S: number, E: number, W: number, L: number, K: number,
  ): void;
  /** 1 when all `n` float32 at `ptr` are finite, else 0. */
  allFinite(n: number, ptr: number): number;
}

export type BackendName = "wasm" | "js";

export interface Backend {
  readonly name: BackendName;
  readonly heap: Heap;
  readonly kernels: Kernels;
}
