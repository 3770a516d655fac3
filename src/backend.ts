import type { Heap } from "./heap.js";

/** Option bits shared with the kernels in assembly/ (same values there). */
export const MAXIMIZE = 1;
export const WEIGHT_DECAY = 2;
export const CENTERED = 4;
export const MOMENTUM = 8;

/**
 * The update kernels of one backend. Pointers are byte offsets into the backend's heap, all
 * 4-byte aligned; every buffer holds `n` float32. Constants are float32 values (see
 * assembly/rmsprop.ts and assembly/adagrad.ts for their meaning); flags are the bits above.
 */
export interface Kernels {
  rmsprop(
    flags: number, n: number, p: number, g: number, sq: number, ga: number, buf: number,
    A: number, B: number, E: number, W: number, M: number, L: number,
  ): void;
  adagrad(flags: number, n: number, p: number, g: number, sum: number, E: number, W: number, C: number): void;
  /** 1 when all `n` float32 at `ptr` are finite, else 0. */
  allFinite(n: number, ptr: number): number;
  /** torch's 2-norm of the `n` float32 at `ptr` (clip_grad_norm_'s per-tensor norm, FORMULAS-2.md). */
  l2Norm(n: number, ptr: number): number;
  /**
   * `l2Norm` of a tensor that arrives in pieces: continues the 8 float32 lane sums at `lanes`
   * (16-byte aligned, zeroed before the first piece), stores them back, and returns the norm as
   * if this piece were the last. Every piece but the last holds a multiple of 8 elements.
   */
  l2NormLanes(n: number, ptr: number, lanes: number): number;
  /** max |x| of the `n` float32 at `ptr`: NaN if any is NaN, 0 when n = 0. */
  maxAbs(n: number, ptr: number): number;
  /** x = r(x * c) for the `n` float32 at `ptr`, in place; `c` is a float32 value. */
  scale(n: number, ptr: number, c: number): void;
}

export type BackendName = "wasm" | "js";

/** Elements of caller-owned data staged per kernel call (a multiple of 8: see l2NormLanes). */
export const STAGING_ELEMENTS = 8192;
/** A staging block: 64 bytes (lane sums), then STAGING_ELEMENTS float32. */
export const STAGING_BYTES = 64 + STAGING_ELEMENTS * 4;

export interface Backend {
  readonly name: BackendName;
  readonly heap: Heap;
  readonly kernels: Kernels;
  /**
   * Byte offset of a STAGING_BYTES block allocated with the backend, so that using it never
   * grows memory. Only where copying caller-owned data in and out for the kernels beats running
   * the JS kernels on it in place (wasm); absent on the JS backend.
   */
  readonly staging?: number;
}
