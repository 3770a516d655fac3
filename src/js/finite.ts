import { index } from "./index.js";
/** 1 when all `n` float32 at byte offset `ptr` of `x` are finite, else 0. */
export function allFiniteJs(x: Float32Array, n: number, ptr: number): number {
  const start = index(ptr);
  for (let i = start, end = start + n; i < end; i++) {
    // x - x is 0 for finite x and NaN for NaN and ±Inf; one comparison decides it.
    if (x[i]! - x[i]! !== 0) return 0;
  }
  return 1;
}
