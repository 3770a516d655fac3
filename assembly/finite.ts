// Finiteness scan for the non-finite gradient policies ("skip" / "throw").
// A float32 is NaN or ±Inf exactly when its exponent bits are all ones, so one AND and one
// compare per lane decide it, without any float arithmetic that could raise or round.

/** Returns 1 when all `n` f32 at byte offset `ptr` are finite, 0 otherwise. */
export function allFinite(n: usize, ptr: usize): u32 {
  const end = n << 2;
  const body = end & ~63;
  const mask = i32x4.splat(0x7f800000);
  let i: usize = 0;
  // Accumulate four vectors before a single branch: the scan is memory-bound, and one branch
  // per 64 bytes keeps it at streaming speed.
  for (; i < body; i += 64) {
    const a = i32x4.eq(v128.and(v128.load(ptr + i), mask), mask);
    const b = i32x4.eq(v128.and(v128.load(ptr + i, 16), mask), mask);
    const c = i32x4.eq(v128.and(v128.load(ptr + i, 32), mask), mask);
    const d = i32x4.eq(v128.and(v128.load(ptr + i, 48), mask), mask);
    if (v128.any_true(v128.or(v128.or(a, b), v128.or(c, d)))) return 0;
  }
  for (; i < end; i += 4) {
    if ((load<u32>(ptr + i) & 0x7f800000) == 0x7f800000) return 0;
  }
  return 1;
}
