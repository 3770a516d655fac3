// Maximize and weight decay change only the gradient (FORMULAS.md: g = -g, then
// g = r(g + r(W * p))). The JS kernels form that gradient a block at a time in a scratch
// block of their own heap and run their ordinary update on it, so each variant has one
// update loop with no per-element option tests, and the loops keep reading a single array.
import { MAXIMIZE, WEIGHT_DECAY } from "../backend.js";

/** Elements per block: small enough to stay in L1 beside the data being updated. */
export const BLOCK = 256;

const f = Math.fround;

/** Do `flags` change the gradient? */
export const changesGrad = (flags: number): boolean => (flags & (MAXIMIZE | WEIGHT_DECAY)) !== 0;

/**
 * Writes the effective gradient of elements [g, g + m) (m <= BLOCK, params at p) to x at
 * `scratch`; all are element indices. A Float32Array store rounds like Math.fround.
 */
export function effectiveGrad(x: Float32Array, scratch: number, flags: number, m: number, p: number, g: number, W: number): void {
  if (flags & MAXIMIZE) for (let j = 0; j < m; j++) x[scratch + j] = -x[g + j]!;
  else x.copyWithin(scratch, g, g + m);
  if (flags & WEIGHT_DECAY) for (let j = 0; j < m; j++) x[scratch + j] = x[scratch + j]! + f(W * x[p + j]!);
}
