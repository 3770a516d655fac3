// `node bench/sparse.mjs [--js]` (after `npm run build`): what a sparse Adagrad step costs next
// to a dense step of the same embedding table, on a ParamStore and on a caller-owned array, wasm
// backend (--js: the JS backend too). The rows and how they are timed: toolkit.mjs
// (`npm run bench` times them too).
import { describeSparse, sparseCost } from "./toolkit.mjs";

const timing = { timeMs: 300, warmupMs: 20, minIterations: 3 };
for (const backend of process.argv.includes("--js") ? ["wasm", "js"] : ["wasm"]) {
  console.log(`\n${describeSparse(await sparseCost({ backend, rounds: 5, timing }))}`);
}
