import type { Backend, BackendName } from "./backend.js";
import { blockSize, TENSOR_ALIGN_ELEMENTS, type Heap } from "./heap.js";
import { currentBackend } from "./runtime.js";
import { show } from "./options.js";

/**
 * Thrown when views handed out before the memory grew (or was renewed) are used with an
 * optimizer. Only over non-shared memory (the JS backend; wasm where SharedArrayBuffer is
 * missing): shared memory never detaches a view (README, "Memory rules").
 *
 * @example
 * ```ts
 * const store = new ParamStore({ w: 4 }, { reserve: 0 }); // no set-aside: the next optimizer grows memory
 * const w = store.param("w");
 * const opt = new RMSprop(store);
 * try {
 *   opt.step(); // throws a StaleViewError if creating opt grew memory after w was taken
 * } catch (e) {
 *   if (!(e instanceof StaleViewError)) throw e;
 *   store.params(); // re-read the views; then step() works
 *   opt.step();
 * }
 * ```
 */
export class StaleViewError extends Error {
  /** Always "StaleViewError". */
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

/** Options of `new ParamStore(layout, options)`. */
export interface ParamStoreOptions {
  /**
   * Extra memory to set aside now, as a multiple of the parameters' size, so that creating
   * optimizers later does not grow memory (which would leave the views already taken
   * behind). Default 8: RMSprop with momentum and centered over this store (3) plus one
   * optimizer of the same size over caller-owned arrays (2 for staging, 3 for state). Each
   * store's set-aside adds to those of the stores before it; it is met as far as memory can
   * grow and never makes the constructor fail. A finite number >= 0 (0: set nothing aside).
   */
  reserve?: number;
}

const DEFAULT_RESERVE = 8;
const OPTION_NAMES: readonly string[] = ["reserve"] satisfies Array<keyof ParamStoreOptions>;

function parseOptions(options: unknown): { reserve: number } {
  if (options === undefined) return { reserve: DEFAULT_RESERVE };
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(`ParamStore: options must be an object, got ${show(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.includes(key)) {
      throw new TypeError(`ParamStore: unknown option ${JSON.stringify(key)} (known: ${OPTION_NAMES.join(", ")})`);
    }
  }
  const reserve = (options as ParamStoreOptions).reserve ?? DEFAULT_RESERVE;
  if (typeof reserve !== "number" || !Number.isFinite(reserve) || reserve < 0) {
    throw new RangeError(`ParamStore: options.reserve must be a finite number >= 0, got ${show(reserve)}`);
  }
  return { reserve };
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
 * Views: `param(name)` and `grad(name)` return Float32Arrays over that memory. On shared
 * memory (wasm where SharedArrayBuffer exists) they stay valid until `dispose()`. Otherwise,
 * creating more stores or optimizers can grow the memory (or renew it, to reuse memory disposed objects
 * gave back), which leaves earlier views behind; re-read views with `param`/`grad` (or all at
 * once with `params()`/`grads()`) after creating anything. Until every view taken before
 * that has been re-read, `step()` of an optimizer over this store throws a StaleViewError
 * naming them. The constructor allocates everything or nothing.
 *
 * @example
 * ```ts
 * const store = new ParamStore({ w: 784 * 128, b: 128 }); // before the optimizers: they then fit in its set-aside
 * const opt = new RMSprop(store, { lr: 1e-3 });
 * const w = store.param("w"), gw = store.grad("w");     // views into the kernels' memory
 * for (let i = 0; i < w.length; i++) w[i] = 0.01 * Math.sin(i); // initialise in place
 * gw.fill(0.5);                                          // your backward pass writes here
 * opt.step();                                            // no copies: w is updated in place
 * store.zeroGrad();
 * ```
 */
// The default `any` makes a bare `ParamStore` (in ParamsInput, ClipTarget, ...) accept a store
// of any layout; `new ParamStore({ w: 10 })` infers its own layout.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export class ParamStore<L extends StoreLayout = any> {
  /** Tensor names, in layout order. */
  readonly names: readonly (keyof L & string)[];
  /** @internal The backend whose memory holds this store. */
  readonly runtime: Backend;
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

  constructor(layout: L, options?: ParamStoreOptions) {
    if (typeof layout !== "object" || layout === null || Array.isArray(layout)) {
      throw new TypeError(`ParamStore: layout must be an object of tensor sizes, got ${show(layout)}`);
    }
    const { reserve } = parseOptions(options);
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
    this.runtime = currentBackend();
    const heap = this.runtime.heap;
    const bytes = total * 4;
    // Nothing below can throw once the blocks are placed: the constructor is all or nothing.
    // Set aside in whole blocks of this store's size: what its optimizers' blocks will take.
    [this.paramBlock, this.gradBlock] = heap.allocAll([bytes, bytes], "ParamStore",
      { reserveBytes: Math.min(blockSize(bytes) * reserve, heap.maxBytes) }) as [number, number];
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
  param(name: keyof L & string): Float32Array {
    return this.view(name, "param");
  }

  /** The gradient slot of `name`: write gradients here and call `step()` with no arguments. */
  grad(name: keyof L & string): Float32Array {
    return this.view(name, "grad");
  }

  /** Parameter views of `names` (default: all, in layout order). */
  params(names: readonly (keyof L & string)[] = this.names): Float32Array[] {
    return names.map((n) => this.param(n));
  }

  /** Gradient views of `names` (default: all, in layout order). */
  grads(names: readonly (keyof L & string)[] = this.names): Float32Array[] {
    return names.map((n) => this.grad(n));
  }

  /** @internal Parameter views for an optimizer's constructor: not counted as views the user holds. */
  paramsForOptimizer(): Float32Array[] {
    this.assertLive();
    return [...this.tensors.values()].map((t) => this.runtime.heap.view(t.paramPtr, t.length));
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
    const heap = this.runtime.heap;
    heap.f32.fill(0, this.gradBlock / 4, (this.gradBlock / 4) + this.totalElements);
  }

  /** Gives the memory back for reuse; any later use of the store throws. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const heap = this.runtime.heap;
    const reg = registry.get(heap);
    for (const t of this.tensors.values()) {
      const atPtr = reg?.get(t.paramPtr)?.filter((x) => x !== t);
      if (atPtr?.length) reg!.set(t.paramPtr, atPtr);
      else reg?.delete(t.paramPtr);
    }
    this.unlisten();
    const owner = `a disposed ParamStore (${this.names.join(", ") || "no tensors"})`;
    heap.release(this.paramBlock, { owner });
    heap.release(this.gradBlock, { owner });
    this.views.clear();
  }

  /** The backend whose memory holds this store: the default when it was created. */
  get backend(): BackendName {
    return this.runtime.name;
  }

  /** True after `dispose()`. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /** @internal Throws unless the store is live and no view taken before a memory growth is still out. */
  assertUsable(): void {
    this.assertLive();
    if (this.stale.size > 0) throw new StaleViewError(staleMessage([...this.stale]));
  }

  private view(name: string, kind: "param" | "grad"): Float32Array {
    this.assertLive();
    const t = this.tensors.get(name);
    if (!t) {
      throw new RangeError(`ParamStore: no tensor named ${JSON.stringify(name)} (has: ${this.names.join(", ")})`);
    }
    const heap = this.runtime.heap;
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

/** Names the stale views (keys `param:w`, `grad:w`) and the one call that re-reads them. */
function staleMessage(keys: readonly string[]): string {
  const views = keys.map((k) => {
    const [kind, name] = [k.slice(0, k.indexOf(":")), k.slice(k.indexOf(":") + 1)];
    return { kind, call: `store.${kind}(${JSON.stringify(name)})` };
  });
  const kinds = new Set(views.map((v) => v.kind));
  const fix = views.length === 1 ? `call ${views[0]!.call} again`
    : kinds.size === 1 ? `call store.${[...kinds][0]}s() once`
    : "call store.params() and store.grads() once";
  return `simdopt replaced its memory (to grow it, or to reuse what disposed objects gave back) ` +
    `after these views were taken, which left them behind: ` +
    `${views.map((v) => v.call).join(", ")}. Writes to them no longer reach the store. ` +
    `To fix this, ${fix} and use the arrays returned (or re-read each view with ` +
    `store.param(name) / store.grad(name)).`;
}
