// The learning-rate schedule fixtures (format lr-schedule/1, test/fixtures/FORMULAS-2.md) and
// what the scheduler tests share: optimizers to drive, and a check for refused input.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import * as simdopt from "../../src/index.js";
import { RMSprop, type LRScheduler, type SchedulableOptimizer } from "../../src/index.js";

export const SCHEDULE_DIR = join(import.meta.dirname, "..", "fixtures", "torch-round2", "schedule");

export interface ScheduleFixture {
  format: "lr-schedule/1";
  id: string;
  scheduler: string;
  args: Record<string, unknown>;
  base_lr: number;
  lrs: number[];
  metrics?: number[];
  momentums?: number[];
}

export const scheduleIndex = (): Array<{ file: string; format: string; sha256: string }> =>
  JSON.parse(readFileSync(join(SCHEDULE_DIR, "index.json"), "utf8")).fixtures;

export const loadSchedule = (file: string): ScheduleFixture => JSON.parse(readFileSync(join(SCHEDULE_DIR, file), "utf8"));

/** torch's argument names in camelCase: T_max -> tMax, eta_min -> etaMin, T_0 -> t0. */
export const camel = (name: string): string =>
  name.split("_").map((s, i) => (i === 0 ? s.toLowerCase() : s[0]!.toUpperCase() + s.slice(1))).join("");

/** The scheduler a fixture names, with its torch arguments, on `opt`. */
export function schedulerFor(opt: SchedulableOptimizer, name: string, args: Record<string, unknown>): { step(metric?: number): void } {
  if (name === "SequentialLR") {
    const children = (args.schedulers as Array<[string, Record<string, unknown>]>)
      .map(([n, a]) => schedulerFor(opt, n, a) as LRScheduler);
    return new simdopt.SequentialLR(opt, { schedulers: children, milestones: args.milestones as number[] });
  }
  const Ctor = (simdopt as unknown as Record<string, new (o: SchedulableOptimizer, x: object) => { step(m?: number): void }>)[name];
  if (!Ctor) throw new Error(`no scheduler named ${name}`);
  return new Ctor(opt, Object.fromEntries(Object.entries(args).map(([k, v]) => [camel(k), v])));
}

/** An RMSprop over small arrays, one group per lr, stepped with a fixed gradient. */
export function rmsprop(lrs: number[], options: { momentum?: number } = {}) {
  const params = lrs.map(() => new Float32Array(5));
  const grads = lrs.map(() => Float32Array.from([0.5, -0.25, 1, -2, 0.125]));
  const opt = new RMSprop(params.map((p, i) => ({ params: [p], lr: lrs[i] })), options);
  return { opt, params, train: () => opt.step(grads) };
}

/** A stand-in for Adam: plain param groups with `betas`. */
export const adamLike = (lrs: number[], betas: [number, number] = [0.9, 0.999]) =>
  ({ paramGroups: lrs.map((lr) => ({ lr, betas })) }) as { paramGroups: Array<{ lr: number; betas: readonly [number, number] }> };

/** `fn` throws `type`, and the message names every one of `parts`. */
export function expectRefused(fn: () => unknown, type: typeof TypeError | typeof RangeError, ...parts: string[]): Error {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, `expected a ${type.name}`).toBeInstanceOf(type);
  for (const p of parts) expect((err as Error).message).toContain(p);
  return err as Error;
}

/** Agreement with torch's double-precision lrs: identical in float32, within 1e-14 relative in double. */
export function expectTorchLr(got: number, want: number, what: string): void {
  expect(Math.fround(got), what).toBe(Math.fround(want));
  expect(Math.abs(got - want), what).toBeLessThanOrEqual(1e-14 * Math.abs(want));
}
