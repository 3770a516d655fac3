import { finite, given, optionsOf, required, whole } from "./args.js";
import { field, groupCount, type SchedulableOptimizer, type StateField } from "./base.js";
import { baseLrsFor, LRScheduler } from "./lr-scheduler.js";

/** CosineAnnealingLR options; torch's names in camelCase, torch's defaults. */
export interface CosineAnnealingLROptions {
  /** Epochs from the base lr down to etaMin: half a cosine period (torch `T_max`). Required; a whole number >= 1. */
  tMax: number;
  /** The lowest lr (torch `eta_min`). Default 0; >= 0. */
  etaMin?: number;
  /** The epoch to resume after (torch `last_epoch`). Default -1: start afresh. */
  lastEpoch?: number;
}

/**
 * torch's `CosineAnnealingLR`: lr = etaMin + (baseLr − etaMin) · (1 + cos(π·epoch/tMax)) / 2,
 * reached recursively as torch does: each epoch scales (lr − etaMin) by
 * (1 + cos(π·e/tMax)) / (1 + cos(π·(e−1)/tMax)). Past tMax the cosine keeps going, so the lr
 * rises again (a period of 2·tMax), as in torch.
 *
 * @example
 * ```ts
 * const opt = new RMSprop([new Float32Array(4)], { lr: 0.01 });
 * const sched = new CosineAnnealingLR(opt, { tMax: 100, etaMin: 1e-5 }); // per epoch, or per batch with tMax in batches
 * for (let epoch = 0; epoch < 100; epoch++) sched.step();
 * sched.getLastLr(); // [1e-5]
 * ```
 */
export class CosineAnnealingLR extends LRScheduler {
  private tMax: number;
  private etaMin: number;

  constructor(optimizer: SchedulableOptimizer, options: CosineAnnealingLROptions) {
    const groups = groupCount("CosineAnnealingLR", optimizer);
    const o = optionsOf("CosineAnnealingLR", options, ["tMax", "etaMin", "lastEpoch"]);
    const tMax = whole(required(o, "tMax", "CosineAnnealingLR", "a whole number >= 1"), "CosineAnnealingLR options.tMax", 1);
    const etaMin = finite(given(o.etaMin, 0), "CosineAnnealingLR options.etaMin", { min: 0 });
    super("CosineAnnealingLR", optimizer, groups, ...baseLrsFor("CosineAnnealingLR", optimizer, o.lastEpoch));
    this.tMax = tMax;
    this.etaMin = etaMin;
    this.start();
  }

  protected lrsAt(epoch: number): number[] {
    const { tMax: t, etaMin: eta } = this;
    const lrs = this.currentLrs();
    if (epoch === 0) return lrs;
    // The first step of a scheduler created with lastEpoch >= 0 has no previous lr to scale.
    if (this.stepCount === 0) return this.base.map((b) => eta + ((b - eta) * (1 + Math.cos((epoch * Math.PI) / t))) / 2);
    // Just past the cosine's minimum the ratio below would divide by 0; torch adds the rise
    // instead. (Python's % and JS's differ only in sign, which cannot turn a remainder into 0.)
    if ((epoch - 1 - t) % (2 * t) === 0) {
      return lrs.map((lr, i) => lr + ((this.base[i]! - eta) * (1 - Math.cos(Math.PI / t))) / 2);
    }
    const ratio = (1 + Math.cos((Math.PI * epoch) / t)) / (1 + Math.cos((Math.PI * (epoch - 1)) / t));
    return lrs.map((lr) => ratio * (lr - eta) + eta);
  }

  protected override closedFormAt(epoch: number): number[] {
    const { tMax: t, etaMin: eta } = this;
    return this.base.map((b) => eta + ((b - eta) * (1 + Math.cos((Math.PI * epoch) / t))) / 2);
  }

  protected override stateFields(): StateField[] {
    return [
      field("T_max", () => this.tMax, (v, w) => whole(v, w, 1), (v) => { this.tMax = v; }),
      field("eta_min", () => this.etaMin, (v, w) => finite(v, w, { min: 0 }), (v) => { this.etaMin = v; }),
      ...super.stateFields(),
    ];
  }
}

/** CosineAnnealingWarmRestarts options; torch's names in camelCase, torch's defaults. */
export interface CosineAnnealingWarmRestartsOptions {
  /** Epochs until the first restart (torch `T_0`). Required; a whole number >= 1. */
  t0: number;
  /** Each cycle is tMult times longer than the one before (torch `T_mult`). Default 1; a whole number >= 1. */
  tMult?: number;
  /** The lowest lr (torch `eta_min`). Default 0; >= 0. */
  etaMin?: number;
  /** The epoch to resume after (torch `last_epoch`). Default -1: start afresh. */
  lastEpoch?: number;
}

/**
 * torch's `CosineAnnealingWarmRestarts` (SGDR): lr = etaMin + (baseLr − etaMin) · (1 + cos(π·tCur/tI)) / 2,
 * where tCur counts epochs since the last restart and the cycle length tI starts at t0 and is
 * multiplied by tMult at each restart. Computed from the base lrs every step, so it does not
 * compose with other schedulers.
 *
 * @example
 * ```ts
 * const opt = new SGD([new Float32Array(4)], { lr: 0.1, momentum: 0.9 });
 * const sched = new CosineAnnealingWarmRestarts(opt, { t0: 10, tMult: 2 }); // restarts at epochs 10, 30, 70, ...
 * sched.step();
 * ```
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  private t0: number;
  private tI: number;
  private tMult: number;
  private etaMin: number;
  private tCur: number;

  constructor(optimizer: SchedulableOptimizer, options: CosineAnnealingWarmRestartsOptions) {
    const kind = "CosineAnnealingWarmRestarts";
    const groups = groupCount(kind, optimizer);
    const o = optionsOf(kind, options, ["t0", "tMult", "etaMin", "lastEpoch"]);
    const t0 = whole(required(o, "t0", kind, "a whole number >= 1"), `${kind} options.t0`, 1);
    const tMult = whole(given(o.tMult, 1), `${kind} options.tMult`, 1);
    const etaMin = finite(given(o.etaMin, 0), `${kind} options.etaMin`, { min: 0 });
    const [lastEpoch, base] = baseLrsFor(kind, optimizer, o.lastEpoch);
    super(kind, optimizer, groups, lastEpoch, base);
    this.t0 = t0;
    this.tI = t0;
    this.tMult = tMult;
    this.etaMin = etaMin;
    this.tCur = lastEpoch;
    this.start();
  }

  override step(): void {
    // A scheduler that has not started yet (lastEpoch -1) starts a cycle at epoch 0.
    if (this.epoch < 0) return this._stepAtZero();
    let tCur = this.tCur + 1, tI = this.tI;
    if (tCur >= tI) {
      tCur -= tI;
      tI *= this.tMult;
    }
    this.moveTo(this.epoch + 1, tCur, tI);
  }

  /** @internal */
  override _stepAtZero(): void {
    this.moveTo(0, 0, this.t0);
  }

  protected lrsAt(): number[] {
    const { etaMin: eta, tCur, tI } = this;
    return this.base.map((b) => eta + ((b - eta) * (1 + Math.cos((Math.PI * tCur) / tI))) / 2);
  }

  /** torch sets the cycle position, then computes the lrs from it; undone if the write fails. */
  private moveTo(epoch: number, tCur: number, tI: number): void {
    const before = [this.tCur, this.tI] as const;
    [this.tCur, this.tI] = [tCur, tI];
    try {
      this.commit(epoch, this.lrsAt(), false); // torch's restarting step() does not count steps
    } catch (e) {
      [this.tCur, this.tI] = before;
      throw e;
    }
  }

  protected override stateFields(): StateField[] {
    return [
      field("T_0", () => this.t0, (v, w) => whole(v, w, 1), (v) => { this.t0 = v; }),
      field("T_i", () => this.tI, (v, w) => whole(v, w, 1), (v) => { this.tI = v; }),
      field("T_mult", () => this.tMult, (v, w) => whole(v, w, 1), (v) => { this.tMult = v; }),
      field("eta_min", () => this.etaMin, (v, w) => finite(v, w, { min: 0 }), (v) => { this.etaMin = v; }),
      field("T_cur", () => this.tCur, (v, w) => whole(v, w, 0), (v) => { this.tCur = v; }),
      ...super.stateFields(),
    ];
  }
}
