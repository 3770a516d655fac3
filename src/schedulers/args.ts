// Checks for scheduler arguments and loaded state values. Each names the argument (`where`) and
// the value it got: a TypeError for the wrong type, a RangeError for a value out of range.
import { show } from "../options.js";

export interface Range {
  min?: number;
  max?: number;
  /** The bounds themselves are excluded. */
  minOpen?: boolean;
  maxOpen?: boolean;
}

function describe(r: Range): string {
  const lo = r.min === undefined ? "" : `${r.minOpen ? ">" : ">="} ${r.min}`;
  const hi = r.max === undefined ? "" : `${r.maxOpen ? "<" : "<="} ${r.max}`;
  return lo && hi ? `${lo} and ${hi}` : lo || hi;
}

const inRange = (v: number, r: Range): boolean =>
  !(r.min !== undefined && (r.minOpen ? v <= r.min : v < r.min)) &&
  !(r.max !== undefined && (r.maxOpen ? v >= r.max : v > r.max));

/** A finite number within `r`. */
export function finite(v: unknown, where: string, r: Range = {}): number {
  if (typeof v !== "number") throw new TypeError(`${where} must be a number, got ${show(v)}`);
  if (!Number.isFinite(v) || !inRange(v, r)) {
    const range = describe(r);
    throw new RangeError(`${where} must be a finite number${range ? " " + range : ""}, got ${show(v)}`);
  }
  return v;
}

/** A whole number >= `min` (torch's `int` arguments). */
export function whole(v: unknown, where: string, min: number): number {
  if (typeof v !== "number") throw new TypeError(`${where} must be a whole number, got ${show(v)}`);
  if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`${where} must be a whole number >= ${min}, got ${show(v)}`);
  return v;
}

export function flag(v: unknown, where: string): boolean {
  if (typeof v !== "boolean") throw new TypeError(`${where} must be a boolean, got ${show(v)}`);
  return v;
}

export function choice<T extends string>(v: unknown, where: string, values: readonly T[]): T {
  if (typeof v !== "string" || !values.includes(v as T)) {
    const list = values.map((x) => JSON.stringify(x)).join(" or ");
    throw new (typeof v === "string" ? RangeError : TypeError)(`${where} must be ${list}, got ${show(v)}`);
  }
  return v as T;
}

/** An array of exactly `n` items, each checked by `item`. */
export function list<T>(v: unknown, where: string, n: number | undefined, item: (x: unknown, where: string) => T): T[] {
  if (!Array.isArray(v)) throw new TypeError(`${where} must be an array, got ${show(v)}`);
  if (n !== undefined && v.length !== n) throw new RangeError(`${where} must have ${n} value(s), one per param group, got ${v.length}`);
  return v.map((x, i) => item(x, `${where}[${i}]`));
}

/** torch's "float or list": one value for every group, or a list with one per group. */
export function perGroup(v: unknown, where: string, groups: number, r: Range): number[] {
  return Array.isArray(v) ? list(v, where, groups, (x, w) => finite(x, w, r)) : new Array<number>(groups).fill(finite(v, where, r));
}

/**
 * The options object of a constructor, with unknown keys refused (a misspelt option would
 * otherwise be ignored silently). Undefined values read as absent, so defaults apply.
 */
export function optionsOf(kind: string, given: unknown, known: readonly string[]): Record<string, unknown> {
  const where = `${kind} options`;
  if (typeof given !== "object" || given === null || Array.isArray(given)) {
    throw new TypeError(`${where} must be an options object, got ${show(given)}`);
  }
  for (const key of Object.keys(given)) {
    if (!known.includes(key)) {
      throw new TypeError(`${where} has unknown option ${JSON.stringify(key)} (known: ${known.join(", ")})`);
    }
  }
  return given as Record<string, unknown>;
}

/** Throws the TypeError for a required option that is absent. */
export function required(o: Record<string, unknown>, key: string, kind: string, what: string): unknown {
  const v = o[key];
  if (v === undefined) throw new TypeError(`${kind} options.${key} is required (${what}), got undefined`);
  return v;
}

/** Python's `bisect.bisect_right` on a sorted array: the count of items <= x. */
export function bisectRight(sorted: readonly number[], x: number): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < sorted[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** An option's value, or `dflt` when it is absent (undefined; null is a value, and refused). */
export const given = (v: unknown, dflt: unknown): unknown => (v === undefined ? dflt : v);
