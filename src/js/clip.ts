// Gradient clipping kernels in plain JS, every operation rounded to float32 in the order of
// FORMULAS-2.md and assembly/clip.ts: the same bits as the wasm kernels (see js/rmsprop.ts for
// why Math.fround per operation is exact). Each reads `n` float32 of `x` from byte offset
// `ptr`; on a caller-owned array, pass ptr = 0.
import { index } from "./index.js";

const f = Math.fround;

// torch's 2-norm, continuing the eight lane sums at l[li..li+8) when `l` is given (and
// storing them back), else starting them at 0; see assembly/clip.ts.
function l2(x: Float32Array, n: number, start: number, l: Float32Array | null, li: number): number {
  const end = start + n;
  const body = end - (n % 8);
  let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
  if (l !== null) {
    a0 = l[li]!; a1 = l[li + 1]!; a2 = l[li + 2]!; a3 = l[li + 3]!;
    a4 = l[li + 4]!; a5 = l[li + 5]!; a6 = l[li + 6]!; a7 = l[li + 7]!;
  }
  let i = start;
  for (; i < body; i += 8) {
    const x0 = x[i]!, x1 = x[i + 1]!, x2 = x[i + 2]!, x3 = x[i + 3]!;
    const x4 = x[i + 4]!, x5 = x[i + 5]!, x6 = x[i + 6]!, x7 = x[i + 7]!;
    a0 = f(a0 + f(x0 * x0)); a1 = f(a1 + f(x1 * x1)); a2 = f(a2 + f(x2 * x2)); a3 = f(a3 + f(x3 * x3));
    a4 = f(a4 + f(x4 * x4)); a5 = f(a5 + f(x5 * x5)); a6 = f(a6 + f(x6 * x6)); a7 = f(a7 + f(x7 * x7));
  }
  if (l !== null) {
    l[li] = a0; l[li + 1] = a1; l[li + 2] = a2; l[li + 3] = a3;
    l[li + 4] = a4; l[li + 5] = a5; l[li + 6] = a6; l[li + 7] = a7;
  }
  let s = f(f(f(f(f(f(f(a0 + a1) + a2) + a3) + a4) + a5) + a6) + a7);
  for (; i < end; i++) {
    const v = x[i]!;
    s = f(s + f(v * v));
  }
  return f(Math.sqrt(s));
}

/** torch's 2-norm of one tensor: eight lane sums over the blocks of eight, the lanes in order, the tail. */
export function l2NormJs(x: Float32Array, n: number, ptr: number): number {
  return l2(x, n, index(ptr), null, 0);
}

/** `l2NormJs` of a tensor in pieces, the lane sums kept at byte offset `lanes` of x (as l2NormLanes in assembly/clip.ts). */
export function l2NormLanesJs(x: Float32Array, n: number, ptr: number, lanes: number): number {
  return l2(x, n, index(ptr), x, index(lanes));
}

/** max |x| (NaN if any element is NaN; 0 when n = 0). */
export function maxAbsJs(x: Float32Array, n: number, ptr: number): number {
  const start = index(ptr);
  let m = 0;
  for (let i = start, end = start + n; i < end; i++) {
    const v = Math.abs(x[i]!);
    if (v > m) m = v;
    else if (v !== v) return NaN; // NaN wins whatever follows
  }
  return m;
}

/** x = r(x * c) in place; c is a float32 value. A Float32Array store rounds once. */
export function scaleJs(x: Float32Array, n: number, ptr: number, c: number): void {
  const start = index(ptr);
  for (let i = start, end = start + n; i < end; i++) x[i] = x[i]! * c;
}
