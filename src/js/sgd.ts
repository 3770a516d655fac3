// SGD in plain JS, every operation rounded to float32 in the order of FORMULAS-2.md (see
// js/rmsprop.ts for why Math.fround per operation is exact).
import { FIRST_STEP, FLUSH_DENORMALS, MOMENTUM, NESTEROV } from "../backend.js";
import { flushJs } from "./flush.js";
import { BLOCK, changesGrad, effectiveGrad } from "./grad.js";
import { index } from "./index.js";

const f = Math.fround;

// One loop per variant; maximize and weight decay arrive folded into the gradient (grad.ts).
function update(
  x: Float32Array, flags: number, n: number, p: number, g: number, buf: number, M: number, D: number, L: number,
): void {
  if (!(flags & MOMENTUM)) {
    for (let i = 0; i < n; i++) x[p + i] = x[p + i]! + f(L * x[g + i]!);
  } else if (flags & FIRST_STEP) {
    // torch's first momentum step: the buffer becomes a copy of the gradient.
    x.copyWithin(buf, g, g + n);
    if (flags & NESTEROV) {
      for (let i = 0; i < n; i++) {
        const gv = x[g + i]!;
        x[p + i] = x[p + i]! + f(L * f(gv + f(M * gv)));
      }
    } else {
      for (let i = 0; i < n; i++) x[p + i] = x[p + i]! + f(L * x[g + i]!);
    }
  } else if (flags & NESTEROV) {
    for (let i = 0; i < n; i++) {
      const gv = x[g + i]!;
      const bv = f(f(x[buf + i]! * M) + f(D * gv));
      x[buf + i] = bv;
      x[p + i] = x[p + i]! + f(L * f(gv + f(M * bv)));
    }
  } else {
    for (let i = 0; i < n; i++) {
      const bv = f(f(x[buf + i]! * M) + f(D * x[g + i]!));
      x[buf + i] = bv;
      x[p + i] = x[p + i]! + f(L * bv);
    }
  }
}

/** `scratch`: element index of a BLOCK-element block of x that the kernel may overwrite. */
export function sgdJs(
  x: Float32Array, scratch: number, flags: number, n: number, p: number, g: number, buf: number,
  W: number, M: number, D: number, L: number,
): void {
  p = index(p); g = index(g); buf = index(buf);
  if (!changesGrad(flags)) update(x, flags, n, p, g, buf, M, D, L);
  else {
    for (let s = 0; s < n; s += BLOCK) {
      const m = Math.min(BLOCK, n - s);
      effectiveGrad(x, scratch, flags, m, p + s, g + s, W);
      update(x, flags, m, p + s, scratch, buf + s, M, D, L);
    }
  }
  if ((flags & FLUSH_DENORMALS) && (flags & MOMENTUM)) flushJs(x, buf, n);
}
