import { AMSGRAD, MAXIMIZE, WEIGHT_DECAY } from "../backend.js";
import { defineFamily, SHARED_OPTIONS, type Family, type SharedOptions } from "../family.js";
import type { ParamsInput } from "../groups.js";
import { adamJs } from "../js/adam.js";
import { bool, num, pair, type OptionSpecs } from "../options.js";
import { Optimizer, type CommonOptions } from "../optimizer.js";

/** Adam options; names are PyTorch's in camelCase, defaults are PyTorch's. */
export interface AdamOptions extends SharedOptions {
  /** Learning rate. Default 1e-3; >= 0. */
  lr?: number;
  /** Decay rates of the running averages of g and g²: [beta1, beta2]. Default [0.9, 0.999]; each in [0, 1). */
  betas?: readonly [number, number];
  /** Added to the bias-corrected sqrt(v) before dividing. Default 1e-8; >= 0. */
  eps?: number;
  /** L2 penalty: g += weightDecay·w before the update (AdamW decouples it instead). Default 0; >= 0. */
  weightDecay?: number;
  /** Divide by the running maximum of v (AMSGrad). Default false. */
  amsgrad?: boolean;
  /** Maximise the objective instead of minimising it. Default false. */
  maximize?: boolean;
}

const f = Math.fround;

/** @internal What Adam and AdamW share: everything but the default and the kind of weight decay. */
export function adamFamily(name: string, id: number, weightDecay: number, decayFlag: (o: AdamOptions & { weightDecay: number; lr: number }) => number): Family<AdamOptions, typeof adamJs> {
  return defineFamily<AdamOptions, typeof adamJs>({
    name,
    id,
    stateFromStart: false,
    countsSteps: true,
    options: {
      lr: num("lr", 1e-3),
      betas: pair("betas", [0.9, 0.999], 0, 1),
      eps: num("eps", 1e-8),
      weightDecay: num("weight_decay", weightDecay),
      amsgrad: bool("amsgrad"),
      maximize: bool("maximize"),
      ...SHARED_OPTIONS,
  } satisfies OptionSpecs<AdamOptions>,
    slots: [
      { name: "exp_avg" },
      { name: "exp_avg_sq" },
      { name: "max_exp_avg_sq", when: (o) => o.amsgrad, flag: AMSGRAD },
    ],
    flags: (o) => (o.maximize ? MAXIMIZE : 0) | decayFlag(o),
    kernel: { wasm: "adam", js: adamJs },
    run: (k, o, c) => {
      const b1 = o.betas[0], b2 = o.betas[1];
      // Bias corrections in double, as PyTorch computes them from the step count.
      const bc1 = 1 - b1 ** c.step;
      const bc2 = 1 - b2 ** c.step;
      const s = c.s;
      k(c.flags, c.n, c.p, c.g, s[0]!, s[1]!, s[2]!, f(b1), f(1 - b1), f(b2), f(1 - b2),
        f(Math.sqrt(bc2)), f(o.eps), f(o.weightDecay), f(-(o.lr / bc1)), f(1 - o.lr * o.weightDecay));
    },
  });
}

const ADAM = adamFamily("Adam", 4, 0, (o) => (o.weightDecay !== 0 ? WEIGHT_DECAY : 0));

/**
 * Adam exactly as `torch.optim.Adam` (PyTorch 1.13, float32, bit for bit): RMSprop's running
 * average of g² plus a running average of g (momentum), both bias-corrected:
 * m = b1·m + (1−b1)·g, v = b2·v + (1−b2)·g², w -= lr/(1−b1^t) · m / (sqrt(v)/sqrt(1−b2^t) + eps).
 * State (`step`, `exp_avg`, `exp_avg_sq`, and `max_exp_avg_sq` with amsgrad) appears at the
 * first step.
 *
 * @example
 * ```ts
 * const store = new ParamStore({ w: 1000 });
 * const opt = new Adam(store, { lr: 1e-3 });
 * store.grad("w").fill(0.5);
 * opt.step();
 * ```
 */
export class Adam extends Optimizer<AdamOptions> {
  constructor(params: ParamsInput<AdamOptions>, options?: AdamOptions & CommonOptions) {
    super(ADAM, params, options);
  }
}
