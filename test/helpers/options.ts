// Random option values for any registered family, drawn from its option specs.
import type { Family } from "../../src/family.js";
import type { OptionSpec } from "../../src/options.js";

type Options = Record<string, unknown>;

export function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

/** A value the spec accepts. */
export function valueFor(spec: OptionSpec, r: () => number): unknown {
  switch (spec.kind) {
    case "boolean":
      return r() < 0.5;
    case "number": {
      const top = spec.max ?? 1;
      const xs = [spec.min, 1e-3, 0.01, 0.1, 0.5].filter((x) => x >= spec.min && (spec.maxExclusive ? x < top : x <= top));
      return pick(r, xs);
    }
    case "pair":
      return [pick(r, [0, 0.5, 0.9]), pick(r, [0, 0.9, 0.999])];
    case "enum":
      return pick(r, spec.values);
  }
}

/** Random options every group of `family` accepts (its own constraints respected). */
export function randomOptions(family: Family<unknown>, r: () => number): Options {
  const specs = family.options as unknown as Record<string, OptionSpec>;
  for (;;) {
    const o: Options = {};
    for (const [k, spec] of Object.entries(specs)) {
      if (spec.default === undefined || r() < 0.6) o[k] = valueFor(spec, r);
    }
    const full = { ...Object.fromEntries(Object.entries(specs).map(([k, s]) => [k, s.default])), ...o };
    if (!family.check?.(full as never)) return o;
  }
}

