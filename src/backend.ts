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
}

export type BackendName = "wasm" | "js";

export interface Backend {
  readonly name: BackendName;
  readonly heap: Heap;
  readonly kernels: Kernels;
}
