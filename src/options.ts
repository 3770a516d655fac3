// Option specs and their validation. Ranges follow what torch.optim enforces, plus two of
// our own: every number must be finite, and RMSprop's alpha must lie in [0, 1].

export interface NumberSpec {
  readonly kind: "number";
  /** The name in PyTorch's state dict (`param_groups`). */
  readonly torch: string;
  readonly default: number;
  readonly min: number;
  readonly max?: number;
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
export type OptionSpec = NumberSpec | BooleanSpec | EnumSpec;
export type Specs = Readonly<Record<string, OptionSpec>>;

export const num = (torch: string, dflt: number, min = 0, max?: number): NumberSpec =>
  ({ kind: "number", torch, default: dflt, min, max });
export const bool = (torch: string, dflt = false): BooleanSpec => ({ kind: "boolean", torch, default: dflt });

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

/** Throws TypeError/RangeError naming `where.name` when `value` does not fit `spec`. */
export function checkOption(spec: OptionSpec, value: unknown, where: string): void {
  switch (spec.kind) {
    case "number": {
      if (typeof value !== "number") {
        throw new TypeError(`${where} must be a number, got ${show(value)}`);
      }
      const range = spec.max === undefined ? `>= ${spec.min}` : `in [${spec.min}, ${spec.max}]`;
      if (!Number.isFinite(value) || value < spec.min || (spec.max !== undefined && value > spec.max)) {
        throw new RangeError(`${where} must be a finite number ${range}, got ${show(value)}`);
      }
      return;
    }
    case "boolean":
      if (typeof value !== "boolean") throw new TypeError(`${where} must be a boolean, got ${show(value)}`);
      return;
    case "enum":
      if (typeof value !== "string" || !spec.values.includes(value)) {
        const list = spec.values.map((v) => JSON.stringify(v)).join(", ");
        throw new (typeof value === "string" ? RangeError : TypeError)(
          `${where} must be one of ${list}, got ${show(value)}`,
        );
      }
  }
}

/** A key as a message shows it: a name in quotes, a symbol as `Symbol(description)`. */
export const showKey = (k: PropertyKey): string => (typeof k === "symbol" ? String(k) : JSON.stringify(String(k)));

/**
 * The names of an object the caller gives as options or state: its own string keys, non-enumerable
 * ones included (nothing given is dropped unseen), and `__proto__` when it is an own key (as
 * JSON.parse makes it). A symbol key is refused as `unknown`, naming it.
 */
export function ownNames(obj: object, where: string, unknown: string): string[] {
  const keys = Reflect.ownKeys(obj);
  const sym = keys.find((k) => typeof k === "symbol");
  if (sym !== undefined) throw new TypeError(`${where} has ${unknown} ${showKey(sym)}`);
  return keys as string[];
}

/** The spec `specs` defines for `name` itself; never one inherited from Object.prototype. */
export const specOf = <S extends object>(specs: Readonly<Record<string, S>>, name: string): S | undefined =>
  Object.hasOwn(specs, name) ? specs[name] : undefined;

/**
 * Validates a user options object against `specs` and returns a complete record: given
 * values over `base` (defaults, or the optimizer's defaults for a param group). Each given
 * property is read once.
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
  const known = Object.keys(specs).join(", ");
  const out: Record<string, unknown> = { ...base };
  for (const key of ownNames(given, where, "unknown option")) {
    if (ignore.includes(key)) continue;
    const spec = specOf(specs, key);
    if (!spec) throw new TypeError(`${where} has unknown option ${showKey(key)} (known: ${known})`);
    const value = (given as Record<string, unknown>)[key];
    if (value === undefined) continue;
    checkOption(spec, value, `${where}.${key}`);
    out[key] = value;
  }
  return out;
}

export function defaultsOf(specs: Specs): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(specs)) out[k] = s.default;
  return out;
}
