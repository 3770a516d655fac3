// Adagrad over the rows of a table in plain JS, every operation rounded to float32 in the order
// of assembly/adagrad-rows.ts (the sparse update, and rowwise Adagrad): the same bits as the
// wasm kernels. See js/rmsprop.ts for why Math.fround per operation is exact.
import { EPS_IN_SQRT, FLUSH_DENORMALS, MAXIMIZE, PACKED_ROWS, ROWWISE, WEIGHT_DECAY } from "../backend.js";
import { flushed, flushJs } from "./flush.js";
import { index } from "./index.js";

const f = Math.fround;

/**
 * One row of rowwise Adagrad at element indices `p`, `g` and `s` (its accumulator). With
 * `decay`, the gradient is r(S·g + r(W·w)) (S = ±1, so S·g is exact).
 */
function rowwiseRow(
  x: Float32Array, p: number, g: number, s: number, dim: number,
  E: number, S: number, W: number, C: number, D: number, decay: boolean, inSqrt: boolean, guard: boolean,
): void {
  const whole = dim - (dim % 4);
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (let j = 0; j < whole; j += 4) {
    let a = x[g + j]!, b = x[g + j + 1]!, c = x[g + j + 2]!, d = x[g + j + 3]!;
    if (decay) {
      a = f(S * a + f(W * x[p + j]!));
      b = f(S * b + f(W * x[p + j + 1]!));
      c = f(S * c + f(W * x[p + j + 2]!));
      d = f(S * d + f(W * x[p + j + 3]!));
    }
    s0 = f(s0 + f(a * a));
    s1 = f(s1 + f(b * b));
    s2 = f(s2 + f(c * c));
    s3 = f(s3 + f(d * d));
  }
  let acc = f(f(f(s0 + s1) + s2) + s3);
  for (let j = whole; j < dim; j++) {
    const gv = decay ? f(S * x[g + j]! + f(W * x[p + j]!)) : x[g + j]!;
    acc = f(acc + f(gv * gv));
  }
  const G = f(x[s]! + f(acc / D));
  x[s] = guard ? flushed(G) : G;
  const std = inSqrt ? f(Math.sqrt(f(G + E))) : f(f(Math.sqrt(G)) + E);
  for (let j = 0; j < dim; j++) {
    const gv = decay ? f(S * x[g + j]! + f(W * x[p + j]!)) : x[g + j]!;
    x[p + j] = x[p + j]! + f(C * f(gv / std));
  }
}

/**
 * Rowwise Adagrad over `n` elements in rows of `dim` (element indices; `sum` one value per
 * row), as `adagrad` runs it with ROWWISE. Maximize: see gradAt in assembly/adagrad-rows.ts.
 */
export function rowwiseJs(
  x: Float32Array, flags: number, n: number, p: number, g: number, sum: number, E: number, W: number, C: number, dim: number,
): void {
  const rows = dim === 0 ? 0 : n / dim;
  const decay = (flags & WEIGHT_DECAY) !== 0;
  const max = (flags & MAXIMIZE) !== 0;
  const S = decay && max ? -1 : 1;
  if (!decay && max) C = -C;
  const D = f(dim);
  const inSqrt = (flags & EPS_IN_SQRT) !== 0;
  const guard = (flags & FLUSH_DENORMALS) !== 0;
  for (let r = 0; r < rows; r++) rowwiseRow(x, p + r * dim, g + r * dim, sum + r, dim, E, S, W, C, D, decay, inSqrt, guard);
}

/** `adagradRows` (assembly/adagrad-rows.ts): the same arguments, the same bits. */
export function adagradRowsJs(
  x: Float32Array, xi: Int32Array, flags: number, count: number, list: number, next: number, values: number,
  dim: number, p: number, sum: number, E: number, C: number,
): void {
  list = index(list); next = index(next); values = index(values); p = index(p); sum = index(sum);
  const rowwise = (flags & ROWWISE) !== 0;
  const inSqrt = (flags & EPS_IN_SQRT) !== 0;
  const guard = (flags & FLUSH_DENORMALS) !== 0;
  const packed = (flags & PACKED_ROWS) !== 0;
  const D = f(dim);
  for (let s = 0; s < count; s++) {
    const row = xi[list + 2 * s]! >>> 0;
    const first = xi[list + 2 * s + 1]!;
    const v = values + first * dim;
    // Duplicate rows are summed into the first one's vector, in the order they appear.
    for (let j = xi[next + first]!; j >= 0; j = xi[next + j]!) {
      const u = values + j * dim;
      for (let i = 0; i < dim; i++) x[v + i] = x[v + i]! + x[u + i]!;
    }
    const pr = p + (packed ? s : row) * dim;
    if (rowwise) {
      rowwiseRow(x, pr, v, sum + row, dim, E, 1, 0, C, D, false, inSqrt, guard);
      continue;
    }
    const sr = sum + row * dim;
    for (let i = 0; i < dim; i++) {
      const gv = x[v + i]!;
      const sv = f(x[sr + i]! + f(gv * gv));
      x[sr + i] = sv;
      const std = inSqrt ? f(Math.sqrt(f(sv + E))) : f(f(Math.sqrt(sv)) + E);
      x[pr + i] = x[pr + i]! + f(C * f(gv / std));
    }
    if (guard) flushJs(x, sr, dim);
  }
}
