import { bisectRight, finite, given, list, optionsOf, required, whole } from "./args.js";
import { field, groupCount, type SchedulableOptimizer, type StateField } from "./base.js";
import { baseLrsFor, LRScheduler } from "./lr-scheduler.js";
import { show } from "../options.js";

/** StepLR options; torch's names in camelCase, torch's defaults. */
export interface StepLROptions {
  /** Epochs between decays (torch `step_size`). Required; a whole number >= 1. */
  stepSize: number;
  /** Factor applied every `stepSize` epochs. Default 0.1; >= 0. */
  gamma?: number;
  /** The epoch to resume after (torch `last_epoch`). Default -1: start afresh. */
  lastEpoch?: number;
}

/**
 * torch's `StepLR`: lr = baseLr · gamma^⌊epoch / stepSize⌋, applied recursively (the lr is
 * multiplied by gamma whenever the epoch reaches a multiple of stepSize), so changes made to
 * the lr from outside carry on.
 *
 * @example
 * ```ts
 * const w = new Float32Array(4);
 * const opt = new SGD([w], { lr: 0.1 });
 * const sched = new StepLR(opt, { stepSize: 30, gamma: 0.1 }); // 0.1 until epoch 30, then 0.01, ...
 * for (let epoch = 0; epoch < 60; epoch++) {
 *   opt.step([new Float32Array(4).fill(0.5)]);
 *   sched.step();
 * }
 * sched.getLastLr(); // [0.001]: two decays of 0.1
 * ```
 */
export class StepLR extends LRScheduler {
  private stepSize: number;
  private gamma: number;

  constructor(optimizer: SchedulableOptimizer, options: StepLROptions) {
    const groups = groupCount("StepLR", optimizer);
    const o = optionsOf("StepLR", options, ["stepSize", "gamma", "lastEpoch"]);
    const stepSize = whole(required(o, "stepSize", "StepLR", "a whole number >= 1"), "StepLR options.stepSize", 1);
    const gamma = finite(given(o.gamma, 0.1), "StepLR options.gamma", { min: 0 });
    super("StepLR", optimizer, groups, ...baseLrsFor("StepLR", optimizer, o.lastEpoch));
    this.stepSize = stepSize;
    this.gamma = gamma;
    this.start();
  }

  protected lrsAt(epoch: number): number[] {
    const lrs = this.currentLrs();
    return epoch === 0 || epoch % this.stepSize !== 0 ? lrs : lrs.map((lr) => lr * this.gamma);
  }

  protected override closedFormAt(epoch: number): number[] {
    const k = (epoch - (epoch % this.stepSize)) / this.stepSize; // Python's //, exactly
    return this.base.map((b) => b * this.gamma ** k);
  }

  protected override stateFields(): StateField[] {
    return [
      field("step_size", () => this.stepSize, (v, w) => whole(v, w, 1), (v) => { this.stepSize = v; }),
      field("gamma", () => this.gamma, (v, w) => finite(v, w, { min: 0 }), (v) => { this.gamma = v; }),
      ...super.stateFields(),
    ];
  }
}

/** MultiStepLR options; torch's names in camelCase, torch's defaults. */
export interface MultiStepLROptions {
  /** Epochs at which the lr is multiplied by gamma; a milestone listed twice applies gamma twice. Required; whole numbers >= 0. */
  milestones: readonly number[];
  /** Factor applied at each milestone. Default 0.1; >= 0. */
  gamma?: number;
  /** The epoch to resume after (torch `last_epoch`). Default -1: start afresh. */
  lastEpoch?: number;
}

/** torch keeps milestones as a Counter (milestone → how often it was listed). */
function countOf(milestones: readonly number[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const m of [...milestones].sort((a, b) => a - b)) counts.set(m, (counts.get(m) ?? 0) + 1);
  return counts;
}

function parseCounter(v: unknown, where: string): Map<number, number> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new TypeError(`${where} must be an object mapping each milestone to its count, got ${show(v)}`);
  }
  const out = new Map<number, number>();
  for (const [k, n] of Object.entries(v)) {
    const m = Number(k);
    if (!/^\d+$/.test(k) || !Number.isSafeInteger(m)) throw new RangeError(`${where}: milestone ${JSON.stringify(k)} is not a whole number >= 0`);
    out.set(m, whole(n, `${where}[${k}]`, 1));
  }
  return new Map([...out].sort((a, b) => a[0] - b[0]));
}

/**
 * torch's `MultiStepLR`: lr = baseLr · gamma^(number of milestones <= epoch), applied
 * recursively (the lr is multiplied by gamma^count on reaching a milestone).
 *
 * @example
 * ```ts
 * const opt = new Adam([new Float32Array(4)], { lr: 1e-3 });
 * const sched = new MultiStepLR(opt, { milestones: [30, 80], gamma: 0.1 }); // 1e-3, then 1e-4 at 30, 1e-5 at 80
 * sched.step();
 * ```
 */
export class MultiStepLR extends LRScheduler {
  private milestones: Map<number, number>;
  private gamma: number;

  constructor(optimizer: SchedulableOptimizer, options: MultiStepLROptions) {
    const groups = groupCount("MultiStepLR", optimizer);
    const o = optionsOf("MultiStepLR", options, ["milestones", "gamma", "lastEpoch"]);
    const milestones = list(required(o, "milestones", "MultiStepLR", "an array of whole numbers >= 0"),
      "MultiStepLR options.milestones", undefined, (x, w) => whole(x, w, 0));
    const gamma = finite(given(o.gamma, 0.1), "MultiStepLR options.gamma", { min: 0 });
    super("MultiStepLR", optimizer, groups, ...baseLrsFor("MultiStepLR", optimizer, o.lastEpoch));
    this.milestones = countOf(milestones);
    this.gamma = gamma;
    this.start();
  }

  protected lrsAt(epoch: number): number[] {
    const lrs = this.currentLrs();
    const count = this.milestones.get(epoch);
    return count === undefined ? lrs : lrs.map((lr) => lr * this.gamma ** count);
  }

  protected override closedFormAt(epoch: number): number[] {
    const sorted = [...this.milestones].flatMap(([m, n]) => new Array<number>(n).fill(m));
    return this.base.map((b) => b * this.gamma ** bisectRight(sorted, epoch));
  }

  protected override stateFields(): StateField[] {
    return [
      field("milestones", () => Object.fromEntries([...this.milestones].map(([m, n]) => [String(m), n])),
        parseCounter, (v) => { this.milestones = v; }),
      field("gamma", () => this.gamma, (v, w) => finite(v, w, { min: 0 }), (v) => { this.gamma = v; }),
      ...super.stateFields(),
    ];
  }
}
