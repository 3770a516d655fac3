import { finite, given, optionsOf, whole } from "./args.js";
import { field, groupCount, type SchedulableOptimizer, type StateField } from "./base.js";
import { baseLrsFor, LRScheduler } from "./lr-scheduler.js";

/** ConstantLR options; torch's names in camelCase, torch's defaults. */
export interface ConstantLROptions {
  /** Multiplies the lr until `totalIters`. Default 1/3; in (0, 1] (torch allows 0, then divides by it at totalIters). */
  factor?: number;
  /** Epochs the factor lasts (torch `total_iters`). Default 5; a whole number >= 0. */
  totalIters?: number;
  /** The epoch to resume after (torch `last_epoch`). Default -1: start afresh. */
  lastEpoch?: number;
}

/**
 * torch's `ConstantLR`: lr = baseLr · factor for epochs below `totalIters`, then baseLr.
 * Recursive as in torch: epoch 0 multiplies the lr by factor, epoch totalIters divides it back.
 *
 * @example
 * ```ts
 * const opt = new RMSprop([new Float32Array(4)], { lr: 0.01 });
 * const sched = new ConstantLR(opt, { factor: 0.5, totalIters: 4 }); // 0.005 for 4 epochs, then 0.01
 * for (let epoch = 0; epoch < 4; epoch++) sched.step();
 * sched.getLastLr(); // [0.01]
 * ```
 */
export class ConstantLR extends LRScheduler {
  private factor: number;
  private totalIters: number;

  constructor(optimizer: SchedulableOptimizer, options: ConstantLROptions = {}) {
    const groups = groupCount("ConstantLR", optimizer);
    const o = optionsOf("ConstantLR", options, ["factor", "totalIters", "lastEpoch"]);
    const factor = finite(given(o.factor, 1 / 3), "ConstantLR options.factor", { min: 0, minOpen: true, max: 1 });
    const totalIters = whole(given(o.totalIters, 5), "ConstantLR options.totalIters", 0);
    super("ConstantLR", optimizer, groups, ...baseLrsFor("ConstantLR", optimizer, o.lastEpoch));
    this.factor = factor;
    this.totalIters = totalIters;
    this.start();
  }

  protected lrsAt(epoch: number): number[] {
    const lrs = this.currentLrs();
    if (epoch === 0) return lrs.map((lr) => lr * this.factor);
    if (epoch !== this.totalIters) return lrs;
    return lrs.map((lr) => lr * (1 / this.factor));
  }

  protected override closedFormAt(epoch: number): number[] {
    const f = this.factor + (epoch >= this.totalIters ? 1 : 0) * (1 - this.factor);
    return this.base.map((b) => b * f);
  }

  protected override stateFields(): StateField[] {
    return [
      field("factor", () => this.factor, (v, w) => finite(v, w, { min: 0, minOpen: true, max: 1 }), (v) => { this.factor = v; }),
      field("total_iters", () => this.totalIters, (v, w) => whole(v, w, 0), (v) => { this.totalIters = v; }),
      ...super.stateFields(),
    ];
  }
}

/** LinearLR options; torch's names in camelCase, torch's defaults. */
export interface LinearLROptions {
  /** Factor at epoch 0. Default 1/3; in (0, 1]. */
  startFactor?: number;
  /** Factor from epoch `totalIters` on. Default 1; in [0, 1]. */
  endFactor?: number;
  /** Epochs the factor takes to go from start to end (torch `total_iters`). Default 5; a whole number >= 1. */
  totalIters?: number;
  /** The epoch to resume after (torch `last_epoch`). Default -1: start afresh. */
  lastEpoch?: number;
}

/**
 * torch's `LinearLR`: lr = baseLr · (startFactor + (endFactor − startFactor) · min(epoch, totalIters) / totalIters),
 * reached recursively as in torch: each epoch up to totalIters multiplies the lr by
 * 1 + (end − start) / (totalIters·start + (epoch − 1)·(end − start)).
 *
 * @example
 * ```ts
 * const opt = new AdamW([new Float32Array(4)], { lr: 1e-3 });
 * const warmup = new LinearLR(opt, { startFactor: 0.1, totalIters: 5 }); // 1e-4 rising to 1e-3 over 5 epochs
 * warmup.step();
 * ```
 */
export class LinearLR extends LRScheduler {
  private startFactor: number;
  private endFactor: number;
  private totalIters: number;

  constructor(optimizer: SchedulableOptimizer, options: LinearLROptions = {}) {
    const groups = groupCount("LinearLR", optimizer);
    const o = optionsOf("LinearLR", options, ["startFactor", "endFactor", "totalIters", "lastEpoch"]);
    const startFactor = finite(given(o.startFactor, 1 / 3), "LinearLR options.startFactor", { min: 0, minOpen: true, max: 1 });
    const endFactor = finite(given(o.endFactor, 1), "LinearLR options.endFactor", { min: 0, max: 1 });
    const totalIters = whole(given(o.totalIters, 5), "LinearLR options.totalIters", 1);
    super("LinearLR", optimizer, groups, ...baseLrsFor("LinearLR", optimizer, o.lastEpoch));
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = totalIters;
    this.start();
  }

  protected lrsAt(epoch: number): number[] {
    const lrs = this.currentLrs();
    const { startFactor: s, endFactor: e, totalIters: n } = this;
    if (epoch === 0) return lrs.map((lr) => lr * s);
    if (epoch > n) return lrs;
    return lrs.map((lr) => lr * (1 + (e - s) / (n * s + (epoch - 1) * (e - s))));
  }

  protected override closedFormAt(epoch: number): number[] {
    const { startFactor: s, endFactor: e, totalIters: n } = this;
    return this.base.map((b) => b * (s + ((e - s) * Math.min(n, epoch)) / n));
  }

  protected override stateFields(): StateField[] {
    return [
      field("start_factor", () => this.startFactor, (v, w) => finite(v, w, { min: 0, minOpen: true, max: 1 }), (v) => { this.startFactor = v; }),
      field("end_factor", () => this.endFactor, (v, w) => finite(v, w, { min: 0, max: 1 }), (v) => { this.endFactor = v; }),
      field("total_iters", () => this.totalIters, (v, w) => whole(v, w, 1), (v) => { this.totalIters = v; }),
      ...super.stateFields(),
    ];
  }
}
