import type { Heap } from "./heap.js";

/** Option bits shared with the kernels in assembly/ (same values there). */
export const MAXIMIZE = 1;
export const WEIGHT_DECAY = 2;
export const CENTERED = 4;
export const MOMENTUM = 8;

/**
 * An update kernel as both backends have it: the wasm export's name, and the exact JS version,
 * which takes the heap's current Float32Array and the element index of a scratch block of
 * `JS_SCRATCH_ELEMENTS` it may overwrite, then the wasm kernel's own arguments.
 *
 * Kernel arguments: pointers are byte offsets into the backend's heap, all 4-byte aligned;
 * every buffer holds `n` float32; constants are float32 values; flags are the bits above.
 */
export interface FamilyKernel<J extends JsKernel> {
  readonly wasm: string;
  readonly js: J;
}
export type JsKernel = (x: Float32Array, scratch: number, ...args: number[]) => void;
/** A JS kernel's signature without its memory arguments: the wasm export's signature. */
export type Bound<J> = J extends (x: Float32Array, scratch: number, ...args: infer A) => void ? (...args: A) => void : never;

/** The kernels every optimizer shares. */
export interface Kernels {
  /** 1 when all `n` float32 at `ptr` are finite, else 0. */
  allFinite(n: number, ptr: number): number;
}

export type BackendName = "wasm" | "js";

export interface Backend {
  readonly name: BackendName;
  readonly heap: Heap;
  readonly kernels: Kernels;
  /**
   * The kernel `k` bound to this backend's memory. For the JS backend the binding holds the
   * heap's current array, so re-bind after the heap's generation changes.
   */
  bind<J extends JsKernel>(k: FamilyKernel<J>): Bound<J>;
}
