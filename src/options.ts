// Option specs and their validation. Ranges follow what torch.optim enforces, plus two of
// our own: every number must be finite, and RMSprop's alpha must lie in [0, 1].

export interface NumberSpec {
  readonly kind: "number";
  /** The name in PyTorch's state dict (`param_groups`). */
  readonly torch: string;
  /** undefined: the option is required (SGD's lr, as in PyTorch). */
  readonly default: number | undefined;
  readonly min: number;
  readonly max?: number;
  /** The range excludes `max` (Adam's betas lie in [0, 1)). */
  readonly maxExclusive?: boolean;
}
/** Two numbers, each in the range (Adam's betas). */
export interface PairSpec {
  readonly kind: "pair";
  readonly torch: string;
  readonly default: readonly [number, number];
  readonly min: number;
  readonly max: number;
  readonly maxExclusive?: boolean;
}
export interface BooleanSpec {
  readonly kind: "boolean";
  readonly torch: string;
  readonly default: boolean;
}
export interface EnumSpec {
  readonly kind: "enum";
  readonly torch: string;
  readonly default: string;
  readonly values: readonly string[];
}
export type OptionSpec = NumberSpec | BooleanSpec | EnumSpec | PairSpec;
export type Specs = Readonly<Record<string, OptionSpec>>;

/** The spec type that fits an option's value type. */
type SpecFor<T> = [T] extends [boolean] ? BooleanSpec
  : [T] extends [number] ? NumberSpec
  : [T] extends [readonly [number, number]] ? PairSpec
  : never;
/** One spec per option of `O`, each of the kind its type needs: typed from API to kernel. */
export type OptionSpecs<O> = { readonly [K in keyof O]-?: SpecFor<Exclude<O[K], undefined>> };

export const num = (torch: string, dflt: number | undefined, min = 0, max?: number): NumberSpec =>
  ({ kind: "number", torch, default: dflt, min, max });
export const bool = (torch: string, dflt = false): BooleanSpec => ({ kind: "boolean", torch, default: dflt });
/** A pair of numbers in [min, max). */
export const pair = (torch: string, dflt: readonly [number, number], min: number, max: number): PairSpec =>
  ({ kind: "pair", torch, default: dflt, min, max, maxExclusive: true });

/** The whole-optimizer policy for NaN and ±Inf in gradients; see the README's Guarantees. */
export type NonFinitePolicy = "propagate" | "skip" | "throw";
export const NON_FINITE_POLICIES: readonly NonFinitePolicy[] = ["propagate", "skip", "throw"];

export const show = (v: unknown): string => {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "bigint") return `${v}n`;
  if (Object.is(v, -0)) return "-0";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object" && v !== null) return (v as object).constructor?.name ?? "an object";
  return String(v);
};

function checkNumber(spec: NumberSpec | PairSpec, value: unknown, where: string): number {
  if (typeof value !== "number") throw new TypeError(`${where} must be a number, got ${show(value)}`);
  const max = spec.max;
  const range = max === undefined ? `>= ${spec.min}` : `in [${spec.min}, ${max}${spec.maxExclusive ? ")" : "]"}`;
  const above = max !== undefined && (spec.maxExclusive ? value >= max : value > max);
  if (!Number.isFinite(value) || value < spec.min || above) {
    throw new RangeError(`${where} must be a finite number ${range}, got ${show(value)}`);
  }
  return value;
}

/**
 * Throws TypeError/RangeError naming `where` when `value` does not fit `spec`; returns the
 * value to keep: a pair is read once into a frozen copy, so a later change to the caller's
 * array (or a getter that answers differently) cannot reach the optimizer.
 */
export function checkOption(spec: OptionSpec, value: unknown, where: string): unknown {
  switch (spec.kind) {
    case "number":
      return checkNumber(spec, value, where);
    case "pair": {
      if (!Array.isArray(value)) throw new TypeError(`${where} must be an array of two numbers, got ${show(value)}`);
      const n = value.length;
      if (n !== 2) throw new RangeError(`${where} must hold two numbers, got ${n}`);
      const a = value[0], b = value[1];
      return Object.freeze([checkNumber(spec, a, `${where}[0]`), checkNumber(spec, b, `${where}[1]`)] as const);
    }
    case "boolean":
      if (typeof value !== "boolean") throw new TypeError(`${where} must be a boolean, got ${show(value)}`);
      return value;
    case "enum":
      if (typeof value !== "string" || !spec.values.includes(value)) {
        const list = spec.values.map((v) => JSON.stringify(v)).join(", ");
        throw new (typeof value === "string" ? RangeError : TypeError)(
          `${where} must be one of ${list}, got ${show(value)}`,
        );
      }
      return value;
  }
}

/**
 * Validates a user options object against `specs` and returns a complete record: given
 * values over `base` (defaults, or the optimizer's defaults for a param group).
 */
export function resolveOptions(
  specs: Specs,
  given: unknown,
  base: Readonly<Record<string, unknown>>,
  where: string,
  ignore: readonly string[] = [],
): Record<string, unknown> {
  if (given === undefined) return { ...base };
  if (typeof given !== "object" || given === null || Array.isArray(given)) {
    throw new TypeError(`${where} must be an options object, got ${show(given)}`);
  }
  const out: Record<string, unknown> = { ...base };
  for (const key of Object.keys(given)) {
    if (ignore.includes(key)) continue;
    // Own names only: "__proto__" (which JSON.parse makes an own key) is an unknown name too.
    const spec = Object.hasOwn(specs, key) ? specs[key] : undefined;
    if (!spec) {
      const known = Object.keys(specs).join(", ");
      throw new TypeError(`${where} has unknown option ${JSON.stringify(key)} (known: ${known})`);
    }
    const value = (given as Record<string, unknown>)[key];
    if (value === undefined) continue;
    out[key] = checkOption(spec, value, `${where}.${key}`);
  }
  return out;
}

export function defaultsOf(specs: Specs): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(specs)) out[k] = s.default;
  return out;
}
