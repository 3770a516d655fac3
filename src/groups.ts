// Param groups as PyTorch has them: a list of tensors with per-group option overrides,
// exposed as objects whose option properties validate on assignment, so a bad schedule value
// throws where it is set and the optimizer never sees it.
import { checkOption, resolveOptions, show, type Specs } from "./options.js";
import { ParamStore } from "./store.js";

/** One param group as given to a constructor: tensors plus option overrides. */
export interface ParamGroupInput<O> {
  params: readonly Float32Array[] | ParamStore;
  [option: string]: unknown;
}
export type ParamsInput<O> = readonly Float32Array[] | readonly ParamGroupInput<O>[] | ParamStore;

/** A live param group: its tensors and its options, assignable between steps. */
export type ParamGroup<O> = Required<O> & { readonly params: readonly Float32Array[] };

export interface ParsedGroup {
  params: Float32Array[];
  /** The group's option values; the optimizer reads them on every step. */
  values: Record<string, unknown>;
}

function tensorsOf(x: unknown, where: string): Float32Array[] {
  if (x instanceof ParamStore) return x.paramsForOptimizer();
  if (!Array.isArray(x)) throw new TypeError(`${where} must be an array of Float32Array or a ParamStore, got ${show(x)}`);
  x.forEach((p, i) => {
    if (!(p instanceof Float32Array)) throw new TypeError(`${where}[${i}] must be a Float32Array, got ${show(p)}`);
  });
  return [...(x as Float32Array[])];
}

/** Validates constructor input and returns the groups with complete option records. */
export function parseGroups(
  kind: string,
  specs: Specs,
  input: unknown,
  defaults: Record<string, unknown>,
): ParsedGroup[] {
  if (input instanceof ParamStore) return [{ params: input.paramsForOptimizer(), values: { ...defaults } }];
  if (!Array.isArray(input)) {
    throw new TypeError(`${kind}: params must be an array of Float32Array, an array of param groups or a ParamStore, got ${show(input)}`);
  }
  if (input.length === 0) throw new RangeError(`${kind}: params is an empty list; an optimizer needs at least one tensor`);
  const asGroups = input.every((x) => typeof x === "object" && x !== null && !ArrayBuffer.isView(x) && "params" in x);
  if (!asGroups) return [{ params: tensorsOf(input, `${kind}: params`), values: { ...defaults } }];
  return input.map((g: Record<string, unknown>, i) => ({
    params: tensorsOf(g.params, `${kind}: params[${i}].params`),
    values: resolveOptions(specs, g, defaults, `${kind}: params[${i}]`, ["params"]),
  }));
}

/**
 * The public group object over `values`. `prepare` sees the options as they would be after a
 * valid assignment and runs before it takes effect: if it throws, nothing changes. `params`
 * gives the group's tensors as live arrays.
 */
export function groupObject<O>(
  specs: Specs,
  parsed: ParsedGroup,
  where: string,
  prepare: (next: Record<string, unknown>) => void,
  params: () => readonly Float32Array[],
): ParamGroup<O> {
  const g: Record<string, unknown> = {};
  Object.defineProperty(g, "params", { get: params, enumerable: true });
  for (const [key, spec] of Object.entries(specs)) {
    Object.defineProperty(g, key, {
      enumerable: true,
      get: () => parsed.values[key],
      set: (v: unknown) => {
        checkOption(spec, v, `${where}.${key}`);
        prepare({ ...parsed.values, [key]: v });
        parsed.values[key] = v;
      },
    });
  }
  return Object.seal(g) as ParamGroup<O>;
}
