// `tf.train.sgd` and `tf.train.momentum` in plain JS: the same float32 operations in the same
// order as assembly/tfjs-sgd.ts (see js/rmsprop.ts for why Math.fround per operation is exact).
import { index } from "./index.js";

const f = Math.fround;

/** Flag: Nesterov momentum (as TFJS_MOMENTUM_NESTEROV in assembly/). */
export const TFJS_MOMENTUM_NESTEROV = 1;

/** `scratch` and `flags` are unused (no variants). */
export function tfjsSgdJs(x: Float32Array, scratch: number, flags: number, n: number, p: number, g: number, C: number): void {
  p = index(p); g = index(g);
  for (let i = 0; i < n; i++) x[p + i] = f(C * x[g + i]!) + x[p + i]!;
}

/** `scratch` is unused: no variant changes the gradient. */
export function tfjsMomentumJs(
  x: Float32Array, scratch: number, flags: number, n: number, p: number, g: number, acc: number, C: number, M: number,
): void {
  p = index(p); g = index(g); acc = index(acc);
  // One loop per variant, with no per-element option test.
  if (flags & TFJS_MOMENTUM_NESTEROV) {
    for (let i = 0; i < n; i++) {
      const gv = x[g + i]!;
      const av = f(f(M * x[acc + i]!) + gv);
      x[acc + i] = av;
      x[p + i] = f(C * f(gv + f(av * M))) + x[p + i]!;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const av = f(f(M * x[acc + i]!) + x[g + i]!);
      x[acc + i] = av;
      x[p + i] = f(C * av) + x[p + i]!;
    }
  }
}
