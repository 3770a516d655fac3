/**
 * simdopt/tfjs: drop-ins for TensorFlow.js's optimizers (`tf.train.rmsprop`, `adam`,
 * `adagrad`, `sgd`, `momentum`) that compute TF.js's own formulas, bit for bit as its cpu
 * backend does, in simdopt's kernels. Each returns a `tf.Optimizer`: use it with `minimize`,
 * `applyGradients` or tfjs-layers' `model.compile({ optimizer })`.
 *
 * It shares its runtime with "simdopt": call `await init()` from "simdopt" once before the
 * first step.
 * @packageDocumentation
 */
import { serialization } from "@tensorflow/tfjs-core";
import { SimdoptAdagrad } from "./adagrad.js";
import { SimdoptAdam } from "./adam.js";
import { SimdoptMomentum } from "./momentum.js";
import { SimdoptRMSProp } from "./rmsprop.js";
import { SimdoptSGD } from "./sgd.js";

export { rmsprop, SimdoptRMSProp } from "./rmsprop.js";
export { adam, SimdoptAdam } from "./adam.js";
export { adagrad, SimdoptAdagrad } from "./adagrad.js";
export { sgd, SimdoptSGD } from "./sgd.js";
export { momentum, SimdoptMomentum } from "./momentum.js";
export type { TfjsOptimizer } from "./optimizer.js";

// Registered under their own names (TF.js's "RMSProp", "Adam", ... stay TF.js's), so that a
// model saved with one of these optimizers loads with it again.
for (const cls of [SimdoptRMSProp, SimdoptAdam, SimdoptAdagrad, SimdoptSGD, SimdoptMomentum]) {
  serialization.registerClass(cls);
}
