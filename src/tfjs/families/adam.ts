import { defineFamily } from "../../family.js";
import { tfjsAdamJs } from "../../js/tfjs-adam.js";
import type { OptionSpecs } from "../../options.js";
import { anyNumber } from "./specs.js";

/** The constants of a `tf.train.adam` step, as TF.js's AdamOptimizer holds them. */
export interface TfjsAdamValues {
  learningRate: number;
  beta1: number;
  beta2: number;
  /** Resolved: the backend's epsilon when the constructor was given null. */
  epsilon: number;
  /** TF.js's `accBeta1`: beta1^t as a float32 power (updated by the optimizer after each step). */
  accBeta1: number;
  /** TF.js's `accBeta2`. */
  accBeta2: number;
}

const f = Math.fround;

/** `tf.train.adam`: slots in TF.js's weight order (m, then v). */
export const TFJS_ADAM = defineFamily<TfjsAdamValues, typeof tfjsAdamJs>({
  name: "SimdoptAdam",
  id: 101,
  stateFromStart: false,
  countsSteps: false,
  options: {
    learningRate: anyNumber("learningRate", 0.001),
    beta1: anyNumber("beta1", 0.9),
    beta2: anyNumber("beta2", 0.999),
    epsilon: anyNumber("epsilon"),
    accBeta1: anyNumber("accBeta1"),
    accBeta2: anyNumber("accBeta2"),
  } satisfies OptionSpecs<TfjsAdamValues>,
  slots: [{ name: "m" }, { name: "v" }],
  flags: () => 0,
  kernel: { wasm: "tfjsAdam", js: tfjsAdamJs },
  run: (k, o, c) => {
    const s = c.s;
    // 1 − beta in double, rounded once; 1 − accBeta is a float32 subtraction (accBeta is float32).
    k(c.flags, c.n, c.p, c.g, s[0]!, s[1]!, f(o.beta1), f(1 - o.beta1), f(o.beta2), f(1 - o.beta2),
      f(1 - o.accBeta1), f(1 - o.accBeta2), f(o.epsilon), f(-o.learningRate));
  },
});
