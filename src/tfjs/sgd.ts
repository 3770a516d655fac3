import type { serialization } from "@tensorflow/tfjs-core";
import { TFJS_SGD, type TfjsSgdValues } from "./families/sgd.js";
import { finite } from "./args.js";
import { TfjsOptimizer } from "./optimizer.js";

/**
 * `tf.train.sgd` on simdopt's kernels: the same numbers as TF.js's SGDOptimizer on its cpu
 * backend, bit for bit: w += (−lr)·g. No slots.
 *
 * @example
 * ```ts
 * const w = tf.variable(tf.zeros([3]));
 * const opt = new SimdoptSGD(0.1); // what sgd(0.1) returns
 * opt.minimize(() => tf.sum(tf.square(w)));
 * opt.dispose();
 * ```
 */
export class SimdoptSGD extends TfjsOptimizer<TfjsSgdValues> {
  /** The name TF.js serialization (`model.save`, `tf.loadLayersModel`) knows this class by. */
  static get className(): string {
    return "SimdoptSGD";
  }
  protected learningRate: number;
  readonly #values: TfjsSgdValues;

  /** The arguments of `tf.train.sgd`; see {@link sgd}. */
  constructor(learningRate: number) {
    super(TFJS_SGD);
    this.learningRate = finite("sgd: learningRate", learningRate);
    this.#values = { learningRate: this.learningRate };
  }

  /** Sets the learning rate of the following steps (as TF.js, only through this method). */
  setLearningRate(learningRate: number): void {
    this.learningRate = this.#values.learningRate = finite("sgd.setLearningRate: learningRate", learningRate);
  }

  /** @internal */
  protected values(): TfjsSgdValues {
    return this.#values;
  }

  getConfig(): serialization.ConfigDict {
    return { learningRate: this.learningRate };
  }

  static override fromConfig<T extends serialization.Serializable>(
    cls: serialization.SerializableConstructor<T>, config: serialization.ConfigDict,
  ): T {
    return new cls(config["learningRate"]);
  }
}

/**
 * Drop-in for `tf.train.sgd`.
 *
 * @param learningRate Step size; required.
 *
 * @example
 * ```ts
 * const w = tf.variable(tf.zeros([3]));
 * const target = tf.tensor1d([1, 2, 3]);
 * const opt = sgd(0.1); // instead of tf.train.sgd(0.1)
 * for (let i = 0; i < 100; i++) opt.minimize(() => tf.sum(tf.squaredDifference(w, target)));
 * ```
 */
export function sgd(learningRate: number): SimdoptSGD {
  return new SimdoptSGD(learningRate);
}
