import { backend, type serialization } from "@tensorflow/tfjs-core";
import { TFJS_ADAGRAD, type TfjsAdagradValues } from "./families/adagrad.js";
import { finite } from "./args.js";
import { TfjsOptimizer } from "./optimizer.js";

/**
 * `tf.train.adagrad` on simdopt's kernels: the same numbers as TF.js's AdagradOptimizer on its
 * cpu backend, bit for bit, and the same weights (`accumulator`). TF.js's formula:
 * acc += g², w += −lr · g / sqrt(acc + eps), with eps the TF.js backend's epsilon at each step
 * (1e-7 on cpu and wasm) inside the root.
 *
 * @example
 * ```ts
 * const w = tf.variable(tf.zeros([3]));
 * const opt = new SimdoptAdagrad(0.1); // what adagrad(0.1) returns
 * opt.minimize(() => tf.sum(tf.square(w)));
 * opt.dispose();
 * ```
 */
export class SimdoptAdagrad extends TfjsOptimizer<TfjsAdagradValues> {
  /** The name TF.js serialization (`model.save`, `tf.loadLayersModel`) knows this class by. */
  static get className(): string {
    return "SimdoptAdagrad";
  }
  // Read before every step, as TF.js reads its fields.
  protected learningRate: number;
  protected initialAccumulatorValue: number;
  readonly #values: TfjsAdagradValues;

  /** The arguments and defaults of `tf.train.adagrad`; see {@link adagrad}. */
  constructor(learningRate: number, initialAccumulatorValue = 0.1) {
    super(TFJS_ADAGRAD);
    this.learningRate = finite("adagrad: learningRate", learningRate);
    this.initialAccumulatorValue = finite("adagrad: initialAccumulatorValue", initialAccumulatorValue);
    this.#values = { learningRate: 0, initialAccumulatorValue: 0, epsilon: 0 };
  }

  /** @internal */
  protected values(): TfjsAdagradValues {
    const v = this.#values;
    v.learningRate = this.learningRate;
    v.initialAccumulatorValue = this.initialAccumulatorValue;
    v.epsilon = backend().epsilon();
    return v;
  }

  getConfig(): serialization.ConfigDict {
    return { learningRate: this.learningRate, initialAccumulatorValue: this.initialAccumulatorValue };
  }

  static override fromConfig<T extends serialization.Serializable>(
    cls: serialization.SerializableConstructor<T>, config: serialization.ConfigDict,
  ): T {
    return new cls(config["learningRate"], config["initialAccumulatorValue"]);
  }
}

/**
 * Drop-in for `tf.train.adagrad`, with the same arguments and defaults.
 *
 * @param learningRate Step size; required.
 * @param initialAccumulatorValue Starting value of every accumulator element. Default 0.1.
 *
 * @example
 * ```ts
 * const w = tf.variable(tf.zeros([3]));
 * const target = tf.tensor1d([1, 2, 3]);
 * const opt = adagrad(0.5); // instead of tf.train.adagrad(0.5)
 * for (let i = 0; i < 100; i++) opt.minimize(() => tf.sum(tf.squaredDifference(w, target)));
 * ```
 */
export function adagrad(learningRate: number, initialAccumulatorValue = 0.1): SimdoptAdagrad {
  return new SimdoptAdagrad(learningRate, initialAccumulatorValue);
}
