// Constructor arguments of the TF.js-compatible optimizers. TF.js itself takes any value; we
// accept every number it can compute with and refuse, naming the parameter, what would only
// give NaN weights (a missing or non-finite number) or a silently different optimizer.
import { backend } from "@tensorflow/tfjs-core";
import { show } from "../options.js";

export function finite(where: string, value: unknown): number {
  if (typeof value !== "number") throw new TypeError(`${where} must be a number, got ${show(value)}`);
  if (!Number.isFinite(value)) throw new RangeError(`${where} must be a finite number, got ${show(value)}`);
  return value;
}

export function flag(where: string, value: unknown): boolean {
  if (typeof value !== "boolean") throw new TypeError(`${where} must be a boolean, got ${show(value)}`);
  return value;
}

/** epsilon as TF.js resolves it: null or undefined means the current TF.js backend's epsilon. */
export function epsilonOf(where: string, value: unknown): number {
  return value === null || value === undefined ? backend().epsilon() : finite(where, value);
}
