// Adam and AdamW update (PyTorch `_single_tensor_adam` / `_single_tensor_adamw`), in the
// float32 operation order of FORMULAS-2.md. Pointers are byte offsets into linear memory;
// every buffer holds `n` f32.
import { add, div, flush, max, mul, neg, splat, sqrt } from "./lanes";
import { FLUSH_BLOCK, flushBuffers } from "./flush";
import { AMSGRAD, DECOUPLED_DECAY, FLUSH_DENORMALS, MAXIMIZE, Off, On, on, WEIGHT_DECAY } from "./options";

@inline function update<T, Max, Decay, Decoupled, Amsgrad, Flush = Off>(
  i: usize, p: usize, g: usize, m: usize, v: usize, vmax: usize,
  B1: T, C1: T, B2: T, C2: T, S: T, E: T, W: T, L: T, K: T,
): void {
  let pv = load<T>(p + i);
  let gv = load<T>(g + i);
  if (on<Max>()) gv = neg<T>(gv);
  if (on<Decay>()) gv = add<T>(gv, mul<T>(W, pv));
  if (on<Decoupled>()) pv = mul<T>(pv, K);
  const mv = add<T>(mul<T>(load<T>(m + i), B1), mul<T>(C1, gv));
  store<T>(m + i, on<Flush>() ? flush<T>(mv) : mv);
  let vv = add<T>(mul<T>(load<T>(v + i), B2), mul<T>(mul<T>(C2, gv), gv));
  store<T>(v + i, on<Flush>() ? flush<T>(vv) : vv);
  if (on<Amsgrad>()) {
    vv = max<T>(load<T>(vmax + i), vv);
    store<T>(vmax + i, vv);
  }
  // A true division by S, as torch does: a multiply by 1/S would round differently.
  const denom = add<T>(div<T>(sqrt<T>(vv), S), E);
  store<T>(p + i, add<T>(pv, div<T>(mul<T>(L, mv), denom)));
}

function run<Max, Decay, Decoupled, Amsgrad, Flush = Off>(
  n: usize, p: usize, g: usize, m: usize, v: usize, vmax: usize,
  B1: f32, C1: f32, B2: f32, C2: f32, S: f32, E: f32, W: f32, L: f32, K: f32,
): void {
  const vB1 = splat<v128>(B1), vC1 = splat<v128>(C1), vB2 = splat<v128>(B2), vC2 = splat<v128>(C2);
  const vS = splat<v128>(S), vE = splat<v128>(E), vW = splat<v128>(W), vL = splat<v128>(L), vK = splat<v128>(K);
  const end = p + (n << 2);
  // One vector per iteration: the loop is bound by the divide/square-root unit (a root and two
  // divisions per vector), which hides V8's per-iteration cost; two vectors per iteration
  // measured within 1-2% of it. The vector loop is a guarded do-while (see lanes.ts, "Loop shape").
  const stop = p + ((n << 2) & ~15);
  if (p < stop) do {
    update<v128, Max, Decay, Decoupled, Amsgrad, Flush>(0, p, g, m, v, vmax, vB1, vC1, vB2, vC2, vS, vE, vW, vL, vK);
    p += 16; g += 16; m += 16; v += 16; vmax += 16;
  } while (p < stop);
  while (p < end) {
    update<f32, Max, Decay, Decoupled, Amsgrad, Flush>(0, p, g, m, v, vmax, B1, C1, B2, C2, S, E, W, L, K);
    p += 4; g += 4; m += 4; v += 4; vmax += 4;
  }
}

/**
 * Adam step over `n` elements; `m` and `v` are exp_avg and exp_avg_sq, and `vmax`
 * (max_exp_avg_sq) is used only with AMSGRAD, where the larger of it and v divides (NaN
 * wins). Constants, each a float32 of a double computed by the caller: B1 = beta1,
 * C1 = 1 - beta1, B2 = beta2, C2 = 1 - beta2, S = sqrt(1 - beta2^step), E = eps,
 * W = weight_decay (WEIGHT_DECAY: L2 added to the gradient, Adam),
 * L = -lr / (1 - beta1^step), K = 1 - lr * weight_decay (DECOUPLED_DECAY: p = p * K, AdamW).
 * Weight decay reads the parameter before the decoupled decay scales it. FLUSH_DENORMALS
 * flushes exp_avg, exp_avg_sq and max_exp_avg_sq (with AMSGRAD) after the update (see flush.ts).
 */
export function adam(
  flags: u32, n: usize, p: usize, g: usize, m: usize, v: usize, vmax: usize,
  B1: f32, C1: f32, B2: f32, C2: f32, S: f32, E: f32, W: f32, L: f32, K: f32,
): void {
  // The default options' loops (Adam's, and AdamW's decoupled decay) flush as they store (see flush.ts).
  if (flags == FLUSH_DENORMALS) {
    run<Off, Off, Off, Off, On>(n, p, g, m, v, vmax, B1, C1, B2, C2, S, E, W, L, K);
    return;
  }
  if (flags == (FLUSH_DENORMALS | DECOUPLED_DECAY)) {
    run<Off, Off, On, Off, On>(n, p, g, m, v, vmax, B1, C1, B2, C2, S, E, W, L, K);
    return;
  }
  // One call site for the option chain (see rmsprop.ts).
  const guard = flags & FLUSH_DENORMALS;
  const block = guard ? FLUSH_BLOCK : n;
  let s: usize = 0;
  do {
    const k = min(block, n - s);
    const o = s << 2;
    withMax(flags, k, p + o, g + o, m + o, v + o, vmax + o, B1, C1, B2, C2, S, E, W, L, K);
    if (guard) flushBuffers(k, m + o, v + o, flags & AMSGRAD ? vmax + o : 0);
    s += block;
  } while (s < n);
}

// The option chain (see options.ts).
@inline function withMax(
  flags: u32, n: usize, p: usize, g: usize, m: usize, v: usize, vmax: usize,
  B1: f32, C1: f32, B2: f32, C2: f32, S: f32, E: f32, W: f32, L: f32, K: f32,
): void {
  if (flags & MAXIMIZE) withDecay<On>(flags, n, p, g, m, v, vmax, B1, C1, B2, C2, S, E, W, L, K);
  else withDecay<Off>(flags, n, p, g, m, v, vmax, B1, C1, B2, C2, S, E, W, L, K);
}

@inline function withDecay<Max>(
  flags: u32, n: usize, p: usize, g: usize, m: usize, v: usize, vmax: usize,
  B1: f32, C1: f32, B2: f32, C2: f32, S: f32, E: f32, W: f32, L: f32, K: f32,
): void {
  if (flags & WEIGHT_DECAY) withDecoupled<Max, On>(flags, n, p, g, m, v, vmax, B1, C1, B2, C2, S, E, W, L, K);
  else withDecoupled<Max, Off>(flags, n, p, g, m, v, vmax, B1, C1, B2, C2, S, E, W, L, K);
}

@inline function withDecoupled<Max, Decay>(
  flags: u32, n: usize, p: usize, g: usize, m: usize, v: usize, vmax: usize,
  B1: f32, C1: f32, B2: f32, C2: f32, S: f32, E: f32, W: f32, L: f32, K: f32,
): void {
  if (flags & DECOUPLED_DECAY) withAmsgrad<Max, Decay, On>(flags, n, p, g, m, v, vmax, B1, C1, B2, C2, S, E, W, L, K);
  else withAmsgrad<Max, Decay, Off>(flags, n, p, g, m, v, vmax, B1, C1, B2, C2, S, E, W, L, K);
}

@inline function withAmsgrad<Max, Decay, Decoupled>(
  flags: u32, n: usize, p: usize, g: usize, m: usize, v: usize, vmax: usize,
  B1: f32, C1: f32, B2: f32, C2: f32, S: f32, E: f32, W: f32, L: f32, K: f32,
): void {
  if (flags & AMSGRAD) run<Max, Decay, Decoupled, On>(n, p, g, m, v, vmax, B1, C1, B2, C2, S, E, W, L, K);
  else run<Max, Decay, Decoupled, Off>(n, p, g, m, v, vmax, B1, C1, B2, C2, S, E, W, L, K);
}
