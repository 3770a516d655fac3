import type { Backend, Kernels } from "../backend.js";
import { arrayBufferSource, Heap } from "../heap.js";
import { adagradJs } from "./adagrad.js";
import { adamJs } from "./adam.js";
import { allFiniteJs } from "./finite.js";
import { BLOCK } from "./grad.js";
import { rmspropJs } from "./rmsprop.js";
import { sgdJs } from "./sgd.js";

/** The exact pure-JS backend: same kernels, same heap layout, an ordinary ArrayBuffer. */
export function createJsBackend(): Backend {
  const heap = new Heap(arrayBufferSource(1 << 16));
  // Where the kernels form maximize/weight-decay gradients; its offset survives growth.
  const scratch = heap.alloc(BLOCK * 4) / 4;
  const kernels: Kernels = {
    rmsprop: (flags, n, p, g, sq, ga, buf, A, B, E, W, M, L) =>
      rmspropJs(heap.f32, scratch, flags, n, p, g, sq, ga, buf, A, B, E, W, M, L),
    adagrad: (flags, n, p, g, sum, E, W, C) => adagradJs(heap.f32, scratch, flags, n, p, g, sum, E, W, C),
    sgd: (flags, n, p, g, buf, W, M, D, L) => sgdJs(heap.f32, scratch, flags, n, p, g, buf, W, M, D, L),
    adam: (flags, n, p, g, m, v, vmax, B1, C1, B2, C2, S, E, W, L, K) =>
      adamJs(heap.f32, scratch, flags, n, p, g, m, v, vmax, B1, C1, B2, C2, S, E, W, L, K),
    allFinite: (n, ptr) => allFiniteJs(heap.f32, n, ptr),
  };
  return { name: "js", heap, kernels };
}
