// Param groups as PyTorch has them: a list of tensors with per-group option overrides,
// exposed as objects whose option properties validate on assignment, so a bad schedule value
// throws where it is set and the optimizer never sees it.
import type { Values } from "./family.js";
import { checkOption, resolveOptions, show, type Specs } from "./options.js";
import { ParamStore } from "./store.js";

/** One param group as given to a constructor: tensors plus option overrides. */
export type ParamGroupInput<O> = {
  /** The group's tensors: arrays (copied in and out at each step) or a whole ParamStore (in place). */
  params: readonly Float32Array[] | ParamStore;
} & O;

/** An optimizer's params: arrays, param groups, or a whole ParamStore. */
export type ParamsInput<O> = readonly Float32Array[] | readonly ParamGroupInput<O>[] | ParamStore;

/** A live param group: its tensors and its options, assignable between steps. */
export type ParamGroup<O> = Values<O> & {
  /** The group's tensors: for ParamStore tensors, views of the current memory. */
  readonly params: readonly Float32Array[];
};

export interface ParsedGroup<O> {
  params: Float32Array[];
  /** The group's option values; the optimizer reads them on every step. */
  values: Values<O>;
}

/** Refuses anything but live Float32Arrays; `stale` says why a view may no longer be used. */
function tensorsOf(x: unknown, where: string, stale: (a: Float32Array) => string | undefined): Float32Array[] {
  if (x instanceof ParamStore) return x.paramsForOptimizer();
  if (!Array.isArray(x)) throw new TypeError(`${where} must be an array of Float32Array or a ParamStore, got ${show(x)}`);
  const n = x.length;
  const out: Float32Array[] = [];
  for (let i = 0; i < n; i++) {
    const p: unknown = x[i];
    if (!(p instanceof Float32Array)) throw new TypeError(`${where}[${i}] must be a Float32Array, got ${show(p)}`);
    const why = stale(p);
    if (why) throw new TypeError(`${where}[${i}] ${why}`);
    out.push(p);
  }
  return out;
}

/** Validates constructor input and returns the groups with complete option records. */
export function parseGroups<O>(
  kind: string,
  specs: Specs,
  input: unknown,
  defaults: Record<string, unknown>,
  stale: (a: Float32Array) => string | undefined,
): ParsedGroup<O>[] {
  const { groups, explicit } = splitGroups(kind, specs, input, defaults, stale);
  groups.forEach((g, i) => {
    for (const key of Object.keys(specs)) {
      if (g.values[key] !== undefined) continue;
      // PyTorch's "required" options (SGD's lr) have no default: every group needs a value.
      const where = explicit ? `params[${i}].${key} (or options.${key})` : `options.${key}`;
      throw new TypeError(`${kind}: ${where} is required, got undefined`);
    }
  });
  return groups as unknown as ParsedGroup<O>[];
}

function splitGroups(
  kind: string, specs: Specs, input: unknown, defaults: Record<string, unknown>,
  stale: (a: Float32Array) => string | undefined,
): { groups: Array<{ params: Float32Array[]; values: Record<string, unknown> }>; explicit: boolean } {
  if (input instanceof ParamStore) return { groups: [{ params: input.paramsForOptimizer(), values: { ...defaults } }], explicit: false };
  if (!Array.isArray(input)) {
    throw new TypeError(`${kind}: params must be an array of Float32Array, an array of param groups or a ParamStore, got ${show(input)}`);
  }
  // Read once: a getter or Proxy that answers differently the second time cannot slip past.
  const items: unknown[] = [];
  for (let i = 0, n = input.length; i < n; i++) items.push(input[i]);
  if (items.length === 0) throw new RangeError(`${kind}: params is an empty list; an optimizer needs at least one tensor`);
  const asGroups = items.every((x) => typeof x === "object" && x !== null && !ArrayBuffer.isView(x) && "params" in x);
  if (!asGroups) return { groups: [{ params: tensorsOf(items, `${kind}: params`, stale), values: { ...defaults } }], explicit: false };
  const groups = items.map((g, i) => {
    const group = g as Record<string, unknown>;
    return {
      params: tensorsOf(group.params, `${kind}: params[${i}].params`, stale),
      values: resolveOptions(specs, group, defaults, `${kind}: params[${i}]`, ["params"]),
    };
  });
  return { groups, explicit: true };
}

/**
 * The public group object over `values`. `prepare` sees the options as they would be after a
 * valid assignment and runs before it takes effect: if it throws, nothing changes. `params`
 * gives the group's tensors as live arrays.
 */
export function groupObject<O>(
  specs: Specs,
  parsed: ParsedGroup<O>,
  where: string,
  prepare: (next: Values<O>) => void,
  params: () => readonly Float32Array[],
): ParamGroup<O> {
  const g: Record<string, unknown> = {};
  const values = parsed as unknown as { values: Record<string, unknown> };
  Object.defineProperty(g, "params", { get: params, enumerable: true });
  for (const [key, spec] of Object.entries(specs)) {
    Object.defineProperty(g, key, {
      enumerable: true,
      get: () => values.values[key],
      set: (v: unknown) => {
        const kept = checkOption(spec, v, `${where}.${key}`);
        const next = { ...values.values, [key]: kept };
        prepare(next as Values<O>);
        values.values[key] = kept;
      },
    });
  }
  return Object.seal(g) as ParamGroup<O>;
}
