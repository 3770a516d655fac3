import { defineFamily } from "../../family.js";
import { tfjsSgdJs } from "../../js/tfjs-sgd.js";
import type { OptionSpecs } from "../../options.js";
import { anyNumber } from "./specs.js";

/** The constants of a `tf.train.sgd` step. */
export interface TfjsSgdValues {
  /** The rate of the last setLearningRate (TF.js's scalar `c` is −learningRate). */
  learningRate: number;
}

const f = Math.fround;

/** `tf.train.sgd`: no slots. */
export const TFJS_SGD = defineFamily<TfjsSgdValues, typeof tfjsSgdJs>({
  name: "SimdoptSGD",
  id: 103,
  stateFromStart: false,
  countsSteps: false,
  options: { learningRate: anyNumber("learningRate") } satisfies OptionSpecs<TfjsSgdValues>,
  slots: [],
  flags: () => 0,
  kernel: { wasm: "tfjsSgd", js: tfjsSgdJs },
  run: (k, o, c) => k(c.flags, c.n, c.p, c.g, f(-o.learningRate)),
});
