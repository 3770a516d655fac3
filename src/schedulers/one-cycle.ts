import { choice, finite, flag, given, list, optionsOf, perGroup, required, whole } from "./args.js";
import { field, groupCount, type Momenta, type SchedulableOptimizer, type StateField } from "./base.js";
import { replaceInitialLrs } from "./initial-lr.js";
import { LRScheduler } from "./lr-scheduler.js";
import { show } from "../options.js";

/** OneCycleLR options; torch's names in camelCase, torch's defaults. */
export interface OneCycleLROptions {
  /** Peak lr: one for every group, or one per group (torch `max_lr`). Required; >= 0. */
  maxLr: number | readonly number[];
  /** Steps in the cycle (torch `total_steps`). Give it, or both `epochs` and `stepsPerEpoch`; a whole number >= 1. */
  totalSteps?: number;
  /** With `stepsPerEpoch`, sets totalSteps = epochs · stepsPerEpoch when totalSteps is absent; a whole number >= 1. */
  epochs?: number;
  /** See `epochs`; a whole number >= 1. */
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent raising the lr (torch `pct_start`). Default 0.3; in [0, 1]. */
  pctStart?: number;
  /** Shape of each phase. Default "cos". */
  annealStrategy?: "cos" | "linear";
  /** Cycle `momentum` (or Adam's `betas[0]`) inversely to the lr. Default true; needs an optimizer that has one. */
  cycleMomentum?: boolean;
  /** Momentum at the lr's peak: one value, or one per group. Default 0.85; >= 0. */
  baseMomentum?: number | readonly number[];
  /** Momentum at the cycle's start and end: one value, or one per group. Default 0.95; >= 0. */
  maxMomentum?: number | readonly number[];
  /** The starting lr is maxLr / divFactor. Default 25; > 0. */
  divFactor?: number;
  /** The final lr is maxLr / divFactor / finalDivFactor. Default 1e4; > 0. */
  finalDivFactor?: number;
  /** Three phases (up, down to the start, then down to the final lr) instead of two. Default false. */
  threePhase?: boolean;
  /**
   * The step to resume after (torch `last_epoch`). Default -1: start afresh. The cycle's lrs
   * and momenta come from these options either way (torch reads them from the param groups).
   */
  lastEpoch?: number;
}

const OPTIONS = ["maxLr", "totalSteps", "epochs", "stepsPerEpoch", "pctStart", "annealStrategy", "cycleMomentum",
  "baseMomentum", "maxMomentum", "divFactor", "finalDivFactor", "threePhase", "lastEpoch"];
const LR_KEYS = ["initial_lr", "max_lr", "min_lr"] as const;
const MOMENTUM_KEYS = ["max_momentum", "base_momentum"] as const;

/** One phase as torch's `_schedule_phases` holds it: where it ends and which values it joins. */
interface Phase {
  end_step: number;
  start_lr: (typeof LR_KEYS)[number];
  end_lr: (typeof LR_KEYS)[number];
  start_momentum: (typeof MOMENTUM_KEYS)[number];
  end_momentum: (typeof MOMENTUM_KEYS)[number];
}
/** A group's values other than its initial lr (which is its base lr). */
type GroupValues = Record<"max_lr" | "min_lr" | (typeof MOMENTUM_KEYS)[number], number>;

function phasesFor(totalSteps: number, pctStart: number, threePhase: boolean): Phase[] {
  const up = pctStart * totalSteps - 1;
  const last = totalSteps - 1;
  return threePhase
    ? [
      { end_step: up, start_lr: "initial_lr", end_lr: "max_lr", start_momentum: "max_momentum", end_momentum: "base_momentum" },
      { end_step: 2 * pctStart * totalSteps - 2, start_lr: "max_lr", end_lr: "initial_lr", start_momentum: "base_momentum", end_momentum: "max_momentum" },
      { end_step: last, start_lr: "initial_lr", end_lr: "min_lr", start_momentum: "max_momentum", end_momentum: "max_momentum" },
    ]
    : [
      { end_step: up, start_lr: "initial_lr", end_lr: "max_lr", start_momentum: "max_momentum", end_momentum: "base_momentum" },
      { end_step: last, start_lr: "max_lr", end_lr: "min_lr", start_momentum: "base_momentum", end_momentum: "max_momentum" },
    ];
}

function parsePhase(v: unknown, where: string): Phase {
  if (typeof v !== "object" || v === null) throw new TypeError(`${where} must be a phase object, got ${show(v)}`);
  const p = v as Record<string, unknown>;
  return {
    end_step: finite(p.end_step, `${where}.end_step`),
    start_lr: choice(p.start_lr, `${where}.start_lr`, LR_KEYS),
    end_lr: choice(p.end_lr, `${where}.end_lr`, LR_KEYS),
    start_momentum: choice(p.start_momentum, `${where}.start_momentum`, MOMENTUM_KEYS),
    end_momentum: choice(p.end_momentum, `${where}.end_momentum`, MOMENTUM_KEYS),
  };
}

const annealCos = (start: number, end: number, pct: number): number => end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
const annealLinear = (start: number, end: number, pct: number): number => (end - start) * pct + start;

/**
 * torch's `OneCycleLR` (the 1cycle policy): over `totalSteps` steps the lr rises from
 * maxLr/divFactor to maxLr (the first pctStart of the cycle), then falls to
 * maxLr/divFactor/finalDivFactor; each phase follows a half cosine (or a line) between its ends:
 * cos: end + (start − end)/2 · (1 + cos(π·pct)). Momentum (or `betas[0]`) moves the other way,
 * between maxMomentum and baseMomentum. Not chainable: every step sets the lr outright.
 *
 * As in torch, `step()` may be called totalSteps times (the lrs of step totalSteps, which a loop
 * of totalSteps steps never uses, extend the last phase's curve); the next call throws. With
 * "linear" annealing that extension would go below 0, so the lr and momentum stay at the
 * cycle's final values for that step instead.
 *
 * @example
 * ```ts
 * const opt = new SGD([new Float32Array(4)], { lr: 0.1, momentum: 0.9 });
 * const sched = new OneCycleLR(opt, { maxLr: 0.1, epochs: 10, stepsPerEpoch: 100 }); // stepped after every batch
 * for (let batch = 0; batch < 1000; batch++) {
 *   opt.step([new Float32Array(4).fill(0.1)]);
 *   sched.step();
 * }
 * ```
 */
export class OneCycleLR extends LRScheduler {
  private totalSteps: number;
  private phases: Phase[];
  private readonly anneal: typeof annealCos;
  private cycleMomentum: boolean;
  /** What the optimizer's groups have to cycle: torch's `use_beta1` is `momentum === "betas"`. */
  private readonly momentum: "betas" | "momentum" | undefined;
  /** What torch keeps in each param group besides `initial_lr` (the base lr). */
  private values: GroupValues[];

  constructor(optimizer: SchedulableOptimizer, options: OneCycleLROptions) {
    const kind = "OneCycleLR", at = (k: string) => `${kind} options.${k}`;
    const groups = groupCount(kind, optimizer);
    const o = optionsOf(kind, options, OPTIONS);
    let totalSteps: number;
    if (o.totalSteps !== undefined) totalSteps = whole(o.totalSteps, at("totalSteps"), 1);
    else if (o.epochs !== undefined && o.stepsPerEpoch !== undefined) {
      totalSteps = whole(o.epochs, at("epochs"), 1) * whole(o.stepsPerEpoch, at("stepsPerEpoch"), 1);
    } else {
      throw new TypeError(`${kind} needs options.totalSteps, or both options.epochs and options.stepsPerEpoch; got ` +
        `totalSteps ${show(o.totalSteps)}, epochs ${show(o.epochs)}, stepsPerEpoch ${show(o.stepsPerEpoch)}`);
    }
    const pctStart = finite(given(o.pctStart, 0.3), at("pctStart"), { min: 0, max: 1 });
    const strategy = choice(given(o.annealStrategy, "cos"), at("annealStrategy"), ["cos", "linear"] as const);
    const maxLrs = perGroup(required(o, "maxLr", kind, "a finite number >= 0, or one per group"), at("maxLr"), groups, { min: 0 });
    const divFactor = finite(given(o.divFactor, 25), at("divFactor"), { min: 0, minOpen: true });
    const finalDivFactor = finite(given(o.finalDivFactor, 1e4), at("finalDivFactor"), { min: 0, minOpen: true });
    const threePhase = flag(given(o.threePhase, false), at("threePhase"));
    const cycleMomentum = flag(given(o.cycleMomentum, true), at("cycleMomentum"));
    const maxMomenta = perGroup(given(o.maxMomentum, 0.95), at("maxMomentum"), groups, { min: 0 });
    const baseMomenta = perGroup(given(o.baseMomentum, 0.85), at("baseMomentum"), groups, { min: 0 });
    const lastEpoch = o.lastEpoch === undefined ? -1 : whole(o.lastEpoch, at("lastEpoch"), -1);
    const momentum = optimizer.paramGroups.every((g) => Array.isArray(g.betas)) ? "betas"
      : optimizer.paramGroups.every((g) => typeof g.momentum === "number") ? "momentum" : undefined;
    if (cycleMomentum && !momentum) {
      throw new RangeError(`${kind} options.cycleMomentum is true, but ${show(optimizer)} has neither momentum nor betas; ` +
        "pass cycleMomentum: false");
    }
    const initialLrs = maxLrs.map((maxLr) => maxLr / divFactor);
    const values = maxLrs.map((maxLr, i) =>
      ({ max_lr: maxLr, min_lr: initialLrs[i]! / finalDivFactor, max_momentum: maxMomenta[i]!, base_momentum: baseMomenta[i]! }));
    super(kind, optimizer, groups, lastEpoch, initialLrs);
    this.totalSteps = totalSteps;
    this.phases = phasesFor(totalSteps, pctStart, threePhase);
    this.anneal = strategy === "cos" ? annealCos : annealLinear;
    this.cycleMomentum = cycleMomentum;
    this.momentum = momentum;
    this.values = values;
    this.step();
    if (lastEpoch === -1) replaceInitialLrs(optimizer, this.base);
  }

  protected lrsAt(step: number): number[] {
    return this.values.map((_, i) => this.at(step, i, "lr"));
  }

  protected override momentaAt(step: number): Momenta | undefined {
    if (!this.cycleMomentum) return undefined;
    return { values: this.values.map((_, i) => this.at(step, i, "momentum")), beta1: this.momentum === "betas" };
  }

  /** Group i's `what` at `step`: the phase holding the step, annealed between its ends. */
  private at(step: number, i: number, what: "lr" | "momentum"): number {
    if (step > this.totalSteps) {
      throw new RangeError(`OneCycleLR: tried to step ${step} times; the cycle has totalSteps = ${this.totalSteps}`);
    }
    const v = this.values[i]!;
    const lr = (key: Phase["start_lr"]) => (key === "initial_lr" ? this.base[i]! : v[key]);
    let startStep = 0;
    for (let k = 0; k < this.phases.length; k++) {
      const p = this.phases[k]!;
      if (step <= p.end_step || k === this.phases.length - 1) {
        if (p.end_step === startStep) {
          throw new RangeError(`OneCycleLR: phase ${k} of the cycle is empty (it ends at step ${p.end_step}, where it starts); ` +
            "choose another pctStart or totalSteps");
        }
        let pct = (step - startStep) / (p.end_step - startStep);
        // Only the step one past the cycle has pct > 1. torch extrapolates the line there, to a
        // negative lr that param groups refuse; the cycle's final values are kept instead.
        if (pct > 1 && this.anneal === annealLinear) pct = 1;
        return what === "lr" ? this.anneal(lr(p.start_lr), lr(p.end_lr), pct) : this.anneal(v[p.start_momentum], v[p.end_momentum], pct);
      }
      startStep = p.end_step;
    }
    throw new Error("unreachable: the last phase always matches");
  }

  protected override stateFields(): StateField[] {
    const n = this.groups;
    const perGroupValue = (key: keyof GroupValues): StateField => field(key, () => this.values.map((v) => v[key]),
      (v, w) => list(v, w, n, (x, wx) => finite(x, wx, { min: 0 })),
      (v) => { this.values = this.values.map((g, i) => ({ ...g, [key]: v[i]! })); }, true);
    return [
      field("total_steps", () => this.totalSteps, (v, w) => whole(v, w, 1), (v) => { this.totalSteps = v; }),
      field("_schedule_phases", () => this.phases.map((p) => ({ ...p })),
        (v, w) => {
          const phases = list(v, w, undefined, parsePhase);
          if (phases.length === 0) throw new RangeError(`${w} must hold at least one phase, got none`);
          return phases;
        }, (v) => { this.phases = v; }),
      field("cycle_momentum", () => this.cycleMomentum, (v, w) => {
        if (flag(v, w) && !this.momentum) throw new RangeError(`${w} is true, but the optimizer has neither momentum nor betas`);
        return v as boolean;
      }, (v) => { this.cycleMomentum = v; }),
      // Which of the two the optimizer has is its own affair; a loaded value must agree with it.
      field("use_beta1", () => (this.cycleMomentum ? this.momentum === "betas" : undefined), (v, w) => {
        if (flag(v, w) !== (this.momentum === "betas")) throw new RangeError(`${w} must be ${!v} for this optimizer, got ${v}`);
        return v as boolean;
      }, () => {}, true),
      // torch keeps these in the param groups; simdopt's groups hold only optimizer options.
      ...(["max_lr", "min_lr", ...MOMENTUM_KEYS] as const).map(perGroupValue),
      ...super.stateFields(),
    ];
  }
}
