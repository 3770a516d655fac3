// RMSprop update (PyTorch `_single_tensor_rmsprop`), in the float32 operation order of
// FORMULAS.md. Pointers are byte offsets into linear memory; every buffer holds `n` f32.
import { add, div, mul, neg, splat, sqrt, sub } from "./lanes";

// Option bits of `flags`. Each combination is its own specialised loop, so an option that is
// off costs nothing per element (a multiply by zero would also change bits: 0 * Inf = NaN).
export const RMSPROP_MAXIMIZE: u32 = 1;
export const RMSPROP_WEIGHT_DECAY: u32 = 2;
export const RMSPROP_CENTERED: u32 = 4;
export const RMSPROP_MOMENTUM: u32 = 8;

// One update of the elements at byte offset `i`, for T = v128 (4 lanes) or f32 (one lane).
@inline function update<T>(
  i: usize, p: usize, g: usize, sq: usize, ga: usize, buf: usize,
  A: T, B: T, E: T, W: T, M: T, L: T,
  maximize: bool, decay: bool, centered: bool, momentum: bool,
): void {
  let pv = load<T>(p + i);
  let gv = load<T>(g + i);
  if (maximize) gv = neg<T>(gv);
  if (decay) gv = add<T>(gv, mul<T>(W, pv));
  let sv = mul<T>(load<T>(sq + i), A);
  sv = add<T>(sv, mul<T>(mul<T>(B, gv), gv));
  store<T>(sq + i, sv);
  let avg: T;
  if (centered) {
    let av = mul<T>(load<T>(ga + i), A);
    av = add<T>(av, mul<T>(B, gv));
    store<T>(ga + i, av);
    avg = sqrt<T>(sub<T>(sv, mul<T>(av, av)));
  } else {
    avg = sqrt<T>(sv);
  }
  avg = add<T>(avg, E);
  if (momentum) {
    let bv = mul<T>(load<T>(buf + i), M);
    bv = add<T>(bv, div<T>(gv, avg));
    store<T>(buf + i, bv);
    store<T>(p + i, add<T>(pv, mul<T>(L, bv)));
  } else {
    store<T>(p + i, add<T>(pv, div<T>(mul<T>(L, gv), avg)));
  }
}

@inline function run(
  n: usize, p: usize, g: usize, sq: usize, ga: usize, buf: usize,
  A: f32, B: f32, E: f32, W: f32, M: f32, L: f32,
  maximize: bool, decay: bool, centered: bool, momentum: bool,
): void {
  const vA = splat<v128>(A), vB = splat<v128>(B), vE = splat<v128>(E);
  const vW = splat<v128>(W), vM = splat<v128>(M), vL = splat<v128>(L);
  const end = p + (n << 2);
  // Every pointer advances instead of being re-added to an index: fewer address computations
  // and spills in V8's code for the five-stream variants (centered + momentum measured 3-4%
  // faster, the others unchanged). Centered and momentum steps also carry a long dependency
  // chain (sqrt, then div, then two more state updates): two vectors per iteration let the CPU
  // overlap them, measured 5% faster; the plain variants gain nothing from it.
  if (centered || momentum) {
    const stop2 = p + ((n << 2) & ~31);
    while (p < stop2) {
      update<v128>(0, p, g, sq, ga, buf, vA, vB, vE, vW, vM, vL, maximize, decay, centered, momentum);
      update<v128>(16, p, g, sq, ga, buf, vA, vB, vE, vW, vM, vL, maximize, decay, centered, momentum);
      p += 32; g += 32; sq += 32; ga += 32; buf += 32;
    }
  }
  const stop = p + ((end - p) & ~15);
  while (p < stop) {
    update<v128>(0, p, g, sq, ga, buf, vA, vB, vE, vW, vM, vL, maximize, decay, centered, momentum);
    p += 16; g += 16; sq += 16; ga += 16; buf += 16;
  }
  while (p < end) {
    update<f32>(0, p, g, sq, ga, buf, A, B, E, W, M, L, maximize, decay, centered, momentum);
    p += 4; g += 4; sq += 4; ga += 4; buf += 4;
  }
}

/**
 * RMSprop step over `n` elements. `ga` is read only with RMSPROP_CENTERED and `buf` only with
 * RMSPROP_MOMENTUM. Constants, each a float32 of a double computed by the caller:
 * A = alpha, B = 1 - alpha, E = eps, W = weight_decay, M = momentum, L = -lr.
 */
export function rmsprop(
  flags: u32, n: usize, p: usize, g: usize, sq: usize, ga: usize, buf: usize,
  A: f32, B: f32, E: f32, W: f32, M: f32, L: f32,
): void {
  switch (flags & 15) {
    case 0: run(n, p, g, sq, ga, buf, A, B, E, W, M, L, false, false, false, false); break;
    case 1: run(n, p, g, sq, ga, buf, A, B, E, W, M, L, true, false, false, false); break;
    case 2: run(n, p, g, sq, ga, buf, A, B, E, W, M, L, false, true, false, false); break;
    case 3: run(n, p, g, sq, ga, buf, A, B, E, W, M, L, true, true, false, false); break;
    case 4: run(n, p, g, sq, ga, buf, A, B, E, W, M, L, false, false, true, false); break;
    case 5: run(n, p, g, sq, ga, buf, A, B, E, W, M, L, true, false, true, false); break;
    case 6: run(n, p, g, sq, ga, buf, A, B, E, W, M, L, false, true, true, false); break;
    case 7: run(n, p, g, sq, ga, buf, A, B, E, W, M, L, true, true, true, false); break;
    case 8: run(n, p, g, sq, ga, buf, A, B, E, W, M, L, false, false, false, true); break;
    case 9: run(n, p, g, sq, ga, buf, A, B, E, W, M, L, true, false, false, true); break;
    case 10: run(n, p, g, sq, ga, buf, A, B, E, W, M, L, false, true, false, true); break;
    case 11: run(n, p, g, sq, ga, buf, A, B, E, W, M, L, true, true, false, true); break;
    case 12: run(n, p, g, sq, ga, buf, A, B, E, W, M, L, false, false, true, true); break;
    case 13: run(n, p, g, sq, ga, buf, A, B, E, W, M, L, true, false, true, true); break;
    case 14: run(n, p, g, sq, ga, buf, A, B, E, W, M, L, false, true, true, true); break;
    default: run(n, p, g, sq, ga, buf, A, B, E, W, M, L, true, true, true, true); break;
  }
}
