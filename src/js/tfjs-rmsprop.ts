// `tf.train.rmsprop` in plain JS: the same float32 operations in the same order as
// assembly/tfjs-rmsprop.ts (see js/rmsprop.ts for why Math.fround per operation is exact).
import { index } from "./index.js";

const f = Math.fround;

/** Flag: centered RMSprop (as TFJS_RMSPROP_CENTERED in assembly/). */
export const TFJS_RMSPROP_CENTERED = 1;

/** `scratch` is unused: no variant changes the gradient. */
export function tfjsRmspropJs(
  x: Float32Array, scratch: number, flags: number, n: number, p: number, g: number, ms: number, mom: number, mg: number,
  D: number, OD: number, LR: number, E: number, M: number,
): void {
  p = index(p); g = index(g); ms = index(ms); mom = index(mom); mg = index(mg);
  // One loop per variant, with no per-element option test.
  if (flags & TFJS_RMSPROP_CENTERED) {
    for (let i = 0; i < n; i++) {
      const gv = x[g + i]!;
      const sv = f(f(x[ms + i]! * D) + f(f(gv * gv) * OD));
      x[ms + i] = sv;
      const av = f(f(x[mg + i]! * D) + f(gv * OD));
      x[mg + i] = av;
      const mv = f(f(x[mom + i]! * M) + f(f(gv * LR) / f(Math.sqrt(f(sv - f(f(av * av) + E))))));
      x[mom + i] = mv;
      x[p + i] = x[p + i]! - mv;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const gv = x[g + i]!;
      const sv = f(f(x[ms + i]! * D) + f(f(gv * gv) * OD));
      x[ms + i] = sv;
      const mv = f(f(x[mom + i]! * M) + f(f(gv * LR) / f(Math.sqrt(f(sv + E)))));
      x[mom + i] = mv;
      x[p + i] = x[p + i]! - mv;
    }
  }
}
