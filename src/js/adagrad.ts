// Adagrad in plain JS, every operation rounded to float32 in the order of FORMULAS.md (see
// js/rmsprop.ts for why Math.fround per operation is exact).
import { BLOCK, changesGrad, effectiveGrad } from "./grad.js";
import { index } from "./index.js";

const f = Math.fround;

function update(x: Float32Array, n: number, p: number, g: number, sum: number, E: number, C: number): void {
  for (let i = 0; i < n; i++) {
    const gv = x[g + i]!;
    const sv = f(x[sum + i]! + f(gv * gv));
    x[sum + i] = sv;
    x[p + i] = x[p + i]! + f(f(C * gv) / f(f(Math.sqrt(sv)) + E));
  }
}

/** `scratch`: element index of a BLOCK-element block of x that the kernel may overwrite. */
export function adagradJs(
  x: Float32Array, scratch: number, flags: number, n: number, p: number, g: number, sum: number,
  E: number, W: number, C: number,
): void {
  p = index(p); g = index(g); sum = index(sum);
  if (!changesGrad(flags)) return update(x, n, p, g, sum, E, C);
  for (let s = 0; s < n; s += BLOCK) {
    const m = Math.min(BLOCK, n - s);
    effectiveGrad(x, scratch, flags, m, p + s, g + s, W);
    update(x, m, p + s, scratch, sum + s, E, C);
  }
}
