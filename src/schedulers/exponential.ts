import { finite, optionsOf, required } from "./args.js";
import { field, groupCount, type SchedulableOptimizer, type StateField } from "./base.js";
import { baseLrsFor, LRScheduler } from "./lr-scheduler.js";

/** ExponentialLR options; torch's names in camelCase, torch's defaults. */
export interface ExponentialLROptions {
  /** Factor applied every epoch. Required; >= 0. */
  gamma: number;
  /** The epoch to resume after (torch `last_epoch`). Default -1: start afresh. */
  lastEpoch?: number;
}

/**
 * torch's `ExponentialLR`: lr = baseLr · gamma^epoch, applied recursively (lr · gamma each epoch).
 *
 * @example
 * ```ts
 * const opt = new SGD([new Float32Array(4)], { lr: 0.1 });
 * const sched = new ExponentialLR(opt, { gamma: 0.9 });
 * sched.step();
 * sched.getLastLr(); // [0.09]
 * ```
 */
export class ExponentialLR extends LRScheduler {
  private gamma: number;

  constructor(optimizer: SchedulableOptimizer, options: ExponentialLROptions) {
    const groups = groupCount("ExponentialLR", optimizer);
    const o = optionsOf("ExponentialLR", options, ["gamma", "lastEpoch"]);
    const gamma = finite(required(o, "gamma", "ExponentialLR", "a finite number >= 0"), "ExponentialLR options.gamma", { min: 0 });
    super("ExponentialLR", optimizer, groups, ...baseLrsFor("ExponentialLR", optimizer, o.lastEpoch));
    this.gamma = gamma;
    this.start();
  }

  protected lrsAt(epoch: number): number[] {
    const lrs = this.currentLrs();
    return epoch === 0 ? lrs : lrs.map((lr) => lr * this.gamma);
  }

  protected override closedFormAt(epoch: number): number[] {
    return this.base.map((b) => b * this.gamma ** epoch);
  }

  protected override stateFields(): StateField[] {
    return [
      field("gamma", () => this.gamma, (v, w) => finite(v, w, { min: 0 }), (v) => { this.gamma = v; }),
      ...super.stateFields(),
    ];
  }
}
