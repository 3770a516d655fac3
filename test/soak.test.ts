// A bounded soak: 200,000 steps over many small tensors, with optimizers and stores created and
// disposed along the way, views of disposed stores kept and written to, and one store that
// lives through it all. Optimizer memory must come back to where it started, its capacity must
// stay put (reusing what disposed objects gave back never grows it), the long-lived store must
// end bit-identical to a twin that never shared memory with anything, and the JS heap must not
// grow with the step count.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { Adagrad, init, ParamStore, RMSprop } from "../src/index.js";
import { currentBackend } from "../src/runtime.js";
import { scribble } from "./helpers/memory.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const STEPS = 200_000;
const ROUNDS = 40; // each round: new store + optimizers, STEPS / ROUNDS steps, dispose
const KEPT = 8; // views of disposed stores still written to

function round(r: number, steps: number, kept: Float32Array[]): void {
  const layout: Record<string, number> = {};
  for (let i = 0; i < 24; i++) layout[`t${i}`] = 1 + ((i * 7 + r) % 13);
  const store = new ParamStore(layout);
  const zc = new RMSprop(store, { lr: 1e-3, momentum: 0.9, centered: r % 2 === 0, nonFinite: "skip" });
  const owned = [new Float32Array(5), new Float32Array(11), new Float32Array(0)];
  const grads = owned.map((p) => new Float32Array(p.length).fill(0.01));
  const ms = new Adagrad(owned, { lr: 1e-2 });
  // Writes through views of stores disposed in earlier rounds reach none of this round's.
  for (const v of kept) scribble(v, -r);
  expect(store.params().every((p) => p.every((x) => x === 0))).toBe(true);
  for (const n of store.names) store.grad(n).fill(0.5);
  for (let s = 0; s < steps; s += 2) {
    zc.step();
    ms.step(grads);
  }
  kept.push(store.param(`t${r % 24}`), store.grad("t0"));
  zc.dispose();
  ms.dispose();
  store.dispose();
  kept.splice(0, kept.length - KEPT);
}

/** A store that outlives every round, and a twin over caller-owned arrays given the same grads. */
function longLived() {
  const layout = { w: 300, b: 7 };
  const store = new ParamStore(layout);
  const opt = new RMSprop(store, { lr: 1e-2, momentum: 0.5 });
  const twinParams = Object.values(layout).map((n) => new Float32Array(n));
  const twin = new RMSprop(twinParams, { lr: 1e-2, momentum: 0.5 });
  return {
    step(r: number) {
      // Memory may have been renewed since the last round: re-read the views, as documented.
      const grads = store.grads();
      grads.forEach((g, i) => g.fill(0.01 * (1 + ((r + i) % 3))));
      opt.step();
      twin.step(grads.map((g) => g.slice()));
    },
    check() {
      store.params().forEach((p, i) => expect(new Uint32Array(p.slice().buffer)).toEqual(new Uint32Array(twinParams[i]!.buffer)));
      expect(twinParams[0]![0]).not.toBe(0);
    },
    dispose() {
      opt.dispose();
      twin.dispose();
      store.dispose();
    },
  };
}

for (const backend of ["wasm", "js"] as const) {
  describe(`soak (${backend})`, () => {
    it(`${STEPS.toLocaleString("en")} steps with create/dispose cycles keep memory flat`, async () => {
      await init({ backend });
      const heap = currentBackend().heap;
      const keeper = longLived();
      const kept: Float32Array[] = [];
      round(0, 2000, kept); // warm up JIT, size the heap
      keeper.step(0);
      gc();
      const used0 = heap.usedBytes;
      const capacity0 = heap.capacityBytes;
      const generation0 = heap.generation;
      const js0 = process.memoryUsage().heapUsed;
      for (let r = 1; r <= ROUNDS; r++) {
        round(r, STEPS / ROUNDS, kept);
        keeper.step(r);
        expect(heap.usedBytes).toBe(used0);
        expect(heap.usedBytes + heap.quarantinedBytes).toBeLessThanOrEqual(heap.capacityBytes);
      }
      kept.length = 0;
      gc();
      const jsGrowth = process.memoryUsage().heapUsed - js0;
      expect(heap.capacityBytes).toBe(capacity0);
      // What the rounds gave back was reused (each reuse of a store's block renews the memory)
      // or waits in quarantine, inside the same capacity.
      expect(heap.generation > generation0 || heap.quarantinedBytes > 0).toBe(true);
      keeper.check();
      keeper.dispose();
      // Steps allocate nothing; what remains is JIT and test-runner noise, far below 1 byte/step.
      expect(jsGrowth).toBeLessThan(4 * 2 ** 20);
    });
  });
}
