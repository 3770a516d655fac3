// An optimizer family is one typed descriptor: its options, its state buffers and how one
// group calls its kernel. The engine (optimizer.ts) runs any family; nothing else in the
// façade knows which families exist. Families register themselves by id when their module
// loads, so checkpoint ids, state-dict names and the test suites all read one registry.
import { FLUSH_DENORMALS, type Bound, type BoundIndexed, type FamilyKernel, type IndexedKernel, type JsIndexedKernel, type JsKernel } from "./backend.js";
import { bool, type OptionSpecs } from "./options.js";

/** Every option present: what a family's functions receive. */
export type Values<O> = { -readonly [K in keyof O]-?: Exclude<O[K], undefined> };

/** The names of the options of `O` whose values are numbers. */
export type NumberOption<O> = { [K in keyof O]-?: Exclude<O[K], undefined> extends number ? K : never }[keyof O] & string;

/** Options every family takes beside its own, per param group (each family lists them). */
export interface SharedOptions {
  /**
   * Flush state values whose magnitude is below the smallest normal float32 (2^-126, about
   * 1.18e-38) to ±0 after each update: the running averages and sums (square_avg, sum,
   * exp_avg, momentum_buffer, ...), not the weights. WebAssembly has no flush-to-zero mode, and
   * arithmetic on subnormal numbers is several times slower on common CPUs: a weight whose
   * gradient stays 0 drives RMSprop's square_avg subnormal after about 8,700 steps (alpha 0.99),
   * and every later step over it is about 2.5x slower. The values flushed are below any eps in use,
   * but the bits then differ from PyTorch's, so this is off by default. Not a PyTorch option
   * (saved as `flush_denormals`). Free in the loops of the common options, about 0.1 ns per
   * element per state buffer in the others (README, Options). Default false.
   */
  flushDenormals?: boolean;
}

/** The specs of the shared options: every family spreads them into its own. */
export const SHARED_OPTIONS: OptionSpecs<SharedOptions> = { flushDenormals: bool("flush_denormals") };

/**
 * A state buffer (PyTorch's per-param state tensor): one float32 per parameter element, or one
 * per row where `perRow` says so.
 */
export interface SlotSpec<O> {
  /** PyTorch's state name, e.g. "square_avg". */
  readonly name: string;
  /**
   * The option holding a row length d: while it is d > 0 the buffer keeps one value per row
   * of d elements (each param's length must be a multiple of d) instead of one per element.
   * The buffer's layout follows it, so the option is fixed once the optimizer exists.
   */
  readonly perRow?: NumberOption<O>;
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

/** One row kernel call over a sparse step of one tensor (layout: assembly/adagrad-rows.ts). */
export interface RowsCall {
  /** The group's flags, the buffers' included, without MAXIMIZE: the values arrive negated. */
  flags: number;
  /** Distinct rows listed, and the row length. */
  count: number;
  dim: number;
  /** Byte pointers of the row list, the next-entry list and the values. */
  list: number;
  next: number;
  values: number;
  /** Byte pointers of the param's first row and of each state buffer's (0 when not in use). */
  p: number;
  readonly s: number[];
  /** The step being taken, from 1. */
  step: number;
}

/**
 * How a family takes a sparse gradient: rows `{ indices, values, dim }` of a `rows × dim` param.
 * The engine validates the rows, negates the values under maximize and coalesces duplicates into
 * lists the row kernel reads; rows not listed, and their state, stay untouched.
 */
export interface SparseSpec<O, R extends JsIndexedKernel = JsIndexedKernel> {
  /** Why a group with options `o` cannot take a sparse gradient (thrown as a TypeError), or undefined. */
  readonly refuse?: (o: Values<O>) => string | undefined;
  readonly kernel: IndexedKernel<R>;
  /** Calls the row kernel `k` once for one tensor. */
  readonly run: (k: BoundIndexed<R>, o: Values<O>, c: RowsCall) => void;
}

export interface Family<O, J extends JsKernel = JsKernel, R extends JsIndexedKernel = JsIndexedKernel> {
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
  /** Sparse gradients (embedding rows), for the families that take them. */
  readonly sparse?: SparseSpec<O, R>;
}

const registry = new Map<number, Family<never>>();

/** Declares a family and adds it to the registry; an id used twice fails at load. */
export function defineFamily<O, J extends JsKernel, R extends JsIndexedKernel = JsIndexedKernel>(family: Family<O, J, R>): Family<O, J, R> {
  const other = registry.get(family.id);
  if (other) throw new Error(`simdopt internal error: ${family.name} and ${other.name} share family id ${family.id}`);
  // A sparse step fills only the rows it touches, so no buffer may start from the first gradient.
  if (family.sparse && family.slots.some((s) => s.firstFlag !== undefined)) {
    throw new Error(`simdopt internal error: ${family.name} takes sparse gradients but has a buffer that starts from one`);
  }
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

/** The names of the families that take sparse gradients, in id order. */
export const sparseFamilyNames = (): string[] => families().filter((f) => f.sparse).map((f) => f.name);

/** The kernel flags of a group: the family's, plus those of the buffers its options use. */
export function flagsOf<O>(family: Family<O>, o: Values<O>): number {
  let flags = family.flags(o);
  if ((o as unknown as Values<SharedOptions>).flushDenormals) flags |= FLUSH_DENORMALS;
  for (const s of family.slots) if (s.flag !== undefined && (s.when?.(o) ?? true)) flags |= s.flag;
  return flags;
}

/** The row length of slot `k` under options `o`: 0 for a buffer of one value per element. */
export const rowLengthOf = <O>(family: Family<O>, o: Values<O>, k: number): number => {
  const key = family.slots[k]!.perRow;
  return key === undefined ? 0 : (o[key as keyof Values<O>] as number);
};

/** The row length of a group with options `o`: its first per-row buffer's, or 0 if it has none. */
export function groupRowLength<O>(family: Family<O>, o: Values<O>): number {
  for (let k = 0; k < family.slots.length; k++) {
    const d = rowLengthOf(family, o, k);
    if (d) return d;
  }
  return 0;
}

/** Does a group with options `o` need slot `k`? */
export const slotWanted = <O>(family: Family<O>, o: Values<O>, k: number): boolean =>
  family.slots[k]!.when?.(o) ?? true;
