// Compile-time checks (run by `tsc -p .` in `npm test`): each @ts-expect-error line must be an
// error, or the build fails. Nothing here runs.
import { Adagrad, init, ParamStore, RMSprop, shutdown, threads, threadsReason, type Optimizer } from "../src/index.js";

export function typeChecks(w: Float32Array): void {
  // @ts-expect-error a misspelled option in a param group
  new RMSprop([{ params: [w], lrr: 0.1 }]);
  // @ts-expect-error an option of another optimizer in a param group
  new Adagrad([{ params: [w], momentum: 0.9 }]);
  // @ts-expect-error a misspelled top-level option
  new RMSprop([w], { moment: 0.9 });
  // @ts-expect-error a wrong option type
  new RMSprop([w], { centered: 1 });
  new RMSprop([{ params: [w], momentum: 0.9 }, { params: [w], lr: 1e-3 }], { nonFinite: "skip" });
  const opt = new RMSprop([w]);
  // @ts-expect-error skippedSteps is read-only
  opt.skippedSteps = 2;
  // @ts-expect-error paramGroups cannot be replaced
  opt.paramGroups[0] = opt.paramGroups[0]!;
  opt.paramGroups[0]!.lr = 0.5;
  // @ts-expect-error param group options keep their types
  opt.paramGroups[0]!.centered = "yes";
  // Every optimizer is an Optimizer<{ lr?: number }>: schedules and tools can take any of them.
  const any: Optimizer<{ lr?: number }>[] = [opt, new Adagrad([w])];
  void any;
  const store = new ParamStore({ w1: 10, b1: 2 });
  store.param("w1");
  // @ts-expect-error a store's tensors are typed by its layout
  store.param("w2");
  // @ts-expect-error also for gradients
  store.grads(["b2"]);
  new RMSprop(store, { momentum: 0.9 });
}

// step(): grads, options, or both; `range` is a pair of numbers. init's threads: a count or "auto".
export async function stepAndThreads(opt: RMSprop, g: Float32Array): Promise<void> {
  opt.step({ range: [0, 10] });
  opt.step([g], { range: [0, 10] });
  // @ts-expect-error a range is a pair
  opt.step({ range: [0] });
  // @ts-expect-error an unknown step option
  opt.step({ rnage: [0, 10] });
  await init({ threads: "auto" });
  await init({ threads: 2 });
  // @ts-expect-error threads is a count or "auto"
  await init({ threads: "all" });
  const n: number = threads();
  const why: string | undefined = threadsReason();
  await shutdown();
  void n, why;
}
