import { CENTERED, EPS_IN_SQRT, MAXIMIZE, MOMENTUM, WEIGHT_DECAY } from "../backend.js";
import { defineFamily, SHARED_OPTIONS, type SharedOptions } from "../family.js";
import { rmspropJs } from "../js/rmsprop.js";
import type { ParamsInput } from "../groups.js";
import { bool, num, type OptionSpecs } from "../options.js";
import { Optimizer, type CommonOptions } from "../optimizer.js";

/** RMSprop options; names are PyTorch's in camelCase, defaults are PyTorch's. */
export interface RMSpropOptions extends SharedOptions {
  /** Learning rate (step size per unit of normalised gradient). Default 0.01; >= 0. */
  lr?: number;
  /** Smoothing constant of the running average of g²: v = alpha·v + (1−alpha)·g². Default 0.99; in [0, 1]. */
  alpha?: number;
  /** Added to sqrt(v) (outside the root) before dividing. Default 1e-8; >= 0. */
  eps?: number;
  /** L2 penalty: g += weightDecay·w before the update. Default 0 (off); >= 0. */
  weightDecay?: number;
  /** Momentum factor; 0 turns momentum (and its buffer) off. Default 0; >= 0. */
  momentum?: number;
  /** Divide by the centered variance sqrt(v − ḡ²), keeping a running mean gradient ḡ. Default false. */
  centered?: boolean;
  /** Maximise the objective instead of minimising it. Default false. */
  maximize?: boolean;
  /**
   * Put eps under the root, sqrt(v + eps), as the original RMSprop lecture, Keras, TF.js and
   * Optax's default do, instead of PyTorch's sqrt(v) + eps. Not a PyTorch option (saved as
   * `eps_in_sqrt`). Default false (PyTorch).
   */
  epsInSqrt?: boolean;
}

const f = Math.fround;

const RMSPROP = defineFamily<RMSpropOptions, typeof rmspropJs>({
  name: "RMSprop",
  id: 1,
  stateFromStart: false,
  countsSteps: true,
  options: {
    lr: num("lr", 0.01),
    alpha: num("alpha", 0.99, 0, 1),
    eps: num("eps", 1e-8),
    weightDecay: num("weight_decay", 0),
    momentum: num("momentum", 0),
    centered: bool("centered"),
    maximize: bool("maximize"),
    epsInSqrt: bool("eps_in_sqrt"),
    ...SHARED_OPTIONS,
  } satisfies OptionSpecs<RMSpropOptions>,
  slots: [
    { name: "square_avg" },
    // PyTorch tests `momentum > 0` and `weight_decay != 0` on the doubles, before rounding.
    { name: "momentum_buffer", when: (o) => o.momentum > 0, flag: MOMENTUM },
    { name: "grad_avg", when: (o) => o.centered, flag: CENTERED },
  ],
  flags: (o) => (o.maximize ? MAXIMIZE : 0) | (o.weightDecay !== 0 ? WEIGHT_DECAY : 0) | (o.epsInSqrt ? EPS_IN_SQRT : 0),
  kernel: { wasm: "rmsprop", js: rmspropJs },
  run: (k, o, c) => {
    const s = c.s;
    k(c.flags, c.n, c.p, c.g, s[0]!, s[2]!, s[1]!,
      f(o.alpha), f(1 - o.alpha), f(o.eps), f(o.weightDecay), f(o.momentum), f(-o.lr));
  },
});

/**
 * RMSprop exactly as `torch.optim.RMSprop` (PyTorch 1.13, float32, bit for bit):
 * v = alpha·v + (1−alpha)·g², w -= lr·g / (sqrt(v) + eps), with optional momentum, centering,
 * weight decay and maximisation. State (`square_avg`, `momentum_buffer`, `grad_avg`) appears
 * in `stateDict()` from the first step, as in PyTorch.
 *
 * @example
 * ```ts
 * const store = new ParamStore({ w: 1000 });
 * const opt = new RMSprop(store, { lr: 1e-3, momentum: 0.9 });
 * store.grad("w").fill(0.5); // your gradients
 * opt.step();
 * ```
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: ParamsInput<RMSpropOptions>, options?: RMSpropOptions & CommonOptions) {
    super(RMSPROP, params, options);
  }
}
