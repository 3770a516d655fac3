/**
 * simdopt: Adagrad and RMSprop with WebAssembly SIMD kernels, bit-exact with PyTorch.
 * This entry brings its own kernels, so `await init()` needs no file handling: the ESM build
 * embeds them; the CommonJS build reads `simdopt.wasm` beside it at the first `init()`, or
 * loads its embedded copy, `kernels.cjs`, where it cannot (in a bundle, say).
 * @packageDocumentation
 */
import type { BackendName } from "./backend.js";
import { initSyncWith, initWith, type BundledKernels, type InitOptions } from "./runtime.js";
import { decodeBase64 } from "./wasm/backend.js";
import { loadEmbeddedKernels } from "./wasm/embedded-kernels.js";

export * from "./api.js";

const embedded: BundledKernels = {
  label: "the kernels embedded in simdopt",
  load: () => loadEmbeddedKernels(decodeBase64),
};

/**
 * Chooses the backend for optimizers and stores created afterwards and loads it; resolves to
 * the backend this call chose. Calling it again switches the default; when calls overlap, the
 * last call made wins, whichever finishes first. Compiles synchronously where the engine
 * allows it, which is quicker, else with `WebAssembly.compile`.
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
 * `init` without a promise, for Node, Deno, Bun, Workers and web workers. A browser's main
 * thread refuses to compile the kernels synchronously: there `initSync()` falls back to the
 * JS backend (or throws with `backend: "wasm"`), so use `await init()`.
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
