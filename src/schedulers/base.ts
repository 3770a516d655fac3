// What every scheduler shares: the optimizer it drives (any object with simdopt-shaped param
// groups), writing lrs and momenta into those groups all or nothing, and a state dict in
// torch's key names that loads only once all of it has been checked.
import { show } from "../options.js";

/** One param group as a scheduler sees it: simdopt's groups have this shape for every optimizer. */
export interface SchedulableGroup {
  /** Learning rate; schedulers assign it. A finite number >= 0. */
  lr: number;
  /** Momentum factor (SGD, RMSprop); OneCycleLR cycles it. A finite number >= 0. */
  momentum?: number;
  /** Adam's coefficients, each in [0, 1); OneCycleLR cycles `betas[0]`. */
  betas?: readonly [number, number];
}

/**
 * What a scheduler needs from an optimizer: its param groups. Every simdopt optimizer fits;
 * so does any object with `paramGroups` of this shape.
 */
export interface SchedulableOptimizer {
  /** The groups whose `lr` (and `momentum` or `betas[0]`) the scheduler writes; their number must not change. */
  readonly paramGroups: ReadonlyArray<SchedulableGroup>;
}

/** A scheduler's state in torch's key names (`last_epoch`, `base_lrs`, `_last_lr`, ...). */
export type SchedulerStateDict = Record<string, unknown>;

/** Momentum values for OneCycleLR, written to `momentum` or to `betas[0]`. */
export interface Momenta {
  values: readonly number[];
  beta1: boolean;
}

/** One entry of a state dict: how to read it, and how to check and apply a loaded value. */
export interface StateField {
  readonly key: string;
  get(): unknown;
  /** Checks a loaded value (throwing if it does not fit) and returns what applies it. */
  parse(v: unknown, where: string): () => void;
  /** May be absent from a loaded dict, which then keeps the current value. */
  readonly optional?: boolean;
}

export function field<T>(
  key: string, get: () => unknown, check: (v: unknown, where: string) => T, set: (v: T) => void, optional = false,
): StateField {
  return { key, get, optional, parse: (v, where) => { const x = check(v, where); return () => set(x); } };
}

// Keys torch writes that mean nothing here; a loaded dict may carry them.
const TORCH_ONLY_KEYS = ["verbose", "_get_lr_called_within_step"];

/** Validates the optimizer argument and returns its number of param groups. */
export function groupCount(kind: string, optimizer: unknown): number {
  const groups = (optimizer as SchedulableOptimizer | null)?.paramGroups;
  const ok = typeof optimizer === "object" && Array.isArray(groups) && groups.length > 0 &&
    groups.every((g) => typeof g === "object" && g !== null && typeof g.lr === "number");
  if (!ok) {
    throw new TypeError(`${kind}: optimizer must be a simdopt optimizer (paramGroups, each with a numeric lr), got ${show(optimizer)}`);
  }
  return groups.length;
}

/**
 * What every scheduler offers: the optimizer it drives, the lrs of its last step, and a state
 * dict. See LRScheduler for the epoch-counting schedulers; ReduceLROnPlateau and SequentialLR
 * build on this directly, as in torch.
 *
 * @example
 * ```ts
 * const opt = new SGD([new Float32Array(4)], { lr: 0.1 });
 * const sched = new StepLR(opt, { stepSize: 10 });
 * const saved = sched.stateDict(); // torch's keys: last_epoch, base_lrs, _last_lr, ...
 * sched.loadStateDict(saved);
 * sched.getLastLr(); // [0.1]
 * ```
 */
export abstract class Scheduler {
  /** The lrs of the param groups after the last step. */
  protected lastLr: number[];

  protected constructor(
    protected readonly kind: string,
    /** The optimizer whose param groups this scheduler writes. */
    readonly optimizer: SchedulableOptimizer,
    protected readonly groups: number,
  ) {
    this.lastLr = this.currentLrs();
  }

  /** The learning rate of each param group as the last step left it (torch's `get_last_lr()`). */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /**
   * The scheduler's state in torch's key names. Functions (LambdaLR's lambdas) are not saved,
   * as in torch; the param groups' own values (lr, momentum) belong to the optimizer's state.
   */
  stateDict(): SchedulerStateDict {
    const out: SchedulerStateDict = {};
    for (const f of this.stateFields()) {
      const v = f.get();
      if (v !== undefined) out[f.key] = v; // a key torch has only in some configurations
    }
    return out;
  }

  /**
   * Restores `stateDict()` output. Checks all of it first: a dict that does not fit throws a
   * TypeError/RangeError and changes nothing. Restore the optimizer's state as well, since it
   * holds the lrs.
   */
  loadStateDict(sd: SchedulerStateDict): void {
    this._prepareLoad(sd, `${this.kind}.loadStateDict`)();
  }

  /** @internal The class name, which checkpoints keep with the state. */
  get _kind(): string {
    return this.kind;
  }

  /** @internal Checks `sd` and returns what applies it. */
  _prepareLoad(sd: unknown, where: string): () => void {
    if (typeof sd !== "object" || sd === null || Array.isArray(sd)) {
      throw new TypeError(`${where}: expected a state dict object, got ${show(sd)}`);
    }
    const fields = this.stateFields();
    const rec = sd as Record<string, unknown>;
    for (const key of Object.keys(rec)) {
      if (!TORCH_ONLY_KEYS.includes(key) && !fields.some((f) => f.key === key)) {
        throw new TypeError(`${where}: unknown key ${JSON.stringify(key)} for ${this.kind}`);
      }
    }
    const apply: Array<() => void> = [];
    for (const f of fields) {
      const v = rec[f.key];
      if (v !== undefined) apply.push(f.parse(v, `${where}: ${f.key}`));
      else if (!f.optional) throw new TypeError(`${where}: the state dict lacks ${JSON.stringify(f.key)}`);
    }
    return () => apply.forEach((a) => a());
  }

  protected abstract stateFields(): StateField[];

  /** The groups' lrs as they are now. */
  protected currentLrs(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  /**
   * Writes one lr (and momentum) per group, all or nothing: values are checked first, and if a
   * group refuses an assignment every group written so far gets its old value back.
   */
  protected write(lrs: readonly number[], momenta?: Momenta): void {
    const groups = this.optimizer.paramGroups;
    if (groups.length !== this.groups) {
      throw new RangeError(`${this.kind}: the optimizer has ${groups.length} param group(s), but had ${this.groups} when the scheduler was created`);
    }
    lrs.forEach((lr, i) => {
      if (!(Number.isFinite(lr) && lr >= 0)) {
        throw new RangeError(`${this.kind}: the schedule gives paramGroups[${i}].lr = ${show(lr)}; an lr must be finite and >= 0`);
      }
    });
    const undo: Array<() => void> = [];
    try {
      groups.forEach((g, i) => {
        if (momenta && momenta.beta1) {
          const old = g.betas!;
          g.betas = [momenta.values[i]!, old[1]];
          undo.push(() => { g.betas = old; });
        } else if (momenta) {
          const old = g.momentum!;
          g.momentum = momenta.values[i]!;
          undo.push(() => { g.momentum = old; });
        }
        const old = g.lr;
        g.lr = lrs[i]!;
        undo.push(() => { g.lr = old; });
      });
    } catch (e) {
      for (const u of undo.reverse()) u();
      throw e;
    }
  }
}
