import { DECOUPLED_DECAY } from "../backend.js";
import type { ParamsInput } from "../groups.js";
import { Optimizer, type CommonOptions } from "../optimizer.js";
import { adamFamily, type AdamOptions } from "./adam.js";

/** AdamW options: Adam's, with `weightDecay` decoupled and 1e-2 by default. */
export type AdamWOptions = AdamOptions;

const ADAMW = adamFamily("AdamW", 5, 1e-2, (o) => (o.weightDecay !== 0 ? DECOUPLED_DECAY : 0));

/**
 * AdamW exactly as `torch.optim.AdamW` (PyTorch 1.13, float32, bit for bit): Adam with
 * decoupled weight decay, w *= 1 − lr·weightDecay before the Adam step (default 1e-2).
 *
 * @example
 * ```ts
 * const w = new Float32Array(10), g = new Float32Array(10).fill(1);
 * const opt = new AdamW([w], { lr: 1e-3, weightDecay: 0.01 });
 * opt.step([g]);
 * ```
 */
export class AdamW extends Optimizer<AdamWOptions> {
  constructor(params: ParamsInput<AdamWOptions>, options?: AdamWOptions & CommonOptions) {
    super(ADAMW, params, options);
  }
}
