// The denormal guard in plain JS (assembly/flush.ts): the same values become ±0, after the
// update, so both backends keep the same bits.

/** The smallest normal float32. */
const MIN_NORMAL = 2 ** -126;

/** Every x[i], i in [start, start + n), of magnitude below 2^-126 becomes a zero of its sign. */
export function flushJs(x: Float32Array, start: number, n: number): void {
  for (let i = start, end = start + n; i < end; i++) {
    const v = x[i]!;
    // v * 0 is a zero of v's sign; NaN fails both comparisons and stays.
    if (v < MIN_NORMAL && v > -MIN_NORMAL) x[i] = v * 0;
  }
}

/** A single value flushed as `flushJs` would. */
export const flushed = (v: number): number => (v < MIN_NORMAL && v > -MIN_NORMAL ? v * 0 : v);
