import { MAXIMIZE, WEIGHT_DECAY } from "./backend.js";
import type { ParamsInput } from "./groups.js";
import { bool, num, type NonFinitePolicy } from "./options.js";
import { Optimizer } from "./optimizer.js";

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

const SPECS = {
  lr: num("lr", 0.01),
  lrDecay: num("lr_decay", 0),
  weightDecay: num("weight_decay", 0),
  initialAccumulatorValue: num("initial_accumulator_value", 0),
  eps: num("eps", 1e-10),
  maximize: bool("maximize"),
} as const;

const f = Math.fround;

/**
 * Adagrad exactly as `torch.optim.Adagrad` (PyTorch 1.13, float32, bit for bit):
 * G += g², w -= clr·g / (sqrt(G) + eps) with clr = lr / (1 + (t−1)·lrDecay). State
 * (`step`, `sum`) exists from construction, `sum` filled with `initialAccumulatorValue`.
 */
export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: ParamsInput<AdagradOptions>, options?: AdagradOptions & { nonFinite?: NonFinitePolicy }) {
    super("Adagrad", SPECS, ["sum"], params, options, true);
  }

  protected needsSlot(): boolean {
    return true;
  }

  protected override slotInit(v: Record<string, unknown>): number {
    return f(v.initialAccumulatorValue as number);
  }

  protected override requiresState(): boolean {
    return true;
  }

  protected run(
    v: Record<string, unknown>, n: number, p: number, g: number, state: readonly number[], rel: number, step: number,
  ): void {
    const wd = v.weightDecay as number;
    const flags = (v.maximize ? MAXIMIZE : 0) | (wd !== 0 ? WEIGHT_DECAY : 0);
    // In double, then rounded once, as PyTorch does (FORMULAS.md, Adagrad step 4).
    const clr = (v.lr as number) / (1 + (step - 1) * (v.lrDecay as number));
    this.backend.kernels.adagrad(flags, n, p, g, state[0]! + rel, f(v.eps as number), f(wd), f(-clr));
  }
}
