// Adagrad over the rows of a `rows × dim` table stored row-major (row r at element r·dim):
// - `adagradRows`: torch's update for a sparse gradient (FORMULAS-2.md, "Adagrad with sparse
//   gradients") over the distinct rows a step touches, summing duplicate rows first;
// - rowwise Adagrad (ROWWISE): one accumulator per row instead of one per element, for the
//   rows of that list or, through `adagrad`, for every row of a dense gradient.
//
// Heap layout of a sparse step, written by the host (src/sparse-intake.ts); i32 lists are
// 4-byte aligned, the values 16-byte aligned:
//   values  k × dim f32: the gradient's vectors in the order given, entry j at values + j·dim·4
//   list    count × 2 i32: per distinct row, in order of first appearance, its row number and
//           the entry where it first appears
//   next    k i32: for entry j, the next entry of the same row, or -1
//   p       with PACKED_ROWS, count × dim f32: the param's rows listed, in list order (the host
//           copies a caller-owned table's rows there and back); otherwise the table itself
// The kernel sums each row's entries into its first entry's vector (so it overwrites `values`)
// in the order they appear: v = r(r(a + b) + c).
//
// Rowwise operation order, per row, with g the row's gradient after maximize and weight decay:
//   s_l = +0 (l = 0..3); s_l = r(s_l + r(g[4q+l]²)) over the whole groups of four, in order
//   acc = r(r(r(s_0 + s_1) + s_2) + s_3); acc = r(acc + r(g_j²)) for each remaining j, in order
//   G   = r(G + r(acc / f32(dim)))
//   std = r(r(sqrt(G)) + E)                (EPS_IN_SQRT: r(sqrt(r(G + E))))
//   w_j = r(w_j + r(C · r(g_j / std)))     for every j
// The four partial sums are the four lanes of one f32x4, so the SIMD body and the scalar tail
// (and the JS twin) add in the same order.
import { flushBuffers } from "./flush";
import { add, div, flush, mul, splat, sqrt } from "./lanes";
import { EPS_IN_SQRT, FLUSH_DENORMALS, MAXIMIZE, Off, On, on, PACKED_ROWS, ROWWISE, WEIGHT_DECAY } from "./options";

// --- one row -----------------------------------------------------------------------------------

@inline function addAt<T>(i: usize, dst: usize, src: usize): void {
  store<T>(dst + i, add<T>(load<T>(dst + i), load<T>(src + i)));
}

/** dst = r(dst + src) over one row of `dim` f32. */
function addRow(dst: usize, src: usize, dim: usize): void {
  const end = dim << 2;
  const body = end & ~15;
  let i: usize = 0;
  if (i < body) do {
    addAt<v128>(i, dst, src);
    i += 16;
  } while (i < body);
  for (; i < end; i += 4) addAt<f32>(i, dst, src);
}

// torch's sparse update of one element: note r(C · r(v / std)), not dense Adagrad's r(C · v) / std.
@inline function elementAt<T, EpsInSqrt>(i: usize, p: usize, v: usize, s: usize, E: T, C: T): void {
  const gv = load<T>(v + i);
  const sv = add<T>(load<T>(s + i), mul<T>(gv, gv));
  store<T>(s + i, sv);
  const std = on<EpsInSqrt>() ? sqrt<T>(add<T>(sv, E)) : add<T>(sqrt<T>(sv), E);
  store<T>(p + i, add<T>(load<T>(p + i), mul<T>(C, div<T>(gv, std))));
}

/** The elementwise sparse update of one row: `v` its summed vector, `s` its `sum` row. */
@inline function elementRow<EpsInSqrt>(p: usize, v: usize, s: usize, dim: usize, E: f32, C: f32, vE: v128, vC: v128): void {
  const end = dim << 2;
  const body = end & ~15;
  let i: usize = 0;
  if (i < body) do {
    elementAt<v128, EpsInSqrt>(i, p, v, s, vE, vC);
    i += 16;
  } while (i < body);
  for (; i < end; i += 4) elementAt<f32, EpsInSqrt>(i, p, v, s, E, C);
}

// The gradient of element i after weight decay, which reads w before it changes. Maximize
// needs no loop of its own: with weight decay it is the sign S = -1 (g·-1 is -g exactly), and
// without, a negated C (every other use of g is g², or g / std times C).
@inline function gradAt<T, Decay>(i: usize, p: usize, g: usize, S: T, W: T): T {
  let gv = load<T>(g + i);
  if (on<Decay>()) gv = add<T>(mul<T>(S, gv), mul<T>(W, load<T>(p + i)));
  return gv;
}

@inline function squareAt<T, Decay>(acc: T, i: usize, p: usize, g: usize, S: T, W: T): T {
  const gv = gradAt<T, Decay>(i, p, g, S, W);
  return add<T>(acc, mul<T>(gv, gv));
}

@inline function rowStepAt<T, Decay>(i: usize, p: usize, g: usize, S: T, W: T, C: T, std: T): void {
  const gv = gradAt<T, Decay>(i, p, g, S, W);
  store<T>(p + i, add<T>(load<T>(p + i), mul<T>(C, div<T>(gv, std))));
}

/**
 * One row of rowwise Adagrad (the order above): `p` and `g` the row's weights and gradient,
 * `s` its accumulator, D = f32(dim). With `guard`, the stored accumulator is flushed.
 */
@inline function rowwiseRow<Decay, EpsInSqrt>(
  p: usize, g: usize, s: usize, dim: usize, E: f32, S: f32, W: f32, C: f32, D: f32,
  vS: v128, vW: v128, vC: v128, guard: bool,
): void {
  const end = dim << 2;
  const body = end & ~15;
  let lanes = f32x4.splat(0);
  let i: usize = 0;
  if (i < body) do {
    lanes = squareAt<v128, Decay>(lanes, i, p, g, vS, vW);
    i += 16;
  } while (i < body);
  let acc = f32x4.extract_lane(lanes, 0) + f32x4.extract_lane(lanes, 1);
  acc += f32x4.extract_lane(lanes, 2);
  acc += f32x4.extract_lane(lanes, 3);
  for (; i < end; i += 4) acc = squareAt<f32, Decay>(acc, i, p, g, S, W);
  const G = load<f32>(s) + acc / D;
  store<f32>(s, guard ? flush<f32>(G) : G);
  const std = on<EpsInSqrt>() ? Mathf.sqrt(G + E) : Mathf.sqrt(G) + E;
  const vstd = f32x4.splat(std);
  i = 0;
  if (i < body) do {
    rowStepAt<v128, Decay>(i, p, g, vS, vW, vC, vstd);
    i += 16;
  } while (i < body);
  for (; i < end; i += 4) rowStepAt<f32, Decay>(i, p, g, S, W, C, std);
}

// --- rowwise Adagrad over a dense gradient ------------------------------------------------------

function rowwiseDense<Decay, EpsInSqrt>(
  rows: usize, dim: usize, p: usize, g: usize, sum: usize, E: f32, S: f32, W: f32, C: f32, guard: bool,
): void {
  const D = <f32>dim;
  const vS = splat<v128>(S), vW = splat<v128>(W), vC = splat<v128>(C);
  const bytes = dim << 2;
  for (let r: usize = 0; r < rows; r++) {
    rowwiseRow<Decay, EpsInSqrt>(p, g, sum, dim, E, S, W, C, D, vS, vW, vC, guard);
    p += bytes;
    g += bytes;
    sum += 4;
  }
}

/**
 * Rowwise Adagrad over `n` elements (n / D rows of D): `sum` holds one f32 per row. Flags and
 * constants as `adagrad`'s.
 */
export function adagradRowwise(
  flags: u32, n: usize, p: usize, g: usize, sum: usize, E: f32, W: f32, C: f32, D: usize,
): void {
  const rows: usize = D == 0 ? 0 : n / D;
  const guard = (flags & FLUSH_DENORMALS) != 0;
  const max = (flags & MAXIMIZE) != 0;
  if (flags & WEIGHT_DECAY) withEpsInSqrt<On>(flags, rows, D, p, g, sum, E, max ? -1 : 1, W, C, guard);
  else withEpsInSqrt<Off>(flags, rows, D, p, g, sum, E, 1, W, max ? -C : C, guard);
}

// The option chain (see options.ts).
@inline function withEpsInSqrt<Decay>(
  flags: u32, rows: usize, dim: usize, p: usize, g: usize, sum: usize, E: f32, S: f32, W: f32, C: f32, guard: bool,
): void {
  if (flags & EPS_IN_SQRT) rowwiseDense<Decay, On>(rows, dim, p, g, sum, E, S, W, C, guard);
  else rowwiseDense<Decay, Off>(rows, dim, p, g, sum, E, S, W, C, guard);
}

// --- a sparse gradient ----------------------------------------------------------------------------

/** Bytes of params and state touched ahead of their update, per block of rows. */
const TOUCH_BYTES: usize = 32768;

/**
 * Loads one word of every cache line of the listed rows [from, to) of `p` and `sum`. The rows of
 * a large table are far apart, and updated one by one each of their cache misses waits for the
 * one before; loads with nothing else between them keep many misses in flight at once, and the
 * update then finds its rows in the cache (a 1e6 × 64 table: 3-4x faster). The words are only
 * combined and compared with what the host never writes (-2 in `next`), so that no compiler can
 * drop the loads; nothing is written.
 */
function touchRows(from: usize, to: usize, list: usize, next: usize, p: usize, pBytes: usize, sum: usize, sumBytes: usize): void {
  let acc: u32 = 0;
  for (let s = from; s < to; s++) {
    const row = <usize>load<u32>(list + (s << 3));
    const pr = p + row * pBytes, sr = sum + row * sumBytes;
    for (let o: usize = 0; o < pBytes; o += 64) acc |= load<u32>(pr + o);
    for (let o: usize = 0; o < sumBytes; o += 64) acc |= load<u32>(sr + o);
  }
  if (acc == 0x7fc0babe && load<i32>(next) == -2) unreachable();
}

/** Rows per touched block for rows of `pBytes` and state of `sumBytes` (each at least a line). */
@inline function touchBlock(pBytes: usize, sumBytes: usize): usize {
  return max<usize>(1, TOUCH_BYTES / (max<usize>(pBytes, 64) + max<usize>(sumBytes, 64)));
}

/** Sums the entries of distinct row `s` into its first entry's vector; returns that vector. */
@inline function coalesce(s: usize, list: usize, next: usize, values: usize, dim: usize): usize {
  const bytes = dim << 2;
  const first = <usize>load<u32>(list + (s << 3), 4);
  const v = values + first * bytes;
  let j = load<i32>(next + (first << 2));
  while (j >= 0) {
    addRow(v, values + <usize>j * bytes, dim);
    j = load<i32>(next + (<usize>j << 2));
  }
  return v;
}

// Packed rows (PACKED_ROWS) lie one after the other, just written by the host: only the
// table's rows (of `sum`, and of `p` unpacked) are touched ahead.
function elementwiseRows<EpsInSqrt>(
  count: usize, list: usize, next: usize, values: usize, dim: usize, p: usize, sum: usize, E: f32, C: f32, guard: bool, packed: bool,
): void {
  const vE = splat<v128>(E), vC = splat<v128>(C);
  const bytes = dim << 2;
  const block = touchBlock(bytes, bytes);
  for (let s: usize = 0; s < count; s++) {
    if (s % block == 0) touchRows(s, min(count, s + block), list, next, p, packed ? 0 : bytes, sum, bytes);
    const v = coalesce(s, list, next, values, dim);
    const at = <usize>load<u32>(list + (s << 3)) * bytes;
    elementRow<EpsInSqrt>(packed ? p + s * bytes : p + at, v, sum + at, dim, E, C, vE, vC);
    if (guard) flushBuffers(dim, sum + at, 0, 0);
  }
}

function rowwiseRows<EpsInSqrt>(
  count: usize, list: usize, next: usize, values: usize, dim: usize, p: usize, sum: usize, E: f32, C: f32, guard: bool, packed: bool,
): void {
  const D = <f32>dim;
  const vOne = splat<v128>(1), vZero = splat<v128>(0), vC = splat<v128>(C);
  const bytes = dim << 2;
  const block = touchBlock(bytes, 4);
  for (let s: usize = 0; s < count; s++) {
    if (s % block == 0) touchRows(s, min(count, s + block), list, next, p, packed ? 0 : bytes, sum, 4);
    const v = coalesce(s, list, next, values, dim);
    const row = <usize>load<u32>(list + (s << 3));
    rowwiseRow<Off, EpsInSqrt>(p + (packed ? s : row) * bytes, v, sum + (row << 2), dim, E, 1, 0, C, D, vOne, vZero, vC, guard);
  }
}

/**
 * Adagrad step for a sparse gradient over the `count` distinct rows listed at `list` (layout
 * above); `p` and `sum` point at the table's first row. `sum` holds one f32 per element, or one
 * per row with ROWWISE; with PACKED_ROWS, `p` holds the rows listed, packed (layout above).
 * Takes EPS_IN_SQRT, ROWWISE, PACKED_ROWS and FLUSH_DENORMALS; maximize is the host's
 * (it negates `values` first, as torch does before summing duplicates) and weight decay does
 * not apply (torch refuses it). Constants as `adagrad`'s: E = eps, C = -clr.
 */
export function adagradRows(
  flags: u32, count: usize, list: usize, next: usize, values: usize, dim: usize, p: usize, sum: usize, E: f32, C: f32,
): void {
  const guard = (flags & FLUSH_DENORMALS) != 0;
  const packed = (flags & PACKED_ROWS) != 0;
  if (flags & ROWWISE) {
    if (flags & EPS_IN_SQRT) rowwiseRows<On>(count, list, next, values, dim, p, sum, E, C, guard, packed);
    else rowwiseRows<Off>(count, list, next, values, dim, p, sum, E, C, guard, packed);
  } else if (flags & EPS_IN_SQRT) elementwiseRows<On>(count, list, next, values, dim, p, sum, E, C, guard, packed);
  else elementwiseRows<Off>(count, list, next, values, dim, p, sum, E, C, guard, packed);
}
