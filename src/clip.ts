// Gradient clipping by total norm, as PyTorch's `torch.nn.utils.clip_grad_norm_`: validation
// and the targets it accepts. The arithmetic is in grad-norm.ts, the kernels in assembly/clip.ts
// and js/clip.ts.
import { clipCoefficient, scaleGrads, totalNorm, type GradList, type NormKind } from "./grad-norm.js";
import { engineOf, Optimizer } from "./optimizer.js";
import { checkDistinct } from "./aliasing.js";
import { isDetached } from "./detached.js";
import { show } from "./options.js";
import { currentBackend } from "./runtime.js";
import { ParamStore } from "./store.js";

/**
 * Whose gradients to measure and clip: a `ParamStore` (all of its gradients, in layout order,
 * in place in the store's memory), an array of caller-owned gradients (each scaled in place),
 * or an optimizer: for each of its params in order, a ParamStore tensor's gradient slot, or
 * for a caller-owned param the grads array given to its last `step()` (the array a training
 * loop refills each iteration; before any step there is none, and clipping refuses).
 */
export type ClipTarget = ParamStore | readonly Float32Array[] | Optimizer<unknown>;

/**
 * The norm: `2` (Euclidean) or `Infinity` (largest |g|), with `"inf"` accepted for Infinity as
 * in PyTorch. Other p-norms are refused: torch computes them with its generic reduction, whose
 * order (split across threads for large tensors) we cannot promise to reproduce bit for bit,
 * whereas its 2-norm has a fixed eight-lane order and its inf-norm (a max) has no order at all.
 */
export type NormType = number | "inf";

/** Options of `clipGradNorm`. */
export interface ClipGradNormOptions {
  /** Default 2. See {@link NormType}. */
  normType?: NormType;
  /**
   * When the total norm is NaN or ±Inf: `true` throws a RangeError and scales nothing (torch's
   * `error_if_nonfinite=True`); `false` (default, as torch) scales by it anyway.
   */
  errorIfNonfinite?: boolean;
}

/**
 * Clips gradients by their total norm, in place, bit for bit as PyTorch's
 * `torch.nn.utils.clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite)` with
 * float32 gradients (formulas in the fixtures' FORMULAS-2.md):
 *
 * - `total` = the norm of the vector of per-tensor norms (norm 2: each tensor's 2-norm summed in
 *   torch's eight-lane order; norm Infinity: the largest |g|, NaN if any g is NaN).
 * - `coef = min(1, maxNorm / (total + 1e-6))`, each operation rounded to float32 as torch does;
 *   NaN stays NaN.
 * - every element of every gradient of `target` becomes `g * coef` (a no-op when coef is 1).
 *
 * So after the call the total norm is at most about `maxNorm`. A NaN anywhere makes every
 * gradient NaN; a ±Inf (or a total that overflows float32) makes coef 0, so finite gradients
 * become ±0 and infinite ones NaN — unless `errorIfNonfinite` is set. The same bits on every
 * backend.
 *
 * @param target a `ParamStore` (every gradient it holds; the store must be live and its views
 *   current, as for `step()`) or an array of gradients, each a `Float32Array` appearing once.
 * @param maxNorm the largest total norm to allow, in the gradients' own units: a finite number
 *   >= 0 (0 zeroes the gradients; -0 counts as 0). torch accepts a negative max_norm, which
 *   would flip the gradients' signs; it is refused here.
 * @param options `normType` (default 2) and `errorIfNonfinite` (default false).
 * @returns the total norm before clipping, a float32 value (NaN or Infinity when non-finite).
 * @throws TypeError / RangeError naming the bad argument (a disposed store is a TypeError), a
 *   StaleViewError for a store with views taken before its memory grew (as `step()`), and a
 *   RangeError when `errorIfNonfinite` is set and the total norm is NaN or ±Inf; each changes
 *   nothing.
 *
 * @example
 * ```ts
 * const store = new ParamStore({ w: 4, b: 2 });
 * const opt = new RMSprop(store, { lr: 1e-3 });
 * store.grad("w").set([3, 0, 0, 0]);
 * store.grad("b").set([0, 4]);
 * const total = clipGradNorm(store, 1); // 5, measured before clipping; the grads now have norm about 1
 * opt.step();
 * ```
 */
export function clipGradNorm(target: ClipTarget, maxNorm: number, options: ClipGradNormOptions = {}): number {
  const where = "clipGradNorm";
  const { norm, errorIfNonfinite } = parseOptions(options, where);
  if (typeof maxNorm !== "number") throw new TypeError(`${where}: maxNorm must be a number, got ${show(maxNorm)}`);
  if (!Number.isFinite(maxNorm) || maxNorm < 0) {
    throw new RangeError(`${where}: maxNorm must be a finite number >= 0, got ${show(maxNorm)}`);
  }
  const list = gradListOf(target, where);
  const total = totalNorm(list, norm);
  if (errorIfNonfinite && !Number.isFinite(total)) {
    throw new RangeError(
      `${where}: the total ${norm === 2 ? "2" : "inf"}-norm of the gradients is ${total}, so they cannot be ` +
        `clipped; nothing was scaled (errorIfNonfinite: true)`,
    );
  }
  scaleGrads(list, clipCoefficient(total, maxNorm + 0));
  return total;
}

/**
 * The total norm that {@link clipGradNorm} would return for `target`, changing nothing.
 *
 * @param target as for clipGradNorm.
 * @param normType 2 (default) or Infinity / "inf"; see {@link NormType}.
 * @returns the norm, a float32 value, in the gradients' units (0 when there are none).
 *
 * @example
 * ```ts
 * const gw = Float32Array.of(3, 0), gb = Float32Array.of(4);
 * gradNorm([gw, gb]);           // 5
 * gradNorm([gw, gb], Infinity); // 4: the largest |g|
 * ```
 */
export function gradNorm(target: ClipTarget, normType: NormType = 2): number {
  const norm = normKindOf(normType, "gradNorm: normType");
  return totalNorm(gradListOf(target, "gradNorm"), norm);
}

function parseOptions(options: unknown, where: string): { norm: NormKind; errorIfNonfinite: boolean } {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(`${where}: options must be an object, got ${show(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (key !== "normType" && key !== "errorIfNonfinite") {
      throw new TypeError(`${where}: unknown option ${JSON.stringify(key)} (known: normType, errorIfNonfinite)`);
    }
  }
  const o = options as ClipGradNormOptions;
  const norm = normKindOf(o.normType === undefined ? 2 : o.normType, `${where}: options.normType`);
  const errorIfNonfinite = o.errorIfNonfinite === undefined ? false : o.errorIfNonfinite;
  if (typeof errorIfNonfinite !== "boolean") {
    throw new TypeError(`${where}: options.errorIfNonfinite must be a boolean, got ${show(errorIfNonfinite)}`);
  }
  return { norm, errorIfNonfinite };
}

function normKindOf(v: unknown, where: string): NormKind {
  if (v === 2) return 2;
  if (v === Infinity || v === "inf") return Infinity;
  const E = typeof v === "number" || typeof v === "string" ? RangeError : TypeError;
  throw new E(`${where} must be 2 or Infinity ("inf"), got ${show(v)}`);
}

/** The gradients of `target`, in torch's order, after every check that can fail. */
function gradListOf(target: unknown, where: string): GradList {
  if (target instanceof Optimizer) {
    const e = engineOf(target);
    e.assertLive();
    const grads = e.tensors.map((t) => {
      if (t.store) return t.store;
      if (t.lastGrad === null || t.lastGrad.length !== t.length) {
        const why = t.rows !== null ? "its last step() took sparse rows" : "has no grads from a step() yet";
        throw new TypeError(`${where}: params[${t.index}] of the ${e.kind} is caller-owned and ${why}; pass the grads arrays themselves`);
      }
      return t.lastGrad;
    });
    for (const s of e.tensors) if (s.store) s.store.store.assertUsable();
    return { backend: e.backend, grads };
  }
  if (target instanceof ParamStore) {
    if (target.isDisposed) throw new TypeError(`${where}: target is a ParamStore that was disposed`);
    return { backend: target.runtime, grads: target.tensorsInOrder() };
  }
  if (!Array.isArray(target)) {
    throw new TypeError(`${where}: target must be a ParamStore or an array of Float32Array, got ${show(target)}`);
  }
  const grads = target as unknown[];
  for (let i = 0; i < grads.length; i++) {
    const g = grads[i];
    if (!(g instanceof Float32Array)) throw new TypeError(`${where}: target[${i}] must be a Float32Array, got ${show(g)}`);
    if (g.length === 0 && isDetached(g.buffer)) {
      throw new TypeError(`${where}: target[${i}] is detached (its buffer was transferred, or it is a view of memory that grew)`);
    }
  }
  checkDistinct(where, grads as Float32Array[], "target", "gradient");
  return { backend: currentBackend(), grads: grads as Float32Array[] };
}


