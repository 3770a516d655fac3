// The kernels of the TensorFlow.js drop-in (simdopt/tfjs): TF.js's own update formulas, one
// float32 rounding per TF.js tensor op.
export { tfjsRmsprop } from "./tfjs-rmsprop";
export { tfjsAdam } from "./tfjs-adam";
export { tfjsAdagrad } from "./tfjs-adagrad";
export { tfjsSgd, tfjsMomentum } from "./tfjs-sgd";
