// The kernel module's exports. Kernels know nothing of the API: they read and write f32
// buffers at byte offsets in linear memory, which the host owns and grows; they never allocate.
export { rmsprop } from "./rmsprop";
export { adagrad } from "./adagrad";
export { adagradRows } from "./adagrad-rows";
export { sgd } from "./sgd";
export { adam } from "./adam";
export { allFinite } from "./finite";
export { l2Norm, l2NormLanes, maxAbs, scale } from "./clip";
export * from "./tfjs";

/**
 * Version of the calling convention above (argument order, flag bits, constants). The host
 * refuses a module whose version differs, e.g. a `.wasm` file from another simdopt release.
 */
export function abiVersion(): u32 {
  return 5;
}
