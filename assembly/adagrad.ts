// Adagrad update (PyTorch `_single_tensor_adagrad`), in the float32 operation order of
// FORMULAS.md. Pointers are byte offsets into linear memory; every buffer holds `n` f32.
import { add, div, flush, mul, neg, splat, sqrt } from "./lanes";
import { adagradRowwise } from "./adagrad-rows";
import { FLUSH_BLOCK, flushBuffers } from "./flush";
import { EPS_IN_SQRT, FLUSH_DENORMALS, MAXIMIZE, Off, On, on, ROWWISE, WEIGHT_DECAY } from "./options";

@inline function update<T, Max, Decay, EpsInSqrt, Flush = Off>(
  i: usize, p: usize, g: usize, sum: usize, E: T, W: T, C: T,
): void {
  let pv = load<T>(p + i);
  let gv = load<T>(g + i);
  if (on<Max>()) gv = neg<T>(gv);
  if (on<Decay>()) gv = add<T>(gv, mul<T>(W, pv));
  const sv = add<T>(load<T>(sum + i), mul<T>(gv, gv));
  store<T>(sum + i, on<Flush>() ? flush<T>(sv) : sv);
  const std = on<EpsInSqrt>() ? sqrt<T>(add<T>(sv, E)) : add<T>(sqrt<T>(sv), E);
  store<T>(p + i, add<T>(pv, div<T>(mul<T>(C, gv), std)));
}

function run<Max, Decay, EpsInSqrt, Flush = Off>(
  n: usize, p: usize, g: usize, sum: usize, E: f32, W: f32, C: f32,
): void {
  const end = n << 2;
  const body = end & ~15;
  const vE = splat<v128>(E), vW = splat<v128>(W), vC = splat<v128>(C);
  let i: usize = 0;
  // A guarded do-while: see lanes.ts, "Loop shape".
  if (i < body) do {
    update<v128, Max, Decay, EpsInSqrt, Flush>(i, p, g, sum, vE, vW, vC);
    i += 16;
  } while (i < body);
  for (; i < end; i += 4) update<f32, Max, Decay, EpsInSqrt, Flush>(i, p, g, sum, E, W, C);
}

/**
 * Adagrad step over `n` elements. Constants, each a float32 of a double computed by the
 * caller: E = eps, W = weight_decay, C = -lr / (1 + (step - 1) * lr_decay).
 * EPS_IN_SQRT adds E under the square root instead of after it. ROWWISE keeps one accumulator
 * per row of D elements (n a multiple of D; see adagrad-rows.ts); D is read only with it.
 * FLUSH_DENORMALS flushes `sum` after the update (see flush.ts).
 */
export function adagrad(
  flags: u32, n: usize, p: usize, g: usize, sum: usize, E: f32, W: f32, C: f32, D: usize,
): void {
  if (flags & ROWWISE) {
    adagradRowwise(flags, n, p, g, sum, E, W, C, D);
    return;
  }
  // The default options' loop flushes as it stores (see flush.ts).
  if (flags == FLUSH_DENORMALS) {
    run<Off, Off, Off, On>(n, p, g, sum, E, W, C);
    return;
  }
  // One call site for the option chain (see rmsprop.ts).
  const guard = flags & FLUSH_DENORMALS;
  const block = guard ? FLUSH_BLOCK : n;
  let s: usize = 0;
  do {
    const m = min(block, n - s);
    const o = s << 2;
    withMax(flags, m, p + o, g + o, sum + o, E, W, C);
    if (guard) flushBuffers(m, sum + o, 0, 0);
    s += block;
  } while (s < n);
}

// The option chain (see options.ts).
@inline function withMax(
  flags: u32, n: usize, p: usize, g: usize, sum: usize, E: f32, W: f32, C: f32,
): void {
  if (flags & MAXIMIZE) withDecay<On>(flags, n, p, g, sum, E, W, C);
  else withDecay<Off>(flags, n, p, g, sum, E, W, C);
}

@inline function withDecay<Max>(
  flags: u32, n: usize, p: usize, g: usize, sum: usize, E: f32, W: f32, C: f32,
): void {
  if (flags & WEIGHT_DECAY) withEpsInSqrt<Max, On>(flags, n, p, g, sum, E, W, C);
  else withEpsInSqrt<Max, Off>(flags, n, p, g, sum, E, W, C);
}

@inline function withEpsInSqrt<Max, Decay>(
  flags: u32, n: usize, p: usize, g: usize, sum: usize, E: f32, W: f32, C: f32,
): void {
  if (flags & EPS_IN_SQRT) run<Max, Decay, On>(n, p, g, sum, E, W, C);
  else run<Max, Decay, Off>(n, p, g, sum, E, W, C);
}
