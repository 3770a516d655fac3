// Resuming training from one file equals never stopping: `saveState({ params: true, scheduler })`
// writes the weights, the optimizer and the scheduler; `loadState(bytes, { scheduler })` into a
// freshly built optimizer, scheduler and params restores all of it bit for bit, or refuses and
// changes none of it. Every family, both backends, both memory paths, two schedulers, with
// gradient clipping in the loop.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import {
  CheckpointError, clipGradNorm, CosineAnnealingWarmRestarts, init, LinearLR, OneCycleLR, ParamStore,
  ReduceLROnPlateau, RMSprop, SequentialLR, StepLR, type Optimizer, type Scheduler, type StateDict,
} from "../src/index.js";
import { encodeCheckpoint } from "../src/checkpoint.js";
import { engineOf } from "../src/optimizer.js";
import { decodeValue, encodeValue } from "../src/scheduler-bytes.js";
import { ByteWriter, firstByteDiff, reseal } from "./helpers/checkpoint-bytes.js";
import { optimizerClass } from "./helpers/replay.js";

/** Every family has an lr; schedulers need to see it. */
type AnyOptimizer = Optimizer<{ lr: number }>;
type Family = "RMSprop" | "Adagrad" | "SGD" | "Adam" | "AdamW";
type Path = "ParamStore" | "caller-owned arrays";
type SchedulerKind = "OneCycleLR" | "CosineAnnealingWarmRestarts";

/** Each family with options that use its buffers, and a second group with options of its own. */
const FAMILIES: Record<Family, { options: object; group1: object; cyclesMomentum: boolean }> = {
  RMSprop: { options: { lr: 0.01, momentum: 0.9, centered: true, weightDecay: 1e-3 }, group1: { alpha: 0.9 }, cyclesMomentum: true },
  Adagrad: { options: { lr: 0.1, lrDecay: 0.01, initialAccumulatorValue: 0.1 }, group1: { eps: 1e-6 }, cyclesMomentum: false },
  SGD: { options: { lr: 0.05, momentum: 0.9, nesterov: true }, group1: { weightDecay: 0.01 }, cyclesMomentum: true },
  Adam: { options: { lr: 0.01, amsgrad: true }, group1: { weightDecay: 0.01 }, cyclesMomentum: true },
  AdamW: { options: { lr: 0.01, weightDecay: 0.05 }, group1: { betas: [0.8, 0.99] }, cyclesMomentum: true },
};
const LAYOUT = { w1: 37, b1: 5, w2: 6 };
const NAMES = Object.keys(LAYOUT) as Array<keyof typeof LAYOUT>;
const STEPS = 12;
const MAX_NORM = 1;

const start = (i: number, j: number) => Math.sin(3 * i + j) * 2;
const target = (i: number, j: number) => Math.cos(5 * i + 2 * j);
/** Values nothing should be left holding after a load. */
const garbage = (j: number) => [NaN, 1e30, -7, 0.1][j % 4]!;

const dir = mkdtempSync(join(tmpdir(), "simdopt-resume-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  opt: AnyOptimizer;
  sched: Scheduler & { step(): void };
  params(): Float32Array[];
  /** One training step: gradients of the current params, clipped, then the optimizer's and the scheduler's steps. */
  train(s: number, log: bigint[]): void;
  dispose(): void;
}

const f64Bits = (x: number) => {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x);
  return dv.getBigUint64(0);
};

function makeRun(family: Family, path: Path, schedKind: SchedulerKind, init: (i: number, j: number) => number): Run {
  const sizes = NAMES.map((n) => LAYOUT[n]);
  const store = path === "ParamStore" ? new ParamStore(LAYOUT) : undefined;
  const own = sizes.map((n) => new Float32Array(n));
  const ownGrads = sizes.map((n) => new Float32Array(n).fill(garbage(n)));
  const params = () => (store ? store.params() : own);
  const grads = () => (store ? store.grads() : ownGrads);
  params().forEach((p, i) => p.forEach((_, j) => (p[j] = init(i, j))));
  grads().forEach((g) => g.fill(-3));
  const [w1, b1, w2] = params();
  const { options, group1, cyclesMomentum } = FAMILIES[family];
  const opt = new (optimizerClass(family))([{ params: [w1, b1] }, { params: [w2], ...group1 }], options) as AnyOptimizer;
  const sched = schedKind === "OneCycleLR"
    ? new OneCycleLR(opt, { maxLr: [0.05, 0.02], totalSteps: STEPS, cycleMomentum: cyclesMomentum })
    : new CosineAnnealingWarmRestarts(opt, { t0: 3, tMult: 2, etaMin: 1e-4 });
  return {
    opt, sched, params,
    train(s, log) {
      const ps = params(), gs = grads();
      ps.forEach((p, i) => p.forEach((x, j) => (gs[i]![j] = 2 * (x - target(i, j)) + 0.3 * Math.sin(7 * s + i + j))));
      // The store path clips through the optimizer (its store's slots), the other the arrays.
      const norm = clipGradNorm(store ? opt : gs, MAX_NORM);
      opt.step(store ? undefined : gs);
      sched.step();
      const groups = opt.paramGroups as unknown as Array<{ momentum?: number; betas?: [number, number] }>;
      log.push(f64Bits(norm), ...sched.getLastLr().map(f64Bits), ...groups.map((g) => f64Bits(g.momentum ?? g.betas?.[0] ?? -1)));
    },
    dispose() {
      opt.dispose();
      store?.dispose();
    },
  };
}

const u32 = (p: Float32Array) => Array.from(new Uint32Array(p.buffer, p.byteOffset, p.length));
/** A state dict with every float as its bits (so -0, NaN payloads and all compare exactly). */
const stateBits = (sd: StateDict) => ({
  state: sd.state.map((e) => Object.entries(e).map(([k, v]) => [k, v instanceof Float32Array ? u32(v) : v])),
  param_groups: sd.param_groups,
});
const everything = (r: Run) => r.opt.saveState({ params: true, scheduler: r.sched });

for (const backend of ["wasm", "js"] as const) {
  describe(`resuming from a file equals never stopping (${backend})`, () => {
    for (const family of Object.keys(FAMILIES) as Family[]) {
      for (const path of ["ParamStore", "caller-owned arrays"] as const) {
        for (const schedKind of ["OneCycleLR", "CosineAnnealingWarmRestarts"] as const) {
          it(`${family}, ${path}, ${schedKind}, clipGradNorm: saved after 0 and after 5 of ${STEPS} steps`, async () => {
            await init({ backend });
            const straight = makeRun(family, path, schedKind, start);
            const want: bigint[] = [];
            for (let s = 0; s < STEPS; s++) straight.train(s, want);
            const wantParams = straight.params().map(u32);
            const wantState = stateBits(straight.opt.stateDict());
            const wantSched = straight.sched.stateDict();
            const wantBytes = everything(straight);
            straight.dispose();

            for (const k of [0, 5]) {
              const first = makeRun(family, path, schedKind, start);
              const log: bigint[] = [];
              for (let s = 0; s < k; s++) first.train(s, log);
              const file = join(dir, `${backend}-${family}-${path}-${schedKind}-${k}.bin`);
              writeFileSync(file, first.opt.saveState({ params: true, scheduler: first.sched }));
              first.dispose();

              const resumed = makeRun(family, path, schedKind, (_, j) => garbage(j + 1));
              resumed.opt.loadState(readFileSync(file), { scheduler: resumed.sched });
              for (let s = k; s < STEPS; s++) resumed.train(s, log);
              expect(log, `k = ${k}: clip norms, lrs and momenta`).toEqual(want);
              expect(resumed.params().map(u32), `k = ${k}: params`).toEqual(wantParams);
              expect(stateBits(resumed.opt.stateDict()), `k = ${k}: state`).toEqual(wantState);
              expect(resumed.sched.stateDict(), `k = ${k}: scheduler state`).toEqual(wantSched);
              expect(firstByteDiff(everything(resumed), wantBytes), `k = ${k}: the whole checkpoint`).toBe(-1);
              resumed.dispose();
            }
          });
        }
      }
    }
  });
}

/** Everything a load could change: params, optimizer (options and state), scheduler. */
function snapshot(r: Run) {
  return { params: r.params().map(u32), opt: r.opt.saveState(), sched: r.sched.stateDict(), lrs: r.opt.paramGroups.map((g) => g.lr) };
}

/** `fn` throws `type` with a message matching `why`, and `r` keeps every bit. */
function refusedUnchanged(r: Run, fn: () => unknown, type: new (...a: never[]) => Error, why: RegExp, label = why.source): void {
  const before = snapshot(r);
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, `${label}: the checkpoint was loaded`).toBeInstanceOf(type);
  expect((err as Error).message, label).toMatch(why);
  const after = snapshot(r);
  expect(after.params, `${label}: params`).toEqual(before.params);
  expect(firstByteDiff(after.opt, before.opt), `${label}: optimizer`).toBe(-1);
  expect(after.sched, `${label}: scheduler`).toEqual(before.sched);
  expect(after.lrs, `${label}: lrs`).toEqual(before.lrs);
}

/** A trained run's checkpoint written again with `edit` applied to its parts. */
function rewritten(r: Run, edit: (c: { dict: StateDict; params: Float32Array[]; sched: Record<string, unknown> }) => void): Uint8Array {
  const e = engineOf(r.opt);
  const c = { dict: r.opt.stateDict(), params: r.params().map((p) => p.slice()), sched: r.sched.stateDict() };
  edit(c);
  return encodeCheckpoint({
    dict: c.dict, policy: e.policy, skippedSteps: e.skippedSteps, lengths: e.tensors.map((t) => t.length),
    params: c.params, scheduler: { kind: r.sched._kind, state: c.sched },
  }, e.family);
}

for (const backend of ["wasm", "js"] as const) {
  describe(`loading params and scheduler state is all or nothing (${backend})`, () => {
    /** A run trained 4 steps (the source of files) and a target trained 2 steps from other params. */
    function pair(path: Path, family: Family = "Adam") {
      const source = makeRun(family, path, "OneCycleLR", start);
      const log: bigint[] = [];
      for (let s = 0; s < 4; s++) source.train(s, log);
      const into = makeRun(family, path, "OneCycleLR", (i, j) => start(j, i));
      for (let s = 0; s < 2; s++) into.train(s, log);
      return { source, into };
    }

    for (const path of ["ParamStore", "caller-owned arrays"] as const) {
      it(`${path}: a params section cut short, or damaged, changes nothing`, async () => {
        await init({ backend });
        const { source, into } = pair(path);
        const good = everything(source);
        const sched = source.sched.stateDict();
        const schedBytes = encodeValue(sched, "test");
        const schedSection = 1 + "OneCycleLR".length + 4 + schedBytes.length;
        const paramsEnd = good.length - 4 - schedSection;
        // The params section without its last float, then the scheduler section, resealed.
        const cut = new Uint8Array(good.length - 4);
        cut.set(good.subarray(0, paramsEnd - 4));
        cut.set(good.subarray(paramsEnd, good.length), paramsEnd - 4);
        refusedUnchanged(into, () => into.opt.loadState(reseal(cut), { scheduler: into.sched }), CheckpointError,
          /truncated checkpoint: the scheduler's state take\(s\) at least \d+ bytes, but \d+ byte\(s\) remain/);
        // A flipped bit in the params' floats, not resealed.
        const flipped = good.slice();
        flipped[paramsEnd - 10]! ^= 0x10;
        refusedUnchanged(into, () => into.opt.loadState(flipped, { scheduler: into.sched }), CheckpointError, /checksum mismatch/);
        // The flags claim a params section the file lacks.
        const noParams = source.opt.saveState({ scheduler: source.sched });
        noParams[11]! |= 2;
        refusedUnchanged(into, () => into.opt.loadState(reseal(noParams), { scheduler: into.sched }), CheckpointError,
          /the scheduler section claims \d+ bytes; a checkpoint holds at most 16777216/);
        // The same file undamaged loads all of it.
        into.opt.loadState(good, { scheduler: into.sched });
        expect(firstByteDiff(everything(into), good)).toBe(-1);
        source.dispose();
        into.dispose();
      });

      it(`${path}: scheduler state that the scheduler's own loader refuses changes nothing, params included`, async () => {
        await init({ backend });
        const { source, into } = pair(path);
        const bad: Array<[string, (s: Record<string, unknown>) => void, RegExp]> = [
          ["total_steps 0", (s) => { s.total_steps = 0; }, /total_steps must be a whole number >= 1, got 0/],
          ["a negative last_epoch", (s) => { s.last_epoch = -5; }, /last_epoch must be a whole number >= -1, got -5/],
          ["base_lrs for one group", (s) => { s.base_lrs = [0.1]; }, /base_lrs must have 2 value\(s\)/],
          ["an unknown key", (s) => { s.gamma = 0.5; }, /unknown key "gamma" for OneCycleLR/],
          ["a missing key", (s) => { delete s._step_count; }, /lacks "_step_count"/],
          ["a phase that is not an object", (s) => { s._schedule_phases = [1]; }, /_schedule_phases\[0\] must be a phase object/],
          ["Infinity in _last_lr", (s) => { s._last_lr = [Infinity, 0.1]; }, /_last_lr\[0\] must be a finite number >= 0, got Infinity/],
          ["a string for an lr", (s) => { s.max_lr = ["0.1", 0.1]; }, /max_lr\[0\] must be a number/],
        ];
        for (const [what, edit, why] of bad) {
          const bytes = rewritten(source, (c) => edit(c.sched));
          refusedUnchanged(into, () => into.opt.loadState(bytes, { scheduler: into.sched }), CheckpointError,
            new RegExp(`loadState: the checkpoint's OneCycleLR state: .*${why.source}.*; the optimizer and the scheduler were not changed`), what);
        }
        // Not a state dict at all: null, an array, a number.
        for (const state of [null, [1, 2], 3]) {
          const e = engineOf(source.opt);
          const bytes = encodeCheckpoint({
            dict: source.opt.stateDict(), policy: e.policy, skippedSteps: 0, lengths: e.tensors.map((t) => t.length),
            params: source.params(), scheduler: { kind: "OneCycleLR", state },
          }, e.family);
          refusedUnchanged(into, () => into.opt.loadState(bytes, { scheduler: into.sched }), CheckpointError, /expected a state dict object/);
        }
        source.dispose();
        into.dispose();
      });

      it(`${path}: an optimizer part that does not fit changes neither params nor scheduler`, async () => {
        await init({ backend });
        const { source, into } = pair(path);
        const cases: Array<[(c: { dict: StateDict; params: Float32Array[] }) => void, RegExp]> = [
          [(c) => { c.dict.param_groups[1]!.lr = -1; }, /param_groups\[1\]\.lr must be a finite number >= 0/],
          [(c) => { c.dict.state[2]!.step = 0.5; }, /state\[2\]\.step must be a whole number >= 0/],
          [(c) => { delete c.dict.state[0]!.exp_avg; }, /state\[0\] lacks exp_avg/],
        ];
        for (const [edit, why] of cases) {
          refusedUnchanged(into, () => into.opt.loadState(rewritten(source, edit), { scheduler: into.sched }), CheckpointError, why);
        }
        source.dispose();
        into.dispose();
      });
    }

    it("a checkpoint with scheduler state needs that scheduler; one without refuses a scheduler", async () => {
      await init({ backend });
      const { source, into } = pair("ParamStore");
      const withSched = everything(source);
      refusedUnchanged(into, () => into.opt.loadState(withSched), CheckpointError,
        /the checkpoint holds OneCycleLR state; pass that scheduler as options\.scheduler to restore it/);
      const other = new StepLR(into.opt, { stepSize: 2 });
      const intoOther = { ...into, sched: other } as Run;
      refusedUnchanged(intoOther, () => into.opt.loadState(withSched, { scheduler: other }), CheckpointError,
        /the checkpoint holds OneCycleLR state, not the StepLR state options\.scheduler takes/);
      refusedUnchanged(into, () => into.opt.loadState(source.opt.saveState({ params: true }), { scheduler: into.sched }), CheckpointError,
        /options\.scheduler was given, but the checkpoint holds no scheduler state/);
      // A scheduler of another optimizer is refused before the bytes are read.
      refusedUnchanged(into, () => into.opt.loadState(withSched, { scheduler: source.sched }), RangeError,
        /Adam\.loadState: options\.scheduler \(OneCycleLR\) drives another optimizer/);
      source.dispose();
      into.dispose();
    });

    it("params whose store was disposed or whose array was detached are refused before anything changes", async () => {
      await init({ backend });
      // A store disposed under the optimizer.
      const { source, into } = pair("ParamStore");
      const bytes = everything(source);
      const optBefore = into.opt.saveState();
      const schedBefore = into.sched.stateDict();
      const store = (engineOf(into.opt).tensors[0]!.store!).store;
      store.dispose();
      expect(() => into.opt.loadState(bytes, { scheduler: into.sched })).toThrow(/Adam\.loadState: the ParamStore of params\[0\] was disposed/);
      expect(firstByteDiff(into.opt.saveState(), optBefore)).toBe(-1);
      expect(into.sched.stateDict()).toEqual(schedBefore);
      expect(() => into.opt.saveState({ params: true })).toThrow(/Adam\.saveState: the ParamStore of params\[0\] was disposed/);
      // A caller-owned array transferred away.
      const arrays = pair("caller-owned arrays");
      const arrayBytes = everything(arrays.source);
      const before = arrays.into.opt.saveState();
      const [w1] = arrays.into.params();
      structuredClone(w1!.buffer, { transfer: [w1!.buffer] });
      expect(() => arrays.into.opt.loadState(arrayBytes, { scheduler: arrays.into.sched }))
        .toThrow(new TypeError("Adam.loadState: params[0] now has length 0, not 37; its buffer was detached or transferred"));
      expect(firstByteDiff(arrays.into.opt.saveState(), before)).toBe(-1);
      expect(() => arrays.into.opt.saveState({ params: true })).toThrow(/params\[0\] now has length 0/);
      for (const r of [source, arrays.source, arrays.into]) r.dispose();
      into.opt.dispose();
    });

    it("wrong shapes are refused: other lengths, other groups, another family", async () => {
      await init({ backend });
      const { source } = pair("caller-owned arrays");
      const bytes = everything(source);
      const expectRefused = (opt: AnyOptimizer, why: RegExp) => {
        const scheduler = new OneCycleLR(opt, { maxLr: [0.05, 0.02], totalSteps: STEPS });
        const before = opt.saveState();
        expect(() => opt.loadState(bytes, { scheduler })).toThrow(why);
        expect(firstByteDiff(opt.saveState(), before)).toBe(-1);
      };
      const Adam = optimizerClass("Adam");
      const longer = new Adam([{ params: [new Float32Array(37), new Float32Array(5)] }, { params: [new Float32Array(7)] }]) as AnyOptimizer;
      expectRefused(longer, /tensor 2 has 6 element\(s\) in the checkpoint, 7 here/);
      const regrouped = new Adam([{ params: [new Float32Array(37)] }, { params: [new Float32Array(5), new Float32Array(6)] }]) as AnyOptimizer;
      expectRefused(regrouped, /param group 0 has 2 tensor\(s\) in the checkpoint, 1 here/);
      const oneGroup = new Adam([new Float32Array(37), new Float32Array(5), new Float32Array(6)]) as AnyOptimizer;
      expect(() => oneGroup.loadState(bytes, { scheduler: new OneCycleLR(oneGroup, { maxLr: 0.05, totalSteps: STEPS }) }))
        .toThrow(/the checkpoint has 2 param group\(s\), this optimizer 1/);
      const sgd = optimizerClass("SGD");
      const other = new sgd([{ params: [new Float32Array(37), new Float32Array(5)] }, { params: [new Float32Array(6)] }], { lr: 0.1, momentum: 0.9 }) as AnyOptimizer;
      expectRefused(other, /the checkpoint is for Adam, not SGD/);
      source.dispose();
    });
  });
}

describe("version 1 stays what it was", () => {
  it("saveState() without params or scheduler writes version 1 exactly as its layout says", async () => {
    await init({ backend: "js" });
    const r = makeRun("RMSprop", "caller-owned arrays", "OneCycleLR", start);
    r.train(0, []);
    const sd = r.opt.stateDict();
    // The documented version-1 layout, written out field by field from the state dict.
    const w = new ByteWriter().header({ kind: 1, groups: 2 });
    for (const g of sd.param_groups) {
      const opts = Object.entries(g).filter(([k]) => k !== "params");
      w.u32(g.params.length).u8(opts.length);
      for (const [k, v] of opts) {
        w.u8(k.length).bytes([...k].map((ch) => ch.charCodeAt(0))).u8(typeof v === "boolean" ? 1 : 0).f64(Number(v));
      }
    }
    for (const e of sd.state) {
      const bufs = ["square_avg", "momentum_buffer", "grad_avg"].map((k) => e[k] as Float32Array);
      w.u32(bufs[0]!.length).f64(e.step!).u8(0b111);
      for (const b of bufs) w.bytes(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
    }
    const bytes = r.opt.saveState();
    expect(firstByteDiff(bytes, w.seal())).toBe(-1);
    expect(bytes[8]).toBe(1);
    expect(firstByteDiff(r.opt.saveState({}), bytes)).toBe(-1);
    expect(firstByteDiff(r.opt.saveState({ params: false }), bytes)).toBe(-1);
    r.dispose();
  });

  it("a version-1 file loads as before and leaves the params alone; its flags cannot claim sections", async () => {
    await init({ backend: "wasm" });
    const source = makeRun("SGD", "ParamStore", "CosineAnnealingWarmRestarts", start);
    for (let s = 0; s < 3; s++) source.train(s, []);
    const v1 = source.opt.saveState();
    const into = makeRun("SGD", "ParamStore", "CosineAnnealingWarmRestarts", (_, j) => garbage(j));
    const params = into.params().map(u32);
    into.opt.loadState(v1);
    expect(firstByteDiff(into.opt.saveState(), v1)).toBe(-1);
    expect(into.params().map(u32)).toEqual(params);
    for (const flags of [3, 5, 7]) {
      const b = v1.slice();
      b[11] = flags;
      refusedUnchanged(into, () => into.opt.loadState(reseal(b)), CheckpointError, new RegExp(`unknown flags ${flags} in a version 1 checkpoint`));
    }
    const v3 = v1.slice();
    v3[8] = 3;
    refusedUnchanged(into, () => into.opt.loadState(reseal(v3)), CheckpointError, /checkpoint format version 3; this build reads versions 1 and 2/);
    source.dispose();
    into.dispose();
  });

  it("version 2 is written only with a section, and then holds exactly the sections asked for", async () => {
    await init({ backend: "js" });
    const r = makeRun("Adagrad", "caller-owned arrays", "OneCycleLR", start);
    r.train(0, []);
    const v1 = r.opt.saveState();
    const p = r.opt.saveState({ params: true });
    const s = r.opt.saveState({ scheduler: r.sched });
    const both = everything(r);
    const floats = 4 * (37 + 5 + 6);
    expect([p[8], p[11]]).toEqual([2, 0b011]);
    expect([s[8], s[11]]).toEqual([2, 0b101]);
    expect([both[8], both[11]]).toEqual([2, 0b111]);
    expect(p.length).toBe(v1.length + floats);
    // Everything but version, flags and checksum is version 1's, then the sections.
    expect(firstByteDiff(p.subarray(12, v1.length - 4), v1.subarray(12, v1.length - 4))).toBe(-1);
    const params = r.params();
    const written = new Float32Array(p.slice(v1.length - 4, v1.length - 4 + floats).buffer);
    expect(u32(written)).toEqual(params.flatMap(u32));
    expect(both.length).toBe(p.length + (s.length - v1.length));
    r.dispose();
  });
});

describe("scheduler state round trips", () => {
  it("ReduceLROnPlateau (best = Infinity) and SequentialLR (nested state dicts), into fresh schedulers", async () => {
    await init({ backend: "js" });
    const build = () => {
      const w = new Float32Array(4);
      const opt = new RMSprop([w], { lr: 0.1 });
      const plateau = new ReduceLROnPlateau(opt, { patience: 1 });
      const seq = new SequentialLR(opt, {
        schedulers: [new LinearLR(opt, { startFactor: 0.5, totalIters: 2 }), new StepLR(opt, { stepSize: 2 })], milestones: [3],
      });
      return { w, opt, plateau, seq };
    };
    const a = build();
    const fresh = build();
    // Before any metric: best is Infinity, which JSON text cannot hold.
    fresh.opt.loadState(a.opt.saveState({ scheduler: a.plateau }), { scheduler: fresh.plateau });
    expect(fresh.plateau.stateDict().best).toBe(Infinity);
    for (let s = 0; s < 5; s++) {
      a.opt.step([Float32Array.of(1, -1, 0.5, 2)]);
      a.seq.step();
      a.plateau.step(1 / (s + 1));
    }
    fresh.opt.loadState(a.opt.saveState({ scheduler: a.seq, params: true }), { scheduler: fresh.seq });
    expect(fresh.seq.stateDict()).toEqual(a.seq.stateDict());
    expect(u32(fresh.w)).toEqual(u32(a.w));
    fresh.opt.loadState(a.opt.saveState({ scheduler: a.plateau }), { scheduler: fresh.plateau });
    expect(fresh.plateau.stateDict()).toEqual(a.plateau.stateDict());
    for (const o of [a, fresh]) {
      o.opt.step([Float32Array.of(1, -1, 0.5, 2)]);
      o.seq.step();
    }
    expect(fresh.seq.getLastLr()).toEqual(a.seq.getLastLr());
  });

  it("the value encoding keeps every number's bits, unicode, nesting and odd keys", () => {
    const value = {
      numbers: [0, -0, 1.5, -1e-320, Number.MAX_VALUE, Infinity, -Infinity, NaN],
      text: ["", "min", "é ✓ 𝄞"],
      nested: [[[null, true, false]], { a: { b: [] } }, {}],
      ["__proto__"]: { polluted: true },
      constructor: 1,
    };
    const bytes = encodeValue(value, "test");
    const fail = (why: string): never => {
      throw new Error(why);
    };
    const back = decodeValue(bytes, 0, bytes.length, fail) as Record<string, unknown>;
    const numbers = back.numbers as number[];
    expect(numbers.map(f64Bits)).toEqual(value.numbers.map(f64Bits));
    expect(back.text).toEqual(value.text);
    expect(back.nested).toEqual(value.nested);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.keys(back)).toEqual(["numbers", "text", "nested", "__proto__", "constructor"]);
    expect(Object.getOwnPropertyDescriptor(back, "__proto__")!.value).toEqual({ polluted: true });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // A value at any offset of a larger array.
    const big = new Uint8Array(bytes.length + 7);
    big.set(bytes, 3);
    expect(encodeValue(decodeValue(big, 3, 3 + bytes.length, fail), "test")).toEqual(bytes);
  });

  it("saveState refuses scheduler state a checkpoint cannot hold, naming where it is", async () => {
    await init({ backend: "js" });
    const opt = new RMSprop([new Float32Array(2)]);
    const sched = new StepLR(opt, { stepSize: 2 });
    const cases: Array<[unknown, RegExp]> = [
      [{ f: () => 1 }, /RMSprop\.saveState: options\.scheduler: state\.f is a function; a checkpoint holds only null, booleans, numbers, strings, arrays and plain objects/],
      [{ a: [1, undefined] }, /state\.a\[1\] is undefined/],
      [{ t: new Float32Array(2) }, /state\.t is Float32Array/],
      [{ n: BigInt(1) }, /state\.n is 1n/],
      [{ d: new Date(0) }, /state\.d is Date/],
    ];
    for (const [state, why] of cases) {
      sched.stateDict = () => state as Record<string, unknown>;
      expect(() => opt.saveState({ scheduler: sched })).toThrow(TypeError);
      expect(() => opt.saveState({ scheduler: sched })).toThrow(why);
    }
    const deep: unknown[] = [];
    let at = deep;
    for (let i = 0; i < 40; i++) at.push((at = []));
    sched.stateDict = () => ({ deep });
    expect(() => opt.saveState({ scheduler: sched })).toThrow(/nests deeper than 32/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    sched.stateDict = () => cyclic;
    expect(() => opt.saveState({ scheduler: sched })).toThrow(/nests deeper than 32/);
  });
});

describe("saveState and loadState options", () => {
  it("are checked, naming the option and the value", async () => {
    await init({ backend: "js" });
    const opt = new RMSprop([new Float32Array(2)]);
    const sched = new StepLR(opt, { stepSize: 2 });
    const bytes = opt.saveState({ scheduler: sched });
    expect(() => opt.saveState({ params: 1 } as never)).toThrow(new TypeError("RMSprop.saveState: options.params must be a boolean, got 1"));
    expect(() => opt.saveState({ weights: true } as never)).toThrow(new TypeError('RMSprop.saveState: unknown option "weights" (known: params, scheduler)'));
    expect(() => opt.saveState(null as never)).toThrow(new TypeError("RMSprop.saveState: options must be an object, got null"));
    expect(() => opt.saveState({ scheduler: {} } as never)).toThrow(/RMSprop\.saveState: options\.scheduler must be a simdopt scheduler, got/);
    expect(() => opt.loadState(bytes, { params: true } as never)).toThrow(new TypeError('RMSprop.loadState: unknown option "params" (known: scheduler)'));
    expect(() => opt.loadState(bytes, { scheduler: sched.stateDict() } as never)).toThrow(/options\.scheduler must be a simdopt scheduler/);
    const elsewhere = new StepLR(new RMSprop([new Float32Array(2)]), { stepSize: 2 });
    expect(() => opt.saveState({ scheduler: elsewhere })).toThrow(new RangeError("RMSprop.saveState: options.scheduler (StepLR) drives another optimizer"));
    opt.loadState(bytes, { scheduler: sched });
  });
});
