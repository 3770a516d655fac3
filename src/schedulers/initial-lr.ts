// torch keeps `initial_lr` in each param group: the first scheduler created on an optimizer sets
// it (`setdefault`), every later one takes its base lrs from it, SequentialLR resets the lrs to
// it, and OneCycleLR overwrites it. simdopt's groups hold only optimizer options, so the value
// lives here, keyed by the optimizer object and dropped with it.
const initialLrs = new WeakMap<object, readonly number[]>();

/** The initial lrs recorded for `optimizer`, if a scheduler has recorded them. */
export const initialLrsOf = (optimizer: object): readonly number[] | undefined => initialLrs.get(optimizer);

/** torch's `group.setdefault("initial_lr", lr)`: records `lrs` unless some are recorded. */
export function recordInitialLrs(optimizer: object, lrs: readonly number[]): void {
  if (!initialLrs.has(optimizer)) initialLrs.set(optimizer, [...lrs]);
}

/** OneCycleLR's `group["initial_lr"] = max_lr / div_factor`: replaces what is recorded. */
export function replaceInitialLrs(optimizer: object, lrs: readonly number[]): void {
  initialLrs.set(optimizer, [...lrs]);
}
