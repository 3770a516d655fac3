// The suites' seeded random numbers: the same data in every run, so a failure reproduces.

export type Rng = () => number;

/** mulberry32: a small seeded generator, uniform in [0, 1). */
export function rngOf(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Values spread over many magnitudes, with some exact zeros. */
export const randomValues = (r: Rng, n: number): Float32Array =>
  Float32Array.from({ length: n }, () => (r() < 0.05 ? 0 : (r() - 0.5) * 10 ** (r() * 6 - 3)));
