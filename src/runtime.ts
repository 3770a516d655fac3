// Backend selection: which backend new optimizers and stores use. One instance per backend
// kind lives for the whole process, so optimizers created under either keep working after
// `init` switches the default.
import type { Backend, BackendName } from "./backend.js";
import { createJsBackend } from "./js/backend.js";
import { show } from "./options.js";
import {
  createWasmBackend,
  createWasmBackendSync,
  wasmUnavailableReason,
  type WasmSource,
} from "./wasm/backend.js";

/** Options of `init` and `initSync`. */
export interface InitOptions {
  /**
   * `"auto"` (default) uses wasm SIMD when this engine validates and instantiates it, else the
   * exact JS backend; `"wasm"` throws when wasm cannot be used; `"js"` never loads wasm.
   */
  backend?: "auto" | BackendName;
  /**
   * The kernel module, for hosts that load wasm their own way: a compiled
   * `WebAssembly.Module` (Cloudflare Workers), its bytes, or a URL to fetch.
   * Default: the copy embedded in this build.
   */
  wasm?: WasmSource;
}

let current: Backend | undefined;
let wasmBackend: Backend | undefined;
let jsBackend: Backend | undefined;
let fallbackReason: string | undefined;
let pending: Promise<Backend> | undefined;

/** The default backend for new optimizers and stores; throws before `init`. */
export function currentBackend(): Backend {
  if (!current) {
    throw new Error('simdopt is not initialised: call `await init()` (or `initSync()`) before creating optimizers');
  }
  return current;
}

/**
 * Why the last `init({ backend: "auto" })` fell back to JS, if it did.
 *
 * @example
 * ```ts
 * const backend = await init();
 * if (backend === "js") console.warn(`simdopt runs its JS kernels: ${fallbackReason()}`);
 * ```
 */
export function fallbackReasonOf(): string | undefined {
  return fallbackReason;
}

function checkInitOptions(options: InitOptions): "auto" | BackendName {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`init: options must be an object, got ${show(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (key !== "backend" && key !== "wasm") throw new TypeError(`init: unknown option ${JSON.stringify(key)}`);
  }
  const b = options.backend ?? "auto";
  if (b !== "auto" && b !== "wasm" && b !== "js") {
    throw new RangeError(`init: backend must be "auto", "wasm" or "js", got ${show(b)}`);
  }
  return b;
}

function useJs(reason?: string): BackendName {
  jsBackend ??= createJsBackend();
  current = jsBackend;
  fallbackReason = reason;
  return "js";
}

function useWasm(b: Backend): BackendName {
  wasmBackend = b;
  current = b;
  fallbackReason = undefined;
  return "wasm";
}

type Plan = { done: BackendName } | { kind: "auto" | "wasm"; source: WasmSource };

// Everything init decides before it compiles anything; shared by the async and sync forms.
function plan(options: InitOptions, embedded: () => WasmSource | undefined, fn: string): Plan {
  const kind = checkInitOptions(options);
  if (kind === "js") return { done: useJs() };
  if (wasmBackend) return { done: useWasm(wasmBackend) };
  const why = wasmUnavailableReason();
  if (why) return { done: fail(kind, why) };
  // Only now decode the embedded kernels: an engine without SIMD never needs them.
  const source = options.wasm ?? embedded();
  if (source === undefined) {
    return { done: fail(kind, `this build has no embedded kernels and ${fn}() was given no \`wasm\` module`) };
  }
  return { kind, source };
}

function fail(kind: "auto" | "wasm", why: string): BackendName {
  if (kind === "wasm") throw new Error(`simdopt: the wasm backend is unavailable: ${why}`);
  return useJs(why);
}

const compileFailure = (e: unknown) => `the kernels could not be compiled or instantiated: ${(e as Error).message}`;

export async function initWith(options: InitOptions, embedded: () => WasmSource | undefined): Promise<BackendName> {
  const p = plan(options, embedded, "init");
  if ("done" in p) return p.done;
  // Concurrent init() calls share one compilation, so they all end up with the same backend.
  pending ??= createWasmBackend(p.source).finally(() => {
    pending = undefined;
  });
  try {
    const b = await pending;
    return useWasm(wasmBackend ?? b);
  } catch (e) {
    return fail(p.kind, compileFailure(e));
  }
}

export function initSyncWith(options: InitOptions, embedded: () => WasmSource | undefined): BackendName {
  const p = plan(options, embedded, "initSync");
  if ("done" in p) return p.done;
  try {
    return useWasm(createWasmBackendSync(p.source));
  } catch (e) {
    return fail(p.kind, compileFailure(e));
  }
}

/** Every backend created so far (an optimizer follows its params' store to its backend). */
export function allBackends(): Backend[] {
  return [wasmBackend, jsBackend].filter((b): b is Backend => b !== undefined);
}
