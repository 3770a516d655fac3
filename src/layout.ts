// Where each tensor of a param group lives in the heap, and how a step reaches it.
//
// A tensor is either zero-copy (a ParamStore view: the kernels update it in place and read
// its gradient from the store's slot) or staged (caller-owned: copied into a staging block
// before the kernels run and back after). State buffers are always in the heap, one block per
// state slot per group, with tensors packed at 16-byte boundaries in param order.
//
// A group is a span when its parameters, gradients and state all share that packed layout
// relative to their first tensor; then one kernel call covers the whole group, padding
// included (padding is zero-filled, private, and updated harmlessly along with it).
import type { Heap } from "./heap.js";
import { alignElements, storeTensorOf, type StoreTensor } from "./store.js";

export interface TensorPlan {
  readonly index: number;
  readonly length: number;
  /** The caller's array (for a store tensor, the view given at construction). */
  readonly param: Float32Array;
  readonly store: StoreTensor | undefined;
  /** Element offset of this tensor in the group's state blocks. */
  readonly rel: number;
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
}

export interface GroupPlan {
  readonly tensors: TensorPlan[];
  /** Elements in each state block, padding included. */
  readonly total: number;
  readonly span: boolean;
  /** Pointer of each state slot's block, or -1 while that slot is not allocated. */
  readonly state: number[];
  /** Staging blocks for params and grads (0, or 2 when any tensor is staged). */
  readonly staging: number[];
  /** All tensors share one step count (Adagrad's learning-rate decay depends on it). */
  uniformSteps: boolean;
}

export function planGroup(heap: Heap, params: Float32Array[], firstIndex: number, slots: number): GroupPlan {
  const rels: number[] = [];
  let total = 0;
  for (const p of params) {
    rels.push(total);
    total += alignElements(p.length);
  }
  const stores = params.map((p) => storeTensorOf(heap, p));
  const staged = stores.some((s) => !s);
  const staging: number[] = [];
  if (staged) {
    heap.checkFits([total * 4, total * 4], "staging for caller-owned tensors");
    staging.push(heap.alloc(total * 4));
    staging.push(heap.alloc(total * 4));
  }
  const tensors = params.map((param, i): TensorPlan => {
    const store = stores[i];
    const rel = rels[i]!;
    const pPtr = store ? store.paramPtr : staging[0]! + rel * 4;
    const gPtr = store ? store.gradPtr : staging[1]! + rel * 4;
    return {
      index: firstIndex + i, length: param.length, param, store, rel, pPtr, gPtr,
      pView: null, gView: heap.view(gPtr, param.length), stepBias: 0, lastGrad: null, gradInPlace: false,
    };
  });
  const t0 = tensors[0];
  const span = t0 !== undefined &&
    tensors.every((t) => t.pPtr === t0.pPtr + t.rel * 4 && t.gPtr === t0.gPtr + t.rel * 4);
  const plan: GroupPlan = { tensors, total, span, state: new Array<number>(slots).fill(-1), staging, uniformSteps: true };
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
