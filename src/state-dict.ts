// Loading state in two stages, neither of which changes anything. Reading (`readStateDict`
// for a caller's dict, `decodeCheckpoint` for bytes) takes every input value exactly once
// into private values, and checks each count against the optimizer before it allocates or
// loops by it. Planning (`planLoad`) then makes every check on those private values. The
// optimizer applies the plan only once all of it is known to fit.
import { copyF32, forEachEntry, isPlainObject, showTyped, sizeIfMap, typedArrayName, typedLength } from "./intrinsics.js";
import type { GroupPlan, TensorPlan } from "./layout.js";
import { checkOption, ownNames, show, showKey, type Specs } from "./options.js";

/**
 * A param's state as `stateDict()` reports it: PyTorch's names, arrays copied. `step` is
 * absent for SGD (PyTorch keeps none); a buffer PyTorch holds as `None` is `null`.
 */
export interface TensorState {
  /** Steps taken by this param (a float, as PyTorch saves it); absent for SGD. */
  step?: number;
  [buffer: string]: Float32Array | number | null | undefined;
}

/**
 * PyTorch-shaped optimizer state: per-param state in param order, and the groups' options.
 * `loadStateDict` also takes `state` keyed by param id, as a plain object or a Map (PyTorch's
 * dict keyed by int), and buffers as plain arrays of numbers (as from JSON).
 */
export interface StateDict {
  /** Per-param state, in param order (empty before the first step, except Adagrad's). */
  state: TensorState[];
  /** Each group's options under PyTorch's names (`lr`, `weight_decay`, ...), and `params`: the ids of its params. */
  param_groups: Array<Record<string, unknown> & {
    /** Ids of the group's params: their positions across all groups, 0, 1, 2, ... */
    params: number[];
  }>;
}

// Keys PyTorch writes into param_groups that have no meaning here; a loaded dict may carry them.
const TORCH_ONLY_KEYS = ["foreach", "differentiable", "capturable", "fused", "initial_lr"];

/** What a state dict must fit. */
export interface StateShape {
  kind: string;
  /** The family id, which checkpoints store as their kind. */
  id: number;
  specs: Specs;
  slots: readonly string[];
  plans: readonly GroupPlan[];
  /** Current option values of each group. */
  values: readonly Record<string, unknown>[];
  /** Must the loaded options' state include buffer `slot`? (PyTorch's `None` counts as absent.) */
  needsSlot(values: Record<string, unknown>, slot: number): boolean;
  /** True when an empty `state` cannot be loaded while there are params (Adagrad). */
  stateRequired: boolean;
  /** PyTorch keeps a per-param `step` (every family but SGD). */
  countsSteps: boolean;
  /** Why group `i` cannot take these options as its state is laid out (rowwise), or undefined. */
  layoutChange(values: Record<string, unknown>, i: number): string | undefined;
}

export interface StateEntry {
  plan: GroupPlan;
  tensor: TensorPlan;
  step: number;
  /** One per slot, private to the plan; undefined where the dict has no such buffer. */
  buffers: Array<Float32Array | undefined>;
}

/** A validated state dict: each group's new options, and the state (null: no state). */
export interface LoadPlan {
  values: Record<string, unknown>[];
  entries: StateEntry[] | null;
}

/** Loader input held in private values only: nothing in it is shared with the caller. */
export interface RawState {
  /** Each group's options as given: PyTorch names and values, in the order given. */
  options: Array<Array<[name: string, value: unknown]>>;
  /** Per-param state, one entry per param, or null when the input has no state. */
  entries: RawEntry[] | null;
}

export interface RawEntry {
  /** The entry's key in `state`, for messages. */
  key: string;
  /** The param's index in the optimizer (param order). */
  index: number;
  step: unknown;
  /** One per slot: a private array of the param's length, or undefined where none was given. */
  buffers: Array<Float32Array | undefined>;
}

/** Reads, checks and plans a caller's state dict for `loadStateDict`; throws TypeError/RangeError. */
export function parseStateDict(sd: unknown, shape: StateShape): LoadPlan {
  const where = `${shape.kind}.loadStateDict`;
  return planLoad(readStateDict(sd, shape, where), shape, where);
}

/**
 * Makes every check on loader input that is already private: option names and values, param
 * steps, and the buffers the loaded options need. Throws TypeError/RangeError naming `where`.
 */
export function planLoad(raw: RawState, shape: StateShape, where: string): LoadPlan {
  const byTorch = new Map(Object.entries(shape.specs).map(([k, s]) => [s.torch, k]));
  const values = raw.options.map((options, i) => {
    const w = `${where}: param_groups[${i}]`;
    const next = { ...shape.values[i]! };
    const seen = new Set<string>();
    for (const [torch, v] of options) {
      if (seen.has(torch)) throw new TypeError(`${w} gives ${showKey(torch)} twice`);
      seen.add(torch);
      if (TORCH_ONLY_KEYS.includes(torch)) continue;
      const key = byTorch.get(torch);
      if (key === undefined) throw new TypeError(`${w} has unknown key ${showKey(torch)}`);
      next[key] = checkOption(shape.specs[key]!, v, `${w}.${torch}`);
    }
    const fixed = shape.layoutChange(next, i);
    if (fixed) throw new RangeError(`${w}: ${fixed}`);
    return next;
  });
  const groupOf: number[] = [];
  const tensors: TensorPlan[] = [];
  shape.plans.forEach((plan, gi) => {
    for (const t of plan.tensors) {
      tensors.push(t);
      groupOf.push(gi);
    }
  });
  if (raw.entries === null) {
    if (shape.stateRequired && tensors.length > 0) {
      throw new RangeError(`${where}: state is empty, but ${shape.kind} keeps state for every param`);
    }
    return { values, entries: null };
  }
  const entries = raw.entries.map((r): StateEntry => {
    const w = `${where}: state[${r.key}]`;
    const step = shape.countsSteps ? r.step : 0;
    if (typeof step !== "number" || !Number.isInteger(step) || step < 0) {
      throw new RangeError(`${w}.step must be a whole number >= 0, got ${show(step)}`);
    }
    const gi = groupOf[r.index]!;
    shape.slots.forEach((name, k) => {
      if (r.buffers[k] === undefined && shape.needsSlot(values[gi]!, k)) {
        throw new RangeError(`${w} lacks ${name}, which the loaded options need`);
      }
    });
    return { plan: shape.plans[gi]!, tensor: tensors[r.index]!, step, buffers: r.buffers };
  });
  return { values, entries };
}

/**
 * Reads a caller's state dict into private values: each property once, every count checked
 * against the optimizer (groups, params per group, state entries, buffer lengths) before it
 * is looped over or allocated.
 */
function readStateDict(sd: unknown, shape: StateShape, where: string): RawState {
  if (typeof sd !== "object" || sd === null) throw new TypeError(`${where}: expected a state dict object, got ${show(sd)}`);
  const groupsIn = (sd as Record<string, unknown>).param_groups;
  const stateIn = (sd as Record<string, unknown>).state;
  const plans = shape.plans;
  const count = Array.isArray(groupsIn) ? (groupsIn.length as unknown) : undefined;
  if (count !== plans.length) {
    throw new RangeError(`${where}: param_groups must be an array of ${plans.length} group(s), got ${count === undefined ? show(groupsIn) : show(count)}`);
  }
  /** Param index by param id (as a string: the key the id has in an object `state`). */
  const ids = new Map<string, number>();
  let index = 0;
  const options = plans.map((plan, i) => {
    const w = `${where}: param_groups[${i}]`;
    const g = (groupsIn as unknown[])[i];
    if (typeof g !== "object" || g === null || Array.isArray(g)) throw new TypeError(`${w} must be an object, got ${show(g)}`);
    const opts: Array<[string, unknown]> = [];
    let params: unknown;
    for (const key of ownNames(g, w, "unknown key")) {
      const v = (g as Record<string, unknown>)[key];
      if (key === "params") params = v;
      else opts.push([key, v]);
    }
    const n = Array.isArray(params) ? (params.length as unknown) : undefined;
    if (n !== plan.tensors.length) {
      throw new RangeError(`${w}.params must list ${plan.tensors.length} param id(s), got ${n === undefined ? show(params) : show(n)}`);
    }
    for (let j = 0; j < plan.tensors.length; j++) {
      const id = (params as unknown[])[j];
      if (typeof id !== "number" && typeof id !== "string") {
        throw new TypeError(`${w}.params[${j}] must be a param id (a number or a string), got ${show(id)}`);
      }
      const key = String(id);
      if (ids.has(key)) throw new RangeError(`${w}.params[${j}]: param id ${show(id)} appears twice`);
      ids.set(key, index++);
    }
    return opts;
  });
  return { options, entries: readState(stateIn, ids, shape, where) };
}

/** `state` as an array (index = param id), a plain object or a Map keyed by param id. */
function readState(stateIn: unknown, ids: Map<string, number>, shape: StateShape, where: string): RawEntry[] | null {
  const expected = ids.size;
  const countFits = (n: number) => {
    if (n !== 0 && n !== expected) throw new RangeError(`${where}: state has ${n} entr(ies) for ${expected} param(s)`);
  };
  const pairs: Array<[string, unknown]> = [];
  const mapSize = typeof stateIn === "object" && stateIn !== null ? sizeIfMap(stateIn) : undefined;
  if (Array.isArray(stateIn)) {
    const n = stateIn.length as unknown;
    if (typeof n !== "number") throw new TypeError(`${where}: state.length must be a number, got ${show(n)}`);
    countFits(n);
    for (let i = 0; i < n; i++) pairs.push([String(i), stateIn[i]]);
  } else if (mapSize !== undefined) {
    countFits(mapSize);
    forEachEntry(stateIn as object, (k, v) => {
      if (typeof k !== "number" && typeof k !== "string") {
        throw new TypeError(`${where}: state has a key ${show(k)}; keys are param ids (numbers or strings)`);
      }
      pairs.push([String(k), v]);
    });
  } else if (typeof stateIn === "object" && stateIn !== null && isPlainObject(stateIn)) {
    const keys = ownNames(stateIn, `${where}: state`, "a key that is no param id:");
    countFits(keys.length);
    for (const k of keys) pairs.push([k, (stateIn as Record<string, unknown>)[k]]);
  } else {
    throw new TypeError(`${where}: state must be an array, a plain object or a Map keyed by param id, got ${show(stateIn)}`);
  }
  if (pairs.length === 0) return null;
  const tensors = shape.plans.flatMap((p) => p.tensors);
  const seen = new Set<number>();
  return pairs.map(([key, e]): RawEntry => {
    const w = `${where}: state[${key}]`;
    const index = ids.get(key);
    if (index === undefined) throw new RangeError(`${w} names no param listed in param_groups`);
    if (seen.has(index)) throw new RangeError(`${where}: state has two entries for param id ${key}`);
    seen.add(index);
    if (typeof e !== "object" || e === null || Array.isArray(e)) throw new TypeError(`${w} must be an object, got ${show(e)}`);
    const tensor = tensors[index]!;
    let step: unknown;
    const buffers: Array<Float32Array | undefined> = shape.slots.map(() => undefined);
    for (const k of ownNames(e, w, "unknown key")) {
      const slot = shape.slots.indexOf(k);
      const isStep = k === "step" && shape.countsSteps;
      if (!isStep && slot < 0) throw new TypeError(`${w} has unknown key ${showKey(k)}`);
      const v = (e as Record<string, unknown>)[k];
      if (isStep) step = v;
      // null is PyTorch's None: a buffer that holds nothing yet.
      else if (v !== undefined && v !== null) buffers[slot] = readBuffer(v, tensor, slot, `${w}.${k}`);
    }
    return { key, index, step, buffers };
  });
}

/** A private copy of buffer `slot` given as a Float32Array or a plain array of numbers. */
function readBuffer(b: unknown, tensor: TensorPlan, slot: number, w: string): Float32Array {
  const length = tensor.slotLen[slot]!;
  const fits = (n: unknown) => {
    if (n !== length) {
      const detached = n === 0 ? " (a detached array has length 0)" : "";
      const want = length === tensor.length ? `param ${tensor.index} has length ${length}`
        : `param ${tensor.index} keeps one value per row here: ${length}`;
      throw new RangeError(`${w} has length ${show(n)}${detached}, but ${want}`);
    }
  };
  const name = typedArrayName(b);
  if (name === "Float32Array") {
    fits(typedLength(b as Float32Array));
    return length === 0 ? new Float32Array(0) : copyF32(b as Float32Array);
  }
  if (name === undefined && Array.isArray(b)) {
    const n = b.length as unknown;
    fits(n);
    const out = new Float32Array(length);
    for (let i = 0; i < length; i++) {
      const x = (b as unknown[])[i];
      if (typeof x !== "number") throw new TypeError(`${w}[${i}] must be a number, got ${show(x)}`);
      out[i] = x;
    }
    return out;
  }
  throw new TypeError(`${w} must be a Float32Array or an array of numbers, got ${showTyped(b, Float32Array)}`);
}
