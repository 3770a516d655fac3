// The total norm of a list of gradients and the scaling that clips them, bit-exact with
// PyTorch's clip_grad_norm_ (FORMULAS-2.md). The list is ordered, and the order is part of the
// result: torch's total 2-norm sums the per-tensor norms in eight lanes by position.
//
// Each entry is a span of the backend's heap, run in place on its kernels, or a caller-owned
// Float32Array. On wasm, a caller-owned array of STAGE_MIN elements or more is copied a piece
// at a time through the backend's staging block for the wasm kernels (and back, when scaled):
// measured 3-13x faster than the exact JS kernels on the array in place from 512 to 1e6
// elements (bench/clip.mjs), and no faster below about 128, where the fixed cost of staging
// dominates. Shorter arrays, and every array on the JS backend, run the JS kernels in place.
// Every path gives the same bits.
import { STAGING_ELEMENTS, type Backend } from "./backend.js";
import { l2NormJs, maxAbsJs, scaleJs } from "./js/clip.js";

/** `length` float32 at byte offset `gradPtr` of the backend's heap (a StoreTensor is one). */
export interface GradSpan {
  readonly gradPtr: number;
  readonly length: number;
}

/** One gradient tensor: a span of the backend's heap, or a caller-owned array. */
export type GradRef = GradSpan | Float32Array;

export interface GradList {
  /** The backend whose heap holds the spans, and whose kernels run the arrays if it stages. */
  readonly backend: Backend;
  /** In torch's order (the parameters' order). */
  readonly grads: readonly GradRef[];
}

/** 2: the Euclidean norm; Infinity: max |x|. */
export type NormKind = 2 | typeof Infinity;

const f = Math.fround;
/** torch adds this to the total norm before dividing, as a float32 tensor op. */
const EPS = f(1e-6);
/** Staging block layout (backend.ts): the eight lane sums, then the data, in float32 units. */
const DATA = 16;
/** Arrays shorter than this run the JS kernels in place even where the backend stages. */
const STAGE_MIN = 256;

/**
 * torch's total norm: for 2, the 2-norm (same lane order) of the vector of per-tensor 2-norms;
 * for Infinity, the largest max |x|, NaN if any element is NaN. 0 for an empty list.
 */
export function totalNorm(list: GradList, norm: NormKind): number {
  const { backend, grads } = list;
  const n = grads.length;
  if (norm === Infinity) {
    let m = 0;
    for (let i = 0; i < n; i++) {
      const v = maxAbsOf(backend, grads[i]!);
      if (v > m) m = v;
      else if (v !== v) return NaN; // NaN wins: the other tensors cannot change the result
    }
    return m;
  }
  // One float per tensor, not per element; torch also materialises this vector (a stack).
  const norms = new Float32Array(n);
  for (let i = 0; i < n; i++) norms[i] = l2Of(backend, grads[i]!);
  return l2NormJs(norms, n, 0);
}

/** coef = r(r(1 / r(total + 1e-6)) * maxNorm), clamped to at most 1; NaN stays NaN. */
export function clipCoefficient(total: number, maxNorm: number): number {
  const coef = f(f(1 / f(total + EPS)) * f(maxNorm));
  return coef > 1 ? 1 : coef;
}

/**
 * g = r(g * coef) for every element of every gradient, in place. torch multiplies by 1 too;
 * x * 1 is x in every bit (NaN aside, whose payload is not significant), so that pass is skipped.
 */
export function scaleGrads(list: GradList, coef: number): void {
  if (coef === 1) return;
  const { backend, grads } = list;
  for (let i = 0; i < grads.length; i++) {
    const g = grads[i]!;
    if (!(g instanceof Float32Array)) backend.kernels.scale(g.length, g.gradPtr, coef);
    else if (!stages(backend, g)) scaleJs(g, g.length, 0, coef);
    else {
      const view = stagingView(backend);
      const ptr = backend.staging!;
      for (let s = 0; s < g.length; s += STAGING_ELEMENTS) {
        const m = Math.min(STAGING_ELEMENTS, g.length - s);
        view.set(g.subarray(s, s + m), DATA);
        backend.kernels.scale(m, ptr + DATA * 4, coef);
        g.set(view.subarray(DATA, DATA + m), s);
      }
    }
  }
}

function l2Of(backend: Backend, g: GradRef): number {
  if (!(g instanceof Float32Array)) return backend.kernels.l2Norm(g.length, g.gradPtr);
  if (!stages(backend, g)) return l2NormJs(g, g.length, 0);
  // Pieces of STAGING_ELEMENTS, a multiple of 8, so the lane sums carry over exactly.
  const view = stagingView(backend);
  const ptr = backend.staging!;
  view.fill(0, 0, 8);
  let norm = 0;
  for (let s = 0; s < g.length; s += STAGING_ELEMENTS) {
    const m = Math.min(STAGING_ELEMENTS, g.length - s);
    view.set(g.subarray(s, s + m), DATA);
    norm = backend.kernels.l2NormLanes(m, ptr + DATA * 4, ptr);
  }
  return norm;
}

function maxAbsOf(backend: Backend, g: GradRef): number {
  if (!(g instanceof Float32Array)) return backend.kernels.maxAbs(g.length, g.gradPtr);
  if (!stages(backend, g)) return maxAbsJs(g, g.length, 0);
  const view = stagingView(backend);
  const ptr = backend.staging!;
  let m = 0;
  for (let s = 0; s < g.length; s += STAGING_ELEMENTS) {
    const k = Math.min(STAGING_ELEMENTS, g.length - s);
    view.set(g.subarray(s, s + k), DATA);
    const v = backend.kernels.maxAbs(k, ptr + DATA * 4);
    if (v > m) m = v;
    else if (v !== v) return NaN;
  }
  return m;
}

const stages = (backend: Backend, g: Float32Array): boolean => backend.staging !== undefined && g.length >= STAGE_MIN;

// The staging block's view per backend, re-taken after the memory grows.
const stagingViews = new WeakMap<Backend, { generation: number; view: Float32Array }>();

function stagingView(backend: Backend): Float32Array {
  const heap = backend.heap;
  let v = stagingViews.get(backend);
  if (!v || v.generation !== heap.generation) {
    v = { generation: heap.generation, view: heap.view(backend.staging!, DATA + STAGING_ELEMENTS) };
    stagingViews.set(backend, v);
  }
  return v.view;
}
