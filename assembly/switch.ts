// Compile-time switches for kernel variants. A kernel's loop takes one type argument per
// option, `On` or `Off`, and tests it with `enabled<S>()`, a constant the compiler folds: every
// combination of options becomes its own loop with no test inside, and adding an option adds
// one type parameter and one `if` where the flag is read, not a case per combination.
export type On = i8;
export type Off = u8;

/** True when the switch `S` is `On`; a compile-time constant. */
@inline export function enabled<S>(): bool {
  return isSigned<S>();
}
