// A training checkpoint in one JSON file: simdopt's own checkpoint of the run (the weights, the
// optimizer's options and state, and the scheduler's state, from
// `opt.saveState({ params: true, scheduler })`), with the epoch reached, the loss history for
// the chart, and the plan of the run, which a resume checks.
import { readFileSync, renameSync, writeFileSync } from "node:fs";

const FORMAT = "simdopt-example-mnist-mlp/2";

/** Writes the checkpoint of `run` ({ recipe, plan, opt, sched, epoch, history }) to `file`, atomically. */
export function saveCheckpoint(file, { recipe, plan, opt, sched, epoch, history }) {
  const checkpoint = Buffer.from(opt.saveState({ params: true, scheduler: sched })).toString("base64");
  const json = JSON.stringify({ format: FORMAT, recipe, plan, epoch, history, checkpoint });
  // Written beside it and renamed, so a crash mid-write leaves the previous checkpoint whole.
  writeFileSync(`${file}.tmp`, json);
  renameSync(`${file}.tmp`, file);
}

/**
 * Restores a checkpoint written by saveCheckpoint into a freshly built run of the same recipe
 * and plan (its starting weights do not matter): weights, optimizer and scheduler all at once,
 * or nothing if the bytes do not fit. Returns `{ epoch, history }`.
 */
export function loadCheckpoint(file, { recipe, plan, opt, sched }) {
  const saved = JSON.parse(readFileSync(file, "utf8"));
  if (saved.format !== FORMAT) throw new Error(`${file}: not a checkpoint of this example (or of an older version of it)`);
  if (saved.recipe !== recipe) throw new Error(`${file}: a checkpoint of ${saved.recipe}, not ${recipe}`);
  if (JSON.stringify(saved.plan) !== JSON.stringify(plan)) {
    throw new Error(`${file}: a checkpoint of a run of ${JSON.stringify(saved.plan)}, not ${JSON.stringify(plan)}`);
  }
  opt.loadState(Buffer.from(saved.checkpoint, "base64"), { scheduler: sched });
  return { epoch: saved.epoch, history: saved.history };
}
