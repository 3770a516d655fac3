import { list, optionsOf, required } from "./args.js";
import { field, groupCount, type SchedulableOptimizer, type StateField } from "./base.js";
import { baseLrsFor, LRScheduler } from "./lr-scheduler.js";
import { show } from "../options.js";

/** A function of the epoch (0, 1, 2, ...) giving a factor. */
export type LrLambda = (epoch: number) => number;

/** LambdaLR and MultiplicativeLR options; torch's names in camelCase. */
export interface LambdaLROptions {
  /** One function for every group, or one per group (torch `lr_lambda`). Required. */
  lrLambda: LrLambda | readonly LrLambda[];
  /** The epoch to resume after (torch `last_epoch`). Default -1: start afresh. */
  lastEpoch?: number;
}
/** MultiplicativeLR options: the same as LambdaLR's (`lrLambda` gives a factor per epoch). */
export type MultiplicativeLROptions = LambdaLROptions;

function lambdasOf(kind: string, options: unknown, groups: number): LrLambda[] {
  const o = optionsOf(kind, options, ["lrLambda", "lastEpoch"]);
  const where = `${kind} options.lrLambda`;
  const fn = (f: unknown, w: string): LrLambda => {
    if (typeof f !== "function") throw new TypeError(`${w} must be a function of the epoch, got ${show(f)}`);
    return f as LrLambda;
  };
  const given = required(o, "lrLambda", kind, "a function, or one per group");
  return Array.isArray(given) ? list(given, where, groups, fn) : new Array<LrLambda>(groups).fill(fn(given, where));
}

/** The factors the lambdas give at `epoch`; a factor must be a number. */
function factorsAt(kind: string, lambdas: readonly LrLambda[], epoch: number): number[] {
  return lambdas.map((f, i) => {
    const x = f(epoch);
    if (typeof x !== "number") throw new TypeError(`${kind}: lrLambda for group ${i} returned ${show(x)} at epoch ${epoch}; it must return a number`);
    return x;
  });
}

/**
 * The state-dict entry for the lambdas: torch saves none of them (plain functions cannot be
 * saved), so it is one null per group and loading keeps the functions this scheduler has.
 */
function lambdasField(kind: string, groups: number): StateField {
  return field("lr_lambdas", () => new Array<null>(groups).fill(null), (v, w) => list(v, w, groups, (x, wx) => {
    if (x !== null) throw new TypeError(`${wx} must be null (${kind} does not save functions), got ${show(x)}`);
    return null;
  }), () => {});
}

/**
 * torch's `LambdaLR`: lr = baseLr · lrLambda(epoch), from the base lrs at every step (so it
 * replaces, not composes with, other schedules).
 *
 * @example
 * ```ts
 * const opt = new Adam([new Float32Array(4)], { lr: 1e-3 });
 * const sched = new LambdaLR(opt, { lrLambda: (epoch) => 0.95 ** epoch });
 * sched.step();
 * ```
 */
export class LambdaLR extends LRScheduler {
  private readonly lambdas: LrLambda[];

  constructor(optimizer: SchedulableOptimizer, options: LambdaLROptions) {
    const groups = groupCount("LambdaLR", optimizer);
    const lambdas = lambdasOf("LambdaLR", options, groups);
    super("LambdaLR", optimizer, groups, ...baseLrsFor("LambdaLR", optimizer, options.lastEpoch));
    this.lambdas = lambdas;
    this.start();
  }

  protected lrsAt(epoch: number): number[] {
    const f = factorsAt(this.kind, this.lambdas, epoch);
    return this.base.map((b, i) => b * f[i]!);
  }

  protected override stateFields(): StateField[] {
    return [lambdasField(this.kind, this.groups), ...super.stateFields()];
  }
}

/**
 * torch's `MultiplicativeLR`: from epoch 1 on, lr = lr · lrLambda(epoch) each step (the lr at
 * epoch 0 is left as it is).
 *
 * @example
 * ```ts
 * const opt = new Adam([new Float32Array(4)], { lr: 1e-3 });
 * const sched = new MultiplicativeLR(opt, { lrLambda: () => 0.95 }); // lr · 0.95 at every step
 * sched.step();
 * ```
 */
export class MultiplicativeLR extends LRScheduler {
  private readonly lambdas: LrLambda[];

  constructor(optimizer: SchedulableOptimizer, options: MultiplicativeLROptions) {
    const groups = groupCount("MultiplicativeLR", optimizer);
    const lambdas = lambdasOf("MultiplicativeLR", options, groups);
    super("MultiplicativeLR", optimizer, groups, ...baseLrsFor("MultiplicativeLR", optimizer, options.lastEpoch));
    this.lambdas = lambdas;
    this.start();
  }

  protected lrsAt(epoch: number): number[] {
    const lrs = this.currentLrs();
    if (epoch <= 0) return lrs;
    const f = factorsAt(this.kind, this.lambdas, epoch);
    return lrs.map((lr, i) => lr * f[i]!);
  }

  protected override stateFields(): StateField[] {
    return [lambdasField(this.kind, this.groups), ...super.stateFields()];
  }
}
