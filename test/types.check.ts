// Compile-time checks (run by `tsc -p .` in `npm test`): each @ts-expect-error line must be an
// error, or the build fails. Nothing here runs.
import { Adagrad, RMSprop, type Optimizer } from "../src/index.js";

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
}
