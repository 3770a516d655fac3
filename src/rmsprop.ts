import { CENTERED, MAXIMIZE, MOMENTUM, WEIGHT_DECAY } from "./backend.js";
import type { ParamsInput } from "./groups.js";
import { bool, num, type NonFinitePolicy } from "./options.js";
import { Optimizer } from "./optimizer.js";

/** RMSprop options; names are PyTorch's in camelCase, defaults are PyTorch's. */
export interface RMSpropOptions {
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
}

const SPECS = {
  lr: num("lr", 0.01),
  alpha: num("alpha", 0.99, 0, 1),
  eps: num("eps", 1e-8),
  weightDecay: num("weight_decay", 0),
  momentum: num("momentum", 0),
  centered: bool("centered"),
  maximize: bool("maximize"),
} as const;

const SLOTS = ["square_avg", "momentum_buffer", "grad_avg"] as const;
const f = Math.fround;

/**
 * RMSprop exactly as `torch.optim.RMSprop` (PyTorch 1.13, float32, bit for bit):
 * v = alpha·v + (1−alpha)·g², w -= lr·g / (sqrt(v) + eps), with optional momentum, centering,
 * weight decay and maximisation. State (`square_avg`, `momentum_buffer`, `grad_avg`) appears
 * in `stateDict()` from the first step, as in PyTorch.
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: ParamsInput<RMSpropOptions>, options?: RMSpropOptions & { nonFinite?: NonFinitePolicy }) {
    super("RMSprop", SPECS, SLOTS, params, options, false);
  }

  protected needsSlot(v: Record<string, unknown>, slot: number): boolean {
    return slot === 0 || (slot === 1 ? (v.momentum as number) > 0 : v.centered === true);
  }

  protected run(
    v: Record<string, unknown>, n: number, p: number, g: number, state: readonly number[], rel: number,
  ): void {
    const alpha = v.alpha as number, momentum = v.momentum as number, wd = v.weightDecay as number;
    // PyTorch tests `weight_decay != 0` and `momentum > 0` on the doubles, before rounding.
    const flags = (v.maximize ? MAXIMIZE : 0) | (wd !== 0 ? WEIGHT_DECAY : 0) |
      (v.centered ? CENTERED : 0) | (momentum > 0 ? MOMENTUM : 0);
    this.backend.kernels.rmsprop(
      flags, n, p, g, state[0]! + rel, (flags & CENTERED ? state[2]! : 0) + rel, (flags & MOMENTUM ? state[1]! : 0) + rel,
      f(alpha), f(1 - alpha), f(v.eps as number), f(wd), f(momentum), f(-(v.lr as number)),
    );
  }
}
