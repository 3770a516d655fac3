/**
 * simdopt: Adagrad and RMSprop with WebAssembly SIMD kernels, bit-exact with PyTorch.
 * This entry embeds the kernels, so `await init()` needs no file handling.
 * @packageDocumentation
 */
import type { BackendName } from "./backend.js";
import { initSyncWith, initWith, type InitOptions } from "./runtime.js";
import { decodeBase64 } from "./wasm/backend.js";
import { KERNELS_BASE64 } from "./wasm/kernels.generated.js";

export * from "./api.js";

const embedded = () => decodeBase64(KERNELS_BASE64);

/**
 * Chooses the backend for optimizers and stores created afterwards and loads it. Idempotent;
 * calling it again with another backend switches the default. Resolves to the backend in use.
 *
 * @example
 * ```ts
 * const backend = await init(); // "wasm" where WebAssembly SIMD works, else "js"
 * await init({ backend: "js" }); // optimizers created from now on use the JS kernels
 * ```
 */
export function init(options: InitOptions = {}): Promise<BackendName> {
  return initWith(options, embedded);
}

/**
 * `init` without a promise: compiles synchronously (fine in Node, Deno, Bun and Workers).
 *
 * @example
 * ```ts
 * initSync();                    // the kernels are compiled before this returns
 * const opt = new Adagrad([new Float32Array(4)]);
 * ```
 */
export function initSync(options: InitOptions = {}): BackendName {
  return initSyncWith(options, embedded);
}
