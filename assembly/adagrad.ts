// Adagrad update (PyTorch `_single_tensor_adagrad`), in the float32 operation order of
// FORMULAS.md. Pointers are byte offsets into linear memory; every buffer holds `n` f32.
import { add, div, mul, neg, splat, sqrt } from "./lanes";

// Option bits of `flags`; each combination is its own specialised loop.
export const ADAGRAD_MAXIMIZE: u32 = 1;
export const ADAGRAD_WEIGHT_DECAY: u32 = 2;

@inline function update<T>(
  i: usize, p: usize, g: usize, sum: usize,
  E: T, W: T, C: T, maximize: bool, decay: bool,
): void {
  let pv = load<T>(p + i);
  let gv = load<T>(g + i);
  if (maximize) gv = neg<T>(gv);
  if (decay) gv = add<T>(gv, mul<T>(W, pv));
  const sv = add<T>(load<T>(sum + i), mul<T>(gv, gv));
  store<T>(sum + i, sv);
  const std = add<T>(sqrt<T>(sv), E);
  store<T>(p + i, add<T>(pv, div<T>(mul<T>(C, gv), std)));
}

@inline function run(
  n: usize, p: usize, g: usize, sum: usize, E: f32, W: f32, C: f32,
  maximize: bool, decay: bool,
): void {
  const end = n << 2;
  const body = end & ~15;
  const vE = splat<v128>(E), vW = splat<v128>(W), vC = splat<v128>(C);
  let i: usize = 0;
  for (; i < body; i += 16) update<v128>(i, p, g, sum, vE, vW, vC, maximize, decay);
  for (; i < end; i += 4) update<f32>(i, p, g, sum, E, W, C, maximize, decay);
}

/**
 * Adagrad step over `n` elements. Constants, each a float32 of a double computed by the
 * caller: E = eps, W = weight_decay, C = -lr / (1 + (step - 1) * lr_decay).
 */
export function adagrad(
  flags: u32, n: usize, p: usize, g: usize, sum: usize, E: f32, W: f32, C: f32,
): void {
  switch (flags & 3) {
    case 0: run(n, p, g, sum, E, W, C, false, false); break;
    case 1: run(n, p, g, sum, E, W, C, true, false); break;
    case 2: run(n, p, g, sum, E, W, C, false, true); break;
    default: run(n, p, g, sum, E, W, C, true, true); break;
  }
}
