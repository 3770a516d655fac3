import { MAXIMIZE, WEIGHT_DECAY } from "../backend.js";
import { defineFamily } from "../family.js";
import { adagradJs } from "../js/adagrad.js";
import type { ParamsInput } from "../groups.js";
import { bool, num, type OptionSpecs } from "../options.js";
import { Optimizer, type CommonOptions } from "../optimizer.js";

/** Adagrad options; names are PyTorch's in camelCase, defaults are PyTorch's. */
export interface AdagradOptions {
  /** Learning rate. Default 0.01; >= 0. */
  lr?: number;
  /** Step t uses lr / (1 + (t−1)·lrDecay). Default 0 (no decay); >= 0. */
  lrDecay?: number;
  /** L2 penalty: g += weightDecay·w before the update. Default 0 (off); >= 0. */
  weightDecay?: number;
  /** Starting value of every element of the sum of squared gradients. Default 0; >= 0. */
  initialAccumulatorValue?: number;
  /** Added to sqrt(sum) (outside the root) before dividing. Default 1e-10; >= 0. */
  eps?: number;
  /** Maximise the objective instead of minimising it. Default false. */
  maximize?: boolean;
}

const f = Math.fround;

const ADAGRAD = defineFamily<AdagradOptions, typeof adagradJs>({
  name: "Adagrad",
  id: 2,
  stateFromStart: true,
  countsSteps: true,
  options: {
    lr: num("lr", 0.01),
    lrDecay: num("lr_decay", 0),
    weightDecay: num("weight_decay", 0),
    initialAccumulatorValue: num("initial_accumulator_value", 0),
    eps: num("eps", 1e-10),
    maximize: bool("maximize"),
  } satisfies OptionSpecs<AdagradOptions>,
  slots: [{ name: "sum", init: (o) => f(o.initialAccumulatorValue) }],
  flags: (o) => (o.maximize ? MAXIMIZE : 0) | (o.weightDecay !== 0 ? WEIGHT_DECAY : 0),
  kernel: { wasm: "adagrad", js: adagradJs },
  run: (k, o, c) => {
    // In double, then rounded once, as PyTorch does (FORMULAS.md, Adagrad step 4).
    const clr = o.lr / (1 + (c.step - 1) * o.lrDecay);
    k(c.flags, c.n, c.p, c.g, c.s[0]!, f(o.eps), f(o.weightDecay), f(-clr));
  },
});

/**
 * Adagrad exactly as `torch.optim.Adagrad` (PyTorch 1.13, float32, bit for bit):
 * G += g², w -= clr·g / (sqrt(G) + eps) with clr = lr / (1 + (t−1)·lrDecay). State
 * (`step`, `sum`) exists from construction, `sum` filled with `initialAccumulatorValue`.
 *
 * @example
 * ```ts
 * const w = new Float32Array(100), g = new Float32Array(100).fill(0.1);
 * const opt = new Adagrad([w], { lr: 0.1 });
 * opt.step([g]);
 * ```
 */
export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: ParamsInput<AdagradOptions>, options?: AdagradOptions & CommonOptions) {
    super(ADAGRAD, params, options);
  }
}
