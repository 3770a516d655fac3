// Where one TF.js-compatible optimizer keeps its numbers in simdopt memory.
//
// Layout: one block for the variables' values, one for their gradients and one per slot kind
// (TF.js's rms, momentum, m, v, ...), each holding every variable's tensor at the same element
// offset, packed at 16-byte boundaries. One kernel call over the whole blocks then steps every
// variable; the padding between tensors is private and stepped along harmlessly.
//
// Entries are positions in the gradient list, not variable names: TF.js keeps an optimizer's
// slots by position (`accumulatedMeanSquares[i]`), creates them for a position the first time
// it sees it, and saves and restores them in that order. A position seen for the first time
// extends the layout (new blocks, old contents copied, old blocks freed).
import type { Backend, Bound, JsKernel } from "../backend.js";
import { flagsOf, slotWanted, type Family, type KernelCall, type Values } from "../family.js";
import { alignElements } from "../store.js";

/** One position of the gradient list. */
export interface Entry {
  /** Elements of the variable and of each of its slots. */
  readonly length: number;
  /** The slots' shape (the variable's shape when the slots were made). */
  readonly shape: readonly number[];
  /** Element offset in every block. */
  readonly rel: number;
  /** TF.js's `originalName` of each slot kind (`dense/kernel/rms`), in the family's slot order. */
  readonly names: readonly string[];
  /**
   * The data id of the tensor this position's variable was last given by us. While the
   * variable still holds it, its values are the ones in the params block (TF.js tensors are
   * immutable), so the next step need not copy them in.
   */
  written: object | null;
}

/** What a new entry is made from. */
export interface EntrySpec {
  readonly length: number;
  readonly shape: readonly number[];
  readonly names: readonly string[];
}

export class VariableMemory<O> {
  entries: Entry[] = [];
  private total = 0;
  private params = -1;
  private grads = -1;
  /** Block pointer per slot kind, -1 while that kind is not allocated. */
  private readonly slots: number[];
  private kernel: Bound<JsKernel> | undefined;
  private kernelGeneration = -1;
  private readonly call: KernelCall;

  constructor(
    private readonly family: Family<O>,
    readonly backend: Backend,
  ) {
    this.slots = family.slots.map(() => -1);
    this.call = { flags: 0, n: 0, p: 0, g: 0, s: family.slots.map(() => 0), step: 0 };
  }

  /**
   * Makes room for `added` entries after the current ones and for every slot kind `values`
   * uses. Throws a RangeError, changing nothing, when memory cannot hold it.
   */
  extend(added: readonly EntrySpec[], values: Values<O>): void {
    const missing = this.slots.some((ptr, k) => ptr < 0 && slotWanted(this.family, values, k));
    if (added.length === 0 && !missing) return;
    let total = this.total;
    const fresh = added.map((s) => {
      const entry: Entry = { ...s, rel: total, written: null };
      total += alignElements(s.length);
      return entry;
    });
    const blocks = this.allocate(total, values);
    const heap = this.backend.heap;
    const old = this.total;
    const move = (from: number, to: number) => {
      if (from >= 0 && old > 0) heap.view(to, old).set(heap.view(from, old));
    };
    // The params block is kept too: entries whose `written` still matches skip their copy.
    move(this.params, blocks.params);
    this.family.slots.forEach((slot, k) => {
      const to = blocks.slots[k]!;
      if (to < 0) return;
      const from = this.slots[k]!;
      move(from, to);
      const start = from >= 0 ? old : 0;
      const init = slot.init?.(values) ?? 0;
      if (init !== 0) heap.view(to + start * 4, total - start).fill(init);
    });
    this.release();
    this.adopt(blocks, total, [...this.entries, ...fresh]);
  }

  /**
   * Replaces every entry and slot with `specs` and `data[k][j]` (slot kind k, entry j; kinds
   * without data start at their initial value). Throws a RangeError, changing nothing, when
   * memory cannot hold it.
   */
  replace(specs: readonly EntrySpec[], data: ReadonlyArray<readonly Float32Array[] | undefined>, values: Values<O>): void {
    let total = 0;
    const entries = specs.map((s) => {
      const entry: Entry = { ...s, rel: total, written: null };
      total += alignElements(s.length);
      return entry;
    });
    const blocks = this.allocate(total, values, data);
    const heap = this.backend.heap;
    this.family.slots.forEach((slot, k) => {
      const to = blocks.slots[k]!;
      if (to < 0) return;
      const given = data[k];
      if (!given) {
        const init = slot.init?.(values) ?? 0;
        if (init !== 0) heap.view(to, total).fill(init);
        return;
      }
      entries.forEach((e, j) => heap.view(to + e.rel * 4, e.length).set(given[j]!));
    });
    this.release();
    this.adopt(blocks, total, entries);
  }

  /** Entry i's values: a view of simdopt memory, valid until memory next grows. */
  paramView(i: number): Float32Array {
    const e = this.entries[i]!;
    return this.backend.heap.view(this.params + e.rel * 4, e.length);
  }

  /** Entry i's gradient: a view of simdopt memory, valid until memory next grows. */
  gradView(i: number): Float32Array {
    const e = this.entries[i]!;
    return this.backend.heap.view(this.grads + e.rel * 4, e.length);
  }

  /** Slot kind k of entry i, copied into a new array; undefined when that kind does not exist. */
  slotCopy(k: number, i: number): Float32Array | undefined {
    const e = this.entries[i]!;
    const ptr = this.slots[k]!;
    return ptr < 0 ? undefined : this.backend.heap.copyOutNew(ptr + e.rel * 4, e.length);
  }

  /**
   * Runs the kernel with constants `values`: one call over every entry when `stepped` is
   * undefined, else one call per entry whose `stepped` bit is set.
   */
  step(values: Values<O>, stepNumber: number, stepped?: readonly boolean[]): void {
    if (this.total === 0) return;
    const heap = this.backend.heap;
    if (this.kernelGeneration !== heap.generation) {
      this.kernel = this.backend.bind(this.family.kernel);
      this.kernelGeneration = heap.generation;
    }
    const c = this.call;
    c.flags = flagsOf(this.family, values);
    c.step = stepNumber;
    if (!stepped) return this.run(values, 0, this.total);
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      if (stepped[i]) this.run(values, e.rel, e.length);
    }
  }

  dispose(): void {
    this.release();
    this.entries = [];
    this.total = 0;
  }

  // --- internals ---------------------------------------------------------------------------

  private run(values: Values<O>, rel: number, n: number): void {
    const c = this.call;
    const at = rel * 4;
    c.n = n;
    c.p = this.params + at;
    c.g = this.grads + at;
    for (let k = 0; k < c.s.length; k++) {
      const ptr = this.slots[k]!;
      c.s[k] = ptr >= 0 && slotWanted(this.family, values, k) ? ptr + at : 0;
    }
    this.family.run(this.kernel!, values, c);
  }

  /** New params, grads and slot blocks of `total` elements: every kind allocated now, wanted or given. */
  private allocate(total: number, values: Values<O>, given?: ReadonlyArray<unknown>): { params: number; grads: number; slots: number[] } {
    const kinds = this.slots.map((ptr, k) => ptr >= 0 || slotWanted(this.family, values, k) || given?.[k] !== undefined);
    const bytes = total * 4;
    const sizes = [bytes, bytes, ...kinds.filter((x) => x).map(() => bytes)];
    const ptrs = this.backend.heap.allocAll(sizes, `${this.family.name} state`);
    let next = 2;
    return { params: ptrs[0]!, grads: ptrs[1]!, slots: kinds.map((x) => (x ? ptrs[next++]! : -1)) };
  }

  private adopt(blocks: { params: number; grads: number; slots: number[] }, total: number, entries: Entry[]): void {
    this.params = blocks.params;
    this.grads = blocks.grads;
    blocks.slots.forEach((ptr, k) => (this.slots[k] = ptr));
    this.total = total;
    this.entries = entries;
  }

  private release(): void {
    const heap = this.backend.heap;
    for (const ptr of [this.params, this.grads, ...this.slots]) if (ptr >= 0) heap.release(ptr);
    this.params = this.grads = -1;
    this.slots.fill(-1);
  }
}
