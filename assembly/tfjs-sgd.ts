// SGD and momentum SGD as TensorFlow.js's `tf.train.sgd` and `tf.train.momentum` compute them
// on its cpu backend (tfjs-core's sgd_optimizer and momentum_optimizer, 4.x): each tensor op
// there is one float32 rounding here, in its order. C is TF.js's scalar −lr and M its scalar
// momentum. Pointers are byte offsets into linear memory; every buffer holds `n` f32.
import { add, mul, splat } from "./lanes";
import { Off, On, on } from "./options";

/** Flag: Nesterov momentum. */
export const TFJS_MOMENTUM_NESTEROV: u32 = 1;

@inline function sgdUpdate<T>(i: usize, p: usize, g: usize, C: T): void {
  // w = C·g + w
  store<T>(p + i, add<T>(mul<T>(C, load<T>(g + i)), load<T>(p + i)));
}

/** One `tf.train.sgd` step over `n` elements; C = −learningRate as float32. `flags` is unused. */
export function tfjsSgd(flags: u32, n: usize, p: usize, g: usize, C: f32): void {
  const end = n << 2;
  const body = end & ~15;
  const vC = splat<v128>(C);
  let i: usize = 0;
  for (; i < body; i += 16) sgdUpdate<v128>(i, p, g, vC);
  for (; i < end; i += 4) sgdUpdate<f32>(i, p, g, C);
}

@inline function momentumUpdate<T, Nesterov>(i: usize, p: usize, g: usize, acc: usize, C: T, M: T): void {
  const gv = load<T>(g + i);
  // acc = M·acc + g; w = C·acc + w, or with Nesterov w = C·(g + acc·M) + w
  const av = add<T>(mul<T>(M, load<T>(acc + i)), gv);
  store<T>(acc + i, av);
  const dir = on<Nesterov>() ? add<T>(gv, mul<T>(av, M)) : av;
  store<T>(p + i, add<T>(mul<T>(C, dir), load<T>(p + i)));
}

@inline function momentumRun<Nesterov>(n: usize, p: usize, g: usize, acc: usize, C: f32, M: f32): void {
  const end = n << 2;
  const body = end & ~15;
  const vC = splat<v128>(C), vM = splat<v128>(M);
  let i: usize = 0;
  for (; i < body; i += 16) momentumUpdate<v128, Nesterov>(i, p, g, acc, vC, vM);
  for (; i < end; i += 4) momentumUpdate<f32, Nesterov>(i, p, g, acc, C, M);
}

/**
 * One `tf.train.momentum` step over `n` elements. Constants: C = −learningRate, M = momentum,
 * each as float32.
 */
export function tfjsMomentum(flags: u32, n: usize, p: usize, g: usize, acc: usize, C: f32, M: f32): void {
  if (flags & TFJS_MOMENTUM_NESTEROV) momentumRun<On>(n, p, g, acc, C, M);
  else momentumRun<Off>(n, p, g, acc, C, M);
}
