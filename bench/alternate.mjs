// Rows compared with one another, timed in alternation: each round times every row once (with
// measure.mjs), starting one row further along each round, so that machine noise hits all of
// them alike. Each row's value is the median of its round medians, with the spread of stats.mjs.
// While any row's spread passes ±10%, the whole group gets more rounds, so that the rows compared
// keep sharing their conditions: in steps that narrow the confidence interval by one rank (as
// run.mjs re-measures its cells), up to `factor` times the first rounds and within a time budget
// shared by every group of a run. A row still above ±10% then is marked noisy.
import { performance } from "node:perf_hooks";
import { time } from "./measure.mjs";
import { confidenceRank, summarise } from "./stats.mjs";

/** Milliseconds that several groups may spend on more rounds, all told. */
export function remeasureBudget(ms) {
  let spent = 0;
  return {
    get leftMs() {
      return ms - spent;
    },
    get spentMs() {
      return spent;
    },
    spend(x) {
      spent += x;
    },
  };
}

/**
 * Times `rows` (each `{ id, label, step, flip?, enter? }`, one call of `step` a sample, `flip`
 * untimed before it) in alternation over `rounds` rounds, and more while noisy when `remeasure`
 * (`{ factor, budget }`) is given. Returns per row `{ id, label, us, spread: [lo, hi] (µs),
 * spreadPercent, noisy, rounds, remeasured, roundMedians (µs) }`.
 */
export async function alternate(rows, { rounds, timing, remeasure }) {
  const medians = rows.map(() => []);
  const round = async (r) => {
    for (let k = 0; k < rows.length; k++) {
      const j = (k + r) % rows.length;
      const row = rows[j];
      // One sample is one call: measure.mjs's ns per element with n = 1 is ns per call.
      medians[j].push((await time({ flip() {}, ...row }, 1, 1, timing)).median / 1000);
    }
  };
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) await round(r);
  let roundMs = (performance.now() - t0) / rounds;
  let k = rounds;
  if (remeasure) {
    const cap = remeasure.factor * rounds;
    while (medians.some((m) => summarise(m).noisy)) {
      let next = k + 1;
      while (confidenceRank(next) === confidenceRank(k) && next < cap) next++;
      if (confidenceRank(next) === confidenceRank(k) || (next - k) * roundMs > remeasure.budget.leftMs) break;
      const s0 = performance.now(), added = next - k;
      for (; k < next; k++) await round(k);
      const ms = performance.now() - s0;
      remeasure.budget.spend(ms);
      roundMs = ms / added;
    }
  }
  return rows.map((row, j) => {
    const s = summarise(medians[j]);
    return {
      id: row.id,
      label: row.label,
      us: s.value,
      spread: s.spread,
      spreadPercent: s.spreadPercent,
      noisy: s.noisy,
      rounds: medians[j].length,
      remeasured: k > rounds,
      roundMedians: medians[j],
    };
  });
}
