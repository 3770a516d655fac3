// RMSprop as TensorFlow.js's `tf.train.rmsprop` computes it on its cpu backend (tfjs-core's
// rmsprop_optimizer, 4.x): each tensor op there is one float32 rounding here, in its order.
// It differs from PyTorch's RMSprop in three ways: eps sits inside the square root, g² is
// formed before the (1 − decay) factor, and the momentum accumulator always exists (with
// momentum 0 it holds the last step's update, which TF.js saves with the optimizer's weights).
// Pointers are byte offsets into linear memory; every buffer holds `n` f32.
import { add, div, mul, splat, sqrt, sub } from "./lanes";
import { Off, On, on } from "./options";

/** Flag: centered RMSprop, with the running mean gradient `mg`. */
export const TFJS_RMSPROP_CENTERED: u32 = 1;

@inline function update<T, Centered>(
  i: usize, p: usize, g: usize, ms: usize, mom: usize, mg: usize,
  D: T, OD: T, LR: T, E: T, M: T,
): void {
  const gv = load<T>(g + i);
  // ms = ms·decay + g²·(1 − decay)
  const sv = add<T>(mul<T>(load<T>(ms + i), D), mul<T>(mul<T>(gv, gv), OD));
  store<T>(ms + i, sv);
  let root: T;
  if (on<Centered>()) {
    // mg = mg·decay + g·(1 − decay); TF.js subtracts eps with mg²: sqrt(ms − (mg² + eps))
    const av = add<T>(mul<T>(load<T>(mg + i), D), mul<T>(gv, OD));
    store<T>(mg + i, av);
    root = sqrt<T>(sub<T>(sv, add<T>(mul<T>(av, av), E)));
  } else {
    root = sqrt<T>(add<T>(sv, E));
  }
  // mom = mom·momentum + (g·lr) / root; w = w − mom
  const mv = add<T>(mul<T>(load<T>(mom + i), M), div<T>(mul<T>(gv, LR), root));
  store<T>(mom + i, mv);
  store<T>(p + i, sub<T>(load<T>(p + i), mv));
}

@inline function run<Centered>(
  n: usize, p: usize, g: usize, ms: usize, mom: usize, mg: usize,
  D: f32, OD: f32, LR: f32, E: f32, M: f32,
): void {
  const end = n << 2;
  const body = end & ~15;
  const vD = splat<v128>(D), vOD = splat<v128>(OD), vLR = splat<v128>(LR), vE = splat<v128>(E), vM = splat<v128>(M);
  let i: usize = 0;
  for (; i < body; i += 16) update<v128, Centered>(i, p, g, ms, mom, mg, vD, vOD, vLR, vE, vM);
  for (; i < end; i += 4) update<f32, Centered>(i, p, g, ms, mom, mg, D, OD, LR, E, M);
}

/**
 * One `tf.train.rmsprop` step over `n` elements. `mg` is read only with TFJS_RMSPROP_CENTERED.
 * Constants, each the float32 TF.js makes of a number: D = decay, OD = 1 − decay (formed in
 * double), LR = learningRate, E = epsilon, M = momentum.
 */
export function tfjsRmsprop(
  flags: u32, n: usize, p: usize, g: usize, ms: usize, mom: usize, mg: usize,
  D: f32, OD: f32, LR: f32, E: f32, M: f32,
): void {
  if (flags & TFJS_RMSPROP_CENTERED) run<On>(n, p, g, ms, mom, mg, D, OD, LR, E, M);
  else run<Off>(n, p, g, ms, mom, mg, D, OD, LR, E, M);
}
