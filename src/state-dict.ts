// Reading a PyTorch-shaped state dict: every check `loadStateDict` makes before it changes
// anything. The optimizer applies the result only once all of it is known to fit.
import { slotWanted, type Family } from "./family.js";
import type { GroupPlan, TensorPlan } from "./layout.js";
import { checkOption, show, type Specs } from "./options.js";

/**
 * A param's state as `stateDict()` reports it: PyTorch's names, arrays copied. `step` is
 * absent for SGD (PyTorch keeps none); a buffer PyTorch holds as `None` is `null`.
 */
export interface TensorState {
  step?: number;
  [buffer: string]: Float32Array | number | null | undefined;
}

/** PyTorch-shaped optimizer state: per-param state in param order, and the groups' options. */
export interface StateDict {
  state: TensorState[];
  param_groups: Array<Record<string, unknown> & { params: number[] }>;
}

// Keys PyTorch writes into param_groups that have no meaning here; a loaded dict may carry them.
const TORCH_ONLY_KEYS = ["foreach", "differentiable", "capturable", "fused", "initial_lr"];

/** What a state dict must fit. */
export interface StateShape {
  family: Family<unknown>;
  plans: readonly GroupPlan[];
  /** Current option values of each group. */
  values: readonly Record<string, unknown>[];
  /** True when an empty `state` cannot be loaded (Adagrad, once it has tensors). */
  stateRequired: boolean;
}

export interface StateEntry {
  plan: GroupPlan;
  tensor: TensorPlan;
  step: number;
  /** One per slot; undefined where the dict has no such buffer. */
  buffers: Array<Float32Array | undefined>;
}

/** A validated state dict: each group's new options, and the state (null: no state). */
export interface LoadPlan {
  values: Record<string, unknown>[];
  entries: StateEntry[] | null;
}

export function parseStateDict(sd: unknown, shape: StateShape): LoadPlan {
  const kind = shape.family.name;
  const specs = shape.family.options as unknown as Specs;
  const where = `${kind}.loadStateDict`;
  if (typeof sd !== "object" || sd === null) throw new TypeError(`${where}: expected a state dict object, got ${show(sd)}`);
  const groupsIn = (sd as StateDict).param_groups;
  const plans = shape.plans;
  if (!Array.isArray(groupsIn) || groupsIn.length !== plans.length) {
    throw new RangeError(`${where}: param_groups must be an array of ${plans.length} group(s), got ${Array.isArray(groupsIn) ? groupsIn.length : show(groupsIn)}`);
  }
  const byTorch = new Map(Object.entries(specs).map(([k, s]) => [s.torch, k]));
  const idToTensor = new Map<unknown, TensorPlan>();
  const values = groupsIn.map((gIn: Record<string, unknown>, i) => {
    const w = `${where}: param_groups[${i}]`;
    if (typeof gIn !== "object" || gIn === null) throw new TypeError(`${w} must be an object, got ${show(gIn)}`);
    const plan = plans[i]!;
    if (!Array.isArray(gIn.params) || gIn.params.length !== plan.tensors.length) {
      throw new RangeError(`${w}.params must list ${plan.tensors.length} param id(s), got ${Array.isArray(gIn.params) ? gIn.params.length : show(gIn.params)}`);
    }
    gIn.params.forEach((id: unknown, j: number) => {
      if (idToTensor.has(id)) throw new RangeError(`${w}.params[${j}]: param id ${show(id)} appears twice`);
      idToTensor.set(id, plan.tensors[j]!);
    });
    const next = { ...shape.values[i]! };
    for (const [tk, v] of Object.entries(gIn)) {
      if (tk === "params" || TORCH_ONLY_KEYS.includes(tk)) continue;
      const key = byTorch.get(tk);
      if (key === undefined) throw new TypeError(`${w} has unknown key ${JSON.stringify(tk)}`);
      next[key] = checkOption(specs[key]!, v, `${w}.${tk}`);
    }
    return next;
  });
  return { values, entries: readEntries((sd as StateDict).state, idToTensor, values, shape, where) };
}

function readEntries(
  stateIn: unknown, idToTensor: Map<unknown, TensorPlan>, values: Record<string, unknown>[],
  shape: StateShape, where: string,
): StateEntry[] | null {
  if (typeof stateIn !== "object" || stateIn === null) throw new TypeError(`${where}: state must be an array or object, got ${show(stateIn)}`);
  const family = shape.family;
  const slots = family.slots;
  const keys = Object.keys(stateIn);
  if (keys.length === 0) {
    if (shape.stateRequired) throw new RangeError(`${where}: state is empty, but ${family.name} keeps state for every param`);
    return null;
  }
  if (keys.length !== idToTensor.size) {
    throw new RangeError(`${where}: state has ${keys.length} entr(ies) for ${idToTensor.size} param(s)`);
  }
  const idOf = new Map([...idToTensor.keys()].map((id) => [String(id), id]));
  return keys.map((key) => {
    const w = `${where}: state[${key}]`;
    const id = idOf.get(key);
    const tensor = id === undefined ? undefined : idToTensor.get(id);
    if (!tensor) throw new RangeError(`${w} names no param listed in param_groups`);
    const gi = shape.plans.findIndex((p) => p.tensors.includes(tensor));
    const plan = shape.plans[gi]!;
    const e = (stateIn as Record<string, Record<string, unknown>>)[key];
    if (typeof e !== "object" || e === null) throw new TypeError(`${w} must be an object, got ${show(e)}`);
    for (const k of Object.keys(e)) {
      if (!(k === "step" && family.countsSteps) && !slots.some((s) => s.name === k)) {
        throw new TypeError(`${w} has unknown key ${JSON.stringify(k)}`);
      }
    }
    const step = family.countsSteps ? e.step : 0;
    if (typeof step !== "number" || !Number.isInteger(step) || step < 0) {
      throw new RangeError(`${w}.step must be a whole number >= 0, got ${show(step)}`);
    }
    const buffers = slots.map((slot, k) => {
      const name = slot.name;
      const b = e[name];
      // PyTorch's None: a buffer that holds nothing yet.
      if (b === undefined || b === null) {
        if (slotWanted(family, values[gi]!, k) && slot.firstFlag === undefined) {
          throw new RangeError(`${w} lacks ${name}, which the loaded options need`);
        }
        return undefined;
      }
      // A private copy: the caller's array may be a view of simdopt memory that the load
      // itself grows (detaching it), or may change before the load is applied.
      const arr = b instanceof Float32Array ? b.slice()
        : Array.isArray(b) && b.every((x) => typeof x === "number") ? Float32Array.from(b as number[]) : null;
      if (!arr) throw new TypeError(`${w}.${name} must be a Float32Array, got ${show(b)}`);
      if (arr.length !== tensor.length) {
        throw new RangeError(`${w}.${name} has length ${arr.length}, but param ${tensor.index} has length ${tensor.length}`);
      }
      return arr;
    });
    return { plan, tensor, step, buffers };
  });
}
