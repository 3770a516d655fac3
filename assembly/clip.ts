// Gradient clipping (PyTorch `clip_grad_norm_`): the per-tensor norms and the in-place scale, in
// the float32 operation order of FORMULAS-2.md. Pointers are byte offsets into linear memory,
// 4-byte aligned; every buffer holds `n` f32.
import { add, mul } from "./lanes";

@inline function addSquare<T>(acc: T, ptr: usize): T {
  const x = load<T>(ptr);
  return add<T>(acc, mul<T>(x, x));
}

// Lanes 0-3 of torch's eight live in `lo` and 4-7 in `hi`, so each lane's sum is the same
// chain of roundings as torch's. Adds lane 0..7 in order, then r(x²) of the tail [ptr, end).
@inline function finish(lo: v128, hi: v128, ptr: usize, end: usize): f32 {
  let s = f32x4.extract_lane(lo, 0);
  s += f32x4.extract_lane(lo, 1);
  s += f32x4.extract_lane(lo, 2);
  s += f32x4.extract_lane(lo, 3);
  s += f32x4.extract_lane(hi, 0);
  s += f32x4.extract_lane(hi, 1);
  s += f32x4.extract_lane(hi, 2);
  s += f32x4.extract_lane(hi, 3);
  while (ptr < end) {
    s = addSquare<f32>(s, ptr);
    ptr += 4;
  }
  return Mathf.sqrt(s);
}

/**
 * The 2-norm of one tensor as torch's portable kernel computes it: eight float32 lanes each
 * summing r(x²) of every eighth element over the whole blocks of eight, then the lanes added
 * to lane 0 in order, then r(x²) of each tail element, then the square root.
 */
export function l2Norm(n: usize, ptr: usize): f32 {
  const end = ptr + (n << 2);
  const body = ptr + ((n << 2) & ~31);
  let lo = f32x4.splat(0);
  let hi = f32x4.splat(0);
  while (ptr < body) {
    lo = addSquare<v128>(lo, ptr);
    hi = addSquare<v128>(hi, ptr + 16);
    ptr += 32;
  }
  return finish(lo, hi, ptr, end);
}

/**
 * `l2Norm` of a tensor that arrives in pieces: continues the eight lane sums kept at `lanes`
 * (8 f32, zeroed before the first piece) over this piece's whole blocks of eight, stores them
 * back, and returns the norm as if this piece ended the tensor. Every piece but the last must
 * hold a multiple of 8 elements, so that element 8k + j keeps landing in lane j.
 */
export function l2NormLanes(n: usize, ptr: usize, lanes: usize): f32 {
  const end = ptr + (n << 2);
  const body = ptr + ((n << 2) & ~31);
  let lo = v128.load(lanes);
  let hi = v128.load(lanes, 16);
  while (ptr < body) {
    lo = addSquare<v128>(lo, ptr);
    hi = addSquare<v128>(hi, ptr + 16);
    ptr += 32;
  }
  v128.store(lanes, lo);
  v128.store(lanes, hi, 16);
  return finish(lo, hi, ptr, end);
}

/**
 * max |x| over `n` f32, NaN if any is NaN, 0 for n = 0. With the sign bit cleared, the bits of
 * a float32 order like its value, and every NaN's bits lie above +Inf's: an integer max gives
 * the answer exactly, NaN included, at the cost of one AND and one max per vector.
 */
export function maxAbs(n: usize, ptr: usize): f32 {
  const end = ptr + (n << 2);
  const body = ptr + ((n << 2) & ~15);
  const mask = i32x4.splat(0x7fffffff);
  let m = i32x4.splat(0);
  while (ptr < body) {
    m = i32x4.max_s(m, v128.and(v128.load(ptr), mask));
    ptr += 16;
  }
  let r = max<i32>(max<i32>(i32x4.extract_lane(m, 0), i32x4.extract_lane(m, 1)),
    max<i32>(i32x4.extract_lane(m, 2), i32x4.extract_lane(m, 3)));
  while (ptr < end) {
    r = max<i32>(r, load<i32>(ptr) & 0x7fffffff);
    ptr += 4;
  }
  return reinterpret<f32>(r);
}

@inline function scaleAt<T>(ptr: usize, c: T): void {
  store<T>(ptr, mul<T>(load<T>(ptr), c));
}

/** x = r(x * c) for every one of the `n` f32 at `ptr`, in place. */
export function scale(n: usize, ptr: usize, c: f32): void {
  const end = ptr + (n << 2);
  const body = ptr + ((n << 2) & ~15);
  const vc = f32x4.splat(c);
  while (ptr < body) {
    scaleAt<v128>(ptr, vc);
    ptr += 16;
  }
  while (ptr < end) {
    scaleAt<f32>(ptr, c);
    ptr += 4;
  }
}
