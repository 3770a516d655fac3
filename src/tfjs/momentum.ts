import type { serialization } from "@tensorflow/tfjs-core";
import { TFJS_MOMENTUM, type TfjsMomentumValues } from "./families/momentum.js";
import { finite, flag } from "./args.js";
import { TfjsOptimizer } from "./optimizer.js";

/**
 * `tf.train.momentum` on simdopt's kernels: the same numbers as TF.js's MomentumOptimizer on
 * its cpu backend, bit for bit, and the same weights (`momentum`). TF.js's formula:
 * acc = momentum·acc + g, w += (−lr)·acc, or with Nesterov w += (−lr)·(g + acc·momentum).
 *
 * @example
 * ```ts
 * const w = tf.variable(tf.zeros([3]));
 * const opt = new SimdoptMomentum(0.05, 0.9, true); // what momentum(0.05, 0.9, true) returns
 * opt.minimize(() => tf.sum(tf.square(w)));
 * opt.dispose();
 * ```
 */
export class SimdoptMomentum extends TfjsOptimizer<TfjsMomentumValues> {
  /** The name TF.js serialization (`model.save`, `tf.loadLayersModel`) knows this class by. */
  static get className(): string {
    return "SimdoptMomentum";
  }
  protected learningRate: number;
  protected momentum: number;
  protected useNesterov: boolean;
  readonly #values: TfjsMomentumValues;

  /** The arguments and defaults of `tf.train.momentum`; see the `momentum()` factory. */
  constructor(learningRate: number, momentum: number, useNesterov = false) {
    super(TFJS_MOMENTUM);
    this.learningRate = finite("momentum: learningRate", learningRate);
    this.momentum = finite("momentum: momentum", momentum);
    this.useNesterov = flag("momentum: useNesterov", useNesterov);
    this.#values = { learningRate: this.learningRate, momentum: this.momentum, useNesterov: this.useNesterov };
  }

  /** Sets the learning rate of the following steps (as TF.js, only through this method). */
  setLearningRate(learningRate: number): void {
    this.learningRate = this.#values.learningRate = finite("momentum.setLearningRate: learningRate", learningRate);
  }

  /**
   * Sets the momentum that `getConfig` reports. As in TF.js, the steps keep using the momentum
   * given to the constructor.
   */
  setMomentum(momentum: number): void {
    this.momentum = finite("momentum.setMomentum: momentum", momentum);
  }

  /** @internal */
  protected values(): TfjsMomentumValues {
    this.#values.useNesterov = this.useNesterov;
    return this.#values;
  }

  getConfig(): serialization.ConfigDict {
    return { learningRate: this.learningRate, momentum: this.momentum, useNesterov: this.useNesterov };
  }

  static override fromConfig<T extends serialization.Serializable>(
    cls: serialization.SerializableConstructor<T>, config: serialization.ConfigDict,
  ): T {
    return new cls(config["learningRate"], config["momentum"], config["useNesterov"]);
  }
}

/**
 * Drop-in for `tf.train.momentum`, with the same arguments and defaults.
 *
 * @param learningRate Step size; required.
 * @param momentum Momentum factor; required.
 * @param useNesterov Nesterov momentum. Default false.
 *
 * @example
 * ```ts
 * const w = tf.variable(tf.zeros([3]));
 * const target = tf.tensor1d([1, 2, 3]);
 * const opt = momentum(0.05, 0.9); // instead of tf.train.momentum(0.05, 0.9)
 * for (let i = 0; i < 100; i++) opt.minimize(() => tf.sum(tf.squaredDifference(w, target)));
 * ```
 */
export function momentum(learningRate: number, momentum: number, useNesterov = false): SimdoptMomentum {
  return new SimdoptMomentum(learningRate, momentum, useNesterov);
}
