// The epoch-counting schedulers (all but ReduceLROnPlateau and SequentialLR), with torch's life
// cycle: the constructor performs the first `step()`, which moves from `lastEpoch` to
// `lastEpoch + 1` and writes that epoch's lrs; each later `step()` moves one epoch on. A step
// uses torch's recursive ("chainable") form, which scales the group's current lr, so two
// schedulers on one optimizer compose. The closed form, a function of the base lrs and the
// epoch, is used only where torch uses it: a SequentialLR switching to its next scheduler.
import { finite, list, whole } from "./args.js";
import { field, Scheduler, type Momenta, type SchedulableOptimizer, type StateField } from "./base.js";
import { initialLrsOf, recordInitialLrs } from "./initial-lr.js";

/** Checks `lastEpoch` and returns the base lrs a scheduler starts from. */
export function baseLrsFor(kind: string, optimizer: SchedulableOptimizer, lastEpoch: unknown): [number, number[]] {
  const epoch = lastEpoch === undefined ? -1 : whole(lastEpoch, `${kind} options.lastEpoch`, -1);
  const recorded = initialLrsOf(optimizer);
  if (epoch === -1) return [epoch, [...(recorded ?? optimizer.paramGroups.map((g) => g.lr))]];
  // torch raises KeyError here: resuming needs the `initial_lr` a fresh scheduler recorded.
  if (!recorded) {
    throw new RangeError(`${kind} options.lastEpoch = ${epoch} resumes a schedule, which needs the initial lrs ` +
      "recorded by a scheduler created on this optimizer with lastEpoch -1; none was. To resume from a " +
      "checkpoint, create the scheduler with lastEpoch -1 and call loadStateDict().");
  }
  return [epoch, [...recorded]];
}

/**
 * Base class of the epoch-counting schedulers; see the subclasses for each schedule. An epoch
 * is one call of `step()`, made after the optimizer's step: once per epoch or once per batch,
 * as suits the schedule, since every length option (stepSize, tMax, totalIters, ...) counts
 * these calls. Creating a scheduler writes the lrs of epoch 0 (of `lastEpoch + 1` when given).
 *
 * @example
 * ```ts
 * const opt = new SGD([new Float32Array(4)], { lr: 0.1 });
 * const sched = new ExponentialLR(opt, { gamma: 0.5 }); // an LRScheduler
 * opt.step([new Float32Array(4).fill(1)]); // the optimizer's step first,
 * sched.step();                            // then the scheduler's: lr 0.05
 * ```
 */
export abstract class LRScheduler extends Scheduler {
  /** torch's `last_epoch`: the epoch whose lrs the groups hold. */
  protected epoch: number;
  /** torch's `_step_count`: steps taken since construction (or SequentialLR's restart). */
  protected stepCount = 0;
  protected base: number[];

  protected constructor(kind: string, optimizer: SchedulableOptimizer, groups: number, lastEpoch: number, baseLrs: number[]) {
    super(kind, optimizer, groups);
    this.epoch = lastEpoch;
    this.base = baseLrs;
  }

  /** The epoch whose lrs the param groups hold (torch's `last_epoch`); 0 after construction. */
  get lastEpoch(): number {
    return this.epoch;
  }

  /** The lrs the schedule starts from, one per group (torch's `base_lrs`). */
  get baseLrs(): number[] {
    return [...this.base];
  }

  /** Moves to the next epoch and writes its lrs into the optimizer's param groups. */
  step(): void {
    const epoch = this.epoch + 1;
    this.commit(epoch, this.lrsAt(epoch));
  }

  /** torch's `get_lr()`: the lrs for moving to `epoch` from the groups' current lrs. */
  protected abstract lrsAt(epoch: number): number[];
  /** torch's `_get_closed_form_lr()`, where it has one. */
  protected closedFormAt?(epoch: number): number[];
  /** OneCycleLR's momenta for `epoch`. */
  protected momentaAt?(epoch: number): Momenta | undefined;

  /** Writes `lrs` (all or nothing), then records the move to `epoch`. */
  protected commit(epoch: number, lrs: number[], countStep = true): void {
    this.write(lrs, this.momentaAt?.(epoch));
    this.epoch = epoch;
    if (countStep) this.stepCount++;
    this.lastLr = this.currentLrs();
  }

  /** The constructor's first step; records the initial lrs once it has succeeded. */
  protected start(): void {
    this.step();
    recordInitialLrs(this.optimizer, this.base);
  }

  /** @internal SequentialLR undoing the step its schedulers took on construction (by -1 redoes it). */
  _rewind(by = 1): void {
    this.epoch -= by;
  }

  /** @internal SequentialLR restarting its first scheduler (torch's `_initial_step()`). */
  _initialStep(): void {
    const count = this.stepCount;
    this.stepCount = 0;
    try {
      this.step();
    } catch (e) {
      this.stepCount = count;
      throw e;
    }
  }

  /** @internal SequentialLR switching to this scheduler (torch's `step(0)`: the closed form at 0). */
  _stepAtZero(): void {
    this.commit(0, this.closedFormAt ? this.closedFormAt(0) : this.lrsAt(0));
  }

  protected stateFields(): StateField[] {
    const lrList = (v: unknown, w: string) => list(v, w, this.groups, (x, wx) => finite(x, wx, { min: 0 }));
    return [
      field("base_lrs", () => [...this.base], lrList, (v) => { this.base = v; }),
      field("last_epoch", () => this.epoch, (v, w) => whole(v, w, -1), (v) => { this.epoch = v; }),
      field("_step_count", () => this.stepCount, (v, w) => whole(v, w, 0), (v) => { this.stepCount = v; }),
      field("_last_lr", () => [...this.lastLr], lrList, (v) => { this.lastLr = v; }),
    ];
  }
}
