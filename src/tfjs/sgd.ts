import type { serialization } from "@tensorflow/tfjs-core";
import { TFJS_SGD, type TfjsSgdValues } from "./families/sgd.js";
import { finite } from "./args.js";
import { TfjsOptimizer } from "./optimizer.js";

/**
 * `tf.train.sgd` on simdopt's kernels: the same numbers as TF.js's SGDOptimizer on its cpu
 * backend, bit for bit: w += (−lr)·g. No slots.
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
 */
export function sgd(learningRate: number): SimdoptSGD {
  return new SimdoptSGD(learningRate);
}
