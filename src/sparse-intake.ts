// Sparse gradients on their way to a row kernel. A grads entry `{ indices, values, dim }` for a
// `rows × dim` param is validated, its values are copied into a scratch block of the heap next
// to two int32 lists that coalesce duplicate rows (layout: assembly/adagrad-rows.ts), and for a
// caller-owned param only the rows it touches are copied, packed one after the other in list
// order into scratch too, and back (the kernel's PACKED_ROWS): so the copies write and read
// scratch in order, and only the caller's table (and the state) are visited row by row, each
// row somewhere else: a 1e6 × 64 table's copies took 1.5-4x as long into the rows' places in a
// staged copy of the table.
//
// The cost follows the rows a step touches, not the table. Duplicates are found with a small
// open-addressing table from row to its last entry, sized to the step's entries rather than to
// the table's rows (so it stays in the cache: a map of every row of a 1e6-row table cost 3x as
// much in misses), and emptied slot by slot after each use. The scratch block and that table
// only grow (by half again, or doubling), so a run of steps allocates nothing.
// A refused step has changed only private scratch.
import { isDetached } from "./detached.js";
import type { Heap } from "./heap.js";
import { typedLength } from "./intrinsics.js";
import { index } from "./js/index.js";
import type { TensorPlan } from "./layout.js";
import { show } from "./options.js";

/**
 * A gradient that touches some rows of a `rows × dim` parameter stored row-major (an embedding
 * table of `rows` vectors of `dim`): PyTorch's sparse gradient. Only Adagrad takes them.
 */
export interface SparseRows {
  /**
   * The rows, each a whole number in [0, rows). A row may appear more than once: its vectors
   * are then summed before use, one float32 addition at a time in the order given (torch sums
   * three or more in an unspecified order, so only pairs are bit-exact with it).
   */
  readonly indices: Int32Array | readonly number[];
  /** `indices.length × dim` values: the vector of `indices[j]` at `values[j·dim .. (j+1)·dim)`. */
  readonly values: Float32Array;
  /** Elements per row: a whole number > 0 that divides the parameter's length. */
  readonly dim: number;
}

/** One tensor's sparse gradient in the step being taken; reused from step to step. */
export interface SparseStep {
  /** Elements per row, entries given, and distinct rows among them. */
  dim: number;
  k: number;
  count: number;
  /** Byte pointers of the values, the row list and the next-entry list in the scratch block. */
  values: number;
  list: number;
  next: number;
  /** Byte pointer of the rows listed, packed (a caller-owned param), or -1 (rows in place). */
  packed: number;
}

/** What the engine decides for a tensor: why it cannot take sparse rows, and its state's row length. */
export interface SparseRules {
  /** Why tensor `t` cannot take sparse rows, or undefined. */
  refuse(t: TensorPlan): string | undefined;
  /** The row length the state of `t` is laid out in (rowwise), or 0. */
  rowLength(t: TensorPlan): number;
}

/** A tensor's reusable sparse state. */
interface TensorRows extends SparseStep {
  /** The caller's param as int32, to copy rows bit for bit (made on first use; staged tensors). */
  paramBits: Int32Array | null;
  /** The caller's arrays, held from `read` to `coalesce` only. */
  indices: Int32Array | readonly number[];
  source: Float32Array;
  /** Position of the entry in grads, for messages. */
  at: number;
}

const EMPTY_INDICES = new Int32Array(0);
const EMPTY_VALUES = new Float32Array(0);
const align16 = (bytes: number) => Math.ceil(bytes / 16) * 16;
/** Words of a caller-owned param touched ahead of the copy, per block of rows. */
const TOUCH_WORDS = 4096;
/**
 * An empty slot of the row table, which keeps rows as int32 (`row | 0`, one to one on 32 bits,
 * so that every read stays an int32): -1 is row 2^32 - 1, and no param has 2^32 elements.
 */
const FREE = -1;

export class SparseIntake {
  /** Sparse entries in the step being checked or taken. */
  count = 0;
  private readonly byTensor: Array<TensorRows | undefined> = [];
  /** This step's entries, in grads order: the first `count` are live. */
  private readonly live: Array<{ t: TensorPlan; r: TensorRows }> = [];
  private scratch = -1;
  private capacity = 0;
  /**
   * The row table, 2^bits slots: per slot its row (FREE when empty) and then the row's last
   * entry so far, side by side, so that a lookup reads one cache line.
   */
  private slots = new Int32Array(0);
  private bits = 0;
  /** The slots taken while an entry is coalesced, to empty them afterwards. */
  private taken = new Int32Array(0);

  constructor(
    private readonly kind: string,
    private readonly heap: Heap,
    private readonly rules: SparseRules,
  ) {}

  /** Starts the check of a step's grads. */
  begin(): void {
    this.count = 0;
  }

  /** Is `g` meant as sparse rows (an object that is neither an array nor a typed array)? */
  static isEntry(g: unknown): g is object {
    return typeof g === "object" && g !== null && !ArrayBuffer.isView(g) && !Array.isArray(g);
  }

  /** Reads grads[i] as sparse rows for tensor `t`: each field once, every size checked. */
  read(i: number, t: TensorPlan, g: object): void {
    const where = `grads[${i}]`;
    const why = this.rules.refuse(t);
    if (why !== undefined) this.fail(TypeError, `${where} is sparse rows { indices, values, dim }, but ${why}`);
    const { indices, values, dim } = g as Record<string, unknown>;
    if (typeof dim !== "number") this.fail(TypeError, `${where}.dim must be a number (elements per row), got ${show(dim)}`);
    if (!Number.isInteger(dim) || dim <= 0 || t.length % dim !== 0) {
      this.fail(RangeError, `${where}.dim must be a whole number > 0 that divides the length of params[${t.index}] (${t.length}), got ${show(dim)}`);
    }
    const d = this.rules.rowLength(t);
    if (d > 0 && dim !== d) {
      this.fail(RangeError, `${where}.dim is ${dim}, but the state of params[${t.index}] keeps one value per row of ${d} (rowwise: ${d})`);
    }
    if (!(indices instanceof Int32Array) && !Array.isArray(indices)) {
      this.fail(TypeError, `${where}.indices must be an Int32Array or an array of row numbers, got ${show(indices)}`);
    }
    const k = (indices as ArrayLike<unknown>).length;
    if (!(values instanceof Float32Array)) this.fail(TypeError, `${where}.values must be a Float32Array, got ${show(values)}`);
    const n = typedLength(values);
    if (n !== k * dim) {
      const detached = n === 0 && isDetached(values.buffer) ? " (it is detached)" : "";
      this.fail(RangeError, `${where}.values has length ${n}${detached}, but ${k} row(s) of dim ${dim} need ${k * dim}`);
    }
    const r = this.rowsOf(t);
    r.dim = dim;
    r.k = k;
    r.indices = indices as Int32Array | readonly number[];
    r.source = values;
    r.at = i;
    const slot = this.live[this.count];
    if (slot) {
      slot.t = t;
      slot.r = r;
    } else this.live.push({ t, r });
    this.count++;
    t.rows = r;
  }

  /**
   * Places this step's entries in scratch (growing it if needed, which may grow the memory),
   * validates every index and writes the lists and values. Throws TypeError/RangeError naming
   * the entry; then only private scratch has changed.
   */
  coalesce(): void {
    if (this.count === 0) return;
    let bytes = 0;
    for (let e = 0; e < this.count; e++) {
      const r = this.live[e]!.r;
      r.values = bytes;
      bytes += align16(r.k * r.dim * 4);
      r.list = bytes;
      bytes += align16(r.k * 8);
      r.next = bytes;
      bytes += align16(r.k * 4);
      r.packed = -1;
      if (this.live[e]!.t.store === undefined) {
        r.packed = bytes;
        bytes += align16(r.k * r.dim * 4);
      }
    }
    this.reserve(bytes);
    this.fitTable(this.live.reduce((m, x, e) => (e < this.count ? Math.max(m, x.r.k) : m), 0));
    for (let e = 0; e < this.count; e++) {
      const { t, r } = this.live[e]!;
      r.values += this.scratch;
      r.list += this.scratch;
      r.next += this.scratch;
      if (r.packed >= 0) r.packed += this.scratch;
      try {
        this.fill(t, r);
      } finally {
        r.indices = EMPTY_INDICES;
        r.source = EMPTY_VALUES;
      }
    }
  }

  /** Copies the rows of this step from the caller's param `t` into their packed block. */
  copyIn(t: TensorPlan): void {
    this.copyRows(t, true);
  }

  /** Copies the rows of this step from their packed block back into the caller's param `t`. */
  copyOut(t: TensorPlan): void {
    this.copyRows(t, false);
  }

  /** Gives the scratch block back. */
  dispose(): void {
    if (this.scratch >= 0) this.heap.release(this.scratch, { viewsEscaped: false });
    this.scratch = -1;
    this.capacity = 0;
  }

  // --- internals ---------------------------------------------------------------------------

  /** The tensor's reusable sparse state. */
  private rowsOf(t: TensorPlan): TensorRows {
    let r = this.byTensor[t.index];
    if (!r) {
      r = { dim: 0, k: 0, count: 0, values: 0, list: 0, next: 0, packed: -1, paramBits: null, indices: EMPTY_INDICES, source: EMPTY_VALUES, at: 0 };
      this.byTensor[t.index] = r;
    }
    return r;
  }

  /** Makes the row table at most half full with `k` rows in it. */
  private fitTable(k: number): void {
    if (4 * k <= this.slots.length) return;
    let bits = Math.max(this.bits + 1, 4);
    while (1 << bits < 2 * k) bits++;
    this.bits = bits;
    this.slots = new Int32Array(2 << bits).fill(FREE);
    this.taken = new Int32Array(1 << (bits - 1));
  }

  private reserve(bytes: number): void {
    if (bytes <= this.capacity) return;
    const size = Math.max(bytes, Math.ceil(this.capacity * 1.5));
    const ptr = this.heap.allocAll([size], `${this.kind}.step: scratch for sparse rows`)[0]!;
    if (this.scratch >= 0) this.heap.release(this.scratch, { viewsEscaped: false });
    this.scratch = ptr;
    this.capacity = size;
  }

  /** Validates the indices of entry `r` while building its lists; then copies its values. */
  private fill(t: TensorPlan, r: TensorRows): void {
    const heap = this.heap;
    const where = `grads[${r.at}]`;
    // A view of simdopt memory is detached when scratch grew that memory (wasm).
    if (typedLength(r.source) !== r.k * r.dim) {
      this.fail(TypeError, `${where}.values was a view of simdopt memory, which grew to make room for this step's sparse rows; re-read it and step again (nothing was changed)`);
    }
    const rows = t.length / r.dim;
    const { slots, taken } = this;
    const shift = 32 - this.bits;
    const mask = (1 << this.bits) - 1;
    const xi = heap.i32;
    const list = index(r.list);
    const next = index(r.next);
    const indices = r.indices;
    const k = r.k;
    let count = 0;
    try {
      for (let j = 0; j < k; j++) {
        const row: unknown = indices[j];
        if (typeof row !== "number") this.fail(TypeError, `${where}.indices[${j}] must be a row number, got ${show(row)}`);
        if (!(row >= 0 && row < rows && Number.isInteger(row))) {
          this.fail(RangeError, `${where}.indices[${j}] must be a whole number in [0, ${rows}) (params[${t.index}] has ${rows} row(s) of ${r.dim}), got ${show(row)}`);
        }
        // Fibonacci hashing, then the next free slot.
        const r32 = row | 0;
        let h = Math.imul(row, 0x9e3779b1) >>> shift;
        let key = slots[2 * h]!;
        while (key !== r32 && key !== FREE) {
          h = (h + 1) & mask;
          key = slots[2 * h]!;
        }
        if (key === FREE) {
          slots[2 * h] = r32;
          taken[count] = h;
          xi[list + 2 * count] = row;
          xi[list + 2 * count + 1] = j;
          count++;
        } else {
          xi[next + slots[2 * h + 1]!] = j;
        }
        slots[2 * h + 1] = j;
        xi[next + j] = -1;
      }
    } finally {
      for (let c = 0; c < count; c++) slots[2 * taken[c]!] = FREE;
    }
    r.count = count;
    heap.f32.set(r.source, index(r.values));
  }

  private copyRows(t: TensorPlan, toHeap: boolean): void {
    const r = t.rows as TensorRows;
    const param = t.param;
    const bits = (r.paramBits ??= new Int32Array(param.buffer, param.byteOffset, param.length));
    const xi = this.heap.i32;
    const list = index(r.list);
    const dim = r.dim;
    const packed = index(r.packed);
    // As int32, so that every bit (a NaN's payload included) is copied as it is. The caller's
    // rows are far apart: a block's rows are touched first (one word per cache line), so that
    // their cache misses overlap instead of following one another (see touchRows in
    // assembly/adagrad-rows.ts); the words only feed a test that never passes.
    const block = Math.max(1, Math.floor(TOUCH_WORDS / Math.max(dim, 16)));
    let acc = 0;
    for (let b = 0; b < r.count; b += block) {
      const end = Math.min(r.count, b + block);
      for (let c = b; c < end; c++) {
        const at = (xi[list + 2 * c]! >>> 0) * dim;
        for (let e = at; e < at + dim; e += 16) acc |= bits[e]!;
      }
      for (let c = b; c < end; c++) {
        const at = (xi[list + 2 * c]! >>> 0) * dim;
        const to = packed + c * dim;
        if (toHeap) for (let e = 0; e < dim; e++) xi[to + e] = bits[at + e]!;
        else for (let e = 0; e < dim; e++) bits[at + e] = xi[to + e]!;
      }
    }
    if (acc === 0x7fc0babe && r.count < 0) throw new Error("unreachable");
  }

  private fail(E: typeof TypeError, why: string): never {
    throw new E(`${this.kind}.step: ${why}`);
  }
}
