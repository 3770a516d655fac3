// An optimizer's state in and out: PyTorch-shaped state dicts and binary checkpoints. Loading
// reads and validates everything into private values first (state-dict.ts, checkpoint.ts),
// allocates what the loaded state needs, and only then changes the optimizer.
import { decodeCheckpoint, encodeCheckpoint } from "./checkpoint.js";
import { checkParams, loadOptions, paramValues, planScheduler, saveOptions, schedulerState, writeParams } from "./checkpoint-sections.js";
import { PRIVATE, type Engine } from "./engine.js";
import { slotWanted, type Family } from "./family.js";
import { updateUniform } from "./layout.js";
import { parseStateDict, type LoadPlan, type StateDict, type StateShape, type TensorState } from "./state-dict.js";

export function stateDictOf<O>(e: Engine<O>): StateDict {
  e.assertLive();
  const heap = e.backend.heap;
  const slots = e.family.slots;
  const state: TensorState[] = [];
  if (e.hasState) {
    for (const plan of e.plans) {
      for (const t of plan.tensors) {
        const entry: TensorState = e.family.countsSteps ? { step: e.steps + t.stepBias } : {};
        slots.forEach((slot, k) => {
          const ptr = plan.state[k]!;
          if (ptr >= 0 && !((t.fresh >> k) & 1)) entry[slot.name] = heap.copyOutNew(ptr + t.slotRel[k]! * 4, t.slotLen[k]!);
          // PyTorch writes None for a buffer it keeps but has not filled (SGD's momentum).
          else if (slot.firstFlag !== undefined) entry[slot.name] = null;
        });
        state.push(entry);
      }
    }
  }
  const param_groups = e.plans.map((plan, i) => {
    const out: Record<string, unknown> = {};
    const values = e.groups[i]!.values as Record<string, unknown>;
    for (const [key, spec] of Object.entries(e.specs)) {
      const v = values[key];
      out[spec.torch] = Array.isArray(v) ? [...v] : v;
    }
    return { ...out, params: plan.tensors.map((t) => t.index) };
  });
  return { state, param_groups };
}

/** What a dict or checkpoint must fit to load into `e`. */
function shapeOf<O>(e: Engine<O>): StateShape {
  const family = e.family as unknown as Family<unknown>;
  return {
    kind: family.name,
    id: family.id,
    specs: e.specs,
    slots: family.slots.map((s) => s.name),
    plans: e.plans,
    values: e.groups.map((g) => g.values as Record<string, unknown>),
    // A buffer PyTorch may hold as None (SGD's momentum) can be absent from loaded state.
    needsSlot: (v, k) => slotWanted(family, v as never, k) && family.slots[k]!.firstFlag === undefined,
    stateRequired: e.hasState && family.stateFromStart,
    countsSteps: family.countsSteps,
    layoutChange: (v, i) => e.layoutChange(i, v as never),
  };
}

export function loadStateDictInto<O>(e: Engine<O>, sd: unknown): void {
  e.assertLive();
  apply(e, parseStateDict(sd, shapeOf(e)));
}

/** Writes a checked load plan into the optimizer; nothing in it can fail but allocation, done first. */
function apply<O>(e: Engine<O>, { values: newValues, entries }: LoadPlan): void {
  const family = e.family as unknown as Family<unknown>;
  // Everything is valid: allocate what the loaded state needs (all or nothing), then write.
  const heap = e.backend.heap;
  const slots = family.slots;
  const wanted = e.plans.map((plan, i) => slots.map((slot, k) =>
    entries ? entries.some((x) => x.plan === plan && x.buffers[k] !== undefined) || (slot.when?.(newValues[i] as never) ?? true)
      : slot.when?.(newValues[i] as never) ?? true));
  const sizes: number[] = [];
  e.plans.forEach((plan, i) => slots.forEach((_, k) => {
    if (wanted[i]![k] && plan.state[k]! < 0) sizes.push(plan.slotTotal[k]! * 4);
  }));
  const fresh = heap.allocAll(sizes, `${e.kind} state`);
  let next = 0;
  e.plans.forEach((plan, i) => {
    const g = e.groups[i]!;
    g.values = Object.assign(g.values, newValues[i]);
    e.deriveFlags(g, g.values);
    for (const t of plan.tensors) t.fresh = 0;
    slots.forEach((_, k) => {
      const ptr = plan.state[k]!;
      if (!wanted[i]![k]) {
        if (ptr >= 0) heap.release(ptr, PRIVATE);
        plan.state[k] = -1;
        return;
      }
      // A reused block is reset too: a tensor whose buffer the dict lacks starts afresh.
      e.setSlot(plan, k, ptr >= 0 ? ptr : fresh[next++]!, g.values);
    });
  });
  e.steps = 0;
  for (const t of e.tensors) t.stepBias = 0;
  if (entries) {
    for (const x of entries) {
      x.tensor.stepBias = x.step;
      x.buffers.forEach((b, k) => {
        if (b === undefined) return;
        heap.f32.set(b, x.plan.state[k]! / 4 + x.tensor.slotRel[k]!);
        x.tensor.fresh &= ~(1 << k);
      });
    }
  }
  for (const plan of e.plans) updateUniform(plan);
  e.hasState = entries !== null || family.stateFromStart;
  e.refreshAliases();
}

export function saveStateOf<O>(e: Engine<O>, owner: object, options: unknown): Uint8Array {
  e.assertLive();
  const where = `${e.kind}.saveState`;
  const o = saveOptions(options, owner, where);
  const dict = stateDictOf(e);
  return encodeCheckpoint({
    dict, policy: e.policy, skippedSteps: e.skippedSteps,
    lengths: e.tensors.map((t) => t.length),
    params: o.params ? paramValues(e, where) : undefined,
    scheduler: o.scheduler && schedulerState(o.scheduler),
  }, e.family as unknown as Family<unknown>);
}

/**
 * Loads a checkpoint all or nothing: the optimizer's part, the params and the scheduler's
 * state are each read and checked (the scheduler's by its own loader) before any is applied.
 */
export function loadStateInto<O>(e: Engine<O>, owner: object, bytes: unknown, options: unknown): void {
  e.assertLive();
  const where = `${e.kind}.loadState`;
  const scheduler = loadOptions(options, owner, where);
  const c = decodeCheckpoint(bytes, shapeOf(e));
  const applyScheduler = planScheduler(c.scheduler, scheduler, where);
  if (c.params) checkParams(e, where);
  // Only allocation can fail from here on, and apply() allocates before it writes.
  apply(e, c.plan);
  if (c.params) writeParams(e, c.params);
  applyScheduler?.();
  e.policy = c.policy;
  e.skippedSteps = c.skippedSteps;
}
