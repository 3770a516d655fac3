import type { Backend } from "./backend.js";
import { TENSOR_ALIGN_ELEMENTS, type Heap } from "./heap.js";
import { currentBackend } from "./runtime.js";
import { show } from "./options.js";

/** Thrown when views handed out before the memory grew are used with an optimizer. */
export class StaleViewError extends Error {
  override name = "StaleViewError";
}

/** A tensor of a live store, found from any view of its parameter. */
export interface StoreTensor {
  readonly store: ParamStore;
  readonly name: string;
  readonly length: number;
  readonly paramPtr: number;
  readonly gradPtr: number;
}

// Store tensors by parameter pointer, per heap: how an optimizer recognises a zero-copy view.
// A zero-length tensor shares its pointer with the next tensor, hence a list per pointer.
const registry = new WeakMap<Heap, Map<number, StoreTensor[]>>();

/** The live store tensor whose parameter is exactly `a`, if any. */
export function storeTensorOf(heap: Heap, a: Float32Array): StoreTensor | undefined {
  if (!heap.owns(a)) return undefined;
  return registry.get(heap)?.get(a.byteOffset)?.find((t) => t.length === a.length);
}

/** Sizes of the tensors of a store, in elements: `{ w1: 784 * 128, b1: 128 }`. */
export type StoreLayout = Readonly<Record<string, number>>;

export interface ParamStoreOptions {
  /**
   * Extra memory to set aside now, as a multiple of the parameters' size, so that creating
   * optimizers over this store later does not grow memory (which would detach the views
   * already taken). Default 3: enough for RMSprop with momentum and centered.
   */
  reserve?: number;
}

/** Rounds an element count up to the 16-byte tensor alignment. */
export const alignElements = (n: number) => Math.ceil(n / TENSOR_ALIGN_ELEMENTS) * TENSOR_ALIGN_ELEMENTS;

/**
 * Parameters and gradients laid out in the optimizer's own memory (wasm linear memory, or an
 * ArrayBuffer with the JS backend), so that `step()` reads and writes them in place.
 *
 * Tensors are packed in the order of the layout, each on a 16-byte boundary; gradients
 * mirror the parameters' layout. An optimizer over a whole store updates it in one kernel
 * call per param group.
 *
 * Views: `param(name)` and `grad(name)` return Float32Arrays over that memory. Creating more
 * stores or optimizers can grow the memory, which detaches earlier views; re-read views with
 * `param`/`grad` after creating anything. Until every view taken before a growth has been
 * re-read, `step()` of an optimizer over this store throws a StaleViewError naming them.
 */
export class ParamStore {
  /** Tensor names, in layout order. */
  readonly names: readonly string[];
  /** The backend whose memory holds this store. */
  readonly backend: Backend;
  private readonly tensors = new Map<string, StoreTensor>();
  private readonly ordered: StoreTensor[] = [];
  private readonly paramBlock: number;
  private readonly gradBlock: number;
  private readonly totalElements: number;
  private disposed = false;
  private readonly views = new Map<string, Float32Array>();
  private viewsGeneration: number;
  private handedOut = new Set<string>();
  private stale = new Set<string>();
  private readonly unlisten: () => void;

  constructor(layout: StoreLayout, options: ParamStoreOptions = {}) {
    if (typeof layout !== "object" || layout === null || Array.isArray(layout)) {
      throw new TypeError(`ParamStore: layout must be an object of tensor sizes, got ${show(layout)}`);
    }
    const reserve = options.reserve ?? 3;
    if (typeof reserve !== "number" || !Number.isFinite(reserve) || reserve < 0) {
      throw new RangeError(`ParamStore: options.reserve must be a finite number >= 0, got ${show(reserve)}`);
    }
    const names = Object.keys(layout);
    let total = 0;
    const offsets: number[] = [];
    for (const name of names) {
      const n = layout[name];
      if (typeof n !== "number" || !Number.isInteger(n) || n < 0) {
        throw new RangeError(`ParamStore: layout.${name} must be a whole number of elements >= 0, got ${show(n)}`);
      }
      offsets.push(total);
      total += alignElements(n);
    }
    this.backend = currentBackend();
    const heap = this.backend.heap;
    const bytes = total * 4;
    heap.checkFits([bytes, bytes], "ParamStore");
    this.paramBlock = heap.alloc(bytes);
    try {
      this.gradBlock = heap.alloc(bytes);
    } catch (e) {
      heap.release(this.paramBlock);
      throw e;
    }
    if (reserve > 0) heap.reserve(Math.min(bytes * reserve, heap.maxBytes));
    this.names = names;
    this.totalElements = total;
    let reg = registry.get(heap);
    if (!reg) registry.set(heap, (reg = new Map()));
    names.forEach((name, i) => {
      const t: StoreTensor = {
        store: this,
        name,
        length: layout[name]!,
        paramPtr: this.paramBlock + offsets[i]! * 4,
        gradPtr: this.gradBlock + offsets[i]! * 4,
      };
      this.tensors.set(name, t);
      this.ordered.push(t);
      const atPtr = reg.get(t.paramPtr);
      if (atPtr) atPtr.push(t);
      else reg.set(t.paramPtr, [t]);
    });
    this.viewsGeneration = heap.generation;
    this.unlisten = heap.onGrow(() => {
      for (const k of this.handedOut) this.stale.add(k);
      this.handedOut.clear();
    });
  }

  /** The parameter `name`: a view into the optimizer's memory (see the class notes). */
  param(name: string): Float32Array {
    return this.view(name, "param");
  }

  /** The gradient slot of `name`: write gradients here and call `step()` with no arguments. */
  grad(name: string): Float32Array {
    return this.view(name, "grad");
  }

  /** Parameter views of `names` (default: all, in layout order). */
  params(names: readonly string[] = this.names): Float32Array[] {
    return names.map((n) => this.param(n));
  }

  /** Gradient views of `names` (default: all, in layout order). */
  grads(names: readonly string[] = this.names): Float32Array[] {
    return names.map((n) => this.grad(n));
  }

  /** Parameter views for an optimizer's constructor: not counted as views the user holds. */
  paramsForOptimizer(): Float32Array[] {
    this.assertLive();
    return [...this.tensors.values()].map((t) => this.backend.heap.view(t.paramPtr, t.length));
  }

  /**
   * @internal Every tensor with its pointers, in layout order, for work done in place on the
   * gradients (clipping). Throws as `step()` would on a disposed store or stale views.
   */
  tensorsInOrder(): readonly StoreTensor[] {
    this.assertUsable();
    return this.ordered;
  }

  /** Sets every gradient to +0. */
  zeroGrad(): void {
    this.assertLive();
    const heap = this.backend.heap;
    heap.f32.fill(0, this.gradBlock / 4, (this.gradBlock / 4) + this.totalElements);
  }

  /** Gives the memory back for reuse; any later use of the store throws. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const heap = this.backend.heap;
    const reg = registry.get(heap);
    for (const t of this.tensors.values()) {
      const atPtr = reg?.get(t.paramPtr)?.filter((x) => x !== t);
      if (atPtr?.length) reg!.set(t.paramPtr, atPtr);
      else reg?.delete(t.paramPtr);
    }
    this.unlisten();
    heap.release(this.paramBlock);
    heap.release(this.gradBlock);
    this.views.clear();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Throws unless the store is live and no view taken before a memory growth is still out. */
  assertUsable(): void {
    this.assertLive();
    if (this.stale.size > 0) {
      const list = [...this.stale].map((k) => `store.${k.replace(":", "(\"")}")`).join(", ");
      throw new StaleViewError(
        `simdopt memory grew after these views were taken, which detached them: ${list}. ` +
          `Re-read them before stepping (views of grown memory silently drop writes).`,
      );
    }
  }

  private view(name: string, kind: "param" | "grad"): Float32Array {
    this.assertLive();
    const t = this.tensors.get(name);
    if (!t) {
      throw new RangeError(`ParamStore: no tensor named ${JSON.stringify(name)} (has: ${this.names.join(", ")})`);
    }
    const heap = this.backend.heap;
    if (this.viewsGeneration !== heap.generation) {
      this.views.clear();
      this.viewsGeneration = heap.generation;
    }
    const key = `${kind}:${name}`;
    let v = this.views.get(key);
    if (!v) {
      v = heap.view(kind === "param" ? t.paramPtr : t.gradPtr, t.length);
      this.views.set(key, v);
    }
    this.stale.delete(key);
    this.handedOut.add(key);
    return v;
  }

  private assertLive(): void {
    if (this.disposed) throw new Error("ParamStore was disposed; create a new one");
  }
}
