// Every scheduler argument: a bad value is refused with a TypeError (wrong type) or RangeError
// (out of range) naming the argument and the value, and the optimizer is left as it was.
import { beforeAll, describe, expect, it } from "vitest";
import {
  ConstantLR, CosineAnnealingLR, CosineAnnealingWarmRestarts, ExponentialLR, initSync, LambdaLR, LinearLR,
  MultiplicativeLR, MultiStepLR, OneCycleLR, PolynomialLR, ReduceLROnPlateau, SequentialLR, StepLR,
  type SchedulableOptimizer,
} from "../src/index.js";
import { show } from "../src/options.js";
import { expectRefused, rmsprop } from "./helpers/schedules.js";

beforeAll(() => {
  initSync();
});

const MISSING = Symbol("missing");
type Bad = [key: string, value: unknown, type: typeof TypeError | typeof RangeError];
interface Case {
  make: (opt: SchedulableOptimizer, options: never) => unknown;
  good: Record<string, unknown>;
  bad: Bad[];
}

const f = (e: number) => 1 / (1 + e);
const nonWhole = (key: string, min: number): Bad[] =>
  [[key, min - 1, RangeError], [key, min + 0.5, RangeError], [key, NaN, RangeError], [key, String(min), TypeError]];
const nonFinite = (key: string): Bad[] =>
  [[key, NaN, RangeError], [key, Infinity, RangeError], [key, -Infinity, RangeError], [key, "0.5", TypeError], [key, null, TypeError]];
const lastEpoch: Bad[] = [["lastEpoch", -2, RangeError], ["lastEpoch", 0.5, RangeError], ["lastEpoch", "0", TypeError]];

const CASES: Record<string, Case> = {
  StepLR: {
    make: (o, x) => new StepLR(o, x),
    good: { stepSize: 3, gamma: 0.5 },
    bad: [["stepSize", MISSING, TypeError], ...nonWhole("stepSize", 1), ["gamma", -0.1, RangeError], ...nonFinite("gamma"), ...lastEpoch],
  },
  MultiStepLR: {
    make: (o, x) => new MultiStepLR(o, x),
    good: { milestones: [2, 5] },
    bad: [["milestones", MISSING, TypeError], ["milestones", 5, TypeError], ["milestones", [2, -1], RangeError],
      ["milestones", [1.5], RangeError], ["milestones", ["2"], TypeError], ["gamma", -1, RangeError], ...nonFinite("gamma"), ...lastEpoch],
  },
  ConstantLR: {
    make: (o, x) => new ConstantLR(o, x),
    good: {},
    bad: [["factor", 0, RangeError], ["factor", 1.01, RangeError], ...nonFinite("factor"), ...nonWhole("totalIters", 0), ...lastEpoch],
  },
  LinearLR: {
    make: (o, x) => new LinearLR(o, x),
    good: {},
    bad: [["startFactor", 0, RangeError], ["startFactor", 1.5, RangeError], ...nonFinite("startFactor"),
      ["endFactor", -0.1, RangeError], ["endFactor", 2, RangeError], ...nonFinite("endFactor"), ...nonWhole("totalIters", 1), ...lastEpoch],
  },
  ExponentialLR: {
    make: (o, x) => new ExponentialLR(o, x),
    good: { gamma: 0.9 },
    bad: [["gamma", MISSING, TypeError], ["gamma", -0.5, RangeError], ...nonFinite("gamma"), ...lastEpoch],
  },
  PolynomialLR: {
    make: (o, x) => new PolynomialLR(o, x),
    good: {},
    bad: [...nonWhole("totalIters", 1), ["power", -1, RangeError], ...nonFinite("power"), ...lastEpoch],
  },
  CosineAnnealingLR: {
    make: (o, x) => new CosineAnnealingLR(o, x),
    good: { tMax: 10 },
    bad: [["tMax", MISSING, TypeError], ...nonWhole("tMax", 1), ["etaMin", -1e-3, RangeError], ...nonFinite("etaMin"), ...lastEpoch],
  },
  CosineAnnealingWarmRestarts: {
    make: (o, x) => new CosineAnnealingWarmRestarts(o, x),
    good: { t0: 4 },
    bad: [["t0", MISSING, TypeError], ...nonWhole("t0", 1), ...nonWhole("tMult", 1), ["etaMin", -1, RangeError], ...nonFinite("etaMin"), ...lastEpoch],
  },
  OneCycleLR: {
    make: (o, x) => new OneCycleLR(o, x),
    good: { maxLr: 1, totalSteps: 20 },
    bad: [["maxLr", MISSING, TypeError], ["maxLr", -1, RangeError], ["maxLr", [1], RangeError], ["maxLr", [1, NaN], RangeError],
      ...nonFinite("maxLr"), ...nonWhole("totalSteps", 1), ["pctStart", 1.5, RangeError], ["pctStart", -0.1, RangeError],
      ...nonFinite("pctStart"), ["annealStrategy", "exp", RangeError], ["annealStrategy", 1, TypeError],
      ["cycleMomentum", "yes", TypeError], ["baseMomentum", -1, RangeError], ["baseMomentum", [0.8, 0.8, 0.8], RangeError],
      ["maxMomentum", [0.9], RangeError], ...nonFinite("maxMomentum"), ["divFactor", 0, RangeError], ...nonFinite("divFactor"),
      ["finalDivFactor", -1, RangeError], ["threePhase", 1, TypeError], ...lastEpoch],
  },
  ReduceLROnPlateau: {
    make: (o, x) => new ReduceLROnPlateau(o, x),
    good: {},
    bad: [["mode", "mid", RangeError], ["mode", 1, TypeError], ["factor", 1, RangeError], ["factor", -0.1, RangeError],
      ...nonFinite("factor"), ...nonWhole("patience", 0), ["threshold", -1, RangeError], ...nonFinite("threshold"),
      ["thresholdMode", "relative", RangeError], ["thresholdMode", false, TypeError], ...nonWhole("cooldown", 0),
      ["minLr", -1, RangeError], ["minLr", [0], RangeError], ["minLr", [0, "0"], TypeError], ...nonFinite("minLr"),
      ["eps", -1, RangeError], ...nonFinite("eps")],
  },
  LambdaLR: {
    make: (o, x) => new LambdaLR(o, x),
    good: { lrLambda: f },
    bad: [["lrLambda", MISSING, TypeError], ["lrLambda", 0.5, TypeError], ["lrLambda", [f], RangeError],
      ["lrLambda", [f, 2], TypeError], ...lastEpoch],
  },
  MultiplicativeLR: {
    make: (o, x) => new MultiplicativeLR(o, x),
    good: { lrLambda: f },
    bad: [["lrLambda", MISSING, TypeError], ["lrLambda", "f", TypeError], ["lrLambda", [f, f, f], RangeError], ...lastEpoch],
  },
};

/** The optimizer's visible state, to show a refusal changed nothing. */
const snapshot = (opt: ReturnType<typeof rmsprop>["opt"]) => JSON.stringify(opt.paramGroups.map((g) => [g.lr, g.momentum]));

describe.each(Object.entries(CASES))("%s refuses bad arguments", (name, c) => {
  const rows = c.bad.map(([key, value, type]) => [key, value === MISSING ? "absent" : show(value), type.name, value, type] as const);

  it.each(rows)("%s = %s: %s", (key, shown, _typeName, value, type) => {
    const { opt } = rmsprop([0.1, 0.2], { momentum: 0.5 });
    const before = snapshot(opt);
    const options: Record<string, unknown> = { ...c.good };
    if (value === MISSING) delete options[key];
    else options[key] = value;
    const err = expectRefused(() => c.make(opt, options as never), type, `${name} options.${key}`);
    if (value !== MISSING && !Array.isArray(value)) expect(err.message).toContain(shown);
    expect(snapshot(opt)).toBe(before);
    // Nor did it record the initial lrs: resuming still finds none.
    if (name !== "ReduceLROnPlateau") expectRefused(() => new ExponentialLR(opt, { gamma: 1, lastEpoch: 3 }), RangeError, "lastEpoch");
  });

  it("accepts the good options, and refuses unknown options, a non-object and a non-optimizer", () => {
    const { opt } = rmsprop([0.1, 0.2], { momentum: 0.5 });
    expectRefused(() => c.make(opt, { ...c.good, gama: 0.1 } as never), TypeError, `${name} options`, '"gama"');
    expectRefused(() => c.make(opt, 5 as never), TypeError, `${name} options`, "5");
    expectRefused(() => c.make({ paramGroups: [] } as never, c.good as never), TypeError, `${name}: optimizer`);
    expectRefused(() => c.make({ paramGroups: [{ lr: "0.1" }] } as never, c.good as never), TypeError, `${name}: optimizer`);
    expect(c.make(opt, c.good as never)).toBeInstanceOf(Object);
  });
});

describe("SequentialLR refuses bad arguments", () => {
  const setup = () => {
    const { opt } = rmsprop([0.1, 0.2]);
    const a = new LinearLR(opt, { startFactor: 0.5 });
    const b = new ExponentialLR(opt, { gamma: 0.9 });
    return { opt, a, b, state: () => JSON.stringify([opt.paramGroups.map((g) => g.lr), a.stateDict(), b.stateDict()]) };
  };
  const rows: Array<[string, (s: ReturnType<typeof setup>) => Record<string, unknown>, typeof TypeError | typeof RangeError, string]> = [
    ["schedulers absent", () => ({ milestones: [] }), TypeError, "options.schedulers"],
    ["schedulers not an array", (s) => ({ schedulers: s.a, milestones: [] }), TypeError, "options.schedulers"],
    ["no schedulers", () => ({ schedulers: [], milestones: [] }), RangeError, "options.schedulers"],
    ["a ReduceLROnPlateau", (s) => ({ schedulers: [s.a, new ReduceLROnPlateau(s.opt)], milestones: [3] }), TypeError, "options.schedulers[1]"],
    ["a SequentialLR", (s) => ({ schedulers: [new SequentialLR(s.opt, { schedulers: [s.b], milestones: [] })], milestones: [] }),
      TypeError, "options.schedulers[0]"],
    ["another optimizer's scheduler", (s) => ({ schedulers: [s.a, new StepLR(rmsprop([0.1, 0.2]).opt, { stepSize: 1 })], milestones: [3] }),
      RangeError, "options.schedulers[1]"],
    ["a scheduler twice", (s) => ({ schedulers: [s.a, s.a], milestones: [3] }), RangeError, "options.schedulers[1]"],
    ["milestones absent", (s) => ({ schedulers: [s.a, s.b] }), TypeError, "options.milestones"],
    ["too many milestones", (s) => ({ schedulers: [s.a, s.b], milestones: [3, 4] }), RangeError, "options.milestones"],
    ["a milestone 0", (s) => ({ schedulers: [s.a, s.b], milestones: [0] }), RangeError, "options.milestones[0]"],
    ["milestones not increasing", (s) => ({ schedulers: [s.a, s.b, new StepLR(s.opt, { stepSize: 2 })], milestones: [4, 4] }),
      RangeError, "options.milestones"],
    ["a milestone string", (s) => ({ schedulers: [s.a, s.b], milestones: ["3"] }), TypeError, "options.milestones[0]"],
    ["lastEpoch -2", (s) => ({ schedulers: [s.a, s.b], milestones: [3], lastEpoch: -2 }), RangeError, "options.lastEpoch"],
    ["an unknown option", (s) => ({ schedulers: [s.a, s.b], milestones: [3], milestone: [3] }), TypeError, 'options has unknown option "milestone"'],
  ];
  it.each(rows)("%s", (_name, options, type, part) => {
    const s = setup();
    const o = options(s); // creating the arguments may itself change the lrs
    const before = s.state();
    expectRefused(() => new SequentialLR(s.opt, o as never), type, `SequentialLR ${part}`);
    expect(s.state()).toBe(before);
  });
});

describe("bad values at step time", () => {
  it("ReduceLROnPlateau.step refuses a metric that is not a number, changing nothing", () => {
    const { opt } = rmsprop([0.1]);
    const sched = new ReduceLROnPlateau(opt, { patience: 0 });
    sched.step(1);
    const before = JSON.stringify(sched.stateDict());
    expectRefused(() => sched.step("2" as never), TypeError, "metric", '"2"');
    expectRefused(() => sched.step(undefined as never), TypeError, "metric");
    expect(JSON.stringify(sched.stateDict())).toBe(before);
  });

  it("LambdaLR and MultiplicativeLR refuse a factor that is not a number", () => {
    const { opt } = rmsprop([0.1]);
    const lambda = new LambdaLR(opt, { lrLambda: (e) => (e === 1 ? ("x" as never) : 1) });
    expectRefused(() => lambda.step(), TypeError, "lrLambda", '"x"', "epoch 1");
    expect([lambda.lastEpoch, opt.paramGroups[0]!.lr]).toEqual([0, 0.1]);
    const mult = new MultiplicativeLR(opt, { lrLambda: () => NaN });
    expectRefused(() => mult.step(), RangeError, "lr", "NaN");
    expect(opt.paramGroups[0]!.lr).toBe(0.1);
  });

  it("an lr that overflows is refused, not written", () => {
    const { opt } = rmsprop([1e300]);
    const sched = new ExponentialLR(opt, { gamma: 1e10 });
    expectRefused(() => sched.step(), RangeError, "Infinity");
    expect([opt.paramGroups[0]!.lr, sched.lastEpoch]).toEqual([1e300, 0]);
  });
});
