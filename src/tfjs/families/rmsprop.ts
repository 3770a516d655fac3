import { defineFamily } from "../../family.js";
import { TFJS_RMSPROP_CENTERED, tfjsRmspropJs } from "../../js/tfjs-rmsprop.js";
import { bool, type OptionSpecs } from "../../options.js";
import { anyNumber } from "./specs.js";

/** The constants of a `tf.train.rmsprop` step, as TF.js's RMSPropOptimizer holds them. */
export interface TfjsRmspropValues {
  learningRate: number;
  decay: number;
  momentum: number;
  /** Resolved: the backend's epsilon when the constructor was given null. */
  epsilon: number;
  centered: boolean;
}

const f = Math.fround;

/** `tf.train.rmsprop`: slots in TF.js's weight order (rms, momentum, then mg when centered). */
export const TFJS_RMSPROP = defineFamily<TfjsRmspropValues, typeof tfjsRmspropJs>({
  name: "SimdoptRMSProp",
  id: 100,
  stateFromStart: false,
  countsSteps: false,
  options: {
    learningRate: anyNumber("learningRate"),
    decay: anyNumber("decay", 0.9),
    momentum: anyNumber("momentum", 0),
    epsilon: anyNumber("epsilon"),
    centered: bool("centered"),
  } satisfies OptionSpecs<TfjsRmspropValues>,
  slots: [
    { name: "rms" },
    // TF.js keeps the momentum accumulator whatever the momentum, and saves it.
    { name: "momentum" },
    { name: "mg", when: (o) => o.centered, flag: TFJS_RMSPROP_CENTERED },
  ],
  flags: () => 0,
  kernel: { wasm: "tfjsRmsprop", js: tfjsRmspropJs },
  run: (k, o, c) => {
    const s = c.s;
    // 1 − decay in double, then rounded once: TF.js makes a float32 scalar of the JS number.
    k(c.flags, c.n, c.p, c.g, s[0]!, s[1]!, s[2]!, f(o.decay), f(1 - o.decay), f(o.learningRate), f(o.epsilon), f(o.momentum));
  },
});
