// What RMSprop and Adagrad share: param groups, the heap layout of their tensors, the step
// pipeline (validate everything, copy in, check, run kernels, copy out) and the state dict.
// Subclasses say which state buffers they keep and how one group calls its kernel.
import { AliasIndex, checkDistinct } from "./aliasing.js";
import type { Backend } from "./backend.js";
import { decodeCheckpoint, encodeCheckpoint } from "./checkpoint.js";
import { groupObject, parseGroups, type ParamGroup, type ParsedGroup } from "./groups.js";
import { planGroup, refreshViews, type GroupPlan, type TensorPlan } from "./layout.js";
import {
  checkOption, defaultsOf, NON_FINITE_POLICIES, resolveOptions, show,
  type EnumSpec, type NonFinitePolicy, type Specs,
} from "./options.js";
import { allBackends, currentBackend } from "./runtime.js";
import { parseStateDict, type LoadPlan, type StateDict, type StateShape, type TensorState } from "./state-dict.js";
import { storeTensorOf, type ParamStore } from "./store.js";

const NON_FINITE: EnumSpec = { kind: "enum", torch: "non_finite", default: "propagate", values: NON_FINITE_POLICIES };

/** Thrown by `step()` under `nonFinite: "throw"`. */
export class NonFiniteGradientError extends RangeError {
  override name = "NonFiniteGradientError";
}

export abstract class Optimizer<O extends object> {
  /** The param groups; assign their options between steps (schedules). */
  readonly paramGroups: ParamGroup<O>[];
  /** Steps skipped under `nonFinite: "skip"`. */
  skippedSteps = 0;
  /** The backend this optimizer's state lives in. */
  readonly backend: Backend;

  protected readonly groups: ParsedGroup[];
  protected readonly plans: GroupPlan[];
  protected readonly tensors: TensorPlan[];
  /** True once state exists (PyTorch: RMSprop after the first step, Adagrad from the start). */
  protected hasState: boolean;
  private policy: NonFinitePolicy;
  /** Steps applied since construction or the last load (tensor steps add their stepBias). */
  private steps = 0;
  private readonly stores: ParamStore[];
  private viewsGeneration: number;
  private disposed = false;
  private aliases = AliasIndex.EMPTY;
  /** Heap generation at which the tensors' lastGrad caches were filled; -1 clears them. */
  private gradCacheGeneration = -1;
  private allZeroCopy: boolean;
  private readonly paramsCache: Array<{ generation: number; params: readonly Float32Array[] } | undefined> = [];

  protected constructor(
    protected readonly kind: string,
    protected readonly specs: Specs,
    /** State buffer names, PyTorch's, in slot order. */
    protected readonly slots: readonly string[],
    params: unknown,
    options: unknown,
    eagerState: boolean,
  ) {
    const { nonFinite, ...defaults } = resolveOptions({ ...specs, nonFinite: NON_FINITE }, options,
      { ...defaultsOf(specs), nonFinite: "propagate" }, `${kind} options`);
    this.policy = nonFinite as NonFinitePolicy;
    this.groups = parseGroups(kind, specs, params, defaults);
    const all = this.groups.flatMap((g) => g.params);
    this.backend = pickBackend(kind, all);
    checkDistinct(kind, all);
    const heap = this.backend.heap;
    this.plans = [];
    try {
      let index = 0;
      for (const g of this.groups) {
        this.plans.push(planGroup(heap, g.params, index, slots.length));
        index += g.params.length;
      }
      for (let i = 0; i < this.plans.length; i++) this.allocateSlots(i, this.groups[i]!.values);
    } catch (e) {
      this.releaseAll();
      throw e;
    }
    this.tensors = this.plans.flatMap((p) => p.tensors);
    this.stores = [...new Set(this.tensors.flatMap((t) => (t.store ? [t.store.store] : [])))];
    this.allZeroCopy = this.tensors.every((t) => t.store);
    this.hasState = eagerState;
    this.viewsGeneration = -1; // allocation above may have grown memory: re-derive views at step 1
    this.setAliases();
    this.paramGroups = this.groups.map((g, i) =>
      groupObject<O>(specs, g, `${kind}.paramGroups[${i}]`, (next) => this.allocateSlots(i, next), () => this.liveParams(i)));
  }

  /** What to do when a gradient holds NaN or ±Inf: see the README's Guarantees. */
  get nonFinite(): NonFinitePolicy {
    return this.policy;
  }
  set nonFinite(v: NonFinitePolicy) {
    checkOption(NON_FINITE, v, `${this.kind}.nonFinite`);
    this.policy = v;
  }

  /** Is state buffer `slot` needed under a group's current options? */
  protected abstract needsSlot(values: Record<string, unknown>, slot: number): boolean;
  /** The value a freshly allocated state buffer starts with. */
  protected slotInit(_values: Record<string, unknown>, _slot: number): number {
    return 0;
  }
  /** Runs the kernel over `n` elements: params at `p`, grads at `g`, slot k at state[k] + rel. */
  protected abstract run(
    values: Record<string, unknown>, n: number, p: number, g: number,
    state: readonly number[], rel: number, step: number,
  ): void;

  /**
   * One optimizer step. `grads` are in the order the params were given, each a Float32Array of
   * its param's length; omit them when every param is a ParamStore view (the gradients are
   * then read from the store). Returns false when `nonFinite: "skip"` skipped the step.
   * Throws, changing nothing, on bad input.
   */
  step(grads?: readonly Float32Array[]): boolean {
    if (this.disposed) this.assertLive();
    if (grads !== undefined || !this.allZeroCopy) this.checkGrads(grads);
    const stores = this.stores;
    for (let i = 0; i < stores.length; i++) stores[i]!.assertUsable();
    // The zero-copy path with the store's own gradients copies nothing.
    if (grads !== undefined || !this.allZeroCopy) this.copyIn(grads);
    if (this.policy !== "propagate" && !this.gradsFinite()) return this.nonFiniteStep();
    const plans = this.plans;
    const groups = this.groups;
    for (let i = 0; i < plans.length; i++) this.runGroup(plans[i]!, groups[i]!.values);
    if (!this.allZeroCopy) this.copyOut();
    this.steps++;
    this.hasState = true;
    return true;
  }

  /** PyTorch-shaped state: `state` in param order (empty before RMSprop's first step). */
  stateDict(): StateDict {
    this.assertLive();
    const heap = this.backend.heap;
    const state: TensorState[] = [];
    if (this.hasState) {
      for (const plan of this.plans) {
        for (const t of plan.tensors) {
          const entry: TensorState = { step: this.steps + t.stepBias };
          plan.state.forEach((ptr, k) => {
            if (ptr >= 0) entry[this.slots[k]!] = heap.copyOutNew(ptr + t.rel * 4, t.length);
          });
          state.push(entry);
        }
      }
    }
    const param_groups = this.plans.map((plan, i) => {
      const out: Record<string, unknown> = {};
      for (const [key, spec] of Object.entries(this.specs)) out[spec.torch] = this.groups[i]!.values[key];
      return { ...out, params: plan.tensors.map((t) => t.index) };
    });
    return { state, param_groups };
  }

  /**
   * Restores options and state from `stateDict()` output (or a PyTorch state dict with the
   * same structure). Validates all of it first: a dict that does not fit throws and changes
   * nothing.
   */
  loadStateDict(sd: StateDict): void {
    this.assertLive();
    this.applyLoad(parseStateDict(sd, this.stateShape()));
  }

  /** What a loaded state dict or checkpoint must fit. */
  private stateShape(): StateShape {
    return {
      kind: this.kind, specs: this.specs, slots: this.slots, plans: this.plans,
      values: this.groups.map((g) => g.values),
      needsSlot: (v, k) => this.needsSlot(v, k),
      stateRequired: this.hasState && this.requiresState(),
    };
  }

  /** Applies a load that was read and checked in full; it only allocates before it writes. */
  private applyLoad({ values: newValues, entries }: LoadPlan): void {
    // Everything is valid: now allocate what the loaded state needs, then write.
    const heap = this.backend.heap;
    const allocated: number[] = [];
    const slotPtrs = this.plans.map((plan, i) => this.slots.map((_, k) => {
      const wanted = entries ? entries.some((e) => e.plan === plan && e.buffers[k] !== undefined)
        : this.needsSlot(newValues[i]!, k);
      if (!wanted) return -1;
      if (plan.state[k]! >= 0) return plan.state[k]!;
      try {
        const ptr = heap.alloc(plan.total * 4);
        allocated.push(ptr);
        return ptr;
      } catch (e) {
        for (const p of allocated) heap.release(p);
        throw e;
      }
    }));
    this.plans.forEach((plan, i) => {
      this.groups[i]!.values = Object.assign(this.groups[i]!.values, newValues[i]);
      plan.state.forEach((ptr, k) => {
        const next = slotPtrs[i]![k]!;
        if (ptr >= 0 && next < 0) heap.release(ptr);
        plan.state[k] = next;
        if (next >= 0) heap.f32.fill(this.slotInit(newValues[i]!, k), next / 4, (next / 4) + plan.total);
      });
    });
    this.steps = 0;
    for (const t of this.tensors) t.stepBias = 0;
    if (entries) {
      for (const e of entries) {
        e.tensor.stepBias = e.step;
        e.buffers.forEach((b, k) => {
          if (b !== undefined) heap.f32.set(b, e.plan.state[k]! / 4 + e.tensor.rel);
        });
      }
    }
    for (const plan of this.plans) {
      plan.uniformSteps = plan.tensors.every((t) => t.stepBias === plan.tensors[0]!.stepBias);
    }
    this.hasState = entries !== null;
    this.setAliases();
  }

  /**
   * The whole optimizer (options, state, nonFinite policy, skipped steps) as a versioned,
   * checksummed binary checkpoint; the format is documented in src/checkpoint.ts and the README.
   */
  saveState(): Uint8Array {
    const dict = this.stateDict();
    return encodeCheckpoint({
      kind: this.kind, dict, policy: this.policy, skippedSteps: this.skippedSteps,
      lengths: this.tensors.map((t) => t.length),
    }, this.slots);
  }

  /**
   * Restores a `saveState()` checkpoint bit for bit. Truncated, corrupted, wrong-version,
   * wrong-optimizer or wrong-shape input throws a CheckpointError and changes nothing.
   */
  loadState(bytes: Uint8Array): void {
    this.assertLive();
    const c = decodeCheckpoint(bytes, this.stateShape());
    this.applyLoad(c.plan);
    this.policy = c.policy;
    this.skippedSteps = c.skippedSteps;
  }

  /** Gives all memory back; any later use throws. Store tensors are left to their store. */
  dispose(): void {
    if (this.disposed) return;
    this.releaseAll();
    this.disposed = true;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  // --- internals ---------------------------------------------------------------------------

  private runGroup(plan: GroupPlan, values: Record<string, unknown>): void {
    const ts = plan.tensors;
    if (ts.length === 0) return;
    const next = this.steps + 1;
    if (plan.span && plan.uniformSteps) {
      const t0 = ts[0]!;
      this.run(values, plan.total, t0.pPtr, t0.gPtr, plan.state, 0, next + t0.stepBias);
      return;
    }
    for (let i = 0; i < ts.length; i++) {
      const t = ts[i]!;
      this.run(values, t.length, t.pPtr, t.gPtr, plan.state, t.rel * 4, next + t.stepBias);
    }
  }

  /** Stages caller-owned params and any gradients not already in their slots. */
  private copyIn(grads: readonly Float32Array[] | undefined): void {
    const heap = this.backend.heap;
    if (this.viewsGeneration !== heap.generation) {
      for (const plan of this.plans) refreshViews(heap, plan);
      this.viewsGeneration = heap.generation;
    }
    const tensors = this.tensors;
    for (let i = 0; i < tensors.length; i++) {
      const t = tensors[i]!;
      if (t.pView !== null) t.pView.set(t.param);
      if (grads !== undefined && !t.gradInPlace) t.gView.set(grads[i]!);
    }
  }

  private copyOut(): void {
    const tensors = this.tensors;
    for (let i = 0; i < tensors.length; i++) {
      const t = tensors[i]!;
      if (t.pView !== null) t.param.set(t.pView);
    }
  }

  private gradsFinite(): boolean {
    const k = this.backend.kernels;
    for (const plan of this.plans) {
      const t0 = plan.tensors[0];
      if (!t0) continue;
      if (plan.span) {
        if (!k.allFinite(plan.total, t0.gPtr)) return false;
      } else {
        for (const t of plan.tensors) if (!k.allFinite(t.length, t.gPtr)) return false;
      }
    }
    return true;
  }

  private nonFiniteStep(): boolean {
    if (this.policy === "skip") {
      this.skippedSteps++;
      return false;
    }
    const k = this.backend.kernels;
    const bad = this.tensors.find((t) => !k.allFinite(t.length, t.gPtr))!;
    const x = this.backend.heap.view(bad.gPtr, bad.length);
    let j = 0;
    while (Number.isFinite(x[j]!)) j++;
    throw new NonFiniteGradientError(
      `${this.kind}.step: grads[${bad.index}][${j}] is ${x[j]} (nonFinite: "throw"); nothing was changed`,
    );
  }

  /** Validates step()'s grads against every param; throws before anything is touched. */
  private checkGrads(grads: readonly Float32Array[] | undefined): void {
    const tensors = this.tensors;
    const kind = this.kind;
    for (let i = 0; i < tensors.length; i++) {
      const t = tensors[i]!;
      if (!t.store && t.param.length !== t.length) {
        fail(kind, TypeError, `params[${t.index}] now has length ${t.param.length}, not ${t.length}; its buffer was detached or transferred`);
      }
    }
    if (grads === undefined) {
      if (this.allZeroCopy) return;
      const t = tensors.find((x) => !x.store)!;
      return fail(kind, TypeError, `grads are required, because params[${t.index}] is not a ParamStore view`);
    }
    if (!Array.isArray(grads)) fail(kind, TypeError, `grads must be an array of Float32Array, got ${show(grads)}`);
    if (grads.length !== tensors.length) fail(kind, RangeError, `got ${grads.length} grad(s) for ${tensors.length} param(s)`);
    const heap = this.backend.heap;
    if (this.gradCacheGeneration !== heap.generation) {
      for (let i = 0; i < tensors.length; i++) tensors[i]!.lastGrad = null;
      this.gradCacheGeneration = heap.generation;
    }
    for (let i = 0; i < grads.length; i++) {
      const g = grads[i];
      const t = tensors[i]!;
      // The same array as last step, still of its length (so not detached): already checked.
      if (g === t.lastGrad && g.length === t.length) continue;
      if (!(g instanceof Float32Array)) return fail(kind, TypeError, `grads[${i}] must be a Float32Array, got ${show(g)}`);
      const n = g.length;
      if (n !== t.length) {
        if (n === 0 && g.buffer.byteLength === 0) {
          fail(kind, TypeError, `grads[${i}] is detached (memory grew or the buffer was transferred); re-read it`);
        }
        fail(kind, RangeError, `grads[${i}] has length ${n}, but params[${i}] has length ${t.length}`);
      }
      const inPlace = n === 0 || (g.byteOffset === t.gPtr && g.buffer === heap.buffer);
      if (!inPlace && this.aliases.overlaps(g, heap.buffer)) {
        fail(kind, TypeError, `grads[${i}] overlaps a parameter, a state buffer or another parameter's gradient slot of this optimizer`);
      }
      t.gradInPlace = inPlace;
      t.lastGrad = g;
    }
  }

  /**
   * Group `i`'s params as the user can use them now: caller-owned arrays as given, store
   * tensors as views of the current memory (the ones taken at construction detach when it
   * grows). The same frozen array is returned until the memory grows again.
   */
  private liveParams(i: number): readonly Float32Array[] {
    const heap = this.backend.heap;
    const cached = this.paramsCache[i];
    if (cached && cached.generation === heap.generation) return cached.params;
    const params = Object.freeze(this.plans[i]!.tensors.map((t) => (t.store ? heap.view(t.pPtr, t.length) : t.param)));
    this.paramsCache[i] = { generation: heap.generation, params };
    return params;
  }

  /** Rebuilds the alias index; grads validated against the old one must be checked again. */
  private setAliases(): void {
    this.aliases = new AliasIndex(this.plans);
    this.gradCacheGeneration = -1;
  }

  /** Allocates the state buffers that options `values` need and group `groupIndex` lacks. */
  private allocateSlots(groupIndex: number, values: Record<string, unknown>): void {
    const plan = this.plans[groupIndex]!;
    const heap = this.backend.heap;
    const missing = this.slots.map((_, k) => k).filter((k) => plan.state[k]! < 0 && this.needsSlot(values, k));
    heap.checkFits(missing.map(() => plan.total * 4), `${this.kind} state`);
    for (const k of missing) {
      const ptr = heap.alloc(plan.total * 4);
      const init = this.slotInit(values, k);
      if (init !== 0) heap.f32.fill(init, ptr / 4, (ptr / 4) + plan.total);
      plan.state[k] = ptr;
    }
    if (this.tensors) this.setAliases();
  }

  /** Adagrad keeps state from construction, so an empty state cannot be loaded into it. */
  protected requiresState(): boolean {
    return false;
  }

  private releaseAll(): void {
    const heap = this.backend.heap;
    for (const plan of this.plans) {
      for (const ptr of plan.state) if (ptr >= 0) heap.release(ptr);
      for (const ptr of plan.staging) heap.release(ptr);
      plan.state.fill(-1);
      plan.staging.length = 0;
    }
  }

  private assertLive(): void {
    if (this.disposed) throw new Error(`${this.kind} was disposed; create a new optimizer`);
  }
}

function fail(kind: string, E: typeof TypeError, why: string): never {
  throw new E(`${kind}.step: ${why}`);
}

/** The backend holding the params' store, or the default one. */
function pickBackend(kind: string, params: Float32Array[]): Backend {
  for (const b of allBackends()) {
    if (params.some((p) => storeTensorOf(b.heap, p))) {
      for (const other of allBackends()) {
        if (other !== b && params.some((p) => storeTensorOf(other.heap, p))) {
          throw new TypeError(`${kind}: params come from ParamStores of different backends`);
        }
      }
      return b;
    }
  }
  return currentBackend();
}
