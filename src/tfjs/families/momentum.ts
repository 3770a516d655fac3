import { defineFamily } from "../../family.js";
import { TFJS_MOMENTUM_NESTEROV, tfjsMomentumJs } from "../../js/tfjs-sgd.js";
import { bool, type OptionSpecs } from "../../options.js";
import { anyNumber } from "./specs.js";

/** The constants of a `tf.train.momentum` step, as TF.js's MomentumOptimizer holds them. */
export interface TfjsMomentumValues {
  /** The rate of the last setLearningRate. */
  learningRate: number;
  /** The momentum given to the constructor (TF.js's scalar `m`, which setMomentum does not change). */
  momentum: number;
  useNesterov: boolean;
}

const f = Math.fround;

/** `tf.train.momentum`: one slot, the accumulation. */
export const TFJS_MOMENTUM = defineFamily<TfjsMomentumValues, typeof tfjsMomentumJs>({
  name: "SimdoptMomentum",
  id: 104,
  stateFromStart: false,
  countsSteps: false,
  options: {
    learningRate: anyNumber("learningRate"),
    momentum: anyNumber("momentum"),
    useNesterov: bool("useNesterov"),
  } satisfies OptionSpecs<TfjsMomentumValues>,
  slots: [{ name: "momentum" }],
  flags: (o) => (o.useNesterov ? TFJS_MOMENTUM_NESTEROV : 0),
  kernel: { wasm: "tfjsMomentum", js: tfjsMomentumJs },
  run: (k, o, c) => k(c.flags, c.n, c.p, c.g, c.s[0]!, f(-o.learningRate), f(o.momentum)),
});
