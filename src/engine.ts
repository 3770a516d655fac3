// The generic engine that runs any optimizer family: param groups, the heap layout of their
// tensors, state buffers, and the step pipeline (validate, copy in, check, run kernels, copy
// out). The family descriptor says which buffers exist, how they are laid out and how one group
// calls its kernel (and its row kernel, for sparse gradients); gradient intake lives in
// grad-intake.ts and sparse-intake.ts, state I/O in state-io.ts.
import { AliasIndex, checkDistinct } from "./aliasing.js";
import { MAXIMIZE, PACKED_ROWS, type Backend, type Bound, type BoundIndexed, type JsIndexedKernel, type JsKernel } from "./backend.js";
import {
  flagsOf, groupRowLength, rowLengthOf, slotWanted, sparseFamilyNames, type Family, type KernelCall, type RowsCall, type Values,
} from "./family.js";
import { isDetached } from "./detached.js";
import { GradIntake, type GradInput } from "./grad-intake.js";
import { groupObject, parseGroups, type ParamGroup, type ParsedGroup } from "./groups.js";
import { measureGroup, planGroup, updateUniform, type GroupPlan, type TensorPlan } from "./layout.js";
import { defaultsOf, NON_FINITE_POLICIES, resolveOptions, type EnumSpec, type NonFinitePolicy, type Specs } from "./options.js";
import { allBackends, currentBackend } from "./runtime.js";
import { storeTensorOf, type ParamStore } from "./store.js";
import { groupElements, parseStepOptions, type StepRange } from "./step-range.js";
import type { Recorder } from "./threads/pool.js";
import { clock, ThreadChoice, tuning, type ThreadPool } from "./threads/threads.js";

/** How the engine releases its own blocks: no view of them was ever handed out. */
export const PRIVATE = { viewsEscaped: false } as const;

export const NON_FINITE: EnumSpec = { kind: "enum", torch: "non_finite", default: "propagate", values: NON_FINITE_POLICIES };

/**
 * Thrown by `step()` under `nonFinite: "throw"`.
 *
 * @example
 * ```ts
 * const w = new Float32Array(2);
 * const opt = new Adam([w], { nonFinite: "throw" });
 * try {
 *   opt.step([Float32Array.of(1, NaN)]);
 * } catch (e) {
 *   if (!(e instanceof NonFiniteGradientError)) throw e; // w and the state are unchanged
 * }
 * ```
 */
export class NonFiniteGradientError extends RangeError {
  /** Always "NonFiniteGradientError". */
  override name = "NonFiniteGradientError";
}

/** A param group as the engine keeps it: options, and what follows from them. */
export interface EngineGroup<O> extends ParsedGroup<O> {
  /** Kernel flags of the current options, buffers in use included. */
  flags: number;
  /** Bit k: state slot k is in use under the current options. */
  active: number;
}

export class Engine<O> {
  readonly kind: string;
  readonly specs: Specs;
  readonly backend: Backend;
  readonly groups: EngineGroup<O>[];
  readonly plans: GroupPlan[];
  readonly tensors: TensorPlan[];
  readonly intake: GradIntake;
  readonly paramGroups: readonly ParamGroup<O>[];
  policy: NonFinitePolicy;
  skippedSteps = 0;
  /** Steps applied since construction or the last load (tensor steps add their stepBias). */
  steps = 0;
  /** True once state exists (PyTorch: after the first step, or from the start for Adagrad). */
  hasState: boolean;
  disposed = false;
  private readonly stores: ParamStore[];
  private kernel: Bound<JsKernel> | undefined;
  private rowsKernel: BoundIndexed<JsIndexedKernel> | undefined;
  private kernelGeneration = -1;
  private readonly call: KernelCall;
  private readonly rowsCall: RowsCall;
  /** Elements of a full step, padding included; and whether its chunks fit one threaded job. */
  private readonly elements: number;
  private readonly threadable: boolean;
  /** The kernel as a chunk recorder of the pool in use (`threadKernel` is for `threadPool`). */
  private threadPool: ThreadPool | undefined;
  private threadKernel: Recorder | undefined;
  /** Elements of the threaded step being cut into chunks that no chunk has taken yet. */
  private chunkLeft = 0;
  private chunkMin = 0;
  /** When this optimizer's steps use the threads (created at its first step with a pool). */
  private threadChoice: ThreadChoice | undefined;
  private readonly paramsCache: Array<{ generation: number; params: readonly Float32Array[] } | undefined> = [];

  constructor(readonly family: Family<O>, params: unknown, options: unknown) {
    const kind = (this.kind = family.name);
    const specs = (this.specs = family.options as unknown as Specs);
    const { nonFinite, ...defaults } = resolveOptions({ ...specs, nonFinite: NON_FINITE }, options,
      { ...defaultsOf(specs), nonFinite: "propagate" }, `${kind} options`);
    this.policy = nonFinite as NonFinitePolicy;
    const parsed = parseGroups<O>(kind, specs, params, defaults, staleReason);
    parsed.forEach((g, i) => this.checkGroup(g.values, `${kind}: params[${i}]`));
    const all = parsed.flatMap((g) => g.params);
    this.backend = pickBackend(kind, all);
    checkDistinct(kind, all);
    const heap = this.backend.heap;
    // Everything the optimizer needs is sized first and allocated in one request: a request
    // that cannot fit is refused before any memory is taken or grown.
    let first = 0;
    const measures = parsed.map((g, i) => {
      const rows = family.slots.map((_, k) => rowLengthOf(family, g.values, k));
      rows.forEach((d, k) => {
        const j = d > 0 ? g.params.findIndex((p) => p.length % d !== 0) : -1;
        if (j >= 0) {
          throw new RangeError(`${kind}: params[${first + j}] has length ${g.params[j]!.length}, which is not a whole number of rows of ` +
            `${family.slots[k]!.perRow} = ${d}`);
        }
      });
      first += g.params.length;
      return measureGroup(heap, g.params, rows);
    });
    const sizes: number[] = [];
    measures.forEach((m, i) => {
      if (m.staged) sizes.push(m.total * 4, m.total * 4);
      for (let k = 0; k < family.slots.length; k++) if (slotWanted(family, parsed[i]!.values, k)) sizes.push(m.slots[k]!.total * 4);
    });
    const ptrs = heap.allocAll(sizes, `${kind} state and staging`);
    // Handed out in the order they were sized: per group, its staging blocks, then its slots.
    let next = 0;
    let index = 0;
    this.plans = [];
    this.groups = parsed.map((g, i) => {
      const m = measures[i]!;
      const plan = planGroup(heap, m, index, m.staged ? [ptrs[next++]!, ptrs[next++]!] : []);
      index += m.params.length;
      this.plans.push(plan);
      for (let k = 0; k < family.slots.length; k++) {
        if (slotWanted(family, g.values, k)) this.setSlot(plan, k, ptrs[next++]!, g.values);
      }
      return { ...g, flags: 0, active: 0 };
    });
    this.groups.forEach((g) => this.deriveFlags(g, g.values));
    this.tensors = this.plans.flatMap((p) => p.tensors);
    this.elements = this.plans.reduce((n, p) => n + p.total, 0);
    this.threadable = this.tensors.length <= 2048;
    this.stores = [...new Set(this.tensors.flatMap((t) => (t.store ? [t.store.store] : [])))];
    this.hasState = family.stateFromStart;
    const groupOf = this.plans.flatMap((p, i) => p.tensors.map(() => i));
    this.intake = new GradIntake(kind, heap, this.plans, this.tensors, new AliasIndex(this.plans), {
      refuse: (t) => this.sparseRefusal(this.groups[groupOf[t.index]!]!.values),
      rowLength: (t) => groupRowLength(family, this.groups[groupOf[t.index]!]!.values),
    }, family.sparse ? " or sparse rows { indices, values, dim }" : "");
    this.call = { flags: 0, n: 0, p: 0, g: 0, s: new Array<number>(family.slots.length).fill(0), step: 0 };
    this.rowsCall = { flags: 0, count: 0, dim: 0, list: 0, next: 0, values: 0, p: 0, s: new Array<number>(family.slots.length).fill(0), step: 0 };
    this.paramGroups = Object.freeze(this.groups.map((g, i) =>
      groupObject<O>(specs, g, `${kind}.paramGroups[${i}]`, (v) => this.prepareOptions(i, v), () => this.liveParams(i))));
  }

  /** One step; `options` (validated here, before anything changes) may restrict it to a range. */
  step(grads: readonly GradInput[] | undefined, options?: unknown): boolean {
    if (this.disposed) this.assertLive();
    const range = options === undefined ? null
      : parseStepOptions(this.kind, this.family, this.plans, this.groups.map((g) => g.values), options);
    const intake = this.intake;
    // The zero-copy path with the store's own gradients neither checks nor copies anything.
    const staging = grads !== undefined || !intake.allZeroCopy;
    if (staging) intake.check(grads);
    // Tensors' `rows` are set by check() only: without it, this step has no sparse rows.
    const sparse = grads !== undefined && intake.sparse.count > 0;
    if (sparse && range !== null) {
      const i = this.tensors.findIndex((t) => t.rows !== null);
      throw new TypeError(`${this.kind}.step: options.range does not apply to sparse gradients (grads[${i}] is sparse rows); step them without a range`);
    }
    const stores = this.stores;
    for (let i = 0; i < stores.length; i++) stores[i]!.assertUsable();
    // After the stores' check: making room for sparse rows may grow the memory, which leaves
    // the views taken before it behind, but this step still reads and writes the right memory.
    if (sparse) intake.coalesce(grads);
    if (staging) intake.stage(grads);
    if (this.policy !== "propagate" && !(range ? this.rangeFinite(range) : this.gradsFinite(sparse))) {
      return this.nonFiniteStep(grads !== undefined, sparse, range);
    }
    const heap = this.backend.heap;
    if (this.kernelGeneration !== heap.generation) {
      this.kernel = this.backend.bind(this.family.kernel);
      if (this.family.sparse) this.rowsKernel = this.backend.bindIndexed(this.family.sparse.kernel);
      this.kernelGeneration = heap.generation;
    }
    const pool = this.backend.pool;
    const elements = pool === undefined || sparse || !this.threadable ? 0 : range === null ? this.elements : this.rangeElements(range);
    // Steps too small for threads are not even timed: a clock read costs a tenth of a 1e3 step.
    if (elements >= tuning.minElements && elements > 0) {
      const choice = (this.threadChoice ??= new ThreadChoice());
      const t0 = clock();
      if (choice.wants(elements)) {
        this.runThreaded(pool!, range, elements);
        choice.ranThreaded(elements, clock() - t0);
      } else {
        this.runAlone(range, sparse);
        const ms = clock() - t0;
        if (choice.probing) pool!.ping();
        choice.ranAlone(elements, ms);
      }
    } else this.runAlone(range, sparse);
    if (!intake.allZeroCopy) intake.giveBack(sparse);
    this.steps++;
    this.hasState = true;
    return true;
  }

  /** Gives all memory back; any later use throws. Store tensors are left to their store. */
  dispose(): void {
    if (this.disposed) return;
    this.releaseAll();
    this.disposed = true;
  }

  assertLive(): void {
    if (this.disposed) throw new Error(`${this.kind} was disposed; create a new optimizer`);
  }

  /** Points slot `k` of `plan` at a fresh block and fills it with the slot's start value. */
  setSlot(plan: GroupPlan, k: number, ptr: number, values: Values<O>): void {
    const slot = this.family.slots[k]!;
    this.backend.heap.f32.fill(slot.init?.(values) ?? 0, ptr / 4, ptr / 4 + plan.slotTotal[k]!);
    plan.state[k] = ptr;
    // A slot whose kernel starts it from the first gradient holds nothing until that step.
    if (slot.firstFlag !== undefined) {
      for (const t of plan.tensors) t.fresh |= 1 << k;
    }
  }

  /** Sets a group's kernel flags and buffers in use from options `values`. */
  deriveFlags(g: EngineGroup<O>, values: Values<O>): void {
    const family = this.family;
    g.flags = flagsOf(family, values);
    g.active = 0;
    for (let k = 0; k < family.slots.length; k++) if (slotWanted(family, values, k)) g.active |= 1 << k;
  }

  /** The byte ranges a gradient must not overlap changed: tell the intake. */
  refreshAliases(): void {
    this.intake.setAliases(new AliasIndex(this.plans));
  }

  /**
   * Why group `i` cannot take options `next` as its state is laid out (a per-row buffer's row
   * length changed), or undefined.
   */
  layoutChange(i: number, next: Values<O>): string | undefined {
    const now = this.groups[i]!.values;
    for (const slot of this.family.slots) {
      const key = slot.perRow as keyof Values<O> | undefined;
      if (key === undefined || next[key] === now[key]) continue;
      return `${String(key)} is ${String(now[key])} and cannot change to ${String(next[key])}: it sets the layout of the ` +
        `state buffer ${slot.name}; make a new optimizer instead`;
    }
    return undefined;
  }

  // --- internals ---------------------------------------------------------------------------

  private sparseRefusal(values: Values<O>): string | undefined {
    const sparse = this.family.sparse;
    if (!sparse) return `${this.kind} does not take sparse gradients (optimizers that do: ${sparseFamilyNames().join(", ")})`;
    return sparse.refuse?.(values);
  }

  private runGroup(plan: GroupPlan, g: EngineGroup<O>, sparse: boolean): void {
    const ts = plan.tensors;
    if (ts.length === 0) return;
    const t0 = ts[0]!;
    if (plan.span && plan.uniform && !sparse) {
      this.runKernel(plan, g, t0, plan.total, t0.gPtr, null);
    } else {
      for (let i = 0; i < ts.length; i++) {
        const t = ts[i]!;
        if (sparse && t.rows !== null) this.runRows(plan, g, t);
        else this.runKernel(plan, g, t, t.length, t.gPtr, t);
      }
    }
    // Every tensor of the group was just stepped: the buffers in use now hold values.
    if (t0.fresh !== 0 || !plan.uniform) {
      for (const t of ts) t.fresh &= ~g.active;
      updateUniform(plan);
    }
  }

  /** Every group's kernel calls, on the calling thread. */
  private runAlone(range: StepRange | null, sparse: boolean): void {
    const plans = this.plans;
    if (range === null) for (let i = 0; i < plans.length; i++) this.runGroup(plans[i]!, this.groups[i]!, sparse);
    else for (let i = 0; i < plans.length; i++) this.runGroupRange(plans[i]!, this.groups[i]!, range);
  }

  /** Steps elements [range.start, range.end) of the group's flat elements, tensor by tensor. */
  private runGroupRange(plan: GroupPlan, g: EngineGroup<O>, range: StepRange): void {
    const ts = plan.tensors;
    if (ts.length === 0) return;
    let off = 0;
    for (let i = 0; i < ts.length; i++) {
      const t = ts[i]!;
      const a = Math.max(range.start, off), b = Math.min(range.end, off + t.length);
      if (a < b) this.runKernel(plan, g, t, b - a, t.gPtr, t, a - off);
      off += t.length;
    }
    // As after a full step: the elements this rank owns were stepped, and the rest are not its.
    this.settleGroup(plan, g);
  }

  /** After every tensor of a group was stepped: the buffers in use now hold values. */
  private settleGroup(plan: GroupPlan, g: EngineGroup<O>): void {
    const ts = plan.tensors;
    if (ts.length > 0 && (ts[0]!.fresh !== 0 || !plan.uniform)) {
      for (const t of ts) t.fresh &= ~g.active;
      updateUniform(plan);
    }
  }

  /** Elements a step over `range` covers, in all groups. */
  private rangeElements(range: StepRange): number {
    let n = 0;
    for (const plan of this.plans) n += Math.max(0, Math.min(range.end, groupElements(plan)) - range.start);
    return n;
  }

  /**
   * The step's kernel calls, cut into chunks that the caller and the workers claim. Every
   * chunk is the kernel over a run of elements, with the same constants: as the kernels are
   * elementwise (per row, for a per-row buffer), the bits do not depend on how the work is cut.
   */
  private runThreaded(pool: ThreadPool, range: StepRange | null, elements: number): void {
    if (this.threadPool !== pool) {
      this.threadKernel = pool.queue.recorder(pool.queue.kernelId(this.family.kernel.wasm));
      this.threadPool = pool;
    }
    this.chunkLeft = elements;
    // A step of up to `threads` largest chunks is cut into equal parts, one per thread: the
    // caller, which claims first, then steps the same part every time and finds it in its own
    // cache (1e5 elements on 2 threads: 1.8–1.9× one thread, against 1.6–1.7× with shares of
    // what is left). Larger steps take shares of what is left, at most about 1,024 chunks per
    // piece of work however large (the job's limit is 4,095).
    this.chunkMin = elements <= pool.threads * tuning.chunkMax
      ? Math.ceil(elements / pool.threads / 16) * 16
      : Math.max(tuning.chunkMin, Math.ceil(elements / 1024 / 16) * 16);
    const kernel = this.kernel;
    this.kernel = this.threadKernel as unknown as Bound<JsKernel>;
    try {
      const plans = this.plans;
      for (let i = 0; i < plans.length; i++) this.chunkGroup(plans[i]!, this.groups[i]!, range, pool.threads);
    } finally {
      this.kernel = kernel;
    }
    pool.run();
    for (let i = 0; i < this.plans.length; i++) this.settleGroup(this.plans[i]!, this.groups[i]!);
  }

  private chunkGroup(plan: GroupPlan, g: EngineGroup<O>, range: StepRange | null, threads: number): void {
    const ts = plan.tensors;
    if (ts.length === 0) return;
    if (range === null && plan.span && plan.uniform) return this.chunkPiece(plan, g, ts[0]!, null, 0, plan.total, 16, threads);
    // A chunk of a per-row buffer's tensor holds whole rows.
    const row = groupRowLength(this.family, g.values);
    let off = 0;
    for (let i = 0; i < ts.length; i++) {
      const t = ts[i]!;
      const a = range === null ? off : Math.max(range.start, off);
      const b = range === null ? off + t.length : Math.min(range.end, off + t.length);
      if (a < b) this.chunkPiece(plan, g, t, t, a - off, b - off, row > 0 ? row : 16, threads);
      off += t.length;
    }
  }

  /**
   * Chunks of elements [from, to) of tensor `t` (of the whole group from `t` when `at` is
   * null): large first, smaller towards the end of the step (each a share of what is left),
   * each a multiple of `unit` elements but the piece's last.
   */
  private chunkPiece(plan: GroupPlan, g: EngineGroup<O>, t: TensorPlan, at: TensorPlan | null, from: number, to: number,
    unit: number, threads: number): void {
    const max = Math.max(tuning.chunkMax, this.chunkMin);
    while (from < to) {
      const want = Math.min(max, Math.max(this.chunkMin, Math.ceil(this.chunkLeft / (2 * threads))));
      const n = Math.min(Math.ceil(want / unit) * unit, to - from);
      this.runKernel(plan, g, t, n, t.gPtr, at, from);
      from += n;
      this.chunkLeft -= n;
    }
  }

  /**
   * One kernel call: over tensor `at` from its element `from`, or over the whole group (from
   * `t`) when `at` is null.
   */
  private runKernel(plan: GroupPlan, g: EngineGroup<O>, t: TensorPlan, n: number, gp: number, at: TensorPlan | null, from = 0): void {
    const c = this.call;
    const s = c.s;
    const slots = this.family.slots;
    const state = plan.state;
    let flags = g.flags;
    for (let k = 0; k < s.length; k++) {
      const on = (g.active >> k) & 1;
      const d = from === 0 ? 0 : rowLengthOf(this.family, g.values, k);
      s[k] = on ? state[k]! + (at === null ? 0 : at.slotRel[k]! * 4) + (d > 0 ? from / d : from) * 4 : 0;
      if (on && (t.fresh >> k) & 1) flags |= slots[k]!.firstFlag!;
    }
    c.flags = flags;
    c.n = n;
    c.p = t.pPtr + from * 4;
    c.g = gp + from * 4;
    c.step = this.steps + 1 + t.stepBias;
    this.family.run(this.kernel!, g.values, c);
  }

  /** The row kernel over tensor `t`'s sparse rows of this step. */
  private runRows(plan: GroupPlan, g: EngineGroup<O>, t: TensorPlan): void {
    const r = t.rows!;
    const c = this.rowsCall;
    // torch negates a sparse gradient before summing its duplicate rows: so do we, exactly.
    if (g.flags & MAXIMIZE) this.backend.kernels.scale(r.k * r.dim, r.values, -1);
    const s = c.s;
    for (let k = 0; k < s.length; k++) s[k] = (g.active >> k) & 1 ? plan.state[k]! + t.slotRel[k]! * 4 : 0;
    c.flags = (g.flags & ~MAXIMIZE) | (r.packed >= 0 ? PACKED_ROWS : 0);
    c.count = r.count;
    c.dim = r.dim;
    c.list = r.list;
    c.next = r.next;
    c.values = r.values;
    c.p = r.packed >= 0 ? r.packed : t.pPtr;
    c.step = this.steps + 1 + t.stepBias;
    this.family.sparse!.run(this.rowsKernel!, g.values, c);
  }

  private checkGroup(values: Values<O>, where: string): void {
    const why = this.family.check?.(values);
    if (why) throw new RangeError(`${where}: ${why}`);
  }

  /** Runs before an option assignment takes effect; throws to refuse it, changing nothing. */
  private prepareOptions(i: number, next: Values<O>): void {
    this.assertLive();
    this.checkGroup(next, `${this.kind}.paramGroups[${i}]`);
    const fixed = this.layoutChange(i, next);
    if (fixed) throw new RangeError(`${this.kind}.paramGroups[${i}]: ${fixed}`);
    const plan = this.plans[i]!;
    const family = this.family;
    const missing: number[] = [];
    for (let k = 0; k < family.slots.length; k++) if (plan.state[k]! < 0 && slotWanted(family, next, k)) missing.push(k);
    if (missing.length > 0) {
      const ptrs = this.backend.heap.allocAll(missing.map((k) => plan.slotTotal[k]! * 4), `${this.kind} state`);
      missing.forEach((k, j) => this.setSlot(plan, k, ptrs[j]!, next));
      this.refreshAliases();
    }
    // The caller commits `next` right after this returns, and nothing below can throw.
    this.deriveFlags(this.groups[i]!, next);
    if (missing.length > 0) updateUniform(plan);
  }

  private gradsFinite(sparse: boolean): boolean {
    const k = this.backend.kernels;
    for (const plan of this.plans) {
      const t0 = plan.tensors[0];
      if (!t0) continue;
      if (plan.span && !sparse) {
        if (!k.allFinite(plan.total, t0.gPtr)) return false;
      } else {
        for (const t of plan.tensors) if (!this.tensorFinite(t, sparse)) return false;
      }
    }
    return true;
  }

  /** Is this step's gradient of `t` finite: its sparse values, or its dense gradient slot? */
  private tensorFinite(t: TensorPlan, sparse: boolean): boolean {
    const k = this.backend.kernels;
    const r = sparse ? t.rows : null;
    return r !== null ? k.allFinite(r.k * r.dim, r.values) !== 0 : k.allFinite(t.length, t.gPtr) !== 0;
  }

  /** Are the gradients in `range` of every group finite? */
  private rangeFinite(range: StepRange): boolean {
    return this.rangeParts(range).every(([t, a, b]) => this.backend.kernels.allFinite(b - a, t.gPtr + a * 4) !== 0);
  }

  /** The pieces of `range` in each group: tensor, and element range within it. */
  private rangeParts(range: StepRange): Array<[TensorPlan, number, number]> {
    const parts: Array<[TensorPlan, number, number]> = [];
    for (const plan of this.plans) {
      let off = 0;
      for (const t of plan.tensors) {
        const a = Math.max(range.start, off), b = Math.min(range.end, off + t.length);
        if (a < b) parts.push([t, a - off, b - off]);
        off += t.length;
      }
    }
    return parts;
  }

  private nonFiniteStep(copied: boolean, sparse: boolean, range: StepRange | null): boolean {
    if (this.policy === "skip") {
      this.skippedSteps++;
      return false;
    }
    const part = range ? this.rangeParts(range).find(([t, a, b]) => this.backend.kernels.allFinite(b - a, t.gPtr + a * 4) === 0) : undefined;
    const bad = part ? part[0] : this.tensors.find((t) => !this.tensorFinite(t, sparse))!;
    const r = sparse ? bad.rows : null;
    const x = r !== null ? this.backend.heap.view(r.values, r.k * r.dim) : this.backend.heap.view(bad.gPtr, bad.length);
    let j = part ? part[1] : 0;
    while (Number.isFinite(x[j]!)) j++;
    const zeroCopyGrads = copied && this.tensors.some((t) => t.store && !t.gradInPlace && !(sparse && t.rows));
    throw new NonFiniteGradientError(
      `${this.kind}.step: grads[${bad.index}]${r !== null ? ".values" : ""}[${j}] is ${x[j]} (nonFinite: "throw"); no parameter or state was changed` +
        (zeroCopyGrads ? " (the given grads were copied into the ParamStore's gradient slots)" : ""),
    );
  }

  /**
   * Group `i`'s params as the user can use them now: caller-owned arrays as given, store
   * tensors as the store's views (tracked by the store, so a view held across a memory growth
   * is reported stale by step()). The same frozen array is returned until the memory grows.
   */
  private liveParams(i: number): readonly Float32Array[] {
    const heap = this.backend.heap;
    // A disposed store's memory may belong to another store by now.
    for (const t of this.plans[i]!.tensors) {
      if (t.store?.store.isDisposed) throw new Error(`${this.kind}.paramGroups[${i}].params: its ParamStore was disposed`);
    }
    const cached = this.paramsCache[i];
    if (cached && cached.generation === heap.generation) return cached.params;
    const params = Object.freeze(this.plans[i]!.tensors.map((t) => (t.store ? t.store.store.param(t.store.name) : t.param)));
    this.paramsCache[i] = { generation: heap.generation, params };
    return params;
  }

  private releaseAll(): void {
    const heap = this.backend.heap;
    this.intake.sparse.dispose();
    for (const plan of this.plans) {
      // No view of state or staging ever leaves the optimizer: reusable at once.
      for (const ptr of plan.state) if (ptr >= 0) heap.release(ptr, PRIVATE);
      for (const ptr of plan.staging) heap.release(ptr, PRIVATE);
      plan.state.fill(-1);
      plan.staging.length = 0;
    }
  }
}

/** Why a param array cannot be used, or undefined when it can. */
function staleReason(a: Float32Array): string | undefined {
  if (isDetached(a.buffer)) return "is detached (its buffer was transferred or its memory grew)";
  for (const b of allBackends()) {
    if (b.heap.isStale(a)) {
      return "is a view of simdopt memory taken before the memory grew; re-read it from its ParamStore";
    }
  }
  return undefined;
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
