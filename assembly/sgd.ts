// SGD update (PyTorch `_single_tensor_sgd`), in the float32 operation order of FORMULAS-2.md.
// Pointers are byte offsets into linear memory; every buffer holds `n` f32.
import { add, flush, mul, neg, splat } from "./lanes";
import { FLUSH_BLOCK, flushBuffers } from "./flush";
import { FIRST_STEP, FLUSH_DENORMALS, MAXIMIZE, MOMENTUM, NESTEROV, Off, On, on, WEIGHT_DECAY } from "./options";

@inline function update<T, Max, Decay, Momentum, Nesterov, FirstStep, Flush = Off>(
  i: usize, p: usize, g: usize, buf: usize, W: T, M: T, D: T, L: T,
): void {
  const pv = load<T>(p + i);
  let gv = load<T>(g + i);
  if (on<Max>()) gv = neg<T>(gv);
  if (on<Decay>()) gv = add<T>(gv, mul<T>(W, pv));
  if (on<Momentum>()) {
    // torch starts the buffer as a copy of the first gradient, with no dampening.
    const bv = on<FirstStep>() ? gv : add<T>(mul<T>(load<T>(buf + i), M), mul<T>(D, gv));
    store<T>(buf + i, on<Flush>() ? flush<T>(bv) : bv);
    gv = on<Nesterov>() ? add<T>(gv, mul<T>(M, bv)) : bv;
  }
  store<T>(p + i, add<T>(pv, mul<T>(L, gv)));
}

function run<Max, Decay, Momentum, Nesterov, FirstStep, Flush = Off>(
  n: usize, p: usize, g: usize, buf: usize, W: f32, M: f32, D: f32, L: f32,
): void {
  const vW = splat<v128>(W), vM = splat<v128>(M), vD = splat<v128>(D), vL = splat<v128>(L);
  const end = p + (n << 2);
  // Four vectors per iteration: the update is a few adds and multiplies, so V8's per-iteration
  // cost (pointer moves, interrupt check) would otherwise dominate it. Momentum SGD at 1e4-1e6
  // elements measured 1.1-1.4x the time of the C build with one or two vectors, 0.85-1.0x
  // with four. The last 0-15 elements take the scalar loop (see rmsprop.ts); the vector loop
  // is a guarded do-while (see lanes.ts, "Loop shape").
  const stop4 = p + ((n << 2) & ~63);
  if (p < stop4) do {
    update<v128, Max, Decay, Momentum, Nesterov, FirstStep, Flush>(0, p, g, buf, vW, vM, vD, vL);
    update<v128, Max, Decay, Momentum, Nesterov, FirstStep, Flush>(16, p, g, buf, vW, vM, vD, vL);
    update<v128, Max, Decay, Momentum, Nesterov, FirstStep, Flush>(32, p, g, buf, vW, vM, vD, vL);
    update<v128, Max, Decay, Momentum, Nesterov, FirstStep, Flush>(48, p, g, buf, vW, vM, vD, vL);
    p += 64; g += 64; buf += 64;
  } while (p < stop4);
  while (p < end) {
    update<f32, Max, Decay, Momentum, Nesterov, FirstStep, Flush>(0, p, g, buf, W, M, D, L);
    p += 4; g += 4; buf += 4;
  }
}

/**
 * SGD step over `n` elements. `buf` (the momentum buffer) is used only with MOMENTUM, and
 * NESTEROV and FIRST_STEP only with MOMENTUM; with FIRST_STEP the buffer is written, never
 * read. Constants, each a float32 of a double computed by the caller: W = weight_decay,
 * M = momentum, D = 1 - dampening, L = -lr. FLUSH_DENORMALS (with MOMENTUM) flushes the buffer
 * after the update (see flush.ts).
 */
export function sgd(
  flags: u32, n: usize, p: usize, g: usize, buf: usize, W: f32, M: f32, D: f32, L: f32,
): void {
  // The default momentum loop flushes as it stores (see flush.ts).
  if (flags == (FLUSH_DENORMALS | MOMENTUM)) {
    run<Off, Off, On, Off, Off, On>(n, p, g, buf, W, M, D, L);
    return;
  }
  // One call site for the option chain (see rmsprop.ts). Without momentum there is no state.
  const guard = (flags & (FLUSH_DENORMALS | MOMENTUM)) == (FLUSH_DENORMALS | MOMENTUM);
  const block = guard ? FLUSH_BLOCK : n;
  let s: usize = 0;
  do {
    const m = min(block, n - s);
    const o = s << 2;
    withMax(flags, m, p + o, g + o, buf + o, W, M, D, L);
    if (guard) flushBuffers(m, buf + o, 0, 0);
    s += block;
  } while (s < n);
}

// The option chain (see options.ts).
@inline function withMax(
  flags: u32, n: usize, p: usize, g: usize, buf: usize, W: f32, M: f32, D: f32, L: f32,
): void {
  if (flags & MAXIMIZE) withDecay<On>(flags, n, p, g, buf, W, M, D, L);
  else withDecay<Off>(flags, n, p, g, buf, W, M, D, L);
}

@inline function withDecay<Max>(
  flags: u32, n: usize, p: usize, g: usize, buf: usize, W: f32, M: f32, D: f32, L: f32,
): void {
  if (flags & WEIGHT_DECAY) withMomentum<Max, On>(flags, n, p, g, buf, W, M, D, L);
  else withMomentum<Max, Off>(flags, n, p, g, buf, W, M, D, L);
}

@inline function withMomentum<Max, Decay>(
  flags: u32, n: usize, p: usize, g: usize, buf: usize, W: f32, M: f32, D: f32, L: f32,
): void {
  if (flags & MOMENTUM) withNesterov<Max, Decay>(flags, n, p, g, buf, W, M, D, L);
  else run<Max, Decay, Off, Off, Off>(n, p, g, buf, W, M, D, L);
}

@inline function withNesterov<Max, Decay>(
  flags: u32, n: usize, p: usize, g: usize, buf: usize, W: f32, M: f32, D: f32, L: f32,
): void {
  if (flags & NESTEROV) withFirstStep<Max, Decay, On>(flags, n, p, g, buf, W, M, D, L);
  else withFirstStep<Max, Decay, Off>(flags, n, p, g, buf, W, M, D, L);
}

@inline function withFirstStep<Max, Decay, Nesterov>(
  flags: u32, n: usize, p: usize, g: usize, buf: usize, W: f32, M: f32, D: f32, L: f32,
): void {
  if (flags & FIRST_STEP) run<Max, Decay, On, Nesterov, On>(n, p, g, buf, W, M, D, L);
  else run<Max, Decay, On, Nesterov, Off>(n, p, g, buf, W, M, D, L);
}
