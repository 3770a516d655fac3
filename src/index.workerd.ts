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

/** As `init` in the default entry; the kernels come from the imported `.wasm` module. */
export function init(options: InitOptions = {}): Promise<BackendName> {
  return initWith(options, imported);
}

/** As `initSync` in the default entry; nothing to compile, the module is already compiled. */
export function initSync(options: InitOptions = {}): BackendName {
  return initSyncWith(options, imported);
}
