// How the bench summarises one implementation's rounds: the median of the round medians, and a
// spread that says how far that median can be trusted.
//
// The spread is a distribution-free confidence interval for the median: with k rounds sorted,
// [r(j), r(k+1-j)] holds the true median with probability 1 - 2·P(Binomial(k, ½) < j). We take
// the largest j that keeps at least 90%; below 8 rounds that is j = 1, the full range (at 4
// rounds even the full range holds the median with only 87.5%). So a single disturbed round
// widens a 4-round cell's spread to its full range, and more rounds let it shrink again: the
// reason a noisy cell is worth re-measuring.

export const CONFIDENCE = 0.9;
/** A cell whose spread reaches past ±10% of its median is re-measured, then marked noisy. */
export const NOISY = 0.1;

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function binomial(k, i) {
  let c = 1;
  for (let t = 1; t <= i; t++) c = (c * (k - t + 1)) / t;
  return c;
}

/** The 1-based rank j of the interval's lower end for k rounds. */
export function confidenceRank(k) {
  let best = 1, below = 0;
  for (let j = 1; j <= k >> 1; j++) {
    below += binomial(k, j - 1);
    if (1 - (2 * below) / 2 ** k < CONFIDENCE) break;
    best = j;
  }
  return best;
}

/** `{ value, spread: [lo, hi], spreadPercent, noisy }` of a list of round medians. */
export function summarise(rounds) {
  const s = [...rounds].sort((a, b) => a - b);
  const j = confidenceRank(s.length);
  const value = median(s);
  const lo = s[j - 1], hi = s[s.length - j];
  const relative = Math.max(hi - value, value - lo) / value;
  return { value, spread: [lo, hi], spreadPercent: 100 * relative, noisy: relative > NOISY };
}
