// `tf.train.adagrad` in plain JS: the same float32 operations in the same order as
// assembly/tfjs-adagrad.ts (see js/rmsprop.ts for why Math.fround per operation is exact).
import { index } from "./index.js";

const f = Math.fround;

/** `scratch` and `flags` are unused (no variants). */
export function tfjsAdagradJs(
  x: Float32Array, scratch: number, flags: number, n: number, p: number, g: number, acc: number, E: number, NLR: number,
): void {
  p = index(p); g = index(g); acc = index(acc);
  for (let i = 0; i < n; i++) {
    const gv = x[g + i]!;
    const av = f(x[acc + i]! + f(gv * gv));
    x[acc + i] = av;
    x[p + i] = f(f(gv / f(Math.sqrt(f(av + E)))) * NLR) + x[p + i]!;
  }
}
