// The kernels' formulas (FORMULAS.md, FORMULAS-2.md, and eps under the square root) written
// once more, as plainly as possible: one element at a time, every operation wrapped in
// Math.fround (exact float32 arithmetic), options tested per element. The tests hold both
// backends to these. Arrays are updated in place; a buffer whose option is off may be null.
import {
  AMSGRAD, CENTERED, DECOUPLED_DECAY, EPS_IN_SQRT, FIRST_STEP, MAXIMIZE, MOMENTUM, NESTEROV, WEIGHT_DECAY,
} from "../../src/backend.js";

const f = Math.fround;
type Buf = Float32Array | null;

/** g after maximize and L2 weight decay (which reads p before anything else changes it). */
function gradOf(flags: number, g: number, p: number, W: number): number {
  if (flags & MAXIMIZE) g = -g;
  if (flags & WEIGHT_DECAY) g = f(g + f(W * p));
  return g;
}

/** The denominator's root: sqrt(x) + E, or sqrt(x + E) with EPS_IN_SQRT. */
const root = (flags: number, x: number, E: number) =>
  flags & EPS_IN_SQRT ? f(Math.sqrt(f(x + E))) : f(f(Math.sqrt(x)) + E);

export function rmspropRef(
  flags: number, n: number, p: Float32Array, g: Float32Array, sq: Float32Array, ga: Buf, buf: Buf,
  [A, B, E, W, M, L]: readonly number[],
): void {
  for (let i = 0; i < n; i++) {
    const gi = gradOf(flags, g[i]!, p[i]!, W!);
    sq[i] = f(f(sq[i]! * A!) + f(f(B! * gi) * gi));
    let variance = sq[i]!;
    if (flags & CENTERED) {
      ga![i] = f(f(ga![i]! * A!) + f(B! * gi));
      variance = f(variance - f(ga![i]! * ga![i]!));
    }
    const avg = root(flags, variance, E!);
    if (flags & MOMENTUM) {
      buf![i] = f(f(buf![i]! * M!) + f(gi / avg));
      p[i] = f(p[i]! + f(L! * buf![i]!));
    } else {
      p[i] = f(p[i]! + f(f(L! * gi) / avg));
    }
  }
}

export function adagradRef(
  flags: number, n: number, p: Float32Array, g: Float32Array, sum: Float32Array, [E, W, C]: readonly number[],
): void {
  for (let i = 0; i < n; i++) {
    const gi = gradOf(flags, g[i]!, p[i]!, W!);
    sum[i] = f(sum[i]! + f(gi * gi));
    p[i] = f(p[i]! + f(f(C! * gi) / root(flags, sum[i]!, E!)));
  }
}

export function sgdRef(
  flags: number, n: number, p: Float32Array, g: Float32Array, buf: Buf, [W, M, D, L]: readonly number[],
): void {
  for (let i = 0; i < n; i++) {
    let gi = gradOf(flags, g[i]!, p[i]!, W!);
    if (flags & MOMENTUM) {
      buf![i] = flags & FIRST_STEP ? gi : f(f(buf![i]! * M!) + f(D! * gi));
      gi = flags & NESTEROV ? f(gi + f(M! * buf![i]!)) : buf![i]!;
    }
    p[i] = f(p[i]! + f(L! * gi));
  }
}

/** torch.maximum: NaN if either is NaN (its sign of zero never matters: v >= +0). */
const maximum = (a: number, b: number) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : a > b ? a : b);

export function adamRef(
  flags: number, n: number, p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, vmax: Buf,
  [B1, C1, B2, C2, S, E, W, L, K]: readonly number[],
): void {
  for (let i = 0; i < n; i++) {
    const gi = gradOf(flags, g[i]!, p[i]!, W!);
    if (flags & DECOUPLED_DECAY) p[i] = f(p[i]! * K!);
    m[i] = f(f(m[i]! * B1!) + f(C1! * gi));
    v[i] = f(f(v[i]! * B2!) + f(f(C2! * gi) * gi));
    let vi = v[i]!;
    if (flags & AMSGRAD) vi = vmax![i] = maximum(vmax![i]!, vi);
    const denom = f(f(f(Math.sqrt(vi)) / S!) + E!);
    p[i] = f(p[i]! + f(f(L! * m[i]!) / denom));
  }
}
