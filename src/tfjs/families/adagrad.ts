import { defineFamily } from "../../family.js";
import { tfjsAdagradJs } from "../../js/tfjs-adagrad.js";
import type { OptionSpecs } from "../../options.js";
import { anyNumber } from "./specs.js";

/** The constants of a `tf.train.adagrad` step, as TF.js's AdagradOptimizer holds them. */
export interface TfjsAdagradValues {
  learningRate: number;
  initialAccumulatorValue: number;
  /** The TF.js backend's epsilon, read at every step as TF.js does. */
  epsilon: number;
}

const f = Math.fround;

/** `tf.train.adagrad`: one slot, the accumulator, filled with initialAccumulatorValue. */
export const TFJS_ADAGRAD = defineFamily<TfjsAdagradValues, typeof tfjsAdagradJs>({
  name: "SimdoptAdagrad",
  id: 102,
  stateFromStart: false,
  countsSteps: false,
  options: {
    learningRate: anyNumber("learningRate"),
    initialAccumulatorValue: anyNumber("initialAccumulatorValue", 0.1),
    epsilon: anyNumber("epsilon"),
  } satisfies OptionSpecs<TfjsAdagradValues>,
  slots: [{ name: "accumulator", init: (o) => f(o.initialAccumulatorValue) }],
  flags: () => 0,
  kernel: { wasm: "tfjsAdagrad", js: tfjsAdagradJs },
  run: (k, o, c) => k(c.flags, c.n, c.p, c.g, c.s[0]!, f(o.epsilon), f(-o.learningRate)),
});
