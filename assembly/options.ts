// The option bits of every kernel's `flags` (the same values as src/backend.ts), and how a
// kernel turns them into compile-time choices.

export const MAXIMIZE: u32 = 1;
export const WEIGHT_DECAY: u32 = 2;
export const CENTERED: u32 = 4;
export const MOMENTUM: u32 = 8;
export const EPS_IN_SQRT: u32 = 16;
export const NESTEROV: u32 = 32;
export const FIRST_STEP: u32 = 64;
export const AMSGRAD: u32 = 128;
export const DECOUPLED_DECAY: u32 = 256;
export const FLUSH_DENORMALS: u32 = 512;
export const ROWWISE: u32 = 1024;
export const PACKED_ROWS: u32 = 2048;

// Every combination of options is its own specialised loop: an option that is off must cost
// nothing per element, and a multiply by 1 or 0 in its place would change bits (0 * Inf = NaN).
// A kernel's loop is generic over one type argument per option, `On` or `Off`, and tests
// `on<Option>()`, a compile-time constant, so only the enabled options' code is emitted. Each
// kernel reaches its variant through a chain of small dispatch functions, one per option bit,
// each instantiating the next with `On` or `Off`: the source grows by one function per option
// while the compiler emits one loop per combination.
export type On = bool;
export type Off = void;

/** Is option type argument `T` `On`? A constant, folded at compile time. */
@inline export function on<T>(): bool {
  return isBoolean<T>();
}
