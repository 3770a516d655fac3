/**
 * simdopt for Cloudflare Workers (the `workerd` export condition). Workers refuse to compile
 * wasm from bytes ("Wasm code generation disallowed by embedder"), so this entry imports the
 * kernels as a `.wasm` module, which the Workers runtime compiles when it loads the script.
 * The file `simdopt.wasm` sits next to this one in `dist/`; wrangler and workerd configs bundle it.
 * @packageDocumentation
 */
import type { BackendName } from "./backend.js";
import { initSyncWith, initWith, type BundledKernels, type InitOptions } from "./runtime.js";
import kernels from "./simdopt.wasm";

export * from "./api.js";

const imported: BundledKernels = { label: "simdopt.wasm (imported by simdopt's Workers build)", load: () => kernels };

/**
 * As `init` in the default entry; the kernels come from the imported `.wasm` module.
 *
 * @example
 * ```ts
 * const backend = await init(); // "wasm" where WebAssembly SIMD works, else "js"
 * await init({ backend: "js" }); // optimizers created from now on use the JS kernels
 * ```
 */
export function init(options: InitOptions = {}): Promise<BackendName> {
  return initWith(options, imported);
}

/**
 * As `initSync` in the default entry; nothing to compile, the module is already compiled.
 *
 * @example
 * ```ts
 * initSync();                    // the kernels are compiled before this returns
 * const opt = new Adagrad([new Float32Array(4)]);
 * ```
 */
export function initSync(options: InitOptions = {}): BackendName {
  return initSyncWith(options, imported);
}
