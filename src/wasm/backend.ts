import { STAGING_BYTES, type Backend, type Kernels } from "../backend.js";
import { Heap, wasmMemorySource } from "../heap.js";

/** What a host can hand to `init` for the kernels: a compiled module, its bytes, or a URL. */
export type WasmSource =
  | WebAssembly.Module
  | ArrayBuffer
  | ArrayBufferView
  | URL
  | string
  | Response
  | PromiseLike<WebAssembly.Module | ArrayBuffer | ArrayBufferView | Response>;

// The smallest module that uses a SIMD instruction: (func (result v128) (v128.const i32x4 0 0 0 0)).
// Engines without SIMD reject it, and validating it costs microseconds.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11,
]);

/** Why wasm SIMD cannot run here, or undefined when it can. */
export function wasmUnavailableReason(): string | undefined {
  if (typeof WebAssembly !== "object" || typeof WebAssembly.validate !== "function") {
    return "this engine has no WebAssembly";
  }
  try {
    if (!WebAssembly.validate(SIMD_PROBE)) return "this engine's WebAssembly has no 128-bit SIMD";
  } catch (e) {
    return `WebAssembly.validate failed: ${(e as Error).message}`;
  }
  return undefined;
}

/** The kernels' calling convention this build speaks (assembly/index.ts, `abiVersion`). */
const KERNEL_ABI = 4;

function backendFrom(instance: WebAssembly.Instance): Backend {
  const exports = instance.exports as unknown as Kernels & { memory: WebAssembly.Memory; abiVersion?: () => number } & Record<string, unknown>;
  if (!(exports.memory instanceof WebAssembly.Memory) || typeof exports.rmsprop !== "function") {
    throw new TypeError("the WebAssembly module given to init() is not simdopt's kernel module");
  }
  const abi = typeof exports.abiVersion === "function" ? exports.abiVersion() : 0;
  if (abi !== KERNEL_ABI) {
    throw new TypeError(`the WebAssembly module given to init() has kernel ABI ${abi}; this simdopt build needs ${KERNEL_ABI} (use the simdopt.wasm of the same release)`);
  }
  const exportOf = (name: string): never => {
    const fn = exports[name];
    if (typeof fn !== "function") throw new TypeError(`the WebAssembly module given to init() has no kernel ${JSON.stringify(name)}`);
    return fn as never;
  };
  // The kernels are the module's exports, called directly: no wrapper on the hot path.
  const kernels: Kernels = { allFinite: exports.allFinite,
    l2Norm: exports.l2Norm, l2NormLanes: exports.l2NormLanes, maxAbs: exports.maxAbs, scale: exports.scale };
  // The staging block brings its own memory, so the heap has at least the room it had without
  // it, and memory first grows no sooner than it used to.
  exports.memory.grow(Math.ceil(STAGING_BYTES / 65536));
  const heap = new Heap(wasmMemorySource(exports.memory));
  return {
    name: "wasm",
    heap,
    kernels,
    staging: heap.alloc(STAGING_BYTES),
    bind: (k) => exportOf(k.wasm),
    bindIndexed: (k) => exportOf(k.wasm),
  };
}

async function compile(source: WasmSource): Promise<WebAssembly.Module> {
  const s = await source;
  if (s instanceof WebAssembly.Module) return s;
  if (s instanceof ArrayBuffer || ArrayBuffer.isView(s)) return WebAssembly.compile(s as BufferSource);
  if (typeof s === "string" || s instanceof URL) return compile(fetch(s));
  // Checked last: in Node, the first touch of the global `Response` loads fetch (about 15 ms).
  if (typeof Response === "function" && s instanceof Response) {
    if (!s.ok) throw new Error(`fetching the wasm kernels failed: HTTP ${s.status}`);
    return WebAssembly.compile(await s.arrayBuffer());
  }
  throw new TypeError("init(): `wasm` must be a WebAssembly.Module, its bytes, a URL or a Response");
}

function compileSync(source: WasmSource): WebAssembly.Module {
  if (source instanceof WebAssembly.Module) return source;
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return new WebAssembly.Module(source as BufferSource);
  throw new TypeError("initSync() needs a WebAssembly.Module or the module's bytes; use await init() for a URL");
}

export async function createWasmBackend(source: WasmSource): Promise<Backend> {
  const module = await compile(source);
  return backendFrom(await WebAssembly.instantiate(module, {}));
}

export function createWasmBackendSync(source: WasmSource): Backend {
  return backendFrom(new WebAssembly.Instance(compileSync(source), {}));
}

/** Decodes base64 without Buffer or atob's string limits, for every runtime. */
export function decodeBase64(b64: string): Uint8Array {
  const table = new Uint8Array(128);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (let i = 0; i < 64; i++) table[alphabet.charCodeAt(i)] = i;
  const clean = b64.replace(/=+$/, "");
  const out = new Uint8Array((clean.length * 3) >> 2);
  let o = 0;
  for (let i = 0; i < clean.length; i += 4) {
    const a = table[clean.charCodeAt(i)]!, b = table[clean.charCodeAt(i + 1)]!;
    const c = table[clean.charCodeAt(i + 2)] ?? 0, d = table[clean.charCodeAt(i + 3)] ?? 0;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = v >> 16;
    if (o < out.length) out[o++] = (v >> 8) & 255;
    if (o < out.length) out[o++] = v & 255;
  }
  return out;
}
