// Scheduler state dicts: torch's keys, copies out, a resumed run identical to an uninterrupted
// one, and loads that check everything before changing anything.
import { beforeAll, describe, expect, it } from "vitest";
import {
  ConstantLR, CosineAnnealingLR, CosineAnnealingWarmRestarts, ExponentialLR, initSync, LambdaLR, LinearLR,
  MultiplicativeLR, MultiStepLR, OneCycleLR, PolynomialLR, ReduceLROnPlateau, SequentialLR, StepLR,
  type SchedulableOptimizer, type SchedulerStateDict,
} from "../src/index.js";
import { adamLike, expectRefused, rmsprop } from "./helpers/schedules.js";

beforeAll(() => {
  initSync();
});

interface Stepper {
  step(metric?: number): void;
  stateDict(): SchedulerStateDict;
  loadStateDict(sd: SchedulerStateDict): void;
  getLastLr(): number[];
}
/** A metric that falls, then stalls, then wobbles: ReduceLROnPlateau reduces a few times. */
const metric = (k: number) => (k < 6 ? 10 - k : 4 + 0.001 * (k % 3));

const BASE = ["base_lrs", "last_epoch", "_step_count", "_last_lr"];
const CASES: Record<string, { make: (o: SchedulableOptimizer) => Stepper; keys: string[] }> = {
  StepLR: { make: (o) => new StepLR(o, { stepSize: 3, gamma: 0.5 }), keys: ["step_size", "gamma", ...BASE] },
  MultiStepLR: { make: (o) => new MultiStepLR(o, { milestones: [2, 5, 5, 9] }), keys: ["milestones", "gamma", ...BASE] },
  ConstantLR: { make: (o) => new ConstantLR(o, { factor: 0.5, totalIters: 7 }), keys: ["factor", "total_iters", ...BASE] },
  LinearLR: { make: (o) => new LinearLR(o, { startFactor: 0.1, totalIters: 9 }), keys: ["start_factor", "end_factor", "total_iters", ...BASE] },
  ExponentialLR: { make: (o) => new ExponentialLR(o, { gamma: 0.8 }), keys: ["gamma", ...BASE] },
  PolynomialLR: { make: (o) => new PolynomialLR(o, { totalIters: 12, power: 2 }), keys: ["total_iters", "power", ...BASE] },
  CosineAnnealingLR: { make: (o) => new CosineAnnealingLR(o, { tMax: 4, etaMin: 1e-3 }), keys: ["T_max", "eta_min", ...BASE] },
  CosineAnnealingWarmRestarts: {
    make: (o) => new CosineAnnealingWarmRestarts(o, { t0: 2, tMult: 2, etaMin: 1e-4 }),
    keys: ["T_0", "T_i", "T_mult", "eta_min", "T_cur", ...BASE],
  },
  OneCycleLR: {
    make: (o) => new OneCycleLR(o, { maxLr: [1, 0.5], totalSteps: 14, threePhase: true }),
    keys: ["total_steps", "_schedule_phases", "cycle_momentum", "use_beta1", "max_lr", "min_lr", "max_momentum", "base_momentum", ...BASE],
  },
  LambdaLR: { make: (o) => new LambdaLR(o, { lrLambda: [(e) => 0.9 ** e, (e) => 1 / (e + 1)] }), keys: ["lr_lambdas", ...BASE] },
  MultiplicativeLR: { make: (o) => new MultiplicativeLR(o, { lrLambda: (e) => (e % 2 ? 0.5 : 1.5) }), keys: ["lr_lambdas", ...BASE] },
  ReduceLROnPlateau: {
    make: (o) => new ReduceLROnPlateau(o, { patience: 1, cooldown: 1, factor: 0.5, minLr: [0, 0.01] }),
    keys: ["factor", "min_lrs", "patience", "cooldown", "cooldown_counter", "mode", "threshold", "threshold_mode", "best",
      "num_bad_epochs", "mode_worse", "eps", "last_epoch", "_last_lr"],
  },
  SequentialLR: {
    make: (o) => new SequentialLR(o, {
      schedulers: [new LinearLR(o, { startFactor: 0.2, totalIters: 3 }), new CosineAnnealingWarmRestarts(o, { t0: 3 }), new ExponentialLR(o, { gamma: 0.7 })],
      milestones: [4, 9],
    }),
    keys: ["_schedulers", "_milestones", "last_epoch", "_last_lr"],
  },
};

describe.each(Object.entries(CASES))("%s state dict", (name, c) => {
  const stepOf = (s: Stepper, k: number) => (name === "ReduceLROnPlateau" ? s.step(metric(k)) : s.step());

  it("has torch's keys", () => {
    const sd = c.make(rmsprop([0.1, 0.3], { momentum: 0.9 }).opt).stateDict();
    expect(Object.keys(sd).sort()).toEqual([...c.keys].sort());
  });

  it("resumes identically after a save at any step, with the optimizer's own state dict", () => {
    const total = 13;
    for (const saveAt of [0, 4, 9]) {
      const a = rmsprop([0.1, 0.3], { momentum: 0.9 });
      const sa = c.make(a.opt);
      const trace = (opt: typeof a.opt) => opt.paramGroups.map((g) => [g.lr, g.momentum]);
      const want: unknown[] = [];
      let saved: [ReturnType<typeof a.opt.stateDict>, SchedulerStateDict] | undefined;
      for (let k = 0; k < total; k++) {
        if (k === saveAt) saved = structuredClone([a.opt.stateDict(), sa.stateDict()]);
        if (k >= saveAt) want.push([trace(a.opt), sa.getLastLr()]);
        a.train();
        stepOf(sa, k);
      }
      const b = rmsprop([0.1, 0.3], { momentum: 0.9 });
      const sb = c.make(b.opt);
      b.opt.loadStateDict(saved![0]);
      sb.loadStateDict(saved![1]);
      const got: unknown[] = [];
      for (let k = saveAt; k < total; k++) {
        got.push([trace(b.opt), sb.getLastLr()]);
        b.train();
        stepOf(sb, k);
      }
      expect(got, `saved at ${saveAt}`).toEqual(want);
      expect(sb.stateDict()).toEqual(sa.stateDict());
    }
  });

  it("gives copies, and refuses a damaged dict without changing anything", () => {
    const { opt } = rmsprop([0.1, 0.3], { momentum: 0.9 });
    const s = c.make(opt);
    for (let k = 0; k < 3; k++) stepOf(s, k);
    const before = structuredClone(s.stateDict());
    const sd = s.stateDict();
    (sd._last_lr as number[])[0] = 123;
    expect(s.stateDict()).toEqual(before);
    expectRefused(() => s.loadStateDict({ ...before, extra: 1 }), TypeError, `${name}.loadStateDict`, '"extra"');
    // A valid new last_epoch with a bad _last_lr (checked after it): neither may be applied.
    const later = (before.last_epoch as number) + 1;
    expectRefused(() => s.loadStateDict({ ...before, last_epoch: later, _last_lr: [0.1] }), RangeError, "_last_lr", "2 value(s)");
    expectRefused(() => s.loadStateDict({ ...before, last_epoch: "3" }), TypeError, "last_epoch");
    const { last_epoch: _, ...lacking } = before;
    expectRefused(() => s.loadStateDict(lacking), TypeError, '"last_epoch"');
    expectRefused(() => s.loadStateDict(null as never), TypeError, `${name}.loadStateDict`);
    expect(s.stateDict()).toEqual(before);
    expect(opt.paramGroups.map((g) => g.lr)).toEqual(before._last_lr);
    // torch's bookkeeping keys are accepted and ignored
    s.loadStateDict({ ...before, verbose: false, _get_lr_called_within_step: false });
    expect(s.stateDict()).toEqual(before);
  });
});

describe("loading checks each value before applying any", () => {
  const rows: Array<[string, () => Stepper, Record<string, unknown>, typeof TypeError | typeof RangeError, string]> = [
    ["StepLR", () => CASES.StepLR!.make(rmsprop([0.1]).opt), { step_size: 0 }, RangeError, "step_size"],
    ["StepLR", () => CASES.StepLR!.make(rmsprop([0.1]).opt), { base_lrs: [-1] }, RangeError, "base_lrs[0]"],
    ["StepLR", () => CASES.StepLR!.make(rmsprop([0.1]).opt), { last_epoch: -2 }, RangeError, "last_epoch"],
    ["MultiStepLR", () => CASES.MultiStepLR!.make(rmsprop([0.1]).opt), { milestones: [2, 5] }, TypeError, "milestones"],
    ["MultiStepLR", () => CASES.MultiStepLR!.make(rmsprop([0.1]).opt), { milestones: { "-1": 1 } }, RangeError, "milestones"],
    ["MultiStepLR", () => CASES.MultiStepLR!.make(rmsprop([0.1]).opt), { milestones: { 4: 0 } }, RangeError, "milestones[4]"],
    ["LinearLR", () => CASES.LinearLR!.make(rmsprop([0.1]).opt), { start_factor: 0 }, RangeError, "start_factor"],
    ["CosineAnnealingWarmRestarts", () => CASES.CosineAnnealingWarmRestarts!.make(rmsprop([0.1]).opt), { T_i: 0 }, RangeError, "T_i"],
    ["OneCycleLR", () => new OneCycleLR(rmsprop([0.1]).opt, { maxLr: 1, totalSteps: 9 }),
      { _schedule_phases: [{ end_step: 2, start_lr: "initial_lr", end_lr: "peak", start_momentum: "max_momentum", end_momentum: "base_momentum" }] },
      RangeError, "_schedule_phases[0].end_lr"],
    ["OneCycleLR", () => new OneCycleLR({ paramGroups: [{ lr: 0.1 }] }, { maxLr: 1, totalSteps: 9, cycleMomentum: false }),
      { cycle_momentum: true }, RangeError, "cycle_momentum"],
    ["OneCycleLR", () => new OneCycleLR(adamLike([0.1]), { maxLr: 1, totalSteps: 9 }), { use_beta1: false }, RangeError, "use_beta1"],
    ["OneCycleLR", () => new OneCycleLR(rmsprop([0.1]).opt, { maxLr: 1, totalSteps: 9 }), { max_lr: [1, 2] }, RangeError, "max_lr"],
    ["OneCycleLR", () => new OneCycleLR(rmsprop([0.1]).opt, { maxLr: 1, totalSteps: 9 }), { _schedule_phases: [] }, RangeError, "_schedule_phases"],
    ["LambdaLR", () => new LambdaLR(rmsprop([0.1]).opt, { lrLambda: () => 1 }), { lr_lambdas: [{}] }, TypeError, "lr_lambdas[0]"],
    ["ReduceLROnPlateau", () => new ReduceLROnPlateau(rmsprop([0.1]).opt), { mode: "up" }, RangeError, "mode"],
    ["ReduceLROnPlateau", () => new ReduceLROnPlateau(rmsprop([0.1]).opt), { best: NaN }, RangeError, "best"],
    ["ReduceLROnPlateau", () => new ReduceLROnPlateau(rmsprop([0.1]).opt), { num_bad_epochs: -1 }, RangeError, "num_bad_epochs"],
    ["SequentialLR", () => CASES.SequentialLR!.make(rmsprop([0.1]).opt), { _milestones: [9, 4] }, RangeError, "_milestones"],
  ];
  it.each(rows)("%s: %o", (name, make, change, type, part) => {
    const s = make();
    s.step(1);
    const before = structuredClone(s.stateDict());
    // With a valid new last_epoch too: a loader that applied as it went could change it.
    const damaged: SchedulerStateDict = { ...before, last_epoch: (before.last_epoch as number) + 1, ...change };
    expectRefused(() => s.loadStateDict(damaged), type, `${name}.loadStateDict: ${part}`);
    expect(s.stateDict()).toEqual(before);
  });

  it("SequentialLR: a bad dict for one scheduler leaves the others and itself unchanged", () => {
    const s = CASES.SequentialLR!.make(rmsprop([0.1]).opt);
    for (let k = 0; k < 6; k++) s.step();
    const before = structuredClone(s.stateDict());
    const children = structuredClone(before._schedulers) as SchedulerStateDict[];
    children[0]!.last_epoch = 1;
    children[2] = { ...children[2], gamma: -1 };
    expectRefused(() => s.loadStateDict({ ...before, last_epoch: 2, _schedulers: children }), RangeError, "_schedulers[2]: gamma");
    expect(s.stateDict()).toEqual(before);
    expectRefused(() => s.loadStateDict({ ...before, _schedulers: children.slice(1) }), RangeError, "_schedulers");
  });

  it("OneCycleLR: cycle_momentum can be loaded on or off where the optimizer has momentum", () => {
    const { opt } = rmsprop([0.1], { momentum: 0.5 });
    const s = new OneCycleLR(opt, { maxLr: 1, totalSteps: 9, cycleMomentum: false });
    expect(s.stateDict()).not.toHaveProperty("use_beta1");
    s.loadStateDict({ ...s.stateDict(), cycle_momentum: true });
    expect(s.stateDict().use_beta1).toBe(false);
    s.step();
    expect(opt.paramGroups[0]!.momentum).not.toBe(0.5);
  });

  it("OneCycleLR loads a dict without the group values torch keeps in the optimizer", () => {
    const { opt } = rmsprop([0.1], { momentum: 0.9 });
    const s = new OneCycleLR(opt, { maxLr: 2, totalSteps: 10 });
    const { max_lr: _a, min_lr: _b, max_momentum: _c, base_momentum: _d, ...torchLike } = s.stateDict();
    s.step();
    s.loadStateDict(torchLike);
    expect(s.lastEpoch).toBe(0);
    expect(s.stateDict().max_lr).toEqual([2]);
  });
});
