// Adagrad in plain JS, every operation rounded to float32 in the order of FORMULAS.md (see
// js/rmsprop.ts for why Math.fround per operation is exact).
import { MAXIMIZE, WEIGHT_DECAY } from "../backend.js";
import { index } from "./index.js";

const f = Math.fround;

export function adagradJs(
  x: Float32Array, flags: number, n: number, p: number, g: number, sum: number,
  E: number, W: number, C: number,
): void {
  p = index(p); g = index(g); sum = index(sum);
  // The default options get a loop without branches: V8 compiles it to tighter code than the
  // general loop below, whose per-element option tests it does not always hoist.
  if ((flags & (MAXIMIZE | WEIGHT_DECAY)) === 0) {
    for (let i = 0; i < n; i++) {
      const gv = x[g + i]!;
      const sv = f(x[sum + i]! + f(gv * gv));
      x[sum + i] = sv;
      x[p + i] = x[p + i]! + f(f(C * gv) / f(f(Math.sqrt(sv)) + E));
    }
    return;
  }
  const maximize = (flags & MAXIMIZE) !== 0;
  const decay = (flags & WEIGHT_DECAY) !== 0;
  for (let i = 0; i < n; i++) {
    const pv = x[p + i]!;
    let gv = x[g + i]!;
    if (maximize) gv = -gv;
    if (decay) gv = f(gv + f(W * pv));
    const sv = f(x[sum + i]! + f(gv * gv));
    x[sum + i] = sv;
    const std = f(f(Math.sqrt(sv)) + E);
    x[p + i] = pv + f(f(C * gv) / std);
  }
}
