// RMSprop in plain JS with every operation rounded to float32, in the operation order of
// FORMULAS.md: the same bits as the wasm kernel. A double result of one + - * / or sqrt on
// float32 inputs rounds to the correctly rounded float32, so Math.fround after each
// operation is exact single-precision arithmetic. Stores into a Float32Array round too.
import { CENTERED, EPS_IN_SQRT, FLUSH_DENORMALS, MOMENTUM } from "../backend.js";
import { flushJs } from "./flush.js";
import { BLOCK, changesGrad, effectiveGrad } from "./grad.js";
import { index } from "./index.js";

const f = Math.fround;

// One loop per variant, with no per-element option tests (V8 does not always hoist them; the
// branch-free loops measured 1.3-1.7x faster). Maximize and weight decay arrive here already
// folded into the gradient (see grad.ts).
function rmspropPlainJs(
  x: Float32Array, flags: number, n: number, p: number, g: number, sq: number, ga: number, buf: number,
  A: number, B: number, E: number, M: number, L: number,
): void {
  if (flags & EPS_IN_SQRT) return rmspropEpsInSqrtJs(x, flags, n, p, g, sq, ga, buf, A, B, E, M, L);
  if (flags & CENTERED) {
    if (flags & MOMENTUM) {
      centeredMomentumDefault(x, n, p, g, sq, ga, buf, A, B, E, M, L);
    } else {
      for (let i = 0; i < n; i++) {
        const gv = x[g + i]!;
        const sv = f(f(x[sq + i]! * A) + f(f(B * gv) * gv));
        x[sq + i] = sv;
        const av = f(f(x[ga + i]! * A) + f(B * gv));
        x[ga + i] = av;
        const avg = f(f(Math.sqrt(f(sv - f(av * av)))) + E);
        x[p + i] = x[p + i]! + f(f(L * gv) / avg);
      }
    }
  } else if (flags & MOMENTUM) {
    for (let i = 0; i < n; i++) {
      const gv = x[g + i]!;
      const sv = f(f(x[sq + i]! * A) + f(f(B * gv) * gv));
      x[sq + i] = sv;
      const avg = f(f(Math.sqrt(sv)) + E);
      const bv = f(f(x[buf + i]! * M) + f(gv / avg));
      x[buf + i] = bv;
      x[p + i] = x[p + i]! + f(L * bv);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const gv = x[g + i]!;
      const sv = f(f(x[sq + i]! * A) + f(f(B * gv) * gv));
      x[sq + i] = sv;
      x[p + i] = x[p + i]! + f(f(L * gv) / f(f(Math.sqrt(sv)) + E));
    }
  }
}

// The same four variants with eps under the square root: avg = sqrt(r(variance + E)).
function rmspropEpsInSqrtJs(
  x: Float32Array, flags: number, n: number, p: number, g: number, sq: number, ga: number, buf: number,
  A: number, B: number, E: number, M: number, L: number,
): void {
  if (flags & CENTERED) {
    if (flags & MOMENTUM) {
      for (let i = 0; i < n; i++) {
        const gv = x[g + i]!;
        const sv = f(f(x[sq + i]! * A) + f(f(B * gv) * gv));
        x[sq + i] = sv;
        const av = f(f(x[ga + i]! * A) + f(B * gv));
        x[ga + i] = av;
        const avg = f(Math.sqrt(f(f(sv - f(av * av)) + E)));
        const bv = f(f(x[buf + i]! * M) + f(gv / avg));
        x[buf + i] = bv;
        x[p + i] = x[p + i]! + f(L * bv);
      }
    } else {
      for (let i = 0; i < n; i++) {
        const gv = x[g + i]!;
        const sv = f(f(x[sq + i]! * A) + f(f(B * gv) * gv));
        x[sq + i] = sv;
        const av = f(f(x[ga + i]! * A) + f(B * gv));
        x[ga + i] = av;
        const avg = f(Math.sqrt(f(f(sv - f(av * av)) + E)));
        x[p + i] = x[p + i]! + f(f(L * gv) / avg);
      }
    }
  } else if (flags & MOMENTUM) {
    for (let i = 0; i < n; i++) {
      const gv = x[g + i]!;
      const sv = f(f(x[sq + i]! * A) + f(f(B * gv) * gv));
      x[sq + i] = sv;
      const avg = f(Math.sqrt(f(sv + E)));
      const bv = f(f(x[buf + i]! * M) + f(gv / avg));
      x[buf + i] = bv;
      x[p + i] = x[p + i]! + f(L * bv);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const gv = x[g + i]!;
      const sv = f(f(x[sq + i]! * A) + f(f(B * gv) * gv));
      x[sq + i] = sv;
      x[p + i] = x[p + i]! + f(f(L * gv) / f(Math.sqrt(f(sv + E))));
    }
  }
}

// Centered + momentum has the longest dependency chain per element. Under the default options
// it runs in blocks of BLOCK elements, two passes per block: the first updates the averages and
// writes the square roots into `roots` (a float32 store rounds, like Math.fround), the second
// divides and updates momentum and parameters. Shorter chains let V8's code overlap more
// elements: measured 11.1 -> 9.9 ns/element, same bits. (The same split made plain RMSprop
// slower, 6.0 -> 6.8, so the other variants keep one loop.)
const roots = new Float32Array(BLOCK);

function centeredMomentumDefault(
  x: Float32Array, n: number, p: number, g: number, sq: number, ga: number, buf: number,
  A: number, B: number, E: number, M: number, L: number,
): void {
  const t = roots;
  for (let s = 0; s < n; s += BLOCK) {
    const m = Math.min(BLOCK, n - s);
    for (let j = 0; j < m; j++) {
      const gv = x[g + s + j]!;
      const bg = f(B * gv);
      const sv = f(f(x[sq + s + j]! * A) + f(bg * gv));
      x[sq + s + j] = sv;
      const av = f(f(x[ga + s + j]! * A) + bg);
      x[ga + s + j] = av;
      t[j] = Math.sqrt(f(sv - f(av * av)));
    }
    for (let j = 0; j < m; j++) {
      const bv = f(f(x[buf + s + j]! * M) + f(x[g + s + j]! / f(t[j]! + E)));
      x[buf + s + j] = bv;
      x[p + s + j] = x[p + s + j]! + f(L * bv);
    }
  }
}

/** `scratch`: element index of a BLOCK-element block of x that the kernel may overwrite. */
export function rmspropJs(
  x: Float32Array, scratch: number, flags: number, n: number, p: number, g: number, sq: number, ga: number,
  buf: number, A: number, B: number, E: number, W: number, M: number, L: number,
): void {
  p = index(p); g = index(g); sq = index(sq); ga = index(ga); buf = index(buf);
  if (!changesGrad(flags)) rmspropPlainJs(x, flags, n, p, g, sq, ga, buf, A, B, E, M, L);
  else {
    for (let s = 0; s < n; s += BLOCK) {
      const m = Math.min(BLOCK, n - s);
      effectiveGrad(x, scratch, flags, m, p + s, g + s, W);
      rmspropPlainJs(x, flags, m, p + s, scratch, sq + s, ga + s, buf + s, A, B, E, M, L);
    }
  }
  if (flags & FLUSH_DENORMALS) {
    flushJs(x, sq, n);
    if (flags & CENTERED) flushJs(x, ga, n);
    if (flags & MOMENTUM) flushJs(x, buf, n);
  }
}
