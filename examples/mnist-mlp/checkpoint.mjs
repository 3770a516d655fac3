// A training checkpoint in one JSON file: the optimizer's own checkpoint (`saveState()` bytes:
// options and state), the scheduler's state dict, the weights read from the store's views,
// and where training was. Optimizer checkpoints hold no weights, so they are saved beside it.
import { readFileSync, renameSync, writeFileSync } from "node:fs";

const FORMAT = "simdopt-example-mnist-mlp/1";
const b64 = (f32) => Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength).toString("base64");
const f32 = (text) => {
  const bytes = Buffer.from(text, "base64");
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
};

/**
 * Writes the checkpoint of `run` ({ recipe, plan, store, opt, sched, epoch, history }) to
 * `file`, atomically. `plan` describes the run (epochs, data) so that a resume can check it.
 */
export function saveCheckpoint(file, { recipe, plan, store, opt, sched, epoch, history }) {
  const weights = Object.fromEntries(store.names.map((name) => [name, b64(store.param(name))]));
  const optimizer = Buffer.from(opt.saveState()).toString("base64");
  const json = JSON.stringify({ format: FORMAT, recipe, plan, epoch, optimizer, scheduler: sched.stateDict(), weights, history });
  // Written beside it and renamed, so a crash mid-write leaves the previous checkpoint whole.
  writeFileSync(`${file}.tmp`, json);
  renameSync(`${file}.tmp`, file);
}

/**
 * Restores a checkpoint written by saveCheckpoint into a freshly built run of the same recipe:
 * weights into the store, then the optimizer (its options too, so the scheduled lr comes back),
 * then the scheduler. Returns `{ epoch, history }`. Refuses a checkpoint of another recipe or
 * of a run planned otherwise (its schedule would not fit).
 */
export function loadCheckpoint(file, { recipe, plan, store, opt, sched }) {
  const saved = JSON.parse(readFileSync(file, "utf8"));
  if (saved.format !== FORMAT) throw new Error(`${file}: not a checkpoint of this example`);
  if (saved.recipe !== recipe) throw new Error(`${file}: a checkpoint of ${saved.recipe}, not ${recipe}`);
  if (JSON.stringify(saved.plan) !== JSON.stringify(plan)) {
    throw new Error(`${file}: a checkpoint of a run of ${JSON.stringify(saved.plan)}, not ${JSON.stringify(plan)}`);
  }
  const weights = Object.fromEntries(store.names.map((name) => [name, f32(saved.weights[name] ?? "")]));
  for (const name of store.names) {
    if (weights[name].length !== store.param(name).length) throw new Error(`${file}: ${name} has ${weights[name].length} weights, the model ${store.param(name).length}`);
  }
  // Everything is read and checked before anything changes; loadState checks its own bytes.
  opt.loadState(new Uint8Array(Buffer.from(saved.optimizer, "base64")));
  sched.loadStateDict(saved.scheduler);
  for (const name of store.names) store.param(name).set(weights[name]);
  return { epoch: saved.epoch, history: saved.history };
}
