// TypeScript consumer (ESM): type-checked against the published declarations with
// `tsc --noEmit` (NodeNext and Bundler resolution), then compiled and run like the others.
import * as simdopt from "simdopt";
import { Adagrad, init, initSync, RMSprop, fallbackReason, type BackendName, type StateDict } from "simdopt";
import { report, run } from "./check.mjs";

// Never called: these lines exist for the type checker.
export async function typeOnly(): Promise<void> {
  const backend: BackendName = await init({ backend: "auto", wasm: new URL("https://example.com/simdopt.wasm") });
  const again: "wasm" | "js" = initSync({ backend: "js" });
  const why: string | undefined = fallbackReason();
  const w = new Float32Array(8);
  const rms = new RMSprop([w], { lr: 1e-3, alpha: 0.99, centered: true, momentum: 0.9 });
  rms.step([new Float32Array(8)]);
  const ada = new Adagrad([w], { lr: 1e-2, lrDecay: 0.1, initialAccumulatorValue: 0.1 });
  ada.step([new Float32Array(8)]);
  const saved: StateDict = rms.stateDict();
  rms.loadStateDict(saved);
  // @ts-expect-error: lr must be a number
  new RMSprop([w], { lr: "fast" });
  // @ts-expect-error: the backend name is checked
  await init({ backend: "gpu" });
  console.log(backend, again, why);
}

console.log(report(await run(simdopt, "TypeScript consumer")));
