// Adam and AdamW in plain JS, every operation rounded to float32 in the order of
// FORMULAS-2.md (see js/rmsprop.ts for why Math.fround per operation is exact).
import { AMSGRAD, DECOUPLED_DECAY, FLUSH_DENORMALS } from "../backend.js";
import { flushJs } from "./flush.js";
import { BLOCK, changesGrad, effectiveGrad } from "./grad.js";
import { index } from "./index.js";

const f = Math.fround;

// One loop per variant; maximize and weight decay arrive folded into the gradient (grad.ts).
// Math.max is the wasm kernel's maximum too: NaN if either is NaN, +0 above -0.
function update(
  x: Float32Array, flags: number, n: number, p: number, g: number, m: number, v: number, vmax: number,
  B1: number, C1: number, B2: number, C2: number, S: number, E: number, L: number, K: number,
): void {
  if (flags & AMSGRAD) {
    if (flags & DECOUPLED_DECAY) {
      for (let i = 0; i < n; i++) {
        const gv = x[g + i]!;
        const mv = f(f(x[m + i]! * B1) + f(C1 * gv));
        x[m + i] = mv;
        const vv = f(f(x[v + i]! * B2) + f(f(C2 * gv) * gv));
        x[v + i] = vv;
        const top = Math.max(x[vmax + i]!, vv);
        x[vmax + i] = top;
        x[p + i] = f(x[p + i]! * K) + f(f(L * mv) / f(f(f(Math.sqrt(top)) / S) + E));
      }
    } else {
      for (let i = 0; i < n; i++) {
        const gv = x[g + i]!;
        const mv = f(f(x[m + i]! * B1) + f(C1 * gv));
        x[m + i] = mv;
        const vv = f(f(x[v + i]! * B2) + f(f(C2 * gv) * gv));
        x[v + i] = vv;
        const top = Math.max(x[vmax + i]!, vv);
        x[vmax + i] = top;
        x[p + i] = x[p + i]! + f(f(L * mv) / f(f(f(Math.sqrt(top)) / S) + E));
      }
    }
  } else if (flags & DECOUPLED_DECAY) {
    for (let i = 0; i < n; i++) {
      const gv = x[g + i]!;
      const mv = f(f(x[m + i]! * B1) + f(C1 * gv));
      x[m + i] = mv;
      const vv = f(f(x[v + i]! * B2) + f(f(C2 * gv) * gv));
      x[v + i] = vv;
      x[p + i] = f(x[p + i]! * K) + f(f(L * mv) / f(f(f(Math.sqrt(vv)) / S) + E));
    }
  } else {
    for (let i = 0; i < n; i++) {
      const gv = x[g + i]!;
      const mv = f(f(x[m + i]! * B1) + f(C1 * gv));
      x[m + i] = mv;
      const vv = f(f(x[v + i]! * B2) + f(f(C2 * gv) * gv));
      x[v + i] = vv;
      x[p + i] = x[p + i]! + f(f(L * mv) / f(f(f(Math.sqrt(vv)) / S) + E));
    }
  }
}

/** `scratch`: element index of a BLOCK-element block of x that the kernel may overwrite. */
export function adamJs(
  x: Float32Array, scratch: number, flags: number, n: number, p: number, g: number, m: number, v: number,
  vmax: number, B1: number, C1: number, B2: number, C2: number, S: number, E: number, W: number, L: number,
  K: number,
): void {
  p = index(p); g = index(g); m = index(m); v = index(v); vmax = index(vmax);
  if (!changesGrad(flags)) update(x, flags, n, p, g, m, v, vmax, B1, C1, B2, C2, S, E, L, K);
  else {
    for (let s = 0; s < n; s += BLOCK) {
      const k = Math.min(BLOCK, n - s);
      // The gradient reads the parameter before the decoupled decay scales it, as in the wasm kernel.
      effectiveGrad(x, scratch, flags, k, p + s, g + s, W);
      update(x, flags, k, p + s, scratch, m + s, v + s, vmax + s, B1, C1, B2, C2, S, E, L, K);
    }
  }
  if (flags & FLUSH_DENORMALS) {
    flushJs(x, m, n);
    flushJs(x, v, n);
    if (flags & AMSGRAD) flushJs(x, vmax, n);
  }
}
