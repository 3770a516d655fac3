// Adagrad in plain JS, every operation rounded to float32 in the order of FORMULAS.md (see
// js/rmsprop.ts for why Math.fround per operation is exact).
import { EPS_IN_SQRT, FLUSH_DENORMALS, ROWWISE } from "../backend.js";
import { rowwiseJs } from "./adagrad-rows.js";
import { flushJs } from "./flush.js";
import { BLOCK, changesGrad, effectiveGrad } from "./grad.js";
import { index } from "./index.js";

const f = Math.fround;

// One loop per variant; maximize and weight decay arrive folded into the gradient (grad.ts).
function update(x: Float32Array, flags: number, n: number, p: number, g: number, sum: number, E: number, C: number): void {
  if (flags & EPS_IN_SQRT) {
    for (let i = 0; i < n; i++) {
      const gv = x[g + i]!;
      const sv = f(x[sum + i]! + f(gv * gv));
      x[sum + i] = sv;
      x[p + i] = x[p + i]! + f(f(C * gv) / f(Math.sqrt(f(sv + E))));
    }
  } else {
    for (let i = 0; i < n; i++) {
      const gv = x[g + i]!;
      const sv = f(x[sum + i]! + f(gv * gv));
      x[sum + i] = sv;
      x[p + i] = x[p + i]! + f(f(C * gv) / f(f(Math.sqrt(sv)) + E));
    }
  }
}

/**
 * `scratch`: element index of a BLOCK-element block of x that the kernel may overwrite. `D`: the
 * row length, read only with ROWWISE (js/adagrad-rows.ts).
 */
export function adagradJs(
  x: Float32Array, scratch: number, flags: number, n: number, p: number, g: number, sum: number,
  E: number, W: number, C: number, D: number,
): void {
  p = index(p); g = index(g); sum = index(sum);
  if (flags & ROWWISE) return rowwiseJs(x, flags, n, p, g, sum, E, W, C, D);
  if (!changesGrad(flags)) update(x, flags, n, p, g, sum, E, C);
  else {
    for (let s = 0; s < n; s += BLOCK) {
      const m = Math.min(BLOCK, n - s);
      effectiveGrad(x, scratch, flags, m, p + s, g + s, W);
      update(x, flags, m, p + s, scratch, sum + s, E, C);
    }
  }
  if (flags & FLUSH_DENORMALS) flushJs(x, sum, n);
}
