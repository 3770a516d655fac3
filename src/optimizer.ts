// The public face every optimizer shares. A family's class (families/) is a one-line
// subclass; the work is done by the engine (engine.ts) and state I/O (state-io.ts).
import type { BackendName } from "./backend.js";
import { Engine, NON_FINITE } from "./engine.js";
import type { Family } from "./family.js";
import type { GradInput } from "./grad-intake.js";
import type { ParamGroup } from "./groups.js";
import type { LoadStateOptions, SaveStateOptions } from "./checkpoint-sections.js";
import { checkOption, type NonFinitePolicy } from "./options.js";
import type { SparseRows } from "./sparse-intake.js";
import type { StateDict } from "./state-dict.js";
import type { StepOptions } from "./step-range.js";
import { loadStateDictInto, loadStateInto, saveStateOf, stateDictOf } from "./state-io.js";

export { NonFiniteGradientError } from "./engine.js";

/** Options every optimizer takes beside its own. */
export interface CommonOptions {
  /**
   * What `step()` does when a gradient holds NaN or ±Inf. Default `"propagate"` (as PyTorch);
   * `"skip"` leaves everything untouched and returns false; `"throw"` throws a
   * NonFiniteGradientError. See the README's Guarantees.
   */
  nonFinite?: NonFinitePolicy;
}

// The engine is typed loosely here so that Optimizer<O> stays covariant in O: a function that
// takes any `Optimizer<{ lr?: number }>` accepts every family.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyEngine = Engine<any>;
const engines = new WeakMap<object, AnyEngine>();

/** @internal The engine behind an optimizer (tests, clipping). */
export function engineOf(opt: Optimizer<unknown>): AnyEngine {
  const e = engines.get(opt);
  if (!e) throw new TypeError("not a simdopt optimizer");
  return e;
}

/**
 * What every simdopt optimizer offers; `O` is its options type.
 *
 * @example
 * ```ts
 * const w = new Float32Array(8), g = new Float32Array(8).fill(0.1);
 * const opt = new RMSprop([w], { lr: 0.01 }); // every family is an Optimizer
 * opt.step([g]);
 * opt.paramGroups[0].lr = 0.005;              // takes effect at the next step
 * const bytes = opt.saveState({ params: true }); // options, state and the weights
 * w.fill(0);
 * opt.loadState(bytes);                        // w has its trained values again
 * opt.dispose();
 * ```
 */
export abstract class Optimizer<O> {
  /**
   * The param groups, in the order given: each has `params` (live views for ParamStore
   * tensors) and the group's options, which may be assigned between steps (schedules); an
   * assignment is validated at once and a bad value throws, changing nothing.
   */
  readonly paramGroups: readonly ParamGroup<O>[];
  readonly #e: AnyEngine;

  /** @internal */
  protected constructor(family: Family<O>, params: unknown, options: unknown) {
    const e: AnyEngine = new Engine(family as unknown as Family<unknown>, params, options);
    this.#e = e;
    this.paramGroups = e.paramGroups as readonly ParamGroup<O>[];
    engines.set(this, e);
  }

  /**
   * One optimizer step. `grads` are in the order the params were given, each a Float32Array of
   * its param's length or, for the optimizers that take them (Adagrad), sparse rows
   * `{ indices, values, dim }` (see {@link SparseRows}); omit them when every param is a
   * ParamStore view (the gradients are then read from the store). Returns false when
   * `nonFinite: "skip"` skipped the step. `options.range` steps only part of each param
   * group (see {@link StepOptions}); `step({ range })` reads the gradients from the store.
   * Throws, changing nothing, on bad input.
   *
   * @example
   * ```ts
   * const store = new ParamStore({ w: 1000 });
   * const opt = new Adam(store);
   * store.grad("w").fill(0.1);          // this rank's slice of the reduced gradients
   * opt.step({ range: [0, 500] });      // rank 0 steps elements 0..499 (another rank: [500, 1000])
   * ```
   */
  step(grads?: readonly GradInput[], options?: StepOptions): boolean;
  step(options: StepOptions): boolean;
  step(grads?: readonly GradInput[] | StepOptions, options?: StepOptions): boolean {
    // Options are a plain object; anything else goes to the gradient checks, which name it.
    if (typeof grads === "object" && grads !== null && !Array.isArray(grads) && !ArrayBuffer.isView(grads)) {
      return this.#e.step(undefined, grads);
    }
    return this.#e.step(grads as readonly GradInput[] | undefined, options);
  }

  /** What to do when a gradient holds NaN or ±Inf: see {@link CommonOptions.nonFinite}. */
  get nonFinite(): NonFinitePolicy {
    return this.#e.policy;
  }
  /** Changes the policy from the next step on; a value other than the three throws a TypeError and changes nothing. */
  set nonFinite(v: NonFinitePolicy) {
    this.#e.assertLive();
    checkOption(NON_FINITE, v, `${this.#e.kind}.nonFinite`);
    this.#e.policy = v;
  }

  /** Steps skipped under `nonFinite: "skip"` (saved in checkpoints). */
  get skippedSteps(): number {
    return this.#e.skippedSteps;
  }

  /**
   * The backend whose memory and kernels this optimizer uses: that of its params' ParamStore,
   * else the default chosen by the last `init()` before it was created.
   */
  get backend(): BackendName {
    return this.#e.backend.name;
  }

  /** PyTorch-shaped state: `state` in param order (empty before the first step, except Adagrad's). */
  stateDict(): StateDict {
    return stateDictOf(this.#e);
  }

  /**
   * Restores options and state from `stateDict()` output (or a PyTorch state dict with the
   * same structure; `state` may be an array, an object or a Map keyed by param id). Reads and
   * validates all of it first: a dict that does not fit throws and changes nothing.
   */
  loadStateDict(sd: StateDict): void {
    loadStateDictInto(this.#e, sd);
  }

  /**
   * The whole optimizer (options, state, nonFinite policy, skipped steps) as a versioned,
   * checksummed binary checkpoint; the format is in the README ("Checkpoint format").
   * `params: true` adds the params' values and `scheduler` that scheduler's state, so that
   * one file resumes training exactly (see the README's resume recipe). Without either, the
   * bytes are format version 1, as written by earlier releases.
   */
  saveState(options?: SaveStateOptions): Uint8Array {
    return saveStateOf(this.#e, this, options);
  }

  /**
   * Restores a `saveState()` checkpoint bit for bit: options, state, policy, skipped steps,
   * and the params' values when it holds them. When it holds a scheduler's state, pass that
   * scheduler (created afresh on this optimizer) as `options.scheduler`. Everything is read
   * and checked before anything changes: truncated, corrupted, wrong-version,
   * wrong-optimizer, wrong-shape or wrong-scheduler input throws a CheckpointError and
   * changes neither the optimizer, its params nor the scheduler.
   */
  loadState(bytes: Uint8Array, options?: LoadStateOptions): void {
    loadStateInto(this.#e, this, bytes, options);
  }

  /** Gives all memory back; any later use throws. Store tensors are left to their store. */
  dispose(): void {
    this.#e.dispose();
  }

  /** True after `dispose()`. */
  get isDisposed(): boolean {
    return this.#e.disposed;
  }
}
