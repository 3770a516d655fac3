// `tf.train.adam` in plain JS: the same float32 operations in the same order as
// assembly/tfjs-adam.ts (see js/rmsprop.ts for why Math.fround per operation is exact).
import { index } from "./index.js";

const f = Math.fround;

/** `scratch` and `flags` are unused (no variants). */
export function tfjsAdamJs(
  x: Float32Array, scratch: number, flags: number, n: number, p: number, g: number, m: number, v: number,
  B1: number, OB1: number, B2: number, OB2: number, C1: number, C2: number, E: number, NLR: number,
): void {
  p = index(p); g = index(g); m = index(m); v = index(v);
  for (let i = 0; i < n; i++) {
    const gv = x[g + i]!;
    const mv = f(f(x[m + i]! * B1) + f(gv * OB1));
    x[m + i] = mv;
    const vv = f(f(x[v + i]! * B2) + f(f(gv * gv) * OB2));
    x[v + i] = vv;
    const q = f(f(mv / C1) / f(f(Math.sqrt(f(vv / C2))) + E));
    x[p + i] = f(q * NLR) + x[p + i]!;
  }
}
