// Where each tensor of a param group lives in the heap, and how a step reaches it.
//
// A tensor is either zero-copy (a ParamStore view: the kernels update it in place and read
// its gradient from the store's slot) or staged (caller-owned: copied into a staging block
// before the kernels run and back after). State buffers are always in the heap, one block per
// state slot per group, with tensors packed at 16-byte boundaries in param order. A slot holds
// one value per element of each tensor, or one per row where the family says so (rowwise
// Adagrad); its layout is fixed when the optimizer is made.
//
// A group is a span when its parameters, gradients and state all share that packed layout
// relative to their first tensor; then one kernel call covers the whole group, padding
// included (padding is zero-filled, private, and updated harmlessly along with it).
import type { Heap } from "./heap.js";
import type { SparseStep } from "./sparse-intake.js";
import { alignElements, storeTensorOf, type StoreTensor } from "./store.js";

export interface TensorPlan {
  readonly index: number;
  readonly length: number;
  /** The caller's array (for a store tensor, the view given at construction). */
  readonly param: Float32Array;
  readonly store: StoreTensor | undefined;
  /** Element offset of this tensor in the group's staging blocks (and its per-element slots). */
  readonly rel: number;
  /** Per state slot: this tensor's element offset in the slot's block, and its element count
   * there (its length, or its number of rows in a per-row slot). */
  readonly slotRel: readonly number[];
  readonly slotLen: readonly number[];
  readonly pPtr: number;
  readonly gPtr: number;
  /** The grads[i] last validated for this tensor, and whether it already sits at gPtr; a
   * repeat of the same array skips validation until the memory or this layout changes. */
  lastGrad: Float32Array | null;
  gradInPlace: boolean;
  /** Heap views at pPtr (staged tensors only) and gPtr; re-derived after memory growth. */
  pView: Float32Array | null;
  gView: Float32Array;
  /** This tensor's step count (PyTorch's `state["step"]`) minus the optimizer's: nonzero only
   * after loading state whose tensors had made different numbers of steps. */
  stepBias: number;
  /** Bit k: state slot k exists but holds nothing yet (PyTorch's `None`). */
  fresh: number;
  /** The sparse rows of the step being taken, or null for a dense gradient (set by the intake). */
  rows: SparseStep | null;
}

export interface GroupPlan {
  readonly tensors: TensorPlan[];
  /** Elements in each staging block, padding included. */
  readonly total: number;
  /** Elements in each state slot's block, padding included. */
  readonly slotTotal: readonly number[];
  readonly span: boolean;
  /** Pointer of each state slot's block, or -1 while that slot is not allocated. */
  readonly state: number[];
  /** Staging blocks for params and grads (none when every tensor is a store tensor). */
  readonly staging: number[];
  /** All tensors share one step count and one `fresh` mask, so one kernel call serves all. */
  uniform: boolean;
}

/** Packs `counts` at 16-byte boundaries: each one's element offset, and the elements in all. */
function pack(counts: readonly number[]): { rels: number[]; total: number } {
  const rels: number[] = [];
  let total = 0;
  for (const n of counts) {
    rels.push(total);
    total += alignElements(n);
  }
  return { rels, total };
}

/** Where the tensors sit in one state slot's block. */
interface SlotLayout {
  readonly rels: number[];
  readonly lens: number[];
  readonly total: number;
}

/** A group's layout before anything is allocated: what it will need. */
export interface GroupMeasure {
  readonly params: Float32Array[];
  /** The params' lengths, read before anything is allocated: an allocation that grows the
   * memory detaches the views of ParamStore tensors among `params`. */
  readonly lengths: number[];
  readonly rels: number[];
  readonly total: number;
  readonly slots: readonly SlotLayout[];
  readonly stores: Array<StoreTensor | undefined>;
  readonly staged: boolean;
}

/**
 * Measures a group whose slot k keeps one value per element (`rowLengths[k]` 0) or one per row
 * of `rowLengths[k]` elements; every param's length must then be a multiple of it.
 */
export function measureGroup(heap: Heap, params: Float32Array[], rowLengths: readonly number[]): GroupMeasure {
  const lengths = params.map((p) => p.length);
  const { rels, total } = pack(lengths);
  const slots = rowLengths.map((d): SlotLayout => {
    if (d === 0) return { rels, lens: lengths, total };
    const lens = lengths.map((n) => n / d);
    return { ...pack(lens), lens };
  });
  const stores = params.map((p) => storeTensorOf(heap, p));
  return { params, lengths, rels, total, slots, stores, staged: stores.some((s) => !s) };
}

/** Lays out a measured group; `staging` holds its two staging blocks when it is staged. */
export function planGroup(heap: Heap, m: GroupMeasure, firstIndex: number, staging: number[]): GroupPlan {
  const tensors = m.params.map((param, i): TensorPlan => {
    const store = m.stores[i];
    const rel = m.rels[i]!;
    const length = m.lengths[i]!;
    const pPtr = store ? store.paramPtr : staging[0]! + rel * 4;
    const gPtr = store ? store.gradPtr : staging[1]! + rel * 4;
    return {
      index: firstIndex + i, length, param, store, rel, pPtr, gPtr,
      slotRel: m.slots.map((s) => s.rels[i]!), slotLen: m.slots.map((s) => s.lens[i]!),
      pView: null, gView: heap.view(gPtr, length), stepBias: 0, fresh: 0, lastGrad: null, gradInPlace: false,
      rows: null,
    };
  });
  const t0 = tensors[0];
  // One call covers the group only where every buffer has the params' layout.
  const span = t0 !== undefined && m.slots.every((s) => s.rels === m.rels) &&
    tensors.every((t) => t.pPtr === t0.pPtr + t.rel * 4 && t.gPtr === t0.gPtr + t.rel * 4);
  const plan: GroupPlan = {
    tensors, total: m.total, slotTotal: m.slots.map((s) => s.total), span,
    state: new Array<number>(m.slots.length).fill(-1), staging, uniform: true,
  };
  refreshViews(heap, plan);
  return plan;
}

/** Re-derives a group's heap views, which memory growth detaches. */
export function refreshViews(heap: Heap, plan: GroupPlan): void {
  for (const t of plan.tensors) {
    t.gView = heap.view(t.gPtr, t.length);
    t.pView = t.store ? null : heap.view(t.pPtr, t.length);
  }
}

/** Recomputes `uniform` after per-tensor steps or `fresh` masks changed. */
export function updateUniform(plan: GroupPlan): void {
  const t0 = plan.tensors[0];
  plan.uniform = plan.tensors.every((t) => t.stepBias === t0!.stepBias && t.fresh === t0!.fresh);
}
