// An optimizer family is one typed descriptor: its options, its state buffers and how one
// group calls its kernel. The engine (optimizer.ts) runs any family; nothing else in the
// façade knows which families exist. Families register themselves by id when their module
// loads, so checkpoint ids, state-dict names and the test suites all read one registry.
import type { Bound, FamilyKernel, JsKernel } from "./backend.js";
import type { OptionSpecs } from "./options.js";

/** Every option present: what a family's functions receive. */
export type Values<O> = { -readonly [K in keyof O]-?: Exclude<O[K], undefined> };

/** A state buffer (PyTorch's per-param state tensor), one float32 per parameter element. */
export interface SlotSpec<O> {
  /** PyTorch's state name, e.g. "square_avg". */
  readonly name: string;
  /**
   * While this holds, the buffer exists and `flag` is passed to the kernel. Default: always.
   * A buffer stays allocated once created (as PyTorch keeps it), but its flag follows `when`.
   */
  readonly when?: (o: Values<O>) => boolean;
  /** The kernel flag that makes the kernel use this buffer. */
  readonly flag?: number;
  /** The value a new buffer starts with. Default 0. */
  readonly init?: (o: Values<O>) => number;
  /**
   * A kernel flag for a step whose buffer holds nothing yet (PyTorch's `None`): SGD's momentum
   * buffer starts as a copy of the gradient rather than from zero.
   */
  readonly firstFlag?: number;
}

/** One kernel call over `n` elements; reused between calls, so a family must not keep it. */
export interface KernelCall {
  /** The family's option flags with the flags of the buffers in use. */
  flags: number;
  n: number;
  /** Byte pointers of the params and grads. */
  p: number;
  g: number;
  /** Byte pointer of each state buffer, in `slots` order; 0 for a buffer not in use. */
  readonly s: number[];
  /** The step being taken, from 1 (PyTorch's `state["step"]` after its increment). */
  step: number;
}

export interface Family<O, J extends JsKernel = JsKernel> {
  /** The class name, also the name in error messages and checkpoints. */
  readonly name: string;
  /** The checkpoint kind id: unique, never reused. */
  readonly id: number;
  /** PyTorch creates the state at construction (Adagrad) rather than at the first step. */
  readonly stateFromStart: boolean;
  /** PyTorch keeps a per-param `step` in the state (every family but SGD). */
  readonly countsSteps: boolean;
  readonly options: OptionSpecs<O>;
  readonly slots: readonly SlotSpec<O>[];
  /** A constraint between options: returns what is wrong (thrown as a RangeError), or undefined. */
  readonly check?: (o: Values<O>) => string | undefined;
  /** The kernel flags that follow from options alone (the engine adds the buffers' flags). */
  readonly flags: (o: Values<O>) => number;
  /** The family's kernel on each backend (its wasm export name, its exact JS version). */
  readonly kernel: FamilyKernel<J>;
  /** Calls the kernel `k` once: the options give the constants, `c` the memory. */
  readonly run: (k: Bound<J>, o: Values<O>, c: KernelCall) => void;
}

const registry = new Map<number, Family<never>>();

/** Declares a family and adds it to the registry; an id used twice fails at load. */
export function defineFamily<O, J extends JsKernel>(family: Family<O, J>): Family<O, J> {
  const other = registry.get(family.id);
  if (other) throw new Error(`simdopt internal error: ${family.name} and ${other.name} share family id ${family.id}`);
  registry.set(family.id, family as unknown as Family<never>);
  return family;
}

/** Every family loaded, in id order. */
export function families(): readonly Family<unknown>[] {
  return [...registry.values()].sort((a, b) => a.id - b.id) as unknown as readonly Family<unknown>[];
}

export function familyById(id: number): Family<unknown> | undefined {
  return registry.get(id) as Family<unknown> | undefined;
}

/** The kernel flags of a group: the family's, plus those of the buffers its options use. */
export function flagsOf<O>(family: Family<O>, o: Values<O>): number {
  let flags = family.flags(o);
  for (const s of family.slots) if (s.flag !== undefined && (s.when?.(o) ?? true)) flags |= s.flag;
  return flags;
}

/** Does a group with options `o` need slot `k`? */
export const slotWanted = <O>(family: Family<O>, o: Values<O>, k: number): boolean =>
  family.slots[k]!.when?.(o) ?? true;
