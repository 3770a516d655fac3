// A bounded soak: 200,000 steps over many small tensors, with optimizers and stores created and
// disposed along the way. Optimizer memory must come back to where it started and the JS heap
// must not grow with the step count.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { Adagrad, init, ParamStore, RMSprop } from "../src/index.js";
import { currentBackend } from "../src/runtime.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const STEPS = 200_000;
const ROUNDS = 40; // each round: new store + optimizers, STEPS / ROUNDS steps, dispose

function round(r: number, steps: number): void {
  const layout: Record<string, number> = {};
  for (let i = 0; i < 24; i++) layout[`t${i}`] = 1 + ((i * 7 + r) % 13);
  const store = new ParamStore(layout);
  const zc = new RMSprop(store, { lr: 1e-3, momentum: 0.9, centered: r % 2 === 0, nonFinite: "skip" });
  const owned = [new Float32Array(5), new Float32Array(11), new Float32Array(0)];
  const grads = owned.map((p) => new Float32Array(p.length).fill(0.01));
  const ms = new Adagrad(owned, { lr: 1e-2 });
  for (const n of store.names) store.grad(n).fill(0.5);
  for (let s = 0; s < steps; s += 2) {
    zc.step();
    ms.step(grads);
  }
  zc.dispose();
  ms.dispose();
  store.dispose();
}

for (const backend of ["wasm", "js"] as const) {
  describe(`soak (${backend})`, () => {
    it(`${STEPS.toLocaleString("en")} steps with create/dispose cycles keep memory flat`, async () => {
      await init({ backend });
      const heap = currentBackend().heap;
      round(0, 2000); // warm up JIT, size the heap
      gc();
      const used0 = heap.usedBytes;
      const capacity0 = heap.capacityBytes;
      const js0 = process.memoryUsage().heapUsed;
      for (let r = 1; r <= ROUNDS; r++) {
        round(r, STEPS / ROUNDS);
        expect(heap.usedBytes).toBe(used0);
      }
      gc();
      const jsGrowth = process.memoryUsage().heapUsed - js0;
      expect(heap.capacityBytes).toBe(capacity0);
      // Steps allocate nothing; what remains is JIT and test-runner noise, far below 1 byte/step.
      expect(jsGrowth).toBeLessThan(4 * 2 ** 20);
    });
  });
}
