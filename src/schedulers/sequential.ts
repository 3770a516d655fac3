import { bisectRight, finite, list, optionsOf, required, whole } from "./args.js";
import { field, groupCount, Scheduler, type SchedulableOptimizer, type StateField } from "./base.js";
import { initialLrsOf } from "./initial-lr.js";
import { LRScheduler } from "./lr-scheduler.js";
import { show } from "../options.js";

/** SequentialLR options; torch's names in camelCase. */
export interface SequentialLROptions {
  /** The schedulers to run one after another, all created on this optimizer. Required; at least one. */
  schedulers: readonly LRScheduler[];
  /** The epochs at which each next scheduler takes over: one fewer than schedulers; whole numbers >= 1, increasing. Required. */
  milestones: readonly number[];
  /** Offsets the epoch count: SequentialLR starts at lastEpoch + 1. Default -1. */
  lastEpoch?: number;
}

function milestonesOf(v: unknown, where: string, n: number): number[] {
  const ms = list(v, where, undefined, (x, w) => whole(x, w, 1));
  if (ms.length !== n) throw new RangeError(`${where} must have ${n} value(s), one fewer than schedulers, got ${ms.length}`);
  ms.forEach((m, i) => {
    if (i > 0 && m <= ms[i - 1]!) throw new RangeError(`${where} must increase, got ${ms[i - 1]} then ${m}`);
  });
  return ms;
}

/**
 * torch's `SequentialLR`: runs `schedulers[0]` until epoch `milestones[0]`, then
 * `schedulers[1]`, and so on. Creating it resets the lrs to the initial lrs, undoes the first
 * step each scheduler took when it was created, and restarts the first one. At a milestone the
 * next scheduler starts at its epoch 0 from its closed form (for CosineAnnealingLR: its base
 * lr), as torch's `step(0)` does; after that it steps on recursively.
 *
 * @example
 * ```ts
 * const opt = new AdamW([new Float32Array(4)], { lr: 1e-3 });
 * const warmup = new LinearLR(opt, { startFactor: 0.1, totalIters: 5 });
 * const decay = new CosineAnnealingLR(opt, { tMax: 95 });
 * const sched = new SequentialLR(opt, { schedulers: [warmup, decay], milestones: [5] });
 * for (let epoch = 0; epoch < 100; epoch++) sched.step();
 * ```
 */
export class SequentialLR extends Scheduler {
  private readonly schedulers: LRScheduler[];
  private milestones: number[];
  private epoch: number;

  constructor(optimizer: SchedulableOptimizer, options: SequentialLROptions) {
    const kind = "SequentialLR", at = (k: string) => `${kind} options.${k}`;
    const groups = groupCount(kind, optimizer);
    const o = optionsOf(kind, options, ["schedulers", "milestones", "lastEpoch"]);
    const schedulers = list(required(o, "schedulers", kind, "an array of schedulers"), at("schedulers"), undefined, (s, w) => {
      if (!(s instanceof LRScheduler)) {
        throw new TypeError(`${w} must be an epoch scheduler such as LinearLR (not ReduceLROnPlateau or SequentialLR), got ${show(s)}`);
      }
      if (s.optimizer !== optimizer) throw new RangeError(`${w} (${show(s)}) drives another optimizer; all must drive this one`);
      return s;
    });
    if (schedulers.length === 0) throw new RangeError(`${at("schedulers")} must hold at least one scheduler, got none`);
    schedulers.forEach((s, i) => {
      if (schedulers.indexOf(s) !== i) throw new RangeError(`${at("schedulers")}[${i}] is schedulers[${schedulers.indexOf(s)}] again`);
    });
    const milestones = milestonesOf(required(o, "milestones", kind, "an array of whole numbers"), at("milestones"), schedulers.length - 1);
    const lastEpoch = o.lastEpoch === undefined ? -1 : whole(o.lastEpoch, at("lastEpoch"), -1);
    super(kind, optimizer, groups);
    this.schedulers = schedulers;
    this.milestones = milestones;
    this.epoch = lastEpoch + 1;
    // The schedulers recorded the initial lrs when they were created.
    const before = this.currentLrs();
    this.write(initialLrsOf(optimizer)!);
    for (const s of schedulers) s._rewind();
    try {
      schedulers[0]!._initialStep();
    } catch (e) {
      for (const s of schedulers) s._rewind(-1);
      this.write(before);
      throw e;
    }
    this.lastLr = schedulers[0]!.getLastLr();
  }

  /** Epochs stepped, plus the lastEpoch it was created with, plus one (torch's `last_epoch`). */
  get lastEpoch(): number {
    return this.epoch;
  }

  /** Steps the scheduler whose turn it is; at a milestone, starts the next one at its epoch 0. */
  step(): void {
    const epoch = this.epoch + 1;
    const idx = bisectRight(this.milestones, epoch);
    const s = this.schedulers[idx]!;
    if (idx > 0 && this.milestones[idx - 1] === epoch) s._stepAtZero();
    else s.step();
    this.epoch = epoch;
    this.lastLr = s.getLastLr();
  }

  protected stateFields(): StateField[] {
    const n = this.schedulers.length;
    return [
      field("_schedulers", () => this.schedulers.map((s) => s.stateDict()),
        (v, w) => {
          if (!Array.isArray(v)) throw new TypeError(`${w} must be an array of state dicts, got ${show(v)}`);
          if (v.length !== n) throw new RangeError(`${w} must hold ${n} state dict(s), one per scheduler, got ${v.length}`);
          return v.map((x, i) => this.schedulers[i]!._prepareLoad(x, `${w}[${i}]`));
        },
        (apply) => apply.forEach((a) => a())),
      field("_milestones", () => [...this.milestones], (v, w) => milestonesOf(v, w, n - 1), (v) => { this.milestones = v; }),
      field("last_epoch", () => this.epoch, (v, w) => whole(v, w, 0), (v) => { this.epoch = v; }),
      field("_last_lr", () => [...this.lastLr], (v, w) => list(v, w, this.groups, (x, wx) => finite(x, wx, { min: 0 })),
        (v) => { this.lastLr = v; }),
    ];
  }
}
