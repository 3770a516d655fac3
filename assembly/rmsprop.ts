// RMSprop update (PyTorch `_single_tensor_rmsprop`), in the float32 operation order of
// FORMULAS.md. Pointers are byte offsets into linear memory; every buffer holds `n` f32.
import { add, div, flush, mul, neg, splat, sqrt, sub } from "./lanes";
import { FLUSH_BLOCK, flushBuffers } from "./flush";
import { CENTERED, EPS_IN_SQRT, FLUSH_DENORMALS, MAXIMIZE, MOMENTUM, Off, On, on, WEIGHT_DECAY } from "./options";

// One update of the elements at byte offset `i`, for T = v128 (4 lanes) or f32 (one lane).
@inline function update<T, Max, Decay, Centered, Momentum, EpsInSqrt, Flush = Off>(
  i: usize, p: usize, g: usize, sq: usize, ga: usize, buf: usize,
  A: T, B: T, E: T, W: T, M: T, L: T,
): void {
  let pv = load<T>(p + i);
  let gv = load<T>(g + i);
  if (on<Max>()) gv = neg<T>(gv);
  if (on<Decay>()) gv = add<T>(gv, mul<T>(W, pv));
  let sv = mul<T>(load<T>(sq + i), A);
  sv = add<T>(sv, mul<T>(mul<T>(B, gv), gv));
  store<T>(sq + i, on<Flush>() ? flush<T>(sv) : sv);
  let variance = sv;
  if (on<Centered>()) {
    let av = mul<T>(load<T>(ga + i), A);
    av = add<T>(av, mul<T>(B, gv));
    store<T>(ga + i, on<Flush>() ? flush<T>(av) : av);
    variance = sub<T>(sv, mul<T>(av, av));
  }
  const avg = on<EpsInSqrt>() ? sqrt<T>(add<T>(variance, E)) : add<T>(sqrt<T>(variance), E);
  if (on<Momentum>()) {
    let bv = mul<T>(load<T>(buf + i), M);
    bv = add<T>(bv, div<T>(gv, avg));
    store<T>(buf + i, on<Flush>() ? flush<T>(bv) : bv);
    store<T>(p + i, add<T>(pv, mul<T>(L, bv)));
  } else {
    store<T>(p + i, add<T>(pv, div<T>(mul<T>(L, gv), avg)));
  }
}

// The loop of one option combination.
function run<Max, Decay, Centered, Momentum, EpsInSqrt, Flush = Off>(
  n: usize, p: usize, g: usize, sq: usize, ga: usize, buf: usize,
  A: f32, B: f32, E: f32, W: f32, M: f32, L: f32,
): void {
  const vA = splat<v128>(A), vB = splat<v128>(B), vE = splat<v128>(E);
  const vW = splat<v128>(W), vM = splat<v128>(M), vL = splat<v128>(L);
  const end = p + (n << 2);
  // Every pointer advances instead of being re-added to an index: fewer address computations
  // and spills in V8's code for the five-stream variants (centered + momentum measured 3-4%
  // faster, the others unchanged). Centered and momentum steps also carry a long dependency
  // chain (sqrt, then div, then two more state updates): two vectors per iteration let the CPU
  // overlap them, measured 5% faster; the plain variants gain nothing from it. What is left
  // after the last whole iteration goes to the scalar loop, so that each variant has one vector
  // loop (a single-vector loop for the remainder would add a quarter to the module's size).
  // Vector loops are guarded do-whiles: see lanes.ts, "Loop shape".
  if (on<Centered>() || on<Momentum>()) {
    const stop2 = p + ((n << 2) & ~31);
    if (p < stop2) do {
      update<v128, Max, Decay, Centered, Momentum, EpsInSqrt, Flush>(0, p, g, sq, ga, buf, vA, vB, vE, vW, vM, vL);
      update<v128, Max, Decay, Centered, Momentum, EpsInSqrt, Flush>(16, p, g, sq, ga, buf, vA, vB, vE, vW, vM, vL);
      p += 32; g += 32; sq += 32; ga += 32; buf += 32;
    } while (p < stop2);
  } else {
    const stop = p + ((n << 2) & ~15);
    if (p < stop) do {
      update<v128, Max, Decay, Centered, Momentum, EpsInSqrt, Flush>(0, p, g, sq, ga, buf, vA, vB, vE, vW, vM, vL);
      p += 16; g += 16; sq += 16; ga += 16; buf += 16;
    } while (p < stop);
  }
  while (p < end) {
    update<f32, Max, Decay, Centered, Momentum, EpsInSqrt, Flush>(0, p, g, sq, ga, buf, A, B, E, W, M, L);
    p += 4; g += 4; sq += 4; ga += 4; buf += 4;
  }
}

/**
 * RMSprop step over `n` elements. `ga` is read only with CENTERED and `buf` only with
 * MOMENTUM. Constants, each a float32 of a double computed by the caller:
 * A = alpha, B = 1 - alpha, E = eps, W = weight_decay, M = momentum, L = -lr.
 * EPS_IN_SQRT adds E under the square root instead of after it. FLUSH_DENORMALS flushes
 * square_avg, grad_avg and momentum_buffer (those in use) after the update (see flush.ts).
 */
export function rmsprop(
  flags: u32, n: usize, p: usize, g: usize, sq: usize, ga: usize, buf: usize,
  A: f32, B: f32, E: f32, W: f32, M: f32, L: f32,
): void {
  // The loops of the common options (default, momentum, centered with momentum) flush as they
  // store (see flush.ts).
  if (flags == FLUSH_DENORMALS) {
    run<Off, Off, Off, Off, Off, On>(n, p, g, sq, ga, buf, A, B, E, W, M, L);
    return;
  }
  if (flags == (FLUSH_DENORMALS | MOMENTUM)) {
    run<Off, Off, Off, On, Off, On>(n, p, g, sq, ga, buf, A, B, E, W, M, L);
    return;
  }
  if (flags == (FLUSH_DENORMALS | MOMENTUM | CENTERED)) {
    run<Off, Off, On, On, Off, On>(n, p, g, sq, ga, buf, A, B, E, W, M, L);
    return;
  }
  // One call site for the option chain, guarded or not, so that the compiler inlines the loops
  // into it as before (a second call site made the module a third larger). Unguarded, the
  // block is the whole call.
  const guard = flags & FLUSH_DENORMALS;
  const block = guard ? FLUSH_BLOCK : n;
  let s: usize = 0;
  do {
    const m = min(block, n - s);
    const o = s << 2;
    withMax(flags, m, p + o, g + o, sq + o, ga + o, buf + o, A, B, E, W, M, L);
    if (guard) flushBuffers(m, sq + o, flags & CENTERED ? ga + o : 0, flags & MOMENTUM ? buf + o : 0);
    s += block;
  } while (s < n);
}

// The option chain (see options.ts): each link fixes one option and passes on the rest.
@inline function withMax(
  flags: u32, n: usize, p: usize, g: usize, sq: usize, ga: usize, buf: usize,
  A: f32, B: f32, E: f32, W: f32, M: f32, L: f32,
): void {
  if (flags & MAXIMIZE) withDecay<On>(flags, n, p, g, sq, ga, buf, A, B, E, W, M, L);
  else withDecay<Off>(flags, n, p, g, sq, ga, buf, A, B, E, W, M, L);
}

@inline function withDecay<Max>(
  flags: u32, n: usize, p: usize, g: usize, sq: usize, ga: usize, buf: usize,
  A: f32, B: f32, E: f32, W: f32, M: f32, L: f32,
): void {
  if (flags & WEIGHT_DECAY) withCentered<Max, On>(flags, n, p, g, sq, ga, buf, A, B, E, W, M, L);
  else withCentered<Max, Off>(flags, n, p, g, sq, ga, buf, A, B, E, W, M, L);
}

@inline function withCentered<Max, Decay>(
  flags: u32, n: usize, p: usize, g: usize, sq: usize, ga: usize, buf: usize,
  A: f32, B: f32, E: f32, W: f32, M: f32, L: f32,
): void {
  if (flags & CENTERED) withMomentum<Max, Decay, On>(flags, n, p, g, sq, ga, buf, A, B, E, W, M, L);
  else withMomentum<Max, Decay, Off>(flags, n, p, g, sq, ga, buf, A, B, E, W, M, L);
}

@inline function withMomentum<Max, Decay, Centered>(
  flags: u32, n: usize, p: usize, g: usize, sq: usize, ga: usize, buf: usize,
  A: f32, B: f32, E: f32, W: f32, M: f32, L: f32,
): void {
  if (flags & MOMENTUM) withEpsInSqrt<Max, Decay, Centered, On>(flags, n, p, g, sq, ga, buf, A, B, E, W, M, L);
  else withEpsInSqrt<Max, Decay, Centered, Off>(flags, n, p, g, sq, ga, buf, A, B, E, W, M, L);
}

@inline function withEpsInSqrt<Max, Decay, Centered, Momentum>(
  flags: u32, n: usize, p: usize, g: usize, sq: usize, ga: usize, buf: usize,
  A: f32, B: f32, E: f32, W: f32, M: f32, L: f32,
): void {
  if (flags & EPS_IN_SQRT) run<Max, Decay, Centered, Momentum, On>(n, p, g, sq, ga, buf, A, B, E, W, M, L);
  else run<Max, Decay, Centered, Momentum, Off>(n, p, g, sq, ga, buf, A, B, E, W, M, L);
}
