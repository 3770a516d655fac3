/**
 * The one module that owns optimizer memory: a single growable buffer (a `WebAssembly.Memory`
 * for the wasm backend, a plain `ArrayBuffer` for the JS backend), a first-fit allocator over
 * it, and the Float32Array views into it, through which every copy between it and
 * caller-owned arrays goes.
 *
 * Layout rules, written down once:
 * - Pointers are byte offsets into the buffer. Every block starts on a 64-byte boundary (a
 *   cache line, and so also the 16 bytes that `v128` loads prefer).
 * - Tensors packed inside a block start on 16-byte boundaries; the gap between two tensors is
 *   zero-filled padding that kernels may update along with them and that is never exposed.
 * - Growing the buffer leaves every earlier view behind: wasm detaches the old buffer, the JS
 *   backend keeps it but stops using it. The heap then replaces its own views and bumps
 *   `generation`; callers holding views re-derive them (see store.ts).
 * - The wasm backend is wasm32: at most 65,536 pages of 64 KiB, 4 GiB in all.
 */

export const BLOCK_ALIGN = 64;
export const TENSOR_ALIGN_ELEMENTS = 4; // 16 bytes of f32
const WASM_PAGE = 65536;
export const WASM32_MAX_BYTES = 65536 * WASM_PAGE;
/** The JS backend's limit: one Float32Array spans at most 2^32 elements in V8. */
export const JS_MAX_BYTES = 2 ** 34;

/** Where the heap's bytes live and how they grow. */
export interface MemorySource {
  readonly buffer: ArrayBuffer;
  readonly maxBytes: number;
  /** Grows to at least `bytes`; every view of the previous buffer becomes detached. */
  growTo(bytes: number): void;
}

export function wasmMemorySource(memory: WebAssembly.Memory): MemorySource {
  return {
    get buffer() {
      return memory.buffer;
    },
    // The last page stays unused, so that no buffer ends at 2^32, where a wasm32 end pointer
    // would wrap to 0.
    maxBytes: WASM32_MAX_BYTES - WASM_PAGE,
    growTo(bytes: number) {
      const pages = Math.ceil((bytes - memory.buffer.byteLength) / WASM_PAGE);
      if (pages > 0) memory.grow(pages);
    },
  };
}

/**
 * Plain ArrayBuffer memory for the JS backend. Growth copies into a new buffer and leaves the
 * old one attached: detaching any buffer makes V8 add a detach check to every typed-array
 * access in the process from then on (measured: 6.0 -> 6.5 ns/element in a JS loop), and
 * resizable ArrayBuffers are slower still in Node 20 (10.3). Views of the old buffer are
 * caught by the store's stale-view check instead (see store.ts).
 */
export function arrayBufferSource(initialBytes: number, maxBytes = JS_MAX_BYTES): MemorySource {
  let buffer = new ArrayBuffer(initialBytes);
  return {
    get buffer() {
      return buffer;
    },
    maxBytes,
    growTo(bytes: number) {
      if (bytes <= buffer.byteLength) return;
      const next = new ArrayBuffer(bytes);
      // Copied as f32: a Uint8Array cannot span more than 2^32 bytes in V8.
      new Float32Array(next).set(new Float32Array(buffer));
      buffer = next;
    },
  };
}

interface FreeBlock {
  ptr: number;
  size: number;
}

const roundUp = (n: number, a: number) => Math.ceil(n / a) * a;

export class Heap {
  /** Current f32 view over the whole buffer; replaced whenever the buffer grows. */
  f32: Float32Array;
  /** The current buffer, kept as a field: `WebAssembly.Memory#buffer` is a slow getter. */
  buffer: ArrayBuffer;
  /** Bumped on every growth: a view taken at an older generation is detached. */
  generation = 0;
  private readonly source: MemorySource;
  private readonly base: number;
  private top: number;
  private readonly free: FreeBlock[] = [];
  private readonly sizes = new Map<number, number>();
  private readonly growListeners = new Set<() => void>();
  private readonly retired = new WeakSet<ArrayBufferLike>();

  /** `base` reserves the first bytes (the null page of wasm memory). */
  constructor(source: MemorySource, base = BLOCK_ALIGN) {
    this.source = source;
    this.base = base;
    this.top = base;
    this.buffer = source.buffer;
    this.f32 = new Float32Array(this.buffer);
  }


  get maxBytes(): number {
    return this.source.maxBytes;
  }

  /** Bytes held by live blocks. */
  get usedBytes(): number {
    let used = 0;
    for (const size of this.sizes.values()) used += size;
    return used;
  }

  /** Bytes the buffer spans now. */
  get capacityBytes(): number {
    return this.source.buffer.byteLength;
  }

  /** Is `a` a view of this heap's current buffer? */
  owns(a: ArrayBufferView): boolean {
    return a.buffer === this.buffer;
  }

  onGrow(listener: () => void): () => void {
    this.growListeners.add(listener);
    return () => this.growListeners.delete(listener);
  }

  /**
   * Throws a RangeError, before anything is allocated, when `byteSizes` cannot all fit under
   * the memory limit. `what` names the request in the message.
   */
  checkFits(byteSizes: readonly number[], what: string): void {
    let want = 0;
    for (const s of byteSizes) want += roundUp(Math.max(s, 1), BLOCK_ALIGN);
    const limit = this.source.maxBytes;
    if (this.usedBytes + this.base + want > limit) {
      const gib = (x: number) => (x / 2 ** 30).toFixed(2);
      throw new RangeError(
        `${what} needs ${gib(want)} GiB, but this backend's memory holds at most ${gib(limit)} GiB ` +
          `(${gib(this.usedBytes)} GiB in use). The wasm backend is wasm32 (4 GiB in all); ` +
          `use init({ backend: "js" }) for larger models.`,
      );
    }
  }

  /** Allocates `bytes` zero-filled bytes on a 64-byte boundary; returns the pointer. */
  alloc(bytes: number): number {
    const size = roundUp(Math.max(bytes, 1), BLOCK_ALIGN);
    let ptr = -1;
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i]!;
      if (b.size < size) continue;
      ptr = b.ptr;
      if (b.size === size) this.free.splice(i, 1);
      else {
        b.ptr += size;
        b.size -= size;
      }
      break;
    }
    if (ptr < 0) {
      ptr = this.top;
      const end = ptr + size;
      if (end > this.source.maxBytes) this.checkFits([bytes], "this allocation");
      if (end > this.source.buffer.byteLength) this.grow(end);
      this.top = end;
    }
    this.f32.fill(0, ptr / 4, (ptr + size) / 4);
    this.sizes.set(ptr, size);
    return ptr;
  }

  /** Returns a block to the heap; neighbouring free blocks merge, and a free block at the
   * top lowers the top, so alloc/free cycles do not creep. */
  release(ptr: number): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) throw new Error(`simdopt internal error: double free at ${ptr}`);
    this.sizes.delete(ptr);
    let i = 0;
    while (i < this.free.length && this.free[i]!.ptr < ptr) i++;
    this.free.splice(i, 0, { ptr, size });
    const next = this.free[i + 1];
    if (next && ptr + size === next.ptr) {
      this.free[i]!.size += next.size;
      this.free.splice(i + 1, 1);
    }
    const prev = this.free[i - 1];
    if (prev && prev.ptr + prev.size === ptr) {
      prev.size += this.free[i]!.size;
      this.free.splice(i, 1);
      i--;
    }
    const last = this.free[this.free.length - 1];
    if (last && last.ptr + last.size === this.top) {
      this.top = last.ptr;
      this.free.pop();
    }
  }

  /**
   * Allocates one block per size, or none: a request that cannot fit is refused with a
   * RangeError naming `what` before anything is allocated.
   */
  allocAll(byteSizes: readonly number[], what: string): number[] {
    this.checkFits(byteSizes, what);
    const out: number[] = [];
    try {
      for (const s of byteSizes) out.push(this.alloc(s));
    } catch (e) {
      for (const p of out) this.release(p);
      throw e;
    }
    return out;
  }

  /** Is `a` a view of a buffer this heap used before it grew? */
  isStale(a: ArrayBufferView): boolean {
    return this.retired.has(a.buffer);
  }

  /** Makes sure at least `bytes` more can be allocated without growing later. */
  reserve(bytes: number): void {
    const end = Math.min(this.top + roundUp(bytes, BLOCK_ALIGN), this.source.maxBytes);
    if (end > this.source.buffer.byteLength) this.grow(end);
  }

  /** A Float32Array of `length` elements at `ptr`, valid until the next growth. */
  view(ptr: number, length: number): Float32Array {
    return new Float32Array(this.buffer, ptr, length);
  }

  /** Copies `length` elements at `ptr` into a fresh caller-owned array. */
  copyOutNew(ptr: number, length: number): Float32Array {
    return this.f32.slice(ptr / 4, (ptr / 4) + length);
  }

  private grow(end: number): void {
    const current = this.source.buffer.byteLength;
    // Grow geometrically so that a sequence of allocations costs amortised O(1) copies.
    const target = Math.min(roundUp(Math.max(end, current * 1.5), BLOCK_ALIGN), this.source.maxBytes);
    try {
      this.source.growTo(target);
    } catch (cause) {
      throw new RangeError(
        `simdopt could not grow its memory to ${target} bytes: ${(cause as Error).message}`,
      );
    }
    this.retired.add(this.buffer);
    this.buffer = this.source.buffer;
    this.f32 = new Float32Array(this.buffer);
    this.generation++;
    for (const l of this.growListeners) l();
  }
}
