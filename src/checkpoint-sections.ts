// What a checkpoint may hold beside the optimizer's own state: the params' values and a
// scheduler's state (the format is in checkpoint.ts). Here are the optimizer's side of both:
// the options of saveState/loadState, reading the params out, and checking everything a load
// needs before state-io.ts applies any of it.
import { CheckpointError, type SchedulerState } from "./checkpoint.js";
import type { Engine } from "./engine.js";
import { typedLength } from "./intrinsics.js";
import { show } from "./options.js";
import { Scheduler } from "./schedulers/base.js";

/** What `saveState()` writes besides the optimizer's options and state. */
export interface SaveStateOptions {
  /**
   * Also write the params' values (ParamStore tensors and caller-owned arrays alike), so that
   * `loadState` restores the weights too. Default false.
   */
  params?: boolean;
  /** Also write this scheduler's state; it must drive this optimizer. Default: none. */
  scheduler?: Scheduler;
}

/** What `loadState()` restores besides the optimizer. */
export interface LoadStateOptions {
  /**
   * The scheduler to restore: required when the checkpoint holds a scheduler's state (of a
   * scheduler of the same class, driving this optimizer), refused when it holds none.
   */
  scheduler?: Scheduler;
}

/** The options read once into private values; unknown keys refused. */
function readOptions(options: unknown, known: readonly string[], where: string): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(`${where}: options must be an object, got ${show(options)}`);
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new TypeError(`${where}: unknown option ${JSON.stringify(key)} (known: ${known.join(", ")})`);
    out[key] = (options as Record<string, unknown>)[key];
  }
  return out;
}

function schedulerOption(v: unknown, owner: object, where: string): Scheduler | undefined {
  if (v === undefined) return undefined;
  if (!(v instanceof Scheduler)) throw new TypeError(`${where}: options.scheduler must be a simdopt scheduler, got ${show(v)}`);
  if (v.optimizer !== owner) throw new RangeError(`${where}: options.scheduler (${v._kind}) drives another optimizer`);
  return v;
}

export function saveOptions(options: unknown, owner: object, where: string): { params: boolean; scheduler: Scheduler | undefined } {
  const o = readOptions(options, ["params", "scheduler"], where);
  if (o.params !== undefined && typeof o.params !== "boolean") {
    throw new TypeError(`${where}: options.params must be a boolean, got ${show(o.params)}`);
  }
  return { params: o.params === true, scheduler: schedulerOption(o.scheduler, owner, where) };
}

export function loadOptions(options: unknown, owner: object, where: string): Scheduler | undefined {
  return schedulerOption(readOptions(options, ["scheduler"], where).scheduler, owner, where);
}

/**
 * Throws unless every param can be read and written: no store disposed, no caller-owned
 * array detached. (A store's views may be stale: its memory is reached without them.)
 */
export function checkParams<O>(e: Engine<O>, where: string): void {
  for (const t of e.tensors) {
    if (t.store?.store.isDisposed) throw new Error(`${where}: the ParamStore of params[${t.index}] was disposed`);
    const n = t.store ? t.length : typedLength(t.param);
    if (n !== t.length) {
      throw new TypeError(`${where}: params[${t.index}] now has length ${n}, not ${t.length}; its buffer was detached or transferred`);
    }
  }
}

/** The params' values now, in param order: views, to be copied at once. */
export function paramValues<O>(e: Engine<O>, where: string): Float32Array[] {
  checkParams(e, where);
  const heap = e.backend.heap;
  return e.tensors.map((t) => (t.store ? heap.view(t.store.paramPtr, t.length) : t.param));
}

/** Writes checked values (`checkParams` passed) into the params; cannot fail. */
export function writeParams<O>(e: Engine<O>, values: readonly Float32Array[]): void {
  const heap = e.backend.heap;
  e.tensors.forEach((t, i) => {
    if (t.store) heap.f32.set(values[i]!, t.store.paramPtr / 4);
    else t.param.set(values[i]!);
  });
}

/** The scheduler section for `scheduler`. */
export const schedulerState = (scheduler: Scheduler): SchedulerState => ({ kind: scheduler._kind, state: scheduler.stateDict() });

/**
 * Checks a checkpoint's scheduler section against the scheduler given (either may be absent)
 * with the scheduler's own loader, and returns what applies it; throws a CheckpointError.
 */
export function planScheduler(section: SchedulerState | null, scheduler: Scheduler | undefined, where: string): (() => void) | undefined {
  const fail = (why: string): never => {
    throw new CheckpointError(`${where}: ${why}; the optimizer and the scheduler were not changed`);
  };
  if (!section) {
    if (scheduler) fail(`options.scheduler was given, but the checkpoint holds no scheduler state`);
    return undefined;
  }
  if (!scheduler) {
    throw new CheckpointError(`${where}: the checkpoint holds ${section.kind} state; pass that scheduler as ` +
      `options.scheduler to restore it; the optimizer was not changed`);
  }
  if (section.kind !== scheduler._kind) fail(`the checkpoint holds ${section.kind} state, not the ${scheduler._kind} state options.scheduler takes`);
  try {
    return scheduler._prepareLoad(section.state, `${where}: the checkpoint's ${section.kind} state`);
  } catch (e) {
    if (!(e instanceof TypeError || e instanceof RangeError)) throw e;
    return fail(e.message.startsWith(`${where}: `) ? e.message.slice(where.length + 2) : e.message);
  }
}
