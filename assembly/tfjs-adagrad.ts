// Adagrad as TensorFlow.js's `tf.train.adagrad` computes it on its cpu backend (tfjs-core's
// adagrad_optimizer, 4.x): each tensor op there is one float32 rounding here, in its order.
// Unlike PyTorch, eps (the backend's epsilon) sits inside the square root and the quotient is
// multiplied by −lr last. Pointers are byte offsets into linear memory; every buffer holds `n` f32.
import { add, div, mul, splat, sqrt } from "./lanes";

@inline function update<T>(i: usize, p: usize, g: usize, acc: usize, E: T, NLR: T): void {
  const gv = load<T>(g + i);
  // acc = acc + g²; w = (g / sqrt(acc + eps))·(−lr) + w
  const av = add<T>(load<T>(acc + i), mul<T>(gv, gv));
  store<T>(acc + i, av);
  store<T>(p + i, add<T>(mul<T>(div<T>(gv, sqrt<T>(add<T>(av, E))), NLR), load<T>(p + i)));
}

/**
 * One `tf.train.adagrad` step over `n` elements. Constants: E = the TF.js backend's epsilon,
 * NLR = −learningRate, each as float32. `flags` is unused (no variants).
 */
export function tfjsAdagrad(flags: u32, n: usize, p: usize, g: usize, acc: usize, E: f32, NLR: f32): void {
  const end = n << 2;
  const body = end & ~15;
  const vE = splat<v128>(E), vNLR = splat<v128>(NLR);
  let i: usize = 0;
  for (; i < body; i += 16) update<v128>(i, p, g, acc, vE, vNLR);
  for (; i < end; i += 4) update<f32>(i, p, g, acc, E, NLR);
}
