import { finite, given, optionsOf, whole } from "./args.js";
import { field, groupCount, type SchedulableOptimizer, type StateField } from "./base.js";
import { baseLrsFor, LRScheduler } from "./lr-scheduler.js";

/** PolynomialLR options; torch's names in camelCase, torch's defaults. */
export interface PolynomialLROptions {
  /** Epochs over which the lr decays to 0 (torch `total_iters`). Default 5; a whole number >= 1. */
  totalIters?: number;
  /** Exponent of the decay. Default 1 (linear); >= 0. */
  power?: number;
  /** The epoch to resume after (torch `last_epoch`). Default -1: start afresh. */
  lastEpoch?: number;
}

/**
 * torch's `PolynomialLR`: lr = baseLr · (1 − min(epoch, totalIters) / totalIters)^power, applied
 * recursively: epoch e ≤ totalIters multiplies the lr by ((1 − e/T) / (1 − (e−1)/T))^power.
 *
 * @example
 * ```ts
 * const opt = new SGD([new Float32Array(4)], { lr: 0.1 });
 * const sched = new PolynomialLR(opt, { totalIters: 10, power: 2 }); // to 0 along (1 − e/10)²
 * sched.step();
 * ```
 */
export class PolynomialLR extends LRScheduler {
  private totalIters: number;
  private power: number;

  constructor(optimizer: SchedulableOptimizer, options: PolynomialLROptions = {}) {
    const groups = groupCount("PolynomialLR", optimizer);
    const o = optionsOf("PolynomialLR", options, ["totalIters", "power", "lastEpoch"]);
    const totalIters = whole(given(o.totalIters, 5), "PolynomialLR options.totalIters", 1);
    const power = finite(given(o.power, 1), "PolynomialLR options.power", { min: 0 });
    super("PolynomialLR", optimizer, groups, ...baseLrsFor("PolynomialLR", optimizer, o.lastEpoch));
    this.totalIters = totalIters;
    this.power = power;
    this.start();
  }

  protected lrsAt(epoch: number): number[] {
    const lrs = this.currentLrs();
    const n = this.totalIters;
    if (epoch === 0 || epoch > n) return lrs;
    const decay = ((1 - epoch / n) / (1 - (epoch - 1) / n)) ** this.power;
    return lrs.map((lr) => lr * decay);
  }

  protected override closedFormAt(epoch: number): number[] {
    const n = this.totalIters;
    return this.base.map((b) => b * (1 - Math.min(n, epoch) / n) ** this.power);
  }

  protected override stateFields(): StateField[] {
    return [
      field("total_iters", () => this.totalIters, (v, w) => whole(v, w, 1), (v) => { this.totalIters = v; }),
      field("power", () => this.power, (v, w) => finite(v, w, { min: 0 }), (v) => { this.power = v; }),
      ...super.stateFields(),
    ];
  }
}
