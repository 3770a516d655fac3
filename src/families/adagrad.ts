import { EPS_IN_SQRT, MAXIMIZE, ROWWISE, WEIGHT_DECAY } from "../backend.js";
import { defineFamily, SHARED_OPTIONS, type SharedOptions } from "../family.js";
import { adagradJs } from "../js/adagrad.js";
import { adagradRowsJs } from "../js/adagrad-rows.js";
import type { ParamsInput } from "../groups.js";
import { bool, num, type OptionSpecs } from "../options.js";
import { Optimizer, type CommonOptions } from "../optimizer.js";

/** Adagrad options; names are PyTorch's in camelCase, defaults are PyTorch's. */
export interface AdagradOptions extends SharedOptions {
  /** Learning rate. Default 0.01; >= 0. */
  lr?: number;
  /** Step t uses lr / (1 + (t−1)·lrDecay). Default 0 (no decay); >= 0. */
  lrDecay?: number;
  /** L2 penalty: g += weightDecay·w before the update. Default 0 (off); >= 0. Not with sparse gradients. */
  weightDecay?: number;
  /** Starting value of every element of the sum of squared gradients. Default 0; >= 0. */
  initialAccumulatorValue?: number;
  /** Added to sqrt(sum) (outside the root) before dividing. Default 1e-10; >= 0. */
  eps?: number;
  /** Maximise the objective instead of minimising it. Default false. */
  maximize?: boolean;
  /**
   * Put eps under the root, sqrt(G + eps), as Keras and TF.js do, instead of PyTorch's
   * sqrt(G) + eps. Not a PyTorch option (saved as `eps_in_sqrt`). Default false (PyTorch).
   */
  epsInSqrt?: boolean;
  /**
   * Row-wise Adagrad, as recommendation-model trainers use for embedding tables: the row length
   * d of the group's params, each a `rows × d` table stored row-major, and one accumulator per
   * row instead of one per element (`sum` holds `rows` values, d times less state). Each step,
   * per row with gradient g (after maximize and weight decay), in float32 with one rounding per
   * operation:
   *
   * ```
   * s_l = r(s_l + r(g_j²)) for j = 4q + l over the whole groups of four (s_0..s_3 from +0)
   * acc = r(r(r(s_0 + s_1) + s_2) + s_3), then acc = r(acc + r(g_j²)) for each remaining j
   * G   = r(G + r(acc / f32(d)))                        (G: the row's `sum`, += mean of g²)
   * std = r(r(sqrt(G)) + f32(eps))                      (epsInSqrt: r(sqrt(r(G + f32(eps)))))
   * w_j = r(w_j + r(f32(-clr) · r(g_j / std)))          for every j of the row
   * ```
   *
   * With sparse gradients the rows' `dim` must be d. Not a PyTorch option (saved as `rowwise`).
   * The state's layout follows it, so it cannot change once the optimizer exists. Default 0
   * (off: one accumulator per element); a whole number >= 0.
   */
  rowwise?: number;
}

const f = Math.fround;

/** clr in double, then rounded once, as PyTorch does (FORMULAS.md, Adagrad step 4). */
const clrOf = (o: { lr: number; lrDecay: number }, step: number) => o.lr / (1 + (step - 1) * o.lrDecay);

const ADAGRAD = defineFamily<AdagradOptions, typeof adagradJs, typeof adagradRowsJs>({
  name: "Adagrad",
  id: 2,
  stateFromStart: true,
  countsSteps: true,
  options: {
    lr: num("lr", 0.01),
    lrDecay: num("lr_decay", 0),
    weightDecay: num("weight_decay", 0),
    initialAccumulatorValue: num("initial_accumulator_value", 0),
    eps: num("eps", 1e-10),
    maximize: bool("maximize"),
    epsInSqrt: bool("eps_in_sqrt"),
    rowwise: num("rowwise", 0),
    ...SHARED_OPTIONS,
  } satisfies OptionSpecs<AdagradOptions>,
  slots: [{ name: "sum", init: (o) => f(o.initialAccumulatorValue), perRow: "rowwise" }],
  check: (o) => (Number.isInteger(o.rowwise) ? undefined : `rowwise must be a whole number (a row length, or 0 for off), got ${o.rowwise}`),
  flags: (o) => (o.maximize ? MAXIMIZE : 0) | (o.weightDecay !== 0 ? WEIGHT_DECAY : 0) | (o.epsInSqrt ? EPS_IN_SQRT : 0) |
    (o.rowwise > 0 ? ROWWISE : 0),
  kernel: { wasm: "adagrad", js: adagradJs },
  run: (k, o, c) => {
    k(c.flags, c.n, c.p, c.g, c.s[0]!, f(o.eps), f(o.weightDecay), f(-clrOf(o, c.step)), o.rowwise);
  },
  sparse: {
    // torch: "weight_decay option is not compatible with sparse gradients".
    refuse: (o) => (o.weightDecay !== 0 ? `its param group has weightDecay ${o.weightDecay}, and weight decay does not apply to sparse gradients (as in PyTorch)` : undefined),
    kernel: { wasm: "adagradRows", js: adagradRowsJs },
    run: (k, o, c) => {
      k(c.flags, c.count, c.list, c.next, c.values, c.dim, c.p, c.s[0]!, f(o.eps), f(-clrOf(o, c.step)));
    },
  },
});

/**
 * Adagrad exactly as `torch.optim.Adagrad` (PyTorch 1.13, float32, bit for bit):
 * G += g², w -= clr·g / (sqrt(G) + eps) with clr = lr / (1 + (t−1)·lrDecay). State
 * (`step`, `sum`) exists from construction, `sum` filled with `initialAccumulatorValue`.
 *
 * A gradient may also be sparse rows `{ indices, values, dim }` for a `rows × dim` param (an
 * embedding table), as torch's sparse gradients: only the rows listed change, and their `sum`;
 * a row listed twice has its vectors summed first, in the order given. The step costs time in
 * proportion to the rows listed. See {@link SparseRows} and the README's "Sparse rows".
 *
 * @example
 * ```ts
 * const w = new Float32Array(100), g = new Float32Array(100).fill(0.1);
 * const opt = new Adagrad([w], { lr: 0.1 });
 * opt.step([g]);
 * ```
 */
export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: ParamsInput<AdagradOptions>, options?: AdagradOptions & CommonOptions) {
    super(ADAGRAD, params, options);
  }
}
