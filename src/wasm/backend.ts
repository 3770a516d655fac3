import { STAGING_BYTES, type Backend, type Kernels } from "../backend.js";
import { BLOCK_ALIGN, Heap, wasmMemorySource } from "../heap.js";
import { createKernelMemory, type KernelMemory } from "./memory.js";
import { withSharedFlag } from "./module-bytes.js";

/** What a host can hand to `init` for the kernels: a compiled module, its bytes, or a URL. */
export type WasmSource =
  | WebAssembly.Module
  | ArrayBuffer
  | ArrayBufferView
  | URL
  | string
  | Response
  | PromiseLike<WebAssembly.Module | ArrayBuffer | ArrayBufferView | Response>;

/** Why wasm SIMD cannot run here, or undefined when it can. */
export function wasmUnavailableReason(): string | undefined {
  if (typeof WebAssembly !== "object" || typeof WebAssembly.validate !== "function") {
    return "this engine has no WebAssembly";
  }
  // The smallest module that uses a SIMD instruction: (func (result v128) (v128.const i32x4 0 0 0 0)).
  // Engines without SIMD reject it, and validating it costs microseconds. Built here rather
  // than at import, so that importing simdopt does no work.
  const probe = new Uint8Array([
    0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11,
  ]);
  try {
    if (!WebAssembly.validate(probe)) return "this engine's WebAssembly has no 128-bit SIMD";
  } catch (e) {
    return `WebAssembly.validate failed: ${(e as Error).message}`;
  }
  return undefined;
}

/** The kernels' calling convention this build speaks (assembly/index.ts, `abiVersion`). */
const KERNEL_ABI = 5;

/**
 * A kernel source that is of the wrong type, or a module that is not simdopt's kernels of
 * this release: another way of compiling it cannot help. The message names the source.
 */
export class KernelSourceError extends TypeError {
  override name = "KernelSourceError";
}

function backendFrom(instance: WebAssembly.Instance, what: string, km: KernelMemory, module: WebAssembly.Module): Backend {
  const exports = instance.exports as unknown as Kernels & { abiVersion?: () => number } & Record<string, unknown>;
  if (typeof exports.rmsprop !== "function") {
    throw new KernelSourceError(`${what} is not simdopt's kernel module`);
  }
  const abi = typeof exports.abiVersion === "function" ? exports.abiVersion() : 0;
  if (abi !== KERNEL_ABI) {
    throw new KernelSourceError(`${what} has kernel ABI ${abi}; this simdopt build needs ${KERNEL_ABI} (use the simdopt.wasm of the same release)`);
  }
  const exportOf = (name: string): never => {
    const fn = exports[name];
    if (typeof fn !== "function") throw new KernelSourceError(`${what} has no kernel ${JSON.stringify(name)}`);
    return fn as never;
  };
  // The kernels are the module's exports, called directly: no wrapper on the hot path.
  const kernels: Kernels = { allFinite: exports.allFinite,
    l2Norm: exports.l2Norm, l2NormLanes: exports.l2NormLanes, maxAbs: exports.maxAbs, scale: exports.scale };
  // The staging block sits below the heap's base, after the null block, in the pages the
  // memory starts with (wasm/memory.ts), where the heap never allocates: fresh memory is zero
  // already, so nothing is filled at init.
  const staging = BLOCK_ALIGN;
  const heap = new Heap(wasmMemorySource(km.memory), Math.ceil((staging + STAGING_BYTES) / BLOCK_ALIGN) * BLOCK_ALIGN);
  return {
    name: "wasm",
    heap,
    kernels,
    staging,
    bind: (k) => exportOf(k.wasm),
    bindIndexed: (k) => exportOf(k.wasm),
    wasm: { module, instance, memory: km.memory, shared: km.shared, unsharedReason: km.unsharedReason },
  };
}

/** The imports of one kernel instance: the memory, and nothing else. */
export const kernelImports = (memory: WebAssembly.Memory): WebAssembly.Imports => ({ env: { memory } });

/**
 * A compiled module given as such declares its memory shared or not, which cannot be patched:
 * when instantiating it over `km` fails to link, it is tried over a memory of the other kind.
 */
function instantiateSync(module: WebAssembly.Module, km: KernelMemory): { instance: WebAssembly.Instance; km: KernelMemory } {
  try {
    return { instance: new WebAssembly.Instance(module, kernelImports(km.memory)), km };
  } catch (e) {
    if (!(e instanceof WebAssembly.LinkError) || !km.shared) throw e;
    const other = createKernelMemory("unshared");
    const reason = "the kernels were given as a compiled WebAssembly.Module whose memory is not shared";
    return { instance: new WebAssembly.Instance(module, kernelImports(other.memory)), km: { ...other, unsharedReason: reason } };
  }
}

const isBytes = (s: unknown): s is ArrayBuffer | ArrayBufferView => s instanceof ArrayBuffer || ArrayBuffer.isView(s);

/** Whether `source` can be loaded without waiting: a compiled module or its bytes. */
export function isAtHand(source: WasmSource): source is WebAssembly.Module | ArrayBuffer | ArrayBufferView {
  return source instanceof WebAssembly.Module || isBytes(source);
}

/** The bytes of a source as a Uint8Array over the same memory. */
const u8 = (s: ArrayBuffer | ArrayBufferView) =>
  s instanceof ArrayBuffer ? new Uint8Array(s) : new Uint8Array(s.buffer, s.byteOffset, s.byteLength);

/** Bytes whose memory import matches `km` (see module-bytes.ts). */
const fitted = (s: ArrayBuffer | ArrayBufferView, km: KernelMemory) => withSharedFlag(u8(s), km.shared) as Uint8Array<ArrayBuffer>;

async function compile(source: WasmSource, what: string, km: KernelMemory): Promise<WebAssembly.Module> {
  const s = await source;
  if (s instanceof WebAssembly.Module) return s;
  if (isBytes(s)) return WebAssembly.compile(fitted(s, km));
  if (typeof s === "string" || s instanceof URL) return compile(fetch(s), what, km);
  // Checked last: in Node, the first touch of the global `Response` loads fetch (about 15 ms).
  if (typeof Response === "function" && s instanceof Response) {
    if (!s.ok) throw new Error(`fetching ${what} failed: HTTP ${s.status}`);
    return WebAssembly.compile(fitted(await s.arrayBuffer(), km));
  }
  throw new KernelSourceError(`${what} must be a WebAssembly.Module, its bytes, a URL or a Response`);
}

/**
 * Compiles and instantiates with the engine's promise-based calls: the way that works
 * everywhere, including a browser's main thread, which refuses to compile modules over 4 KB
 * synchronously. `what` names the source in errors.
 */
export async function createWasmBackend(source: WasmSource, what = "the `wasm` module"): Promise<Backend> {
  const km = createKernelMemory();
  const module = await compile(source, what, km);
  let instance: WebAssembly.Instance;
  let used = km;
  try {
    instance = await WebAssembly.instantiate(module, kernelImports(km.memory));
  } catch (e) {
    if (!(e instanceof WebAssembly.LinkError) || !km.shared) throw e;
    ({ instance, km: used } = instantiateSync(module, km));
  }
  return backendFrom(instance, what, used, module);
}

/**
 * Compiles and instantiates synchronously: quicker than the promise-based calls in a fresh
 * Node process (no round trip through the compile threads and the event loop). Throws where
 * the engine refuses synchronous compilation; `init` then takes the promise-based way.
 */
export function createWasmBackendSync(source: WasmSource, what = "the `wasm` module"): Backend {
  if (!isAtHand(source)) {
    throw new KernelSourceError(`${what} must be a WebAssembly.Module or its bytes to load synchronously; use await init() for a URL or a promise`);
  }
  const km = createKernelMemory();
  const module = source instanceof WebAssembly.Module ? source : new WebAssembly.Module(fitted(source as ArrayBuffer | ArrayBufferView, km));
  const made = instantiateSync(module, km);
  return backendFrom(made.instance, what, made.km, module);
}

type Base64Decoder = (b64: string) => Uint8Array;

/**
 * Decodes base64 in plain JavaScript, for engines without a native decoder. It runs once per
 * process, in the interpreter, so for the kernels it takes several times as long as a native
 * decoder (7× `Buffer` in a fresh Node process), which is why `decodeBase64` prefers those.
 */
export const decodeBase64Js: Base64Decoder = (b64) => {
  const table = new Uint8Array(128);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (let i = 0; i < 64; i++) table[alphabet.charCodeAt(i)] = i;
  let end = b64.length;
  while (end > 0 && b64.charCodeAt(end - 1) === 61 /* = */) end--;
  const out = new Uint8Array((end * 3) >> 2);
  let o = 0;
  for (let i = 0; i < end; i += 4) {
    const a = table[b64.charCodeAt(i)]!, b = table[b64.charCodeAt(i + 1)]!;
    const c = table[b64.charCodeAt(i + 2)] ?? 0, d = table[b64.charCodeAt(i + 3)] ?? 0;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = v >> 16;
    if (o < out.length) out[o++] = (v >> 8) & 255;
    if (o < out.length) out[o++] = v & 255;
  }
  return out;
};

/**
 * The native base64 decoders this engine has, fastest first: `Uint8Array.fromBase64` (recent
 * browsers), `Buffer` (Node, Bun, Deno), then `atob` (browsers, Workers) with a byte copy.
 */
export function nativeBase64Decoders(): Base64Decoder[] {
  const found: Base64Decoder[] = [];
  const fromBase64 = (Uint8Array as unknown as { fromBase64?: Base64Decoder }).fromBase64;
  if (typeof fromBase64 === "function") found.push((b64) => fromBase64.call(Uint8Array, b64));
  const buffer = (globalThis as { Buffer?: { from(s: string, enc: string): Uint8Array } }).Buffer;
  if (typeof buffer?.from === "function") found.push((b64) => buffer.from(b64, "base64"));
  if (typeof atob === "function") {
    found.push((b64) => {
      const s = atob(b64);
      const out = new Uint8Array(s.length);
      for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
      return out;
    });
  }
  return found;
}

/** Decodes base64 with the fastest decoder this engine has. */
export function decodeBase64(b64: string): Uint8Array {
  return (nativeBase64Decoders()[0] ?? decodeBase64Js)(b64);
}
