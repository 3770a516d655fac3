import { choice, finite, given, list, optionsOf, perGroup, whole } from "./args.js";
import { field, groupCount, Scheduler, type SchedulableOptimizer, type StateField } from "./base.js";
import { show } from "../options.js";

/** ReduceLROnPlateau options; torch's names in camelCase, torch's defaults. */
export interface ReduceLROnPlateauOptions {
  /** "min": the metric should fall (a loss); "max": it should rise (an accuracy). Default "min". */
  mode?: "min" | "max";
  /** New lr = lr · factor. Default 0.1; in [0, 1). */
  factor?: number;
  /** Steps without improvement tolerated; the next one reduces the lr. Default 10; a whole number >= 0. */
  patience?: number;
  /** How much better than the best a metric must be to count (see thresholdMode). Default 1e-4; >= 0. */
  threshold?: number;
  /** "rel": better than best · (1 ∓ threshold); "abs": better than best ∓ threshold. Default "rel". */
  thresholdMode?: "rel" | "abs";
  /** Steps after a reduction during which bad steps are not counted. Default 0; a whole number >= 0. */
  cooldown?: number;
  /** Lower bound of the lr: one for every group, or one per group (torch `min_lr`). Default 0; >= 0. */
  minLr?: number | readonly number[];
  /** A reduction smaller than eps is skipped. Default 1e-8; >= 0. */
  eps?: number;
}

const OPTIONS = ["mode", "factor", "patience", "threshold", "thresholdMode", "cooldown", "minLr", "eps"];

/**
 * torch's `ReduceLROnPlateau`: `step(metric)` after each evaluation; once the metric has not
 * improved for more than `patience` steps, every group's lr becomes max(lr · factor, minLr)
 * (unless that changes it by eps or less), then `cooldown` steps pass before bad steps count
 * again. A NaN metric never counts as an improvement.
 *
 * @example
 * ```ts
 * const opt = new RMSprop([new Float32Array(4)], { lr: 0.01 });
 * const sched = new ReduceLROnPlateau(opt, { factor: 0.5, patience: 2 });
 * for (const validationLoss of [0.9, 0.8, 0.81, 0.82, 0.83]) sched.step(validationLoss);
 * sched.getLastLr(); // [0.005]: 3 evaluations without improvement
 * ```
 */
export class ReduceLROnPlateau extends Scheduler {
  private mode: "min" | "max";
  private factor: number;
  private patience: number;
  private threshold: number;
  private thresholdMode: "rel" | "abs";
  private cooldown: number;
  private minLrs: number[];
  private eps: number;
  /** The best metric so far (torch `best`); starts at the worst value for the mode. */
  private best: number;
  private numBadEpochs = 0;
  private cooldownCounter = 0;
  private epoch = 0;

  constructor(optimizer: SchedulableOptimizer, options: ReduceLROnPlateauOptions = {}) {
    const kind = "ReduceLROnPlateau", at = (k: string) => `${kind} options.${k}`;
    const groups = groupCount(kind, optimizer);
    const o = optionsOf(kind, options, OPTIONS);
    const mode = choice(given(o.mode, "min"), at("mode"), ["min", "max"] as const);
    const factor = finite(given(o.factor, 0.1), at("factor"), { min: 0, max: 1, maxOpen: true });
    const patience = whole(given(o.patience, 10), at("patience"), 0);
    const threshold = finite(given(o.threshold, 1e-4), at("threshold"), { min: 0 });
    const thresholdMode = choice(given(o.thresholdMode, "rel"), at("thresholdMode"), ["rel", "abs"] as const);
    const cooldown = whole(given(o.cooldown, 0), at("cooldown"), 0);
    const minLrs = perGroup(given(o.minLr, 0), at("minLr"), groups, { min: 0 });
    const eps = finite(given(o.eps, 1e-8), at("eps"), { min: 0 });
    super(kind, optimizer, groups);
    this.mode = mode;
    this.factor = factor;
    this.patience = patience;
    this.threshold = threshold;
    this.thresholdMode = thresholdMode;
    this.cooldown = cooldown;
    this.minLrs = minLrs;
    this.eps = eps;
    this.best = this.modeWorse;
  }

  /** Steps taken (torch's `last_epoch`). */
  get lastEpoch(): number {
    return this.epoch;
  }

  /** Records one evaluation of the metric and reduces the lrs if it has stopped improving. */
  step(metric: number): void {
    if (typeof metric !== "number") throw new TypeError(`${this.kind}.step: metric must be a number, got ${show(metric)}`);
    let best = this.best, bad = this.numBadEpochs + 1, cooldown = this.cooldownCounter;
    if (this.isBetter(metric, best)) [best, bad] = [metric, 0];
    if (cooldown > 0) [cooldown, bad] = [cooldown - 1, 0]; // bad steps during cooldown do not count
    if (bad > this.patience) {
      this.write(this.currentLrs().map((lr, i) => {
        const reduced = Math.max(lr * this.factor, this.minLrs[i]!);
        return lr - reduced > this.eps ? reduced : lr;
      }));
      [cooldown, bad] = [this.cooldown, 0];
    }
    this.best = best;
    this.numBadEpochs = bad;
    this.cooldownCounter = cooldown;
    this.epoch++;
    this.lastLr = this.currentLrs();
  }

  private isBetter(a: number, best: number): boolean {
    const t = this.threshold;
    if (this.mode === "min") return this.thresholdMode === "rel" ? a < best * (1 - t) : a < best - t;
    return this.thresholdMode === "rel" ? a > best * (t + 1) : a > best + t;
  }

  private get modeWorse(): number {
    return this.mode === "min" ? Infinity : -Infinity;
  }

  protected stateFields(): StateField[] {
    const n = this.groups;
    const count = (v: unknown, w: string) => whole(v, w, 0);
    return [
      field("factor", () => this.factor, (v, w) => finite(v, w, { min: 0, max: 1, maxOpen: true }), (v) => { this.factor = v; }),
      field("min_lrs", () => [...this.minLrs], (v, w) => list(v, w, n, (x, wx) => finite(x, wx, { min: 0 })), (v) => { this.minLrs = v; }),
      field("patience", () => this.patience, count, (v) => { this.patience = v; }),
      field("cooldown", () => this.cooldown, count, (v) => { this.cooldown = v; }),
      field("cooldown_counter", () => this.cooldownCounter, count, (v) => { this.cooldownCounter = v; }),
      field("mode", () => this.mode, (v, w) => choice(v, w, ["min", "max"] as const), (v) => { this.mode = v; }),
      field("threshold", () => this.threshold, (v, w) => finite(v, w, { min: 0 }), (v) => { this.threshold = v; }),
      field("threshold_mode", () => this.thresholdMode, (v, w) => choice(v, w, ["rel", "abs"] as const), (v) => { this.thresholdMode = v; }),
      field("best", () => this.best, (v, w) => {
        if (typeof v !== "number") throw new TypeError(`${w} must be a number, got ${show(v)}`);
        if (Number.isNaN(v)) throw new RangeError(`${w} must not be NaN`);
        return v;
      }, (v) => { this.best = v; }),
      field("num_bad_epochs", () => this.numBadEpochs, count, (v) => { this.numBadEpochs = v; }),
      // Derived from mode, as torch re-derives it after loading; a loaded value is checked only for type.
      field("mode_worse", () => this.modeWorse, (v, w) => {
        if (typeof v !== "number") throw new TypeError(`${w} must be a number, got ${show(v)}`);
        return v;
      }, () => {}, true),
      field("eps", () => this.eps, (v, w) => finite(v, w, { min: 0 }), (v) => { this.eps = v; }),
      field("last_epoch", () => this.epoch, count, (v) => { this.epoch = v; }),
      field("_last_lr", () => [...this.lastLr], (v, w) => list(v, w, n, (x, wx) => finite(x, wx, { min: 0 })), (v) => { this.lastLr = v; }),
    ];
  }
}
