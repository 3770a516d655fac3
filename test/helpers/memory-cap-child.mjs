// Run by test/memory-cap.test.ts under `node --wasm-max-mem-pages=1000`: an engine whose wasm
// memory stops at 1000 pages (62.5 MiB), far below simdopt's 4 GiB limit. Uses the built
// package and prints what each step did as JSON.
import { init, ParamStore, RMSprop } from "../../dist/index.js";

await init({ backend: "wasm" });
// `runtime` is internal (not in the published types): the test looks at the heap directly.
const heap = new ParamStore({ probe: 1 }, { reserve: 0 }).runtime.heap;
const out = {};
const attempt = (name, make) => {
  try {
    make();
    out[name] = "ok";
  } catch (e) {
    out[name] = `${e.name}: ${e.message}`;
  }
};
// 44 MB, then 4 MB more: growing by 1.5x would pass the engine's cap, growing by what is
// needed does not.
attempt("store", () => new ParamStore({ w: 5_500_000 }, { reserve: 0 }));
let small;
attempt("storeNearTheCap", () => (small = new ParamStore({ v: 500_000 }, { reserve: 0 })));
attempt("optimizer", () => {
  const opt = new RMSprop(small, { momentum: 0.9, centered: true });
  small.grad("v").fill(1);
  if (!opt.step() || !(small.param("v")[0] < 0)) throw new Error("the step did not update the store");
});
// The default set-aside (8x) cannot be had under the cap: the store is made without it.
attempt("storeWithSetAside", () => new ParamStore({ u: 1_000_000 }));
// More than the engine gives: refused, and nothing allocated or grown.
const before = { used: heap.usedBytes, capacity: heap.capacityBytes };
attempt("tooBigForTheEngine", () => new ParamStore({ x: 1_000_000 }, { reserve: 0 }));
out.unchangedAfterRefusal = heap.usedBytes === before.used && heap.capacityBytes === before.capacity;
out.capacityMiB = heap.capacityBytes / 2 ** 20;
console.log(JSON.stringify(out));
