// The kernels' memory, created by the façade and imported by every instance of the kernel
// module (the caller's, and one per worker thread). Shared where the engine can share it, so
// that workers step the same bytes and growth never detaches a view; else an ordinary memory,
// as before threads existed.
import { STAGING_BYTES } from "../backend.js";

const PAGE = 65536;
/** The most pages a wasm32 memory can have, which the kernels declare as their maximum. */
export const MAX_PAGES = 65536;
/** Pages at start: the null block and the staging block (wasm/backend.ts), then the heap grows. */
export const INITIAL_PAGES = 1 + Math.ceil(STAGING_BYTES / PAGE);

/** The memory made for the kernels, and why it is not shared when it is not. */
export interface KernelMemory {
  readonly memory: WebAssembly.Memory;
  readonly shared: boolean;
  /** Why the memory is not shared (so threads cannot run), or undefined when it is. */
  readonly unsharedReason: string | undefined;
}

/** Which memory `createKernelMemory` makes: "auto" shares where it can. */
export type MemoryMode = "auto" | "unshared";
let mode: MemoryMode = "auto";

/**
 * @internal For tests of the non-shared rules (views detached by growth, StaleViewError): the
 * wasm backend created after this call uses a non-shared memory. Call before the first `init`.
 */
export function setMemoryMode(m: MemoryMode): void {
  mode = m;
}

/** Why shared memory cannot be made here, or undefined when it can be tried. */
function sharingUnavailable(want: MemoryMode): string | undefined {
  if (want === "unshared" || mode === "unshared") return "shared memory was turned off";
  if (typeof SharedArrayBuffer !== "function") {
    const g = globalThis as { crossOriginIsolated?: boolean; document?: unknown };
    return g.crossOriginIsolated === false
      ? "this page is not cross-origin isolated (serve it with COOP: same-origin and COEP: require-corp), so it has no SharedArrayBuffer"
      : "this engine has no SharedArrayBuffer";
  }
  return undefined;
}

/** Makes the kernels' memory: shared with a 4 GiB maximum where possible, else non-shared. */
export function createKernelMemory(want: MemoryMode = "auto"): KernelMemory {
  let reason = sharingUnavailable(want);
  if (reason === undefined) {
    try {
      const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAX_PAGES, shared: true } as WebAssembly.MemoryDescriptor);
      if (memory.buffer instanceof SharedArrayBuffer) return { memory, shared: true, unsharedReason: undefined };
      reason = "this engine ignores `shared` when creating WebAssembly memory";
    } catch (e) {
      reason = `this engine cannot create shared WebAssembly memory: ${(e as Error).message}`;
    }
  }
  return { memory: new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAX_PAGES }), shared: false, unsharedReason: reason };
}
