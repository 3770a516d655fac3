import type { Backend, Kernels } from "../backend.js";
import { arrayBufferSource, Heap } from "../heap.js";
import { l2NormJs, l2NormLanesJs, maxAbsJs, scaleJs } from "./clip.js";
import { allFiniteJs } from "./finite.js";
import { BLOCK } from "./grad.js";

/** The exact pure-JS backend: same kernels, same heap layout, an ordinary ArrayBuffer. */
export function createJsBackend(): Backend {
  const heap = new Heap(arrayBufferSource(1 << 16));
  // Where the kernels form maximize/weight-decay gradients; its offset survives growth.
  const scratch = heap.alloc(BLOCK * 4) / 4;
  const kernels: Kernels = {
    allFinite: (n, ptr) => allFiniteJs(heap.f32, n, ptr),
    l2Norm: (n, ptr) => l2NormJs(heap.f32, n, ptr),
    l2NormLanes: (n, ptr, lanes) => l2NormLanesJs(heap.f32, n, ptr, lanes),
    maxAbs: (n, ptr) => maxAbsJs(heap.f32, n, ptr),
    scale: (n, ptr, c) => scaleJs(heap.f32, n, ptr, c),
  };
  return {
    name: "js",
    heap,
    kernels,
    // A bound function holds the heap's array of this generation; the engine re-binds after
    // growth. V8 calls bound functions as fast as the closures they replace.
    bind: (k) => k.js.bind(null, heap.f32, scratch) as never,
    bindIndexed: (k) => k.js.bind(null, heap.f32, heap.i32) as never,
  };
}
