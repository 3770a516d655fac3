// Learning-rate schedulers: torch's lr sequences (the lr-schedule fixtures) replayed while a
// real optimizer trains, then the semantics around them: closed forms, chaining, SequentialLR,
// ReduceLROnPlateau, OneCycleLR's momentum, lastEpoch, several param groups, all-or-nothing steps.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import {
  Adagrad, ConstantLR, CosineAnnealingLR, CosineAnnealingWarmRestarts, ExponentialLR, initSync, LambdaLR, LinearLR,
  MultiplicativeLR, MultiStepLR, OneCycleLR, PolynomialLR, ReduceLROnPlateau, SequentialLR, StepLR,
  type LRScheduler,
} from "../src/index.js";
import {
  adamLike, expectRefused, expectTorchLr, loadSchedule, rmsprop, SCHEDULE_DIR, scheduleIndex, schedulerFor,
} from "./helpers/schedules.js";

beforeAll(() => {
  initSync();
});

const index = scheduleIndex();
const close = (got: number, want: number, rel = 1e-12) => expect(Math.abs(got - want)).toBeLessThanOrEqual(rel * Math.abs(want));

describe("lr-schedule fixtures", () => {
  it("holds all 12 files, each listed once and unchanged", () => {
    expect(index).toHaveLength(12);
    const onDisk = readdirSync(SCHEDULE_DIR).filter((f) => f !== "index.json").sort();
    expect(index.map((e) => e.file).sort()).toEqual(onDisk);
    for (const e of index) {
      expect(e.format).toBe("lr-schedule/1");
      const sha = createHash("sha256").update(readFileSync(join(SCHEDULE_DIR, e.file))).digest("hex");
      expect(sha, e.file).toBe(e.sha256);
    }
  });

  it.each(index.map((e) => [e.file]))("%s: torch's lrs while RMSprop trains", (file) => {
    const fx = loadSchedule(file);
    const { opt, params, train } = rmsprop([fx.base_lr], { momentum: 0.9 });
    const sched = schedulerFor(opt, fx.scheduler, fx.args);
    const start = params[0]!.slice();
    fx.lrs.forEach((want, k) => {
      expectTorchLr(opt.paramGroups[0]!.lr, want, `${fx.id} lr at step ${k}`);
      if (fx.momentums) expectTorchLr(opt.paramGroups[0]!.momentum, fx.momentums[k]!, `${fx.id} momentum at step ${k}`);
      train();
      sched.step(fx.metrics?.[k]);
    });
    expect(params[0]).not.toEqual(start); // the optimizer really ran with those lrs
  });

  it.each(index.filter((e) => e.file.includes("onecycle")).map((e) => [e.file]))(
    "%s: cycles betas[0] on an Adam-shaped optimizer, leaving betas[1]",
    (file) => {
      const fx = loadSchedule(file);
      const opt = adamLike([fx.base_lr], [0.9, 0.995]);
      const sched = schedulerFor(opt, fx.scheduler, fx.args);
      fx.lrs.forEach((want, k) => {
        expectTorchLr(opt.paramGroups[0]!.lr, want, `lr at step ${k}`);
        expectTorchLr(opt.paramGroups[0]!.betas[0], fx.momentums![k]!, `beta1 at step ${k}`);
        expect(opt.paramGroups[0]!.betas[1]).toBe(0.995);
        sched.step();
      });
    },
  );
});

describe("recursive steps agree with the closed forms", () => {
  // Each schedule's documented formula, written out here, against what the steps produce.
  const base = 0.1;
  const cases: Array<[string, (o: ReturnType<typeof rmsprop>["opt"]) => LRScheduler, (e: number) => number]> = [
    ["StepLR", (o) => new StepLR(o, { stepSize: 3, gamma: 0.5 }), (e) => base * 0.5 ** Math.floor(e / 3)],
    ["MultiStepLR, a milestone listed twice", (o) => new MultiStepLR(o, { milestones: [7, 2, 7], gamma: 0.3 }),
      (e) => base * 0.3 ** [2, 7, 7].filter((m) => m <= e).length],
    ["ExponentialLR", (o) => new ExponentialLR(o, { gamma: 0.9 }), (e) => base * 0.9 ** e],
    ["ConstantLR", (o) => new ConstantLR(o, { factor: 0.25, totalIters: 4 }), (e) => base * (e < 4 ? 0.25 : 1)],
    ["LinearLR", (o) => new LinearLR(o, { startFactor: 0.2, endFactor: 0.9, totalIters: 6 }),
      (e) => base * (0.2 + (0.7 * Math.min(e, 6)) / 6)],
    ["PolynomialLR", (o) => new PolynomialLR(o, { totalIters: 8, power: 1.5 }), (e) => base * (1 - Math.min(e, 8) / 8) ** 1.5],
    ["CosineAnnealingLR over two periods", (o) => new CosineAnnealingLR(o, { tMax: 5, etaMin: 0.01 }),
      (e) => 0.01 + ((base - 0.01) * (1 + Math.cos((Math.PI * e) / 5))) / 2],
    ["CosineAnnealingWarmRestarts", (o) => new CosineAnnealingWarmRestarts(o, { t0: 3, tMult: 2, etaMin: 0.001 }), (e) => {
      let t = e, len = 3;
      while (t >= len) [t, len] = [t - len, len * 2];
      return 0.001 + ((base - 0.001) * (1 + Math.cos((Math.PI * t) / len))) / 2;
    }],
    ["LambdaLR", (o) => new LambdaLR(o, { lrLambda: (e) => 1 / (1 + e) }), (e) => base / (1 + e)],
    ["MultiplicativeLR", (o) => new MultiplicativeLR(o, { lrLambda: () => 0.8 }), (e) => base * 0.8 ** e],
  ];
  it.each(cases)("%s", (_name, make, formula) => {
    const { opt, train } = rmsprop([base]);
    const sched = make(opt);
    for (let e = 0; e <= 20; e++) {
      expect(sched.lastEpoch).toBe(e);
      const want = formula(e);
      if (want < 1e-15) expect(opt.paramGroups[0]!.lr).toBeLessThan(1e-15);
      else close(opt.paramGroups[0]!.lr, want, 1e-9);
      expect(sched.getLastLr()).toEqual([opt.paramGroups[0]!.lr]);
      train();
      sched.step();
    }
  });
});

describe("two schedulers on one optimizer", () => {
  it("compose: each scales the lr the other left, from the same initial lr", () => {
    const { opt, train } = rmsprop([1]);
    const constant = new ConstantLR(opt, { factor: 0.1, totalIters: 2 });
    const exp = new ExponentialLR(opt, { gamma: 0.9 });
    // The second takes its base lr from the initial lr the first recorded, not the lr it finds.
    expect(exp.baseLrs).toEqual([1]);
    for (let e = 0; e < 8; e++) {
      close(opt.paramGroups[0]!.lr, 0.9 ** e * (e < 2 ? 0.1 : 1));
      train();
      constant.step();
      exp.step();
    }
  });

  it("a schedule that is not chainable overrides the other each step", () => {
    const { opt } = rmsprop([0.5]);
    const step = new StepLR(opt, { stepSize: 1, gamma: 0.5 });
    const lambda = new LambdaLR(opt, { lrLambda: () => 1 });
    for (let e = 0; e < 4; e++) {
      expect(opt.paramGroups[0]!.lr).toBe(0.5); // LambdaLR rewrites baseLr · 1 after StepLR halves it
      step.step();
      lambda.step();
    }
  });
});

describe("SequentialLR", () => {
  it("undoes its schedulers' first steps, restarts the first, and starts the next at its epoch 0 at each milestone", () => {
    const base = 0.2;
    const { opt, train } = rmsprop([base]);
    const warm = new ConstantLR(opt, { factor: 0.5, totalIters: 3 });
    const exp = new ExponentialLR(opt, { gamma: 0.9 });
    const step = new StepLR(opt, { stepSize: 2, gamma: 0.1 });
    const seq = new SequentialLR(opt, { schedulers: [warm, exp, step], milestones: [4, 7] });
    expect([warm.lastEpoch, exp.lastEpoch, step.lastEpoch, seq.lastEpoch]).toEqual([0, -1, -1, 0]);
    const want = (e: number) =>
      e < 4 ? base * (e < 3 ? 0.5 : 1) // ConstantLR restores the lr at totalIters = 3
        : e < 7 ? base * 0.9 ** (e - 4) // from the base lr again at the milestone (closed form at 0)
          : base * 0.1 ** Math.floor((e - 7) / 2);
    for (let e = 0; e < 14; e++) {
      close(opt.paramGroups[0]!.lr, want(e));
      expect(seq.getLastLr()).toEqual([opt.paramGroups[0]!.lr]);
      expect(seq.lastEpoch).toBe(e);
      train();
      seq.step();
    }
    expect([warm.lastEpoch, exp.lastEpoch, step.lastEpoch]).toEqual([3, 2, 7]);
  });

  it("switches to the next scheduler's base lr at the milestone, not where the first left the lr", () => {
    const { opt } = rmsprop([0.1]);
    const warm = new LinearLR(opt, { startFactor: 0.5, endFactor: 0.5, totalIters: 2 });
    const cosine = new CosineAnnealingLR(opt, { tMax: 10 });
    const seq = new SequentialLR(opt, { schedulers: [warm, cosine], milestones: [3] });
    for (let e = 0; e < 3; e++) seq.step();
    expect(opt.paramGroups[0]!.lr).toBe(0.1); // cosine's closed form at epoch 0
    seq.step();
    close(opt.paramGroups[0]!.lr, ((0.1 * (1 + Math.cos(Math.PI / 10))) / 2));
  });

  // At a milestone torch calls step(0): the closed form at epoch 0 where the class has one,
  // else its recursive step at epoch 0 (which for MultiplicativeLR keeps the lr it finds).
  const atMilestone: Array<[string, (o: ReturnType<typeof rmsprop>["opt"]) => LRScheduler, number]> = [
    ["StepLR", (o) => new StepLR(o, { stepSize: 2 }), 1],
    ["MultiStepLR with a milestone at 0", (o) => new MultiStepLR(o, { milestones: [0, 4], gamma: 0.3 }), 0.3],
    ["ConstantLR", (o) => new ConstantLR(o, { factor: 0.25, totalIters: 2 }), 0.25],
    ["LinearLR", (o) => new LinearLR(o, { startFactor: 0.2 }), 0.2],
    ["ExponentialLR", (o) => new ExponentialLR(o, { gamma: 0.5 }), 1],
    ["PolynomialLR", (o) => new PolynomialLR(o, { totalIters: 4 }), 1],
    ["CosineAnnealingLR", (o) => new CosineAnnealingLR(o, { tMax: 4 }), 1],
    ["CosineAnnealingWarmRestarts", (o) => new CosineAnnealingWarmRestarts(o, { t0: 4 }), 1],
    ["LambdaLR", (o) => new LambdaLR(o, { lrLambda: (e) => e + 2 }), 2],
    ["MultiplicativeLR", (o) => new MultiplicativeLR(o, { lrLambda: () => 0.1 }), 0.5],
  ];
  it.each(atMilestone)("a %s taking over starts from its epoch-0 lr", (_name, make, factor) => {
    const { opt } = rmsprop([0.4]);
    const first = new ConstantLR(opt, { factor: 0.5, totalIters: 100 });
    const next = make(opt);
    const seq = new SequentialLR(opt, { schedulers: [first, next], milestones: [3] });
    for (let e = 1; e <= 3; e++) seq.step();
    expect(next.lastEpoch).toBe(0);
    close(opt.paramGroups[0]!.lr, 0.4 * factor);
  });

  it("lastEpoch offsets its epoch count", () => {
    const { opt } = rmsprop([0.1]);
    const a = new ConstantLR(opt, { factor: 0.5, totalIters: 100 });
    const b = new ExponentialLR(opt, { gamma: 0.5 });
    const seq = new SequentialLR(opt, { schedulers: [a, b], milestones: [5], lastEpoch: 2 });
    expect(seq.lastEpoch).toBe(3);
    seq.step();
    expect(opt.paramGroups[0]!.lr).toBe(0.05);
    seq.step(); // epoch 5: the milestone
    expect(opt.paramGroups[0]!.lr).toBe(0.1);
  });
});

describe("ReduceLROnPlateau", () => {
  /** Feeds metrics, returning the lr of group 0 after each step. */
  const run = (sched: ReduceLROnPlateau, opt: { paramGroups: ReadonlyArray<{ lr: number }> }, metrics: number[]) =>
    metrics.map((m) => {
      sched.step(m);
      return opt.paramGroups[0]!.lr;
    });

  it("reduces once patience is exceeded, and bad steps restart after a reduction", () => {
    const { opt } = rmsprop([1]);
    const sched = new ReduceLROnPlateau(opt, { patience: 2, factor: 0.5 });
    expect(opt.paramGroups[0]!.lr).toBe(1); // creating it changes nothing
    expect(run(sched, opt, [5, 5, 5, 5, 5, 5, 4, 4, 4, 4])).toEqual([1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25]);
    expect(sched.lastEpoch).toBe(10);
  });

  it("mode max looks for a rising metric", () => {
    const { opt } = rmsprop([1]);
    const sched = new ReduceLROnPlateau(opt, { mode: "max", patience: 0, factor: 0.5 });
    expect(run(sched, opt, [1, 2, 3, 2, 3.5, 3])).toEqual([1, 1, 1, 0.5, 0.5, 0.25]);
  });

  it("rel and abs thresholds differ in what counts as better", () => {
    // best 10, threshold 0.1: rel needs < 9, abs needs < 9.9, so 9.5 improves only under abs.
    for (const [thresholdMode, expected] of [["rel", 0.5], ["abs", 1]] as const) {
      const { opt } = rmsprop([1]);
      const sched = new ReduceLROnPlateau(opt, { patience: 0, factor: 0.5, threshold: 0.1, thresholdMode });
      run(sched, opt, [10, 9.5]);
      expect(opt.paramGroups[0]!.lr, thresholdMode).toBe(expected);
    }
    for (const [thresholdMode, expected] of [["rel", 0.5], ["abs", 1]] as const) {
      const { opt } = rmsprop([1]);
      const sched = new ReduceLROnPlateau(opt, { mode: "max", patience: 0, factor: 0.5, threshold: 0.1, thresholdMode });
      run(sched, opt, [10, 10.5]); // rel needs > 11, abs > 10.1
      expect(opt.paramGroups[0]!.lr, `max ${thresholdMode}`).toBe(expected);
    }
  });

  it("cooldown ignores bad steps after a reduction", () => {
    const { opt } = rmsprop([1]);
    const sched = new ReduceLROnPlateau(opt, { patience: 0, cooldown: 2, factor: 0.5 });
    expect(run(sched, opt, [1, 1, 1, 1, 1, 1, 1])).toEqual([1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]);
  });

  it("minLr per group bounds each group, and eps skips tiny reductions", () => {
    const { opt } = rmsprop([1, 1, 1e-8]);
    const sched = new ReduceLROnPlateau(opt, { patience: 0, factor: 0.1, minLr: [0.05, 0, 0], eps: 1e-8 });
    for (const m of [1, 1, 1, 1]) sched.step(m);
    const lrs = opt.paramGroups.map((g) => g.lr);
    expect(lrs[0]).toBe(0.05);
    close(lrs[1]!, 1e-3);
    expect(lrs[2]).toBe(1e-8); // 1e-8 - 1e-9 is not more than eps
    expect(sched.getLastLr()).toEqual(lrs);
  });

  it("a NaN metric is never an improvement", () => {
    const { opt } = rmsprop([1]);
    const sched = new ReduceLROnPlateau(opt, { patience: 1, factor: 0.5 });
    expect(run(sched, opt, [NaN, NaN, NaN, 2, 3, 3])).toEqual([1, 0.5, 0.5, 0.5, 0.5, 0.25]);
  });
});

describe("OneCycleLR", () => {
  it("cycles RMSprop's momentum inversely to the lr, and RMSprop keeps a momentum buffer for it", () => {
    const { opt, train } = rmsprop([0.01]); // momentum 0: no buffer yet
    const sched = new OneCycleLR(opt, { maxLr: 0.5, totalSteps: 10, pctStart: 0.5, baseMomentum: 0.8, maxMomentum: 0.9 });
    expect(opt.paramGroups[0]!.momentum).toBe(0.9);
    close(opt.paramGroups[0]!.lr, 0.02); // torch's cosine gives maxLr/divFactor to within rounding
    const seen: Array<[number, number]> = [];
    for (let k = 0; k < 10; k++) {
      seen.push([opt.paramGroups[0]!.lr, opt.paramGroups[0]!.momentum]);
      train();
      sched.step();
    }
    expect(opt.stateDict().state[0]).toHaveProperty("momentum_buffer");
    const peak = seen.findIndex(([lr]) => lr === 0.5);
    expect(peak).toBe(4); // pctStart · totalSteps − 1
    expect(seen[peak]![1]).toBe(0.8);
    close(seen[9]![0], 0.02 / 1e4);
    close(seen[9]![1], 0.9);
    for (const [lr, m] of seen) {
      expect(lr).toBeGreaterThan(0);
      expect(m).toBeGreaterThanOrEqual(0.8);
      expect(m).toBeLessThanOrEqual(0.9);
    }
  });

  it("takes per-group values and epochs × stepsPerEpoch", () => {
    const { opt } = rmsprop([1, 1], { momentum: 0.5 });
    const sched = new OneCycleLR(opt, { maxLr: [1, 2], epochs: 2, stepsPerEpoch: 5, maxMomentum: [0.9, 0.7], baseMomentum: 0.6 });
    expect(sched.baseLrs).toEqual([1 / 25, 2 / 25]);
    expect(opt.paramGroups.map((g) => g.momentum)).toEqual([0.9, 0.7]);
    for (let k = 0; k < 10; k++) sched.step();
    expect(() => sched.step()).toThrow(RangeError);
  });

  it("refuses an optimizer without momentum or betas unless cycleMomentum is false", () => {
    const params = [new Float32Array(3)];
    const opt = new Adagrad(params, { lr: 0.3 });
    expectRefused(() => new OneCycleLR(opt, { maxLr: 1, totalSteps: 5 }), RangeError, "cycleMomentum", "Adagrad");
    expect(opt.paramGroups[0]!.lr).toBe(0.3);
    const sched = new OneCycleLR(opt, { maxLr: 1, totalSteps: 5, cycleMomentum: false });
    close(opt.paramGroups[0]!.lr, 0.04);
    sched.step();
  });

  it("allows totalSteps steps, as a training loop makes, then refuses the next and changes nothing", () => {
    for (const annealStrategy of ["cos", "linear"] as const) {
      const { opt } = rmsprop([0.1], { momentum: 0.9 });
      const sched = new OneCycleLR(opt, { maxLr: 1, totalSteps: 6, annealStrategy, threePhase: true });
      for (let k = 0; k < 6; k++) sched.step();
      const [lr, momentum] = [opt.paramGroups[0]!.lr, opt.paramGroups[0]!.momentum];
      expect(lr).toBeGreaterThanOrEqual(0);
      expectRefused(() => sched.step(), RangeError, "totalSteps = 6");
      expect([opt.paramGroups[0]!.lr, opt.paramGroups[0]!.momentum, sched.lastEpoch]).toEqual([lr, momentum, 6]);
    }
  });

  it("refuses a cycle whose first phase is empty (torch divides by zero there)", () => {
    const { opt } = rmsprop([0.1], { momentum: 0.9 });
    expectRefused(() => new OneCycleLR(opt, { maxLr: 1, totalSteps: 10, pctStart: 0.1 }), RangeError, "phase 0");
    expect([opt.paramGroups[0]!.lr, opt.paramGroups[0]!.momentum]).toEqual([0.1, 0.9]);
  });
});

describe("lastEpoch on construction", () => {
  it("resumes after the given epoch: the first step moves to lastEpoch + 1, recursively", () => {
    const { opt } = rmsprop([0.1]);
    new ConstantLR(opt, { factor: 1, totalIters: 0 }); // records the initial lr, changes nothing
    opt.paramGroups[0]!.lr = 0.05;
    const step = new StepLR(opt, { stepSize: 3, gamma: 0.5, lastEpoch: 2 });
    expect(step.lastEpoch).toBe(3);
    expect(step.baseLrs).toEqual([0.1]);
    expect(opt.paramGroups[0]!.lr).toBe(0.025); // epoch 3 is a multiple of stepSize: × gamma
  });

  it("CosineAnnealingLR's first step from lastEpoch uses its closed form", () => {
    const { opt } = rmsprop([0.1]);
    new ExponentialLR(opt, { gamma: 1 });
    opt.paramGroups[0]!.lr = 0.07;
    new CosineAnnealingLR(opt, { tMax: 10, lastEpoch: 4 });
    close(opt.paramGroups[0]!.lr, (0.1 * (1 + Math.cos(Math.PI / 2))) / 2);
  });

  it("is refused on an optimizer whose initial lrs no scheduler recorded (torch's KeyError)", () => {
    const { opt } = rmsprop([0.1]);
    expectRefused(() => new StepLR(opt, { stepSize: 2, lastEpoch: 5 }), RangeError, "lastEpoch", "5");
    expect(opt.paramGroups[0]!.lr).toBe(0.1);
    // and that refusal recorded nothing either
    expectRefused(() => new ExponentialLR(opt, { gamma: 0.5, lastEpoch: 1 }), RangeError, "lastEpoch");
  });
});

describe("several param groups", () => {
  it("each group follows the schedule from its own lr", () => {
    const { opt, train } = rmsprop([0.1, 0.02, 3]);
    const sched = new CosineAnnealingLR(opt, { tMax: 7, etaMin: 0.001 });
    for (let e = 0; e < 12; e++) {
      opt.paramGroups.forEach((g, i) => close(g.lr, 0.001 + (([0.1, 0.02, 3][i]! - 0.001) * (1 + Math.cos((Math.PI * e) / 7))) / 2));
      train();
      sched.step();
    }
  });

  it("per-group lambdas", () => {
    const { opt } = rmsprop([1, 2]);
    const sched = new LambdaLR(opt, { lrLambda: [(e) => 0.5 ** e, (e) => 1 + e] });
    sched.step();
    sched.step();
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.25, 6]);
  });
});

describe("a step is all or nothing", () => {
  it("an invalid lr from a lambda is refused before any group changes", () => {
    const { opt } = rmsprop([1, 1]);
    const sched = new LambdaLR(opt, { lrLambda: [() => 1, (e) => (e === 2 ? -1 : 1)] });
    sched.step();
    const before = { lrs: opt.paramGroups.map((g) => g.lr), epoch: sched.lastEpoch, last: sched.getLastLr(), sd: sched.stateDict() };
    expectRefused(() => sched.step(), RangeError, "paramGroups[1].lr", "-1");
    expect({ lrs: opt.paramGroups.map((g) => g.lr), epoch: sched.lastEpoch, last: sched.getLastLr(), sd: sched.stateDict() }).toEqual(before);
  });

  it("a group that refuses an assignment gets every written group its old value back", () => {
    let lr1 = 0.5;
    const strict = {
      get lr() { return lr1; },
      set lr(v: number) {
        if (v < 9) throw new RangeError(`lr ${v} too small`);
        lr1 = v;
      },
      betas: [0.9, 0.99] as const,
    };
    const opt = { paramGroups: [{ lr: 1, betas: [0.9, 0.99] as readonly [number, number] }, strict] };
    const sched = new OneCycleLR(opt, { maxLr: [10, 10], totalSteps: 4, divFactor: 1 });
    const before = JSON.stringify(opt.paramGroups);
    expectRefused(() => sched.step(), RangeError, "too small");
    expect(JSON.stringify(opt.paramGroups)).toBe(before);
    expect(sched.lastEpoch).toBe(0);
  });
});

describe("README", () => {
  it("the learning-rate example runs against the built package and prints what its comments say", () => {
    const root = join(import.meta.dirname, "..");
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const code = /### Learning-rate schedules[\s\S]*?```ts[^\n]*\n([\s\S]*?)```/.exec(readme)![1]!;
    const dir = mkdtempSync(join(tmpdir(), "simdopt-readme-"));
    try {
      const file = join(dir, "example.mjs");
      const dist = JSON.stringify(pathToFileURL(join(root, "dist", "index.js")).href);
      writeFileSync(file, code.replace('from "simdopt"', `from ${dist}`) +
        'if (w.some((x, i) => Math.abs(x - target[i]) > 0.03)) throw new Error(`w = ${w} is not near the target`);\n');
      const out = execFileSync(process.execPath, [file], { encoding: "utf8" });
      expect(out).toContain("[ 0.0001 ]");
      expect(out.trimEnd().endsWith("[ 0.00005 ]")).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
