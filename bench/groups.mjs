// The memory-path section: one model of 200 tensors of 1,000 elements stepped as
// one param group (one kernel call over the contiguous span) against 200 optimizers of one
// tensor each (200 calls across the JS/wasm boundary), and the same model from caller-owned
// arrays (copied in and out, still one kernel call).
import { init, ParamStore, RMSprop } from "../dist/index.js";
import { fill, GRAD_SEED, KERNELS, PARAM_SEED } from "./data.mjs";
import { time } from "./measure.mjs";
import { median } from "./stats.mjs";

const TENSORS = 200;
const SIZE = 1000;

function model() {
  const layout = {};
  for (let i = 0; i < TENSORS; i++) layout[`t${i}`] = SIZE;
  const store = new ParamStore(layout);
  for (const name of store.names) {
    fill(store.param(name), PARAM_SEED);
    fill(store.grad(name), GRAD_SEED);
  }
  return store;
}

export async function groups({ rounds, timing }) {
  await init({ backend: "wasm" });
  const options = KERNELS.rmsprop.options;
  const n = TENSORS * SIZE;
  const a = model();
  const one = new RMSprop(a, options);
  const b = model();
  const many = b.names.map((name) => new RMSprop([b.param(name)], options));
  const owned = a.names.map(() => fill(new Float32Array(SIZE), PARAM_SEED));
  const ownedGrads = a.names.map(() => fill(new Float32Array(SIZE), GRAD_SEED));
  const marshalled = new RMSprop(owned, options);
  // Later allocations may replace the memory, which leaves views behind: re-read them.
  const enter = () => {
    for (const store of [a, b]) store.params(), store.grads();
  };
  const impls = [
    { id: "one group", enter, step: () => one.step(), flip() {} },
    { id: "200 optimizers", enter, step: () => { for (const o of many) o.step(); }, flip() {} },
    { id: "one group, caller-owned arrays", step: () => marshalled.step(ownedGrads), flip() {} },
  ];
  const meds = impls.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < impls.length; k++) {
      const j = (k + r) % impls.length;
      meds[j].push((await time(impls[j], n, 4, timing)).median);
    }
  }
  one.dispose();
  for (const o of many) o.dispose();
  marshalled.dispose();
  a.dispose();
  b.dispose();
  const rows = impls.map((impl, j) => ({ id: impl.id, usPerStep: (median(meds[j]) * n) / 1000 }));
  return { tensors: TENSORS, size: SIZE, rows, ratio: rows[1].usPerStep / rows[0].usPerStep };
}

/** Prints the section, with the 1e6 zero-copy / marshalled / plain-JS rows of the main table. */
export function printGroups(g, results) {
  console.log(`\nMemory paths (RMSprop): ${g.tensors} tensors of ${g.size.toLocaleString("en")} elements`);
  for (const r of g.rows) console.log(`  ${r.id.padEnd(32)} ${r.usPerStep.toFixed(1).padStart(8)} µs/step  ${(r.usPerStep / g.rows[0].usPerStep).toFixed(2)}×`);
  const at = (impl) => results.find((r) => r.kernel === "rmsprop" && r.n === 1e6 && r.impl === impl);
  const zc = at("wasm"), ms = at("wasm-marshalled"), js = at("plain-js");
  if (zc && ms && js) {
    console.log(`  at 1e6 in one tensor: zero-copy ${zc.nsPerElement.toFixed(3)}, marshalled ${ms.nsPerElement.toFixed(3)} (${(ms.nsPerElement / zc.nsPerElement).toFixed(2)}×), plain JS loop ${js.nsPerElement.toFixed(3)} ns/element (${(js.nsPerElement / zc.nsPerElement).toFixed(2)}×)`);
  }
}
