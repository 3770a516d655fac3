import type { serialization } from "@tensorflow/tfjs-core";
import { TFJS_ADAM, type TfjsAdamValues } from "./families/adam.js";
import { epsilonOf, finite } from "./args.js";
import { TfjsOptimizer } from "./optimizer.js";

const f = Math.fround;

/**
 * `tf.train.adam` on simdopt's kernels: the same numbers as TF.js's AdamOptimizer on its cpu
 * backend, bit for bit, and the same weights (`m`, then `v`). TF.js's formula:
 * m = beta1·m + (1 − beta1)·g, v = beta2·v + (1 − beta2)·g²,
 * w += −lr · (m / (1 − beta1^t)) / (sqrt(v / (1 − beta2^t)) + eps), where beta^t is a float32
 * power kept by multiplying by beta after every step (after setWeights: float32 pow(beta, t+1)).
 *
 * @example
 * ```ts
 * const w = tf.variable(tf.zeros([3]));
 * const opt = new SimdoptAdam(0.001); // what adam(0.001) returns
 * opt.minimize(() => tf.sum(tf.square(w)));
 * opt.dispose();
 * ```
 */
export class SimdoptAdam extends TfjsOptimizer<TfjsAdamValues> {
  /** The name TF.js serialization (`model.save`, `tf.loadLayersModel`) knows this class by. */
  static get className(): string {
    return "SimdoptAdam";
  }
  // Read before every step, as TF.js reads its fields.
  protected learningRate: number;
  protected beta1: number;
  protected beta2: number;
  protected epsilon: number;
  /** TF.js's accBeta1 and accBeta2 (float32 scalars there): beta^t for the next step. */
  #accBeta1: number;
  #accBeta2: number;
  readonly #values: TfjsAdamValues;

  /** The arguments and defaults of `tf.train.adam`; see {@link adam}. */
  constructor(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon: number | null = null) {
    super(TFJS_ADAM);
    this.learningRate = finite("adam: learningRate", learningRate);
    this.beta1 = finite("adam: beta1", beta1);
    this.beta2 = finite("adam: beta2", beta2);
    this.epsilon = epsilonOf("adam: epsilon", epsilon);
    this.#accBeta1 = f(beta1);
    this.#accBeta2 = f(beta2);
    this.#values = { learningRate: 0, beta1: 0, beta2: 0, epsilon: 0, accBeta1: 0, accBeta2: 0 };
  }

  /** @internal */
  protected values(): TfjsAdamValues {
    const v = this.#values;
    v.learningRate = this.learningRate;
    v.beta1 = this.beta1;
    v.beta2 = this.beta2;
    v.epsilon = this.epsilon;
    v.accBeta1 = this.#accBeta1;
    v.accBeta2 = this.#accBeta2;
    return v;
  }

  /** @internal */
  protected override afterStep(): void {
    this.#accBeta1 = f(this.#accBeta1 * f(this.beta1));
    this.#accBeta2 = f(this.#accBeta2 * f(this.beta2));
  }

  /** @internal */
  protected override afterSetWeights(): void {
    // TF.js recomputes the powers with its pow op: float32 of Math.pow on float32 operands.
    const t = f(this.iterations + 1);
    this.#accBeta1 = f(Math.pow(f(this.beta1), t));
    this.#accBeta2 = f(Math.pow(f(this.beta2), t));
  }

  getConfig(): serialization.ConfigDict {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }

  static override fromConfig<T extends serialization.Serializable>(
    cls: serialization.SerializableConstructor<T>, config: serialization.ConfigDict,
  ): T {
    return new cls(config["learningRate"], config["beta1"], config["beta2"], config["epsilon"]);
  }
}

/**
 * Drop-in for `tf.train.adam`, with the same arguments and defaults.
 *
 * @param learningRate Step size. Default 0.001.
 * @param beta1 Decay of the first moment. Default 0.9.
 * @param beta2 Decay of the second moment. Default 0.999.
 * @param epsilon Added to sqrt(v̂). Default null: the TF.js backend's epsilon (1e-7 on cpu
 *   and wasm) when the optimizer is created.
 *
 * @example
 * ```ts
 * const w = tf.variable(tf.zeros([3]));
 * const target = tf.tensor1d([1, 2, 3]);
 * const opt = adam(0.05); // instead of tf.train.adam(0.05)
 * for (let i = 0; i < 100; i++) opt.minimize(() => tf.sum(tf.squaredDifference(w, target)));
 * ```
 */
export function adam(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon: number | null = null): SimdoptAdam {
  return new SimdoptAdam(learningRate, beta1, beta2, epsilon);
}
