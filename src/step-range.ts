// `step({ range })`: which elements of each param group a step updates. A range is over a
// group's flat elements, the concatenation of its tensors in order (padding excluded); each
// group steps the part of the range that falls inside it.
import { groupRowLength, type Family, type Values } from "./family.js";
import type { GroupPlan } from "./layout.js";
import { show } from "./options.js";

/** Options of `opt.step(options)` and `opt.step(grads, options)`. */
export interface StepOptions {
  /**
   * `[start, end)`: step only elements start..end−1 of each param group's flat elements (the
   * concatenation of the group's tensors in the order given, without padding); the others,
   * and their state, keep their bits. Whole numbers with 0 <= start <= end <= the largest
   * group's element count; a group shorter than `end` steps what falls inside it. The step
   * counter advances as for a full step, so ranks that each step their own range of the same
   * gradients reproduce one full step bit for bit (README, "Sharded steps"). In a rowwise
   * Adagrad group, start and end must not cut a row. Not with sparse gradients (TypeError).
   * `nonFinite` checks only the gradients in the range. Default: every element.
   */
  range?: readonly [number, number];
}

/** A validated range. */
export interface StepRange {
  readonly start: number;
  readonly end: number;
}

const OPTION_NAMES: readonly string[] = ["range"] satisfies Array<keyof StepOptions>;

/** A range value in messages: `[3, 7]` rather than "an array". */
const showRange = (v: unknown): string =>
  Array.isArray(v) && v.length <= 4 ? `[${v.map(show).join(", ")}]` : show(v);

/** Elements in a group, padding excluded. */
export const groupElements = (plan: GroupPlan): number => plan.tensors.reduce((n, t) => n + t.length, 0);

/**
 * Validates step options into a range, or null for a full step. Throws a TypeError or a
 * RangeError naming `options.range` and its value.
 */
export function parseStepOptions<O>(kind: string, family: Family<O>, plans: readonly GroupPlan[], values: readonly Values<O>[],
  options: unknown): StepRange | null {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(`${kind}.step: options must be an object, got ${show(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.includes(key)) throw new TypeError(`${kind}.step: unknown option ${JSON.stringify(key)} (known: ${OPTION_NAMES.join(", ")})`);
  }
  const range = (options as StepOptions).range;
  if (range === undefined) return null;
  const max = Math.max(0, ...plans.map(groupElements));
  const what = `${kind}.step: options.range`;
  if (!Array.isArray(range) || range.length !== 2) {
    throw new TypeError(`${what} must be an array [start, end) of two whole numbers, got ${showRange(range)}`);
  }
  const [start, end] = range as unknown[];
  if (typeof start !== "number" || typeof end !== "number") {
    throw new TypeError(`${what} must be an array [start, end) of two whole numbers, got ${showRange(range)}`);
  }
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > max) {
    throw new RangeError(`${what} must be whole numbers with 0 <= start <= end <= ${max} (the largest param group's elements), got ${showRange(range)}`);
  }
  plans.forEach((plan, i) => {
    const d = groupRowLength(family, values[i]!);
    if (d <= 1) return;
    let off = 0;
    for (const t of plan.tensors) {
      for (const at of [start, end]) {
        if (at > off && at < off + t.length && (at - off) % d !== 0) {
          throw new RangeError(`${what} ${showRange(range)} cuts a row of ${d} elements of params[${t.index}] (param group ${i} keeps one ` +
            `accumulator per row): start and end must fall on row boundaries there`);
        }
      }
      off += t.length;
    }
  });
  return { start, end };
}
