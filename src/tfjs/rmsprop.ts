import type { serialization } from "@tensorflow/tfjs-core";
import { TFJS_RMSPROP, type TfjsRmspropValues } from "./families/rmsprop.js";
import { epsilonOf, finite, flag } from "./args.js";
import { TfjsOptimizer } from "./optimizer.js";

/**
 * `tf.train.rmsprop` on simdopt's kernels: the same numbers as TF.js's RMSPropOptimizer on its
 * cpu backend, bit for bit, and the same weights (`rms`, `momentum`, then `mg` when centered).
 * TF.js's formula: ms = decay·ms + (1 − decay)·g², mom = momentum·mom + lr·g / sqrt(ms + eps),
 * w −= mom; centered: mg = decay·mg + (1 − decay)·g and the root is sqrt(ms − (mg² + eps)).
 * Note that eps sits inside the root (PyTorch's RMSprop adds it outside).
 *
 * @example
 * ```ts
 * const w = tf.variable(tf.zeros([3]));
 * const opt = new SimdoptRMSProp(0.01, 0.9, 0.9); // what rmsprop(0.01, 0.9, 0.9) returns
 * opt.minimize(() => tf.sum(tf.square(w)));
 * opt.dispose();
 * ```
 */
export class SimdoptRMSProp extends TfjsOptimizer<TfjsRmspropValues> {
  /** The name TF.js serialization (`model.save`, `tf.loadLayersModel`) knows this class by. */
  static get className(): string {
    return "SimdoptRMSProp";
  }
  // Read before every step, as TF.js reads its fields.
  protected learningRate: number;
  protected decay: number;
  protected momentum: number;
  protected epsilon: number;
  protected centered: boolean;
  readonly #values: TfjsRmspropValues;

  /** The arguments and defaults of `tf.train.rmsprop`; see {@link rmsprop}. */
  constructor(learningRate: number, decay = 0.9, momentum = 0, epsilon: number | null = null, centered = false) {
    super(TFJS_RMSPROP);
    this.learningRate = finite("rmsprop: learningRate", learningRate);
    this.decay = finite("rmsprop: decay", decay);
    this.momentum = finite("rmsprop: momentum", momentum);
    this.epsilon = epsilonOf("rmsprop: epsilon", epsilon);
    this.centered = flag("rmsprop: centered", centered);
    this.#values = { learningRate: 0, decay: 0, momentum: 0, epsilon: 0, centered: false };
  }

  /** @internal */
  protected values(): TfjsRmspropValues {
    const v = this.#values;
    v.learningRate = this.learningRate;
    v.decay = this.decay;
    v.momentum = this.momentum;
    v.epsilon = this.epsilon;
    v.centered = this.centered;
    return v;
  }

  getConfig(): serialization.ConfigDict {
    return { learningRate: this.learningRate, decay: this.decay, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered };
  }

  static override fromConfig<T extends serialization.Serializable>(
    cls: serialization.SerializableConstructor<T>, config: serialization.ConfigDict,
  ): T {
    return new cls(config["learningRate"], config["decay"], config["momentum"], config["epsilon"], config["centered"]);
  }
}

/**
 * Drop-in for `tf.train.rmsprop`, with the same arguments and defaults.
 *
 * @param learningRate Step size; required.
 * @param decay Discount of the running average of g². Default 0.9.
 * @param momentum Momentum factor. Default 0 (the momentum accumulator is kept all the same, as in TF.js).
 * @param epsilon Added to the running average inside the square root. Default null: the TF.js
 *   backend's epsilon (1e-7 on cpu and wasm) when the optimizer is created.
 * @param centered Divide by an estimate of the variance instead. Default false.
 *
 * @example
 * ```ts
 * const w = tf.variable(tf.zeros([3]));
 * const target = tf.tensor1d([1, 2, 3]);
 * const opt = rmsprop(0.01); // instead of tf.train.rmsprop(0.01)
 * for (let i = 0; i < 100; i++) opt.minimize(() => tf.sum(tf.squaredDifference(w, target)));
 * ```
 */
export function rmsprop(learningRate: number, decay = 0.9, momentum = 0, epsilon: number | null = null, centered = false): SimdoptRMSProp {
  return new SimdoptRMSProp(learningRate, decay, momentum, epsilon, centered);
}
