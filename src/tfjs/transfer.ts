// How tensor data crosses between TF.js and simdopt memory: one copy each way, through
// whatever each TF.js backend offers without a copy of its own.
//
// - In: the cpu backend's `dataSync()` returns the tensor's own array, and the wasm backend
//   hands out a view of its heap (`typedArrayFromHeap`); either is copied straight into
//   simdopt memory. Other backends (webgl, webgpu, node) read back with `dataSync()`.
// - Out: the wasm backend copies what `tensor()` is given into its heap at once, so it can take
//   a view of simdopt memory; the others keep the array they are given, so they get a new copy.
import { backend, getBackend, tensor, type Tensor } from "@tensorflow/tfjs-core";

/** The parts of tfjs-backend-wasm's BackendWasm used here (public members of that class). */
interface WasmBackend {
  dataIdMap: { has(dataId: object): boolean };
  typedArrayFromHeap(t: Tensor): Float32Array;
}

export class Transfer {
  private wasm: WasmBackend | undefined;

  /** Looks at the current TF.js backend; call once per step, before reading or writing. */
  refresh(): void {
    const b = backend() as unknown as Partial<WasmBackend>;
    this.wasm = getBackend() === "wasm" && typeof b.typedArrayFromHeap === "function" && b.dataIdMap ? (b as WasmBackend) : undefined;
  }

  /** Copies the float32 data of `t` into `target` (of the same length). */
  read(t: Tensor, target: Float32Array): void {
    const w = this.wasm;
    target.set(w !== undefined && w.dataIdMap.has(t.dataId) ? w.typedArrayFromHeap(t) : (t.dataSync() as Float32Array));
  }

  /** A new float32 tensor of `shape` holding `view` (simdopt memory, valid until it is next written). */
  write(view: Float32Array, shape: number[]): Tensor {
    return tensor(this.wasm !== undefined ? view : view.slice(), shape, "float32");
  }
}
