import type { Backend, Kernels } from "../backend.js";
import { arrayBufferSource, Heap } from "../heap.js";
import { allFiniteJs } from "./finite.js";
import { BLOCK } from "./grad.js";

/** The exact pure-JS backend: same kernels, same heap layout, an ordinary ArrayBuffer. */
export function createJsBackend(): Backend {
  const heap = new Heap(arrayBufferSource(1 << 16));
  // Where the kernels form maximize/weight-decay gradients; its offset survives growth.
  const scratch = heap.alloc(BLOCK * 4) / 4;
  const kernels: Kernels = {
    allFinite: (n, ptr) => allFiniteJs(heap.f32, n, ptr),
  };
  return {
    name: "js",
    heap,
    kernels,
    // A bound function holds the heap's array of this generation; the engine re-binds after
    // growth. V8 calls bound functions as fast as the closures they replace.
    bind: (k) => k.js.bind(null, heap.f32, scratch) as never,
  };
}
