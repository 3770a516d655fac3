/**
 * The one module that owns optimizer memory: a single growable buffer (a `WebAssembly.Memory`
 * for the wasm backend, a plain `ArrayBuffer` for the JS backend), a first-fit allocator over
 * it, and the Float32Array views into it, through which every copy between it and
 * caller-owned arrays goes.
 *
 * Layout rules, written down once:
 * - Pointers are byte offsets into the buffer. Every block starts on a 64-byte boundary (a
 *   cache line, and so also the 16 bytes that `v128` loads prefer), lies wholly inside the
 *   buffer and ends at or below the limit (`maxBytes`); a request that cannot be placed so
 *   fails before anything is allocated or grown.
 * - Tensors packed inside a block start on 16-byte boundaries; the gap between two tensors is
 *   zero-filled padding that kernels may update along with them and that is never exposed.
 * - Non-shared memory: growing the buffer leaves every earlier view behind: wasm detaches the
 *   old buffer, the JS backend keeps it but stops using it. The heap then replaces its own
 *   views, bumps `generation` and tells its listeners; callers holding views re-derive them
 *   (see store.ts). A released block is quarantined: it is reused only after a growth (or a
 *   renewal, a growth by as little as the engine allows) has left behind every view of it, so
 *   a view kept past `dispose()` can never reach the next owner's data.
 * - Shared memory (wasm over a SharedArrayBuffer, for worker threads): growth detaches nothing.
 *   Every view stays valid for the length it was made with, so listeners are not told; the heap
 *   still replaces its own views (to span the new length) and bumps `generation`. Views of a
 *   released block cannot be left behind either, so the block is filled with a poison pattern
 *   and quarantined; it is reused when it would have been renewed, after checking that the
 *   poison is intact. A block written since its release was written through a view kept past
 *   `dispose()`: it is set aside for good (never reused) and the request that would have reused
 *   it throws, naming the disposed owner; a retry succeeds. A write made after the block was
 *   reused cannot be told from its new owner's and is not caught.
 * - The wasm backend is wasm32: at most 65,536 pages of 64 KiB, 4 GiB in all.
 */
import { isDetached } from "./detached.js";
import { bytesIn, place, withFreed, type Block, type Extent, type Placement } from "./free-list.js";

export const BLOCK_ALIGN = 64;
export const TENSOR_ALIGN_ELEMENTS = 4; // 16 bytes of f32
const WASM_PAGE = 65536;
export const WASM32_MAX_BYTES = 65536 * WASM_PAGE;
/** The JS backend's limit: one Float32Array spans at most 2^32 elements in V8. */
export const JS_MAX_BYTES = 2 ** 34;
/** Growth multiplies the capacity by at least this, so that a run of allocations copies O(1) per byte. */
const GROWTH_FACTOR = 1.5;

/** Where the heap's bytes live and how they grow. */
export interface MemorySource {
  readonly buffer: ArrayBuffer;
  /** True when `buffer` is a SharedArrayBuffer: growth then leaves no view behind. */
  readonly shared: boolean;
  /** No block may end past this many bytes. */
  readonly maxBytes: number;
  /** What to tell a caller whose request does not fit under `maxBytes`. */
  readonly limitHint?: string;
  /**
   * Grows to at least `bytes`, keeping the first `keepBytes`; every view of the previous buffer
   * is left behind. Throws, changing nothing, when the engine refuses.
   */
  growTo(bytes: number, keepBytes: number): void;
  /**
   * Replaces the buffer by one at least as large, growing by as little as the engine allows
   * (nothing where it can), keeping the first `keepBytes`; every view of the previous buffer
   * is left behind. Throws, changing nothing, when the engine refuses.
   */
  renew(keepBytes: number): void;
}

/**
 * A `WebAssembly.Memory` as heap memory. `maxBytes` (default: wasm32's 4 GiB less one page)
 * is the limit no block may cross; tests pass a small one.
 */
export function wasmMemorySource(memory: WebAssembly.Memory, maxBytes = WASM32_MAX_BYTES - WASM_PAGE): MemorySource {
  return {
    get buffer() {
      return memory.buffer as ArrayBuffer;
    },
    shared: typeof SharedArrayBuffer === "function" && memory.buffer instanceof SharedArrayBuffer,
    // By default the last page stays unused, so that no block ends at 2^32, where a wasm32 end
    // pointer would wrap to 0.
    maxBytes,
    limitHint: 'The wasm backend is wasm32 (4 GiB in all); use init({ backend: "js" }) for larger models.',
    growTo(bytes: number) {
      const pages = Math.ceil((bytes - memory.buffer.byteLength) / WASM_PAGE);
      if (pages > 0) memory.grow(pages);
    },
    renew() {
      const old = memory.buffer;
      // The JS API detaches the buffer on every grow, even by 0 pages; should an engine not,
      // one page is the least growth that does.
      memory.grow(0);
      if (!isDetached(old)) memory.grow(1);
    },
  };
}

/**
 * Plain ArrayBuffer memory for the JS backend. Growth copies into a new buffer and leaves the
 * old one attached: detaching any buffer makes V8 add a detach check to every typed-array
 * access in the process from then on (measured: 6.0 -> 6.5 ns/element in a JS loop), and
 * resizable ArrayBuffers are slower still in Node 20 (10.3). Views of the old buffer are
 * told by `Heap.isStale` and the store's stale-view check instead (see store.ts).
 */
export function arrayBufferSource(initialBytes: number, maxBytes = JS_MAX_BYTES): MemorySource {
  let buffer = new ArrayBuffer(initialBytes);
  const replace = (bytes: number, keepBytes: number) => {
    const next = new ArrayBuffer(bytes);
    // Copied as f32: a Uint8Array cannot span more than 2^32 bytes in V8. Only the bytes in
    // use are copied, so the untouched rest of a large buffer costs no physical memory.
    const n = Math.floor(Math.min(keepBytes, buffer.byteLength, bytes) / 4);
    new Float32Array(next, 0, n).set(new Float32Array(buffer, 0, n));
    buffer = next;
  };
  return {
    get buffer() {
      return buffer;
    },
    shared: false,
    maxBytes,
    limitHint: "The JS backend's memory is one Float32Array of at most 2^32 elements.",
    growTo(bytes: number, keepBytes: number) {
      if (bytes > buffer.byteLength) replace(bytes, keepBytes);
    },
    renew(keepBytes: number) {
      replace(buffer.byteLength, keepBytes);
    },
  };
}

export interface AllocOptions {
  /**
   * Bytes to set aside, besides these blocks, for later requests that reserve nothing
   * themselves (an optimizer's state over a store), so that those do not grow the memory.
   * Set-asides add up across owners; later requests draw them down; the set-aside left is
   * dropped when the first block of this request is released. Met as far as the memory can
   * grow; never a reason to refuse the request. Default 0.
   */
  reserveBytes?: number;
}

export interface ReleaseOptions {
  /**
   * False when no view of the block ever left its owner (an optimizer's state and staging):
   * the block is then reusable at once instead of quarantined. Default true.
   */
  viewsEscaped?: boolean;
  /** Names the block's owner in errors about writes after release, e.g. "ParamStore(w, b)". */
  owner?: string;
}

/** What a released block of shared memory holds until it is reused: a NaN no kernel writes. */
export const POISON = 0x7fa5_d15d;

/** A quarantined block and who gave it back. */
interface Quarantined {
  readonly ptr: number;
  readonly size: number;
  readonly owner: string;
}

const roundUp = (n: number, a: number) => Math.ceil(n / a) * a;
/** Bytes a block of `bytes` takes in the heap, alignment included. */
export const blockSize = (bytes: number) => roundUp(Math.max(bytes, 1), BLOCK_ALIGN);

function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(2)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(2)} KiB`;
  return `${n} bytes`;
}

export class Heap {
  /** Current f32 view over the whole buffer; replaced whenever the buffer is. */
  f32: Float32Array;
  /** Current i32 view over the whole buffer (index lists of sparse steps); replaced with `f32`. */
  i32: Int32Array;
  /** The current buffer, kept as a field: `WebAssembly.Memory#buffer` is a slow getter. */
  buffer: ArrayBuffer;
  /** Bumped whenever the buffer is replaced: a view taken at an older generation is stale. */
  generation = 0;
  private readonly source: MemorySource;
  private extent: Extent;
  /** Released blocks whose views may still be out; reusable after the next buffer change. */
  private quarantine: Quarantined[] = [];
  /** Shared memory: released blocks written after release, never reused (see the module notes). */
  private setAside = 0;
  /** True over shared memory (see the module notes). */
  readonly shared: boolean;
  /** Live blocks: pointer -> size, and the pointers sorted, to find the block holding a view. */
  private readonly sizes = new Map<number, number>();
  private readonly sorted: number[] = [];
  private used = 0;
  /** Set-asides by the pointer of the first block of the request that made them. */
  private readonly reservations = new Map<number, number>();
  private reserved = 0;
  private readonly retired = new WeakSet<ArrayBuffer>();
  private readonly growListeners = new Set<() => void>();

  /** `base` reserves the first bytes (the null page of wasm memory). */
  constructor(source: MemorySource, private readonly base = BLOCK_ALIGN) {
    this.source = source;
    this.shared = source.shared;
    this.extent = { free: [], top: base };
    this.buffer = source.buffer;
    this.f32 = new Float32Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
  }

  /** No block ends past this many bytes. */
  /** Bytes below the first block: the null block, and what the backend set aside there. */
  get baseBytes(): number {
    return this.base;
  }

  get maxBytes(): number {
    return this.source.maxBytes;
  }

  /** Bytes held by live blocks. */
  get usedBytes(): number {
    return this.used;
  }

  /** Bytes released but not yet reusable (see the module notes). */
  get quarantinedBytes(): number {
    return bytesIn(this.quarantine);
  }

  /** Shared memory: bytes of released blocks written after release, which are never reused. */
  get setAsideBytes(): number {
    return this.setAside;
  }

  /** Bytes set aside for later requests (see `AllocOptions.reserveBytes`). */
  get reservedBytes(): number {
    return this.reserved;
  }

  /** Bytes the buffer spans now. */
  get capacityBytes(): number {
    return this.buffer.byteLength;
  }

  /** Is `a` a view of this heap's current buffer? */
  owns(a: ArrayBufferView): boolean {
    return this.isHeapBuffer(a.buffer);
  }

  /** Is `b` this heap's memory: its current buffer, or under shared memory any earlier one? */
  isHeapBuffer(b: ArrayBufferLike): boolean {
    return b === this.buffer || (this.shared && this.retired.has(b as ArrayBuffer));
  }

  /**
   * Is `a` a view that no longer reaches this heap's data: of a buffer the heap has replaced
   * (wasm detaches those; the JS backend leaves them attached), of any detached buffer, or of
   * released memory in the current buffer? Empty views of the current buffer are not stale.
   */
  isStale(a: ArrayBufferView): boolean {
    const b = a.buffer;
    if (this.isHeapBuffer(b)) return a.byteLength > 0 && !this.isLive(a.byteOffset, a.byteLength);
    return this.retired.has(b as ArrayBuffer) || isDetached(b);
  }

  /** Calls `listener` after every buffer change; returns the unsubscribe function. */
  onGrow(listener: () => void): () => void {
    this.growListeners.add(listener);
    return () => this.growListeners.delete(listener);
  }

  /**
   * Allocates one zero-filled block per entry of `byteSizes`, each on a 64-byte boundary, and
   * returns their pointers; all or nothing. Blocks go into free space first, then on top,
   * growing the memory at most once. Throws a RangeError naming `what` and the sizes, having
   * allocated and grown nothing, when the blocks cannot all lie below the limit or the engine
   * refuses the growth.
   */
  allocAll(byteSizes: readonly number[], what: string, options: AllocOptions = {}): number[] {
    if (byteSizes.length === 0) return [];
    const sizes = byteSizes.map((b) => {
      if (!(b >= 0 && b <= Number.MAX_SAFE_INTEGER)) throw new RangeError(`${what}: block size ${b} is not a byte count`);
      return blockSize(b);
    });
    const reserve = roundUp(Math.min(options.reserveBytes ?? 0, Number.MAX_SAFE_INTEGER), BLOCK_ALIGN);
    const limit = this.source.maxBytes;
    const capacity = this.buffer.byteLength;
    const generation = this.generation;
    // What the memory should span after placing `p`: its blocks, plus, for a request that sets
    // memory aside, every set-aside (requests that set nothing aside only draw them down).
    const wanted = (p: Placement) => Math.min(limit, p.extent.top + (reserve > 0 ? this.reserved + reserve : 0));

    const now = place(sizes, this.extent, capacity);
    if (now && wanted(now) <= capacity) return this.commit(now, sizes, reserve, false);
    // Released blocks cover it once their views are left behind: renew, do not grow.
    const released = this.quarantine.length > 0 ? withFreed(this.extent, this.quarantine) : undefined;
    const renewed = released && place(sizes, released, capacity);
    if (renewed && wanted(renewed) <= capacity) {
      this.renew(what, sizes);
      return this.commit(renewed, sizes, reserve, true);
    }
    const grown = place(sizes, released ?? this.extent, limit);
    if (!grown) throw this.tooBig(what, sizes);
    // Growing shared memory leaves no view of the released blocks behind: check them first.
    if (released && this.shared) this.checkPoison(what);
    const need = grown.extent.top;
    const want = wanted(grown);
    // Geometric first; then all that is wanted; then exactly what is needed, for engines whose
    // memory cap is lower than our limit.
    const targets = [Math.max(want, capacity * GROWTH_FACTOR), want, need]
      .map((t) => Math.min(limit, roundUp(t, BLOCK_ALIGN)))
      .filter((t, i, all) => t > capacity && all.indexOf(t) === i);
    let failure: unknown;
    for (const target of targets) {
      try {
        this.replaceBuffer(() => this.source.growTo(target, this.extent.top));
      } catch (e) {
        failure = e;
        continue;
      }
      if (this.buffer.byteLength >= need) return this.commit(grown, sizes, reserve, true);
      failure = new Error(`the memory grew to ${this.buffer.byteLength} bytes, not ${target}`);
    }
    if (need > this.buffer.byteLength) {
      throw new RangeError(
        `${what} needs ${this.describe(sizes)}, but simdopt could not grow its memory to ${formatBytes(need)}: ` +
          `${(failure as Error).message}`,
      );
    }
    // Only the set-aside could not be had: go without it, leaving views alone where possible.
    if (now && this.generation === generation) return this.commit(now, sizes, reserve, false);
    if (this.generation === generation) this.renew(what, sizes);
    return this.commit(grown, sizes, reserve, true);
  }

  /** Allocates one zero-filled block of `bytes` (see `allocAll`). */
  alloc(bytes: number): number {
    return this.allocAll([bytes], "this allocation")[0]!;
  }

  /**
   * Throws the RangeError `allocAll` would throw when `byteSizes` cannot all lie below the
   * limit, without allocating. Prefer `allocAll`, which also covers a refused growth.
   */
  checkFits(byteSizes: readonly number[], what: string): void {
    const sizes = byteSizes.map(blockSize);
    const limit = this.source.maxBytes;
    if (place(sizes, this.extent, limit)) return;
    if (this.quarantine.length > 0 && place(sizes, withFreed(this.extent, this.quarantine), limit)) return;
    throw this.tooBig(what, sizes);
  }

  /**
   * Gives a block back. It is quarantined until the next buffer change unless
   * `viewsEscaped: false`; a set-aside made with it is dropped.
   */
  release(ptr: number, options: ReleaseOptions = {}): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) throw new Error(`simdopt internal error: double free at ${ptr}`);
    this.sizes.delete(ptr);
    this.sorted.splice(this.indexAtOrBefore(ptr), 1);
    this.used -= size;
    const left = this.reservations.get(ptr);
    if (left !== undefined) {
      this.reservations.delete(ptr);
      this.reserved -= left;
    }
    if (options.viewsEscaped === false) {
      this.extent = withFreed(this.extent, [{ ptr, size }]);
      return;
    }
    if (this.shared) new Int32Array(this.buffer, ptr, size / 4).fill(POISON);
    this.quarantine.push({ ptr, size, owner: options.owner ?? "an object" });
  }

  /**
   * A Float32Array of `length` elements at `ptr`, valid until the next buffer change. Throws
   * when the range is not inside a live block: released memory is never viewed again.
   */
  view(ptr: number, length: number): Float32Array {
    // Below `base` lies what the backend set aside for itself (wasm: the clipping staging block).
    if (length > 0 && ptr + length * 4 > this.base && !this.isLive(ptr, length * 4)) {
      throw new Error(`simdopt: the memory at ${ptr} was given back (its store or optimizer was disposed); it can no longer be viewed`);
    }
    return new Float32Array(this.buffer, ptr, length);
  }

  /** Copies `length` elements at `ptr` into a fresh caller-owned array. */
  copyOutNew(ptr: number, length: number): Float32Array {
    return this.f32.slice(ptr / 4, (ptr / 4) + length);
  }

  // --- internals ---------------------------------------------------------------------------

  private commit(p: Placement, sizes: readonly number[], reserve: number, quarantineReleased: boolean): number[] {
    this.extent = p.extent;
    if (quarantineReleased) this.quarantine = [];
    p.ptrs.forEach((ptr, i) => {
      const size = sizes[i]!;
      this.sizes.set(ptr, size);
      this.sorted.splice(this.indexAtOrBefore(ptr) + 1, 0, ptr);
      this.used += size;
      this.f32.fill(0, ptr / 4, (ptr + size) / 4);
    });
    if (reserve > 0) {
      this.reservations.set(p.ptrs[0]!, reserve);
      this.reserved += reserve;
    } else {
      let draw = sizes.reduce((s, x) => s + x, 0);
      for (const [ptr, left] of this.reservations) {
        if (draw === 0) break;
        const d = Math.min(left, draw);
        this.reservations.set(ptr, left - d);
        this.reserved -= d;
        draw -= d;
      }
    }
    return p.ptrs;
  }

  /** Runs a source operation that may replace the buffer, then takes up the new buffer. */
  private replaceBuffer(op: () => void): void {
    try {
      op();
    } finally {
      this.adopt();
    }
  }

  /** Replaces the buffer without growing it (where the engine allows), for the quarantine. */
  private renew(what: string, sizes: readonly number[]): void {
    if (this.shared) return this.checkPoison(what);
    const old = this.buffer;
    try {
      this.replaceBuffer(() => this.source.renew(this.extent.top));
      if (this.buffer === old) throw new Error("the memory kept its buffer");
    } catch (cause) {
      throw new RangeError(`${what} needs ${this.describe(sizes)}, but simdopt could not renew its memory: ${(cause as Error).message}`);
    }
  }

  private adopt(): void {
    const next = this.source.buffer;
    if (next === this.buffer) return;
    this.retired.add(this.buffer);
    this.buffer = next;
    this.f32 = new Float32Array(next);
    this.i32 = new Int32Array(next);
    this.generation++;
    if (this.shared) return;
    for (const l of this.growListeners) l();
  }

  /**
   * Shared memory: before quarantined blocks are reused, checks that each still holds the
   * poison it was filled with at release. A block that does not was written through a view
   * kept past its owner's `dispose()`: it leaves the quarantine for good, and this throws,
   * naming the owner. Nothing else changes, so the request that called this can be retried.
   */
  private checkPoison(what: string): void {
    const i32 = this.i32;
    const bad = this.quarantine.filter((q) => {
      for (let i = q.ptr >> 2, end = (q.ptr + q.size) >> 2; i < end; i++) if (i32[i] !== POISON) return true;
      return false;
    });
    if (bad.length === 0) return;
    this.quarantine = this.quarantine.filter((q) => !bad.includes(q));
    for (const q of bad) this.setAside += q.size;
    const owners = [...new Set(bad.map((q) => q.owner))].join(", ");
    throw new Error(
      `simdopt: ${what} was refused: memory given back by ${owners} was written after dispose(), through a view kept past it. ` +
        `That memory is set aside and never reused, so those writes reach no live data; do not use views of disposed objects. ` +
        `Retrying succeeds.`,
    );
  }

  /** Index in `sorted` of the last block starting at or before `ptr`, or -1. */
  private indexAtOrBefore(ptr: number): number {
    let lo = 0;
    let hi = this.sorted.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.sorted[mid]! <= ptr) lo = mid + 1;
      else hi = mid - 1;
    }
    return hi;
  }

  /** Do the `bytes` at `ptr` lie inside one live block? */
  private isLive(ptr: number, bytes: number): boolean {
    const i = this.indexAtOrBefore(ptr);
    if (i < 0) return false;
    const start = this.sorted[i]!;
    return ptr + bytes <= start + this.sizes.get(start)!;
  }

  private describe(sizes: readonly number[]): string {
    const total = sizes.reduce((s, x) => s + x, 0);
    const list = sizes.map(formatBytes).join(" + ");
    return sizes.length === 1 ? list : `${list} (${formatBytes(total)} in all)`;
  }

  private tooBig(what: string, sizes: readonly number[]): RangeError {
    const limit = this.source.maxBytes;
    return new RangeError(
      `${what} needs ${this.describe(sizes)}, which does not fit: this backend's memory holds at most ` +
        `${formatBytes(limit)} (${formatBytes(this.used)} in use). ${this.source.limitHint ?? ""}`.trimEnd(),
    );
  }
}
