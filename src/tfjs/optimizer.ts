// What every TF.js-compatible optimizer shares: a `tf.Optimizer` whose slots live in simdopt
// memory (memory.ts) and whose step is one simdopt kernel call. Each subclass names its family
// and reads its constants from its fields before every step, as TF.js's optimizers do.
//
// A step moves each variable's data at most once in each direction (transfer.ts): its gradient
// and (unless it still holds our last result) its values are copied into simdopt memory, and
// the new values go back as one tensor per variable, given to it with `assign`.
import {
  engine,
  Optimizer,
  tensor,
  variable,
  type NamedTensorMap,
  type Tensor,
  type Variable,
} from "@tensorflow/tfjs-core";
import { slotWanted, type Family, type Values } from "../family.js";
import { show } from "../options.js";
import { currentBackend } from "../runtime.js";
import { VariableMemory, type EntrySpec } from "./memory.js";
import { Transfer } from "./transfer.js";

/** TF.js's NamedTensor (not exported from its root): a tensor with its name. */
export interface NamedTensor {
  name: string;
  tensor: Tensor;
}

/**
 * What the simdopt/tfjs optimizers share: each is a `tf.Optimizer` (`minimize`,
 * `applyGradients`, `getWeights`/`setWeights`, `dispose`, serialization) whose slots live in
 * simdopt's memory and whose step is one simdopt kernel call.
 *
 * @example
 * ```ts
 * const opt = rmsprop(1e-3);
 * opt instanceof tf.Optimizer; // true: model.compile({ optimizer: opt, ... }) takes it
 * ```
 */
export abstract class TfjsOptimizer<O> extends Optimizer {
  readonly #family: Family<O>;
  #memory: VariableMemory<O> | undefined;
  #disposed = false;
  /** getWeights' tensors by slot kind, then entry: the optimizer's own, refreshed by each call. */
  readonly #snapshots: Array<Array<Variable | undefined>> = [];
  // The step's variables and gradients by position, reused from step to step.
  readonly #vars: Variable[] = [];
  readonly #grads: Array<Tensor | null> = [];
  readonly #stepped: boolean[] = [];
  readonly #transfer = new Transfer();

  /** @internal */
  protected constructor(family: Family<O>) {
    super();
    this.#family = family;
  }

  /** @internal The constants of the next step, from the optimizer's fields. */
  protected abstract values(): Values<O>;

  /** @internal Runs after every applyGradients, stepped or not (Adam advances its powers of beta here). */
  protected afterStep(): void {}

  /** @internal Runs after setWeights has restored the iteration count. */
  protected afterSetWeights(): void {}

  /**
   * Updates the variables named in `variableGradients` (a map from variable name to gradient,
   * or a list of `{ name, tensor }`) as TF.js's optimizer of the same name does, bit for bit on
   * its cpu backend. As in TF.js, slots belong to positions in the list: keep the same variables
   * in the same order from step to step (`minimize` and `model.fit` do). A null gradient skips
   * its variable. Bad input throws and changes nothing.
   */
  override applyGradients(variableGradients: NamedTensorMap | NamedTensor[]): void {
    const where = this.#where("applyGradients");
    this.#assertLive(where);
    const vars = this.#vars;
    const grads = this.#grads;
    try {
      this.#step(this.#readGradients(variableGradients, where), where);
    } finally {
      // The tensors are the caller's: hold no reference to them between steps.
      vars.length = 0;
      grads.length = 0;
    }
    this.afterStep();
    this.incrementIterations();
  }

  /**
   * TF.js's optimizer weights: the iteration count, then every slot kind for every position, in
   * TF.js's order and with its names (`dense/kernel/rms`), so that `model.save` and TF.js's own
   * optimizers can read them. The slot tensors belong to the optimizer (do not dispose them):
   * they hold the values of this call and are refreshed by the next one.
   */
  override async getWeights(): Promise<NamedTensor[]> {
    this.#assertLive(this.#where("getWeights"));
    const out: NamedTensor[] = [await this.saveIterations()];
    const memory = this.#memory;
    if (!memory) return out;
    const values = this.values();
    this.#family.slots.forEach((_, k) => {
      if (!slotWanted(this.#family, values, k)) return;
      memory.entries.forEach((e, j) => {
        const data = memory.slotCopy(k, j);
        if (data) out.push({ name: e.names[k]!, tensor: this.#snapshot(k, j, data, e.shape) });
      });
    });
    return out;
  }

  /**
   * Restores weights from `getWeights()`, of this optimizer or of TF.js's own optimizer of the
   * same kind and options: the iteration count, then each slot kind for n positions. Reads and
   * checks all of them first; weights that do not fit throw and change nothing.
   */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const where = this.#where("setWeights");
    this.#assertLive(where);
    if (!Array.isArray(weightValues) || weightValues.length === 0) {
      throw new TypeError(`${where}: weightValues must be a non-empty array of { name, tensor }, got ${show(weightValues)}`);
    }
    const items = weightValues.map((w, i) => namedTensor(w, `${where}: weightValues[${i}]`));
    const family = this.#family;
    const values = this.values();
    const kinds = family.slots.map((_, k) => k).filter((k) => slotWanted(family, values, k));
    const rest = items.length - 1;
    if (kinds.length === 0 ? rest !== 0 : rest % kinds.length !== 0) {
      const layout = ["the iteration count", ...kinds.map((k) => `n "${family.slots[k]!.name}" slots`)].join(", then ");
      throw new RangeError(`${where}: expected ${layout}; got ${items.length} weights`);
    }
    const count = kinds.length === 0 ? 0 : rest / kinds.length;
    const specs: EntrySpec[] = [];
    for (let j = 0; j < count; j++) {
      const first = items[1 + j]!;
      kinds.forEach((_, q) => {
        const w = items[1 + q * count + j]!;
        if (w.tensor.dtype !== "float32") throw new TypeError(`${where}: weight ${JSON.stringify(w.name)} must be float32, got ${w.tensor.dtype}`);
        if (w.tensor.size !== first.tensor.size) {
          throw new RangeError(`${where}: weight ${JSON.stringify(w.name)} has ${w.tensor.size} elements, but ${JSON.stringify(first.name)} of the same position has ${first.tensor.size}`);
        }
      });
      const names = family.slots.map((s, k) => {
        const q = kinds.indexOf(k);
        return q >= 0 ? items[1 + q * count + j]!.name : `${prefixOf(first.name, family.slots[kinds[0]!]!.name)}/${s.name}`;
      });
      specs.push({ length: first.tensor.size, shape: first.tensor.shape.slice(), names });
    }
    const iterations = (await items[0]!.tensor.data())[0]!;
    const arrays = (await Promise.all(items.slice(1).map((w) => w.tensor.data()))) as Float32Array[];
    const data = family.slots.map((_, k) => {
      const q = kinds.indexOf(k);
      return q < 0 ? undefined : arrays.slice(q * count, (q + 1) * count);
    });
    this.#assertLive(where);
    const memory = (this.#memory ??= new VariableMemory(family, backendFor(where)));
    memory.replace(specs, data, values);
    this.iterations_ = iterations;
    this.afterSetWeights();
  }

  /** Frees the slots' memory and the tensors getWeights returned; later use throws. */
  override dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#memory?.dispose();
    this.#memory = undefined;
    for (const row of this.#snapshots) for (const v of row) v?.dispose();
    super.dispose();
  }

  // --- internals ---------------------------------------------------------------------------

  #where(method: string): string {
    return `${this.getClassName()}.${method}`;
  }

  #assertLive(where: string): void {
    if (this.#disposed) throw new Error(`${where}: the optimizer was disposed; create a new one`);
  }

  /** Fills #vars and #grads from the argument, checking everything; returns the count. The caller empties them. */
  #readGradients(vg: NamedTensorMap | NamedTensor[], where: string): number {
    const vars = this.#vars;
    const grads = this.#grads;
    if (typeof vg !== "object" || vg === null) {
      throw new TypeError(`${where}: variableGradients must be a map of variable names to gradients or an array of { name, tensor }, got ${show(vg)}`);
    }
    const registered = engine().registeredVariables;
    const list = Array.isArray(vg);
    const names = list ? vg.map((item, i) => nameOf(item, `${where}: variableGradients[${i}]`)) : Object.keys(vg);
    if (list && new Set(names).size !== names.length) {
      // TF.js would update such a variable twice in a row, each time with its own slots.
      const twice = names.find((x, i) => names.indexOf(x) !== i)!;
      throw new TypeError(`${where}: variable ${JSON.stringify(twice)} appears twice in variableGradients`);
    }
    names.forEach((name, i) => {
      const at = list ? `${where}: variableGradients[${i}]` : `${where}: variableGradients[${JSON.stringify(name)}]`;
      const v = registered[name];
      if (v === undefined) throw new TypeError(`${at}: no variable is named ${JSON.stringify(name)}`);
      if (v.dtype !== "float32") throw new TypeError(`${at}: variable ${JSON.stringify(name)} is ${v.dtype}; optimizers update float32 variables`);
      if (v.isDisposed) throw new Error(`${at}: variable ${JSON.stringify(name)} is disposed`);
      const g: unknown = list ? (vg as NamedTensor[])[i]!.tensor : (vg as NamedTensorMap)[name];
      vars.push(v);
      grads.push(g === null || g === undefined ? null : gradientOf(g, v, at));
    });
    return names.length;
  }

  /** One step over the #vars and #grads read from the caller's `n` gradients. */
  #step(n: number, where: string): void {
    const vars = this.#vars;
    const grads = this.#grads;
    const values = this.values();
    const memory = (this.#memory ??= new VariableMemory(this.#family, backendFor(where)));
    const entries = memory.entries;
    for (let i = 0; i < Math.min(n, entries.length); i++) {
      if (vars[i]!.size !== entries[i]!.length) {
        throw new RangeError(
          `${where}: variable ${JSON.stringify(vars[i]!.name)} at position ${i} has ${vars[i]!.size} elements, but this ` +
            `optimizer's slots for position ${i} hold ${entries[i]!.length} (TF.js optimizers keep slots by position ` +
            `in the gradient list: pass the same variables in the same order at every step)`,
        );
      }
    }
    const added: EntrySpec[] = [];
    for (let i = entries.length; i < n; i++) {
      const v = vars[i]!;
      added.push({ length: v.size, shape: v.shape.slice(), names: this.#family.slots.map((s) => `${v.name}/${s.name}`) });
    }
    memory.extend(added, values);
    // Everything is checked and allocated: from here on nothing throws.
    const all = memory.entries;
    const transfer = this.#transfer;
    transfer.refresh();
    const stepped = this.#stepped;
    stepped.length = all.length;
    let everyEntry = n === all.length;
    for (let i = 0; i < all.length; i++) {
      const g = i < n ? grads[i]! : null;
      stepped[i] = g !== null;
      if (g === null) {
        everyEntry = false;
        continue;
      }
      const v = vars[i]!;
      if (v.dataId !== all[i]!.written) transfer.read(v, memory.paramView(i));
      transfer.read(g, memory.gradView(i));
    }
    memory.step(values, this.iterations + 1, everyEntry ? undefined : stepped);
    for (let i = 0; i < all.length; i++) {
      if (!stepped[i]) continue;
      const v = vars[i]!;
      const t = transfer.write(memory.paramView(i), v.shape);
      v.assign(t);
      t.dispose();
      all[i]!.written = v.dataId;
    }
  }

  #snapshot(k: number, j: number, data: Float32Array, shape: readonly number[]): Variable {
    const t = tensor(data, shape.slice(), "float32");
    const row = (this.#snapshots[k] ??= []);
    let v = row[j];
    if (v && !v.isDisposed && sameShape(v.shape, shape)) v.assign(t);
    else {
      v?.dispose();
      v = row[j] = variable(t, false);
    }
    t.dispose();
    return v;
  }
}

function backendFor(where: string) {
  try {
    return currentBackend();
  } catch {
    throw new Error(`${where}: simdopt is not initialised: call \`await init()\` from "simdopt" before the first step`);
  }
}

function nameOf(item: unknown, where: string): string {
  if (typeof item !== "object" || item === null || typeof (item as NamedTensor).name !== "string") {
    throw new TypeError(`${where} must be a { name, tensor } object, got ${show(item)}`);
  }
  return (item as NamedTensor).name;
}

function isTensor(x: unknown): x is Tensor {
  return typeof x === "object" && x !== null && typeof (x as Tensor).dataSync === "function" && Array.isArray((x as Tensor).shape);
}

function gradientOf(g: unknown, v: Variable, at: string): Tensor {
  if (!isTensor(g)) throw new TypeError(`${at} must be a tf.Tensor, null or undefined, got ${show(g)}`);
  if (g.isDisposed) throw new Error(`${at}: the gradient tensor is disposed`);
  if (g.dtype !== "float32") throw new TypeError(`${at}: the gradient is ${g.dtype}; it must be float32`);
  if (g.size !== v.size) {
    throw new RangeError(`${at}: the gradient has shape [${g.shape}] but variable ${JSON.stringify(v.name)} has shape [${v.shape}]`);
  }
  return g;
}

function namedTensor(w: unknown, where: string): NamedTensor {
  const name = nameOf(w, where);
  const t = (w as NamedTensor).tensor;
  if (!isTensor(t)) throw new TypeError(`${where}.tensor must be a tf.Tensor, got ${show(t)}`);
  if (t.isDisposed) throw new Error(`${where}.tensor (${JSON.stringify(name)}) is disposed`);
  return { name, tensor: t };
}

/** `dense/kernel` from `dense/kernel/rms`: the variable a slot weight was named for. */
function prefixOf(name: string, slot: string): string {
  return name.endsWith(`/${slot}`) ? name.slice(0, -slot.length - 1) : name;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
