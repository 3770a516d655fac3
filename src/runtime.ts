// Backend selection: which backend new optimizers and stores use. One instance per backend
// kind lives for the whole process, so optimizers created under either keep working after
// `init` switches the default.
import type { Backend, BackendName } from "./backend.js";
import { createJsBackend } from "./js/backend.js";
import { show } from "./options.js";
import { parseThreads, threadsState, type ThreadsOption } from "./threads/config.js";
import {
  createWasmBackend,
  createWasmBackendSync,
  isAtHand,
  KernelSourceError,
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
   * Default: the copy that comes with this build. Only the first successful load counts:
   * once the wasm backend exists, later calls reuse it and do not load `wasm` again.
   */
  wasm?: WasmSource;
  /**
   * Threads for steps: the caller plus `threads − 1` worker threads over the wasm backend's
   * shared memory, or `"auto"` for one per core available. Needs the wasm backend over shared
   * memory (see `threadsReason()` for why there are fewer). Large steps (at least 65,536
   * elements) are cut into chunks that every thread claims; every thread count gives the same
   * bits. Default: unchanged since the last call, and 1 (no workers) at first. `init` resolves
   * once the workers have started; `initSync` takes only 1.
   */
  threads?: ThreadsOption;
}

/** Where an entry point finds its own copy of the kernels. */
export interface BundledKernels {
  /** Names the kernels in error messages, e.g. "the kernels embedded in simdopt". */
  readonly label: string;
  /** The kernels, or undefined when this build has none. Called only when they are needed. */
  load(): WasmSource | undefined;
}

type Kind = "auto" | BackendName;

/** One `init()` or `initSync()` call: its place in call order and what it asked for. */
interface Call {
  readonly order: number;
  readonly kind: Kind;
  /** "init" or "initSync", for error messages. */
  readonly fn: string;
}

/**
 * The process-wide choice of backend. The rule for many calls, however they interleave:
 * the last call wins. Every call takes a number when it is made; a call applies its choice
 * when its backend is ready, unless a later call has applied one already. So a slow
 * `init({ backend: "wasm" })` that finishes after a later `init({ backend: "js" })` leaves
 * "js" in effect, yet resolves to "wasm", the backend it chose. A call that fails applies
 * nothing.
 */
class Runtime {
  private current: Backend | undefined;
  private reason: string | undefined;
  private wasm: Backend | undefined;
  private js: Backend | undefined;
  private calls = 0;
  /** The number of the call whose choice is in effect (0: none yet). */
  private applied = 0;
  /** Compilations under way, by source: concurrent calls with the same source share one. */
  private readonly compiling = new Map<unknown, Promise<Backend>>();

  get backend(): Backend | undefined {
    return this.current;
  }

  get fallbackReason(): string | undefined {
    return this.reason;
  }

  get wasmBackend(): Backend | undefined {
    return this.wasm;
  }

  get backends(): Backend[] {
    return [this.wasm, this.js].filter((b): b is Backend => b !== undefined);
  }

  async init(options: InitOptions, bundled: BundledKernels): Promise<BackendName> {
    // Everything up to the first `await` runs when init() is called, so calls are numbered
    // in the order they are made.
    const call = this.begin(options, "init");
    const first = this.decide(call, options, bundled);
    if (typeof first === "string") return first;
    const { source, what } = first;
    if (isAtHand(source)) {
      try {
        return this.useWasm(call, createWasmBackendSync(source, what));
      } catch (e) {
        // A module that is not simdopt's fails the same way asynchronously, and so does an
        // engine without SIMD; anything else may be the engine refusing to compile
        // synchronously (a browser's main thread refuses modules over 4 KB), so the
        // promise-based way decides.
        if (e instanceof KernelSourceError || wasmUnavailableReason()) return this.failWasm(call, what, e);
      }
    }
    const key = options.wasm ?? bundled;
    let pending = this.compiling.get(key);
    if (!pending) {
      pending = createWasmBackend(source, what).finally(() => this.compiling.delete(key));
      this.compiling.set(key, pending);
    }
    let built: Backend;
    try {
      built = await pending;
    } catch (e) {
      return this.failWasm(call, what, e);
    }
    return this.useWasm(call, built);
  }

  initSync(options: InitOptions, bundled: BundledKernels): BackendName {
    const call = this.begin(options, "initSync");
    const first = this.decide(call, options, bundled);
    if (typeof first === "string") return first;
    try {
      return this.useWasm(call, createWasmBackendSync(first.source, first.what));
    } catch (e) {
      return this.failWasm(call, first.what, e);
    }
  }

  private begin(options: InitOptions, fn: string): Call {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`${fn}: options must be an object, got ${show(options)}`);
    }
    for (const key of Object.keys(options)) {
      if (key !== "backend" && key !== "wasm" && key !== "threads") throw new TypeError(`${fn}: unknown option ${JSON.stringify(key)}`);
    }
    if (options.threads !== undefined) {
      const t = parseThreads(options.threads, fn);
      if (fn === "initSync" && t !== 1) {
        throw new TypeError(`initSync: threads must be 1 (starting workers takes a promise: use await init({ threads: ${show(t)} }))`);
      }
    }
    const kind = options.backend ?? "auto";
    if (kind !== "auto" && kind !== "wasm" && kind !== "js") {
      throw new RangeError(`${fn}: backend must be "auto", "wasm" or "js", got ${show(kind)}`);
    }
    return { order: ++this.calls, kind, fn };
  }

  /** What a call needs that can be settled at once: a backend name, or the kernels to load. */
  private decide(call: Call, options: InitOptions, bundled: BundledKernels): BackendName | { source: WasmSource; what: string } {
    if (call.kind === "js") return this.useJs(call, undefined);
    if (this.wasm) return this.useWasm(call, this.wasm);
    // Engines without SIMD are found by compiling the kernels, which is as quick as any probe
    // where SIMD works, and failWasm then says why; only no WebAssembly at all is caught here.
    if (typeof WebAssembly !== "object") return this.fail(call, "this engine has no WebAssembly");
    if (options.wasm !== undefined) return { source: options.wasm, what: `the \`wasm\` module given to ${call.fn}()` };
    const source = bundled.load();
    if (source === undefined) return this.fail(call, `this build has no bundled kernels and ${call.fn}() was given no \`wasm\` module`);
    return { source, what: bundled.label };
  }

  private apply(call: Call, backend: Backend, reason: string | undefined): BackendName {
    if (call.order > this.applied) {
      this.applied = call.order;
      this.current = backend;
      this.reason = reason;
    }
    return backend.name;
  }

  private useJs(call: Call, reason: string | undefined): BackendName {
    this.js ??= createJsBackend();
    return this.apply(call, this.js, reason);
  }

  private useWasm(call: Call, built: Backend): BackendName {
    // The first wasm backend built stays the only one: optimizers and stores find each
    // other through it, and a second load (a concurrent call with another source) is dropped.
    this.wasm ??= built;
    return this.apply(call, this.wasm, undefined);
  }

  /**
   * Fails `call` with an error from loading `what`, which the message names, or with the
   * engine's want of SIMD when that is the cause.
   */
  private failWasm(call: Call, what: string, e: unknown): BackendName {
    if (e instanceof KernelSourceError) return this.fail(call, e.message);
    const message = e instanceof Error ? e.message : String(e);
    return this.fail(call, wasmUnavailableReason() ?? `${what} could not be compiled or instantiated: ${message}`);
  }

  /** `backend: "wasm"` throws with `why`; `"auto"` falls back to JS and keeps `why`. */
  private fail(call: Call, why: string): BackendName {
    if (call.kind === "wasm") throw new Error(`simdopt: the wasm backend is unavailable: ${why}`);
    return this.useJs(call, why);
  }
}

const runtime = new Runtime();

/** The default backend for new optimizers and stores; throws before `init`. */
export function currentBackend(): Backend {
  const b = runtime.backend;
  if (!b) {
    throw new Error("simdopt is not initialised: call `await init()` (or `initSync()`) before creating optimizers");
  }
  return b;
}

/**
 * Why the backend in effect is JS although `"auto"` was asked for, if it is.
 *
 * @example
 * ```ts
 * const backend = await init();
 * if (backend === "js") console.warn(`simdopt runs its JS kernels: ${fallbackReason()}`);
 * ```
 */
export function fallbackReasonOf(): string | undefined {
  return runtime.fallbackReason;
}

export async function initWith(options: InitOptions, bundled: BundledKernels): Promise<BackendName> {
  const name = await runtime.init(options, bundled);
  if (options.threads !== undefined) await threadsState.configure(options.threads, runtime.backend, runtime.wasmBackend);
  return name;
}

export function initSyncWith(options: InitOptions, bundled: BundledKernels): BackendName {
  const name = runtime.initSync(options, bundled);
  if (options.threads === 1) void threadsState.configure(1, runtime.backend, runtime.wasmBackend);
  return name;
}

/** Every backend created so far (an optimizer follows its params' store to its backend). */
export function allBackends(): Backend[] {
  return runtime.backends;
}
