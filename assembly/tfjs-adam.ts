// Adam as TensorFlow.js's `tf.train.adam` computes it on its cpu backend (tfjs-core's
// adam_optimizer, 4.x): each tensor op there is one float32 rounding here, in its order. Unlike
// PyTorch, the bias corrections divide the moments before the square root, eps is added to
// sqrt(v̂) and the step is multiplied by −lr last; 1 − beta^t comes from TF.js's float32 powers.
// Pointers are byte offsets into linear memory; every buffer holds `n` f32.
import { add, div, mul, splat, sqrt } from "./lanes";

@inline function update<T>(
  i: usize, p: usize, g: usize, m: usize, v: usize,
  B1: T, OB1: T, B2: T, OB2: T, C1: T, C2: T, E: T, NLR: T,
): void {
  const gv = load<T>(g + i);
  // m = m·beta1 + g·(1 − beta1); v = v·beta2 + g²·(1 − beta2)
  const mv = add<T>(mul<T>(load<T>(m + i), B1), mul<T>(gv, OB1));
  store<T>(m + i, mv);
  const vv = add<T>(mul<T>(load<T>(v + i), B2), mul<T>(mul<T>(gv, gv), OB2));
  store<T>(v + i, vv);
  // w = ((m / c1) / (sqrt(v / c2) + eps))·(−lr) + w
  const q = div<T>(div<T>(mv, C1), add<T>(sqrt<T>(div<T>(vv, C2)), E));
  store<T>(p + i, add<T>(mul<T>(q, NLR), load<T>(p + i)));
}

/**
 * One `tf.train.adam` step over `n` elements. Constants, each the float32 TF.js makes of a
 * number: B1 = beta1, OB1 = 1 − beta1 (formed in double), B2 = beta2, OB2 = 1 − beta2,
 * C1 = 1 − accBeta1 and C2 = 1 − accBeta2 (float32 subtractions from TF.js's float32 powers),
 * E = epsilon, NLR = −learningRate. `flags` is unused (no variants).
 */
export function tfjsAdam(
  flags: u32, n: usize, p: usize, g: usize, m: usize, v: usize,
  B1: f32, OB1: f32, B2: f32, OB2: f32, C1: f32, C2: f32, E: f32, NLR: f32,
): void {
  const end = n << 2;
  const body = end & ~15;
  const vB1 = splat<v128>(B1), vOB1 = splat<v128>(OB1), vB2 = splat<v128>(B2), vOB2 = splat<v128>(OB2);
  const vC1 = splat<v128>(C1), vC2 = splat<v128>(C2), vE = splat<v128>(E), vNLR = splat<v128>(NLR);
  let i: usize = 0;
  for (; i < body; i += 16) update<v128>(i, p, g, m, v, vB1, vOB1, vB2, vOB2, vC1, vC2, vE, vNLR);
  for (; i < end; i += 4) update<f32>(i, p, g, m, v, B1, OB1, B2, OB2, C1, C2, E, NLR);
}
