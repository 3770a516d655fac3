// How step()'s gradients get to the kernels: validation of the `grads` argument, the copy of
// caller-owned params and gradients into the heap, and the copy of params back. Sparse rows
// entries go through sparse-intake.ts.
//
// Each grads[i] is read exactly once: a getter or Proxy that returns another array the second
// time could otherwise slip past validation. Validation finishes before anything is copied,
// so a refused call changes nothing. A grads array seen on the last step is trusted again
// until memory grows or the layout changes (repeated steps then cost no validation pass).
import type { AliasIndex } from "./aliasing.js";
import type { Heap } from "./heap.js";
import { typedLength } from "./intrinsics.js";
import { refreshViews, type GroupPlan, type TensorPlan } from "./layout.js";
import { show } from "./options.js";
import { SparseIntake, type SparseRules, type SparseRows } from "./sparse-intake.js";

/** One entry of step()'s grads: a gradient of the param's length, or sparse rows. */
export type GradInput = Float32Array | SparseRows;

export class GradIntake {
  /** Every tensor is a ParamStore view: step() may take its gradients from the store. */
  readonly allZeroCopy: boolean;
  /** Sparse rows entries of the step being taken. */
  readonly sparse: SparseIntake;
  /** The grads of the step being taken, read once from the caller's array. */
  private readonly taken: Float32Array[];
  /** Heap generation at which the tensors' lastGrad caches were filled; -1 clears them. */
  private gradCacheGeneration = -1;
  private viewsGeneration = -1;

  constructor(
    private readonly kind: string,
    private readonly heap: Heap,
    private readonly plans: readonly GroupPlan[],
    private readonly tensors: readonly TensorPlan[],
    private aliases: AliasIndex,
    rules: SparseRules,
    /** What a dense entry's type error adds (", or sparse rows ..." where the family takes them). */
    private readonly alternative: string,
  ) {
    this.allZeroCopy = tensors.every((t) => t.store);
    this.taken = new Array<Float32Array>(tensors.length);
    this.sparse = new SparseIntake(kind, heap, rules);
  }

  /** Grads validated against older aliases must be checked again. */
  setAliases(aliases: AliasIndex): void {
    this.aliases = aliases;
    this.gradCacheGeneration = -1;
  }

  /**
   * Stages caller-owned params and every gradient not already in its slot; `check` has
   * validated `grads` and read them.
   */
  stage(grads: readonly GradInput[] | undefined): void {
    const heap = this.heap;
    if (this.viewsGeneration !== heap.generation) {
      for (const plan of this.plans) refreshViews(heap, plan);
      this.viewsGeneration = heap.generation;
    }
    const tensors = this.tensors;
    const taken = this.taken;
    const sparse = grads !== undefined && this.sparse.count > 0;
    for (let i = 0; i < tensors.length; i++) {
      const t = tensors[i]!;
      // A sparse step reads and writes only the rows it lists.
      if (sparse && t.rows !== null) {
        if (t.pView !== null) this.sparse.copyIn(t);
        continue;
      }
      if (t.pView !== null) t.pView.set(t.param);
      if (grads !== undefined && !t.gradInPlace) t.gView.set(taken[i]!);
    }
  }

  /** Copies updated caller-owned params back from their staging block. */
  giveBack(sparse: boolean): void {
    const tensors = this.tensors;
    for (let i = 0; i < tensors.length; i++) {
      const t = tensors[i]!;
      if (t.pView === null) continue;
      if (sparse && t.rows !== null) this.sparse.copyOut(t);
      else t.param.set(t.pView);
    }
  }

  /**
   * Validates `grads` against every param, reading each entry once (sparse rows are read here
   * and placed by `coalesce`); throws on bad input, having changed nothing.
   */
  check(grads: readonly GradInput[] | undefined): void {
    const tensors = this.tensors;
    for (let i = 0; i < tensors.length; i++) {
      const t = tensors[i]!;
      if (!t.store && t.param.length !== t.length) {
        this.fail(TypeError, `params[${t.index}] now has length ${t.param.length}, not ${t.length}; its buffer was detached or transferred`);
      }
    }
    if (grads === undefined) {
      if (this.allZeroCopy) return;
      const t = tensors.find((x) => !x.store)!;
      this.fail(TypeError, `grads are required, because params[${t.index}] is not a ParamStore view`);
    }
    if (!Array.isArray(grads)) this.fail(TypeError, `grads must be an array of Float32Array${this.alternative}, got ${show(grads)}`);
    const count = grads.length;
    if (count !== tensors.length) this.fail(RangeError, `got ${count} grad(s) for ${tensors.length} param(s)`);
    const heap = this.heap;
    if (this.gradCacheGeneration !== heap.generation) {
      for (let i = 0; i < tensors.length; i++) tensors[i]!.lastGrad = null;
      this.gradCacheGeneration = heap.generation;
    }
    const taken = this.taken;
    const sparse = this.sparse;
    sparse.begin();
    for (let i = 0; i < count; i++) {
      const g: unknown = grads[i];
      const t = tensors[i]!;
      t.rows = null;
      // The same array as last step, still of its length (so not detached): already checked.
      const last = t.lastGrad;
      if (g === last && last !== null && last.length === t.length) {
        taken[i] = last;
        continue;
      }
      if (!(g instanceof Float32Array)) {
        if (SparseIntake.isEntry(g)) {
          sparse.read(i, t, g);
          // Nothing to trust next step, and no dense gradient to clip.
          t.lastGrad = null;
          continue;
        }
        this.fail(TypeError, `grads[${i}] must be a Float32Array${this.alternative}, got ${show(g)}`);
      }
      const n = g.length;
      if (n !== t.length) {
        if (n === 0 && g.buffer.byteLength === 0) {
          this.fail(TypeError, `grads[${i}] is detached (memory grew or the buffer was transferred); re-read it`);
        }
        this.fail(RangeError, `grads[${i}] has length ${n}, but params[${i}] has length ${t.length}`);
      }
      const inPlace = n === 0 || (g.byteOffset === t.gPtr && heap.isHeapBuffer(g.buffer));
      if (!inPlace && this.aliases.overlaps(g, heap)) {
        this.fail(TypeError, `grads[${i}] overlaps a parameter, a state buffer or another parameter's gradient slot of this optimizer`);
      }
      // A grad that passed is cached even if a later one fails: its checks still hold.
      t.gradInPlace = inPlace;
      t.lastGrad = g;
      taken[i] = g;
    }
  }

  /**
   * After `check`: places the sparse rows read there in scratch, validating every index. The
   * scratch may have to grow, and with it the memory (views of it taken before then go stale,
   * as when an optimizer is created); a gradient that was such a view is then refused. Throws,
   * having changed nothing but private scratch.
   */
  coalesce(grads: readonly GradInput[]): void {
    const sparse = this.sparse;
    if (sparse.count === 0) return;
    const heap = this.heap;
    const generation = heap.generation;
    sparse.coalesce();
    if (heap.generation === generation) return;
    const tensors = this.tensors;
    for (let i = 0; i < grads.length; i++) {
      const t = tensors[i]!;
      if (t.rows !== null || t.gradInPlace || typedLength(this.taken[i]!) === t.length) continue;
      this.fail(TypeError, `grads[${i}] was a view of simdopt memory, which grew to make room for this step's sparse rows; re-read it and step again (nothing was changed)`);
    }
  }

  private fail(E: typeof TypeError, why: string): never {
    throw new E(`${this.kind}.step: ${why}`);
  }
}
