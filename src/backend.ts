import type { Heap } from "./heap.js";
import type { ThreadPool } from "./threads/threads.js";

// Option bits of every kernel's `flags`: one bit space for all kernels (assembly/options.ts
// holds the same values). A kernel ignores the bits it does not take.
/** Maximise: the gradient's sign flips first. */
export const MAXIMIZE = 1;
/** L2 weight decay added to the gradient: g = g + W·p (the parameter before any other change). */
export const WEIGHT_DECAY = 2;
/** RMSprop: divide by the centered variance, keeping a running mean gradient. */
export const CENTERED = 4;
/** RMSprop and SGD: keep a momentum buffer. */
export const MOMENTUM = 8;
/** RMSprop and Adagrad: eps under the square root, sqrt(v + eps), instead of sqrt(v) + eps. */
export const EPS_IN_SQRT = 16;
/** SGD with MOMENTUM: Nesterov momentum. */
export const NESTEROV = 32;
/** SGD with MOMENTUM: the buffer starts as a copy of the gradient (torch's first step). */
export const FIRST_STEP = 64;
/** Adam: divide by the running maximum of v. */
export const AMSGRAD = 128;
/** Adam: decoupled weight decay (AdamW), p = p·K before the update. */
export const DECOUPLED_DECAY = 256;
/** Every family: state values below the smallest normal float32 become ±0 after the update. */
export const FLUSH_DENORMALS = 512;
/** Adagrad: one accumulator per row (rowwise Adagrad) instead of one per element. */
export const ROWWISE = 1024;
/**
 * Adagrad's sparse rows: the param's rows listed are packed in list order at `p` (a copy of a
 * caller-owned table's rows) instead of in place in the table.
 */
export const PACKED_ROWS = 2048;

/**
 * An update kernel as both backends have it: the wasm export's name, and the exact JS version,
 * which takes the heap's current Float32Array and the element index of a scratch block of
 * `JS_SCRATCH_ELEMENTS` it may overwrite, then the wasm kernel's own arguments (each family's
 * kernel documents its arguments in assembly/).
 *
 * Pointers are byte offsets into the backend's heap: 4-byte aligned (tensors start 16-byte
 * aligned), every buffer holds `n` float32. The buffer of an option that is off is never
 * touched, and its pointer may be 0. Constants are float32 values: the caller does the
 * hyperparameter arithmetic in double and rounds once (`Math.fround`). Each kernel runs one
 * specialised loop per combination of its flags, in the float32 operation order of
 * test/fixtures/FORMULAS.md and FORMULAS-2.md; every backend gives the same bits.
 */
export interface FamilyKernel<J extends JsKernel> {
  readonly wasm: string;
  readonly js: J;
}
export type JsKernel = (x: Float32Array, scratch: number, ...args: number[]) => void;
/** A JS kernel's signature without its memory arguments: the wasm export's signature. */
export type Bound<J> = J extends (x: Float32Array, scratch: number, ...args: infer A) => void ? (...args: A) => void : never;

/**
 * A kernel that also reads int32 lists from the heap (a sparse step's rows, see
 * assembly/adagrad-rows.ts): its JS version takes the heap as a Float32Array and an Int32Array
 * over the same memory, then the wasm kernel's own arguments. Pointer rules as above; an i32
 * list is 4-byte aligned.
 */
export interface IndexedKernel<J extends JsIndexedKernel> {
  readonly wasm: string;
  readonly js: J;
}
export type JsIndexedKernel = (x: Float32Array, xi: Int32Array, ...args: number[]) => void;
export type BoundIndexed<J> = J extends (x: Float32Array, xi: Int32Array, ...args: infer A) => void ? (...args: A) => void : never;

/** The kernels every optimizer shares. */
export interface Kernels {
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

/** The two backends: `"wasm"` (the SIMD kernels) and `"js"` (the exact pure-JS kernels); both give the same bits. */
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
   * The kernel `k` bound to this backend's memory. For the JS backend the binding holds the
   * heap's current array, so re-bind after the heap's generation changes.
   */
  bind<J extends JsKernel>(k: FamilyKernel<J>): Bound<J>;
  /** An indexed kernel bound to this backend's memory; re-bind after growth, as for `bind`. */
  bindIndexed<J extends JsIndexedKernel>(k: IndexedKernel<J>): BoundIndexed<J>;
  /**
   * Byte offset of a STAGING_BYTES block allocated with the backend, so that using it never
   * grows memory. Only where copying caller-owned data in and out for the kernels beats running
   * the JS kernels on it in place (wasm); absent on the JS backend.
   */
  readonly staging?: number;
  /** The wasm backend's memory and compiled kernels, for worker threads; absent on the JS backend. */
  readonly wasm?: {
    readonly module: WebAssembly.Module;
    /** The caller's instance, whose exports run the caller's share of a threaded step. */
    readonly instance: WebAssembly.Instance;
    readonly memory: WebAssembly.Memory;
    /** True when the memory is shared (a SharedArrayBuffer): growth then detaches no view. */
    readonly shared: boolean;
    /** Why the memory is not shared, when it is not. */
    readonly unsharedReason: string | undefined;
  };
  /** Worker threads that steps over this backend may use (wasm over shared memory only). */
  pool?: ThreadPool;
}
