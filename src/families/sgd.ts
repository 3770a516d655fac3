import { FIRST_STEP, MAXIMIZE, MOMENTUM, NESTEROV, WEIGHT_DECAY } from "../backend.js";
import { defineFamily, SHARED_OPTIONS, type SharedOptions } from "../family.js";
import type { ParamsInput } from "../groups.js";
import { sgdJs } from "../js/sgd.js";
import { bool, num, type OptionSpecs } from "../options.js";
import { Optimizer, type CommonOptions } from "../optimizer.js";

/** SGD options; names are PyTorch's in camelCase, defaults are PyTorch's. */
export interface SGDOptions extends SharedOptions {
  /** Learning rate. Required, as in PyTorch (here or in every param group); >= 0. */
  lr?: number;
  /** Momentum factor; 0 turns momentum (and its buffer) off. Default 0; >= 0. */
  momentum?: number;
  /** Dampening of the gradient's share of momentum: buf = momentum·buf + (1 − dampening)·g. Default 0; >= 0. */
  dampening?: number;
  /** L2 penalty: g += weightDecay·w before the update. Default 0 (off); >= 0. */
  weightDecay?: number;
  /** Nesterov momentum: step along g + momentum·buf. Needs momentum > 0 and dampening 0. Default false. */
  nesterov?: boolean;
  /** Maximise the objective instead of minimising it. Default false. */
  maximize?: boolean;
}

const f = Math.fround;

const SGD_FAMILY = defineFamily<SGDOptions, typeof sgdJs>({
  name: "SGD",
  id: 3,
  stateFromStart: false,
  countsSteps: false,
  options: {
    lr: num("lr", undefined),
    momentum: num("momentum", 0),
    dampening: num("dampening", 0),
    weightDecay: num("weight_decay", 0),
    nesterov: bool("nesterov"),
    maximize: bool("maximize"),
    ...SHARED_OPTIONS,
  } satisfies OptionSpecs<SGDOptions>,
  // PyTorch's buffer is None until the first step with momentum, which copies the gradient.
  slots: [{ name: "momentum_buffer", when: (o) => o.momentum !== 0, flag: MOMENTUM, firstFlag: FIRST_STEP }],
  check: (o) => (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)
    ? `nesterov needs momentum > 0 and dampening 0, got momentum ${o.momentum} and dampening ${o.dampening}`
    : undefined),
  flags: (o) => (o.maximize ? MAXIMIZE : 0) | (o.weightDecay !== 0 ? WEIGHT_DECAY : 0) | (o.nesterov ? NESTEROV : 0),
  kernel: { wasm: "sgd", js: sgdJs },
  run: (k, o, c) => {
    k(c.flags, c.n, c.p, c.g, c.s[0]!, f(o.weightDecay), f(o.momentum), f(1 - o.dampening), f(-o.lr));
  },
});

/**
 * Stochastic gradient descent exactly as `torch.optim.SGD` (PyTorch 1.13, float32, bit for
 * bit): w -= lr·g, with optional momentum (buf = momentum·buf + (1 − dampening)·g, the first
 * step taking buf = g), Nesterov momentum, weight decay and maximisation. State:
 * `momentum_buffer`, null until the first step and while momentum is 0.
 *
 * @example
 * ```ts
 * const w = new Float32Array(10), g = new Float32Array(10).fill(1);
 * const opt = new SGD([w], { lr: 0.1, momentum: 0.9 });
 * opt.step([g]);
 * ```
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: ParamsInput<SGDOptions>, options?: SGDOptions & CommonOptions) {
    super(SGD_FAMILY, params, options);
  }
}
