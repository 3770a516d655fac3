// Reading typed arrays, Maps and objects the caller gives through the built-in accessors, so
// that what a loader sees is the array itself: a subclass, an own property or a Proxy cannot
// lie about `length`, `buffer` or `byteOffset`, and no caller code runs while it is read.
import { show } from "./options.js";

const typedArrayProto = Object.getPrototypeOf(Uint8Array.prototype) as object;
const getter = (proto: object, key: PropertyKey) => Object.getOwnPropertyDescriptor(proto, key)!.get!;
const tagOf = getter(typedArrayProto, Symbol.toStringTag) as (this: unknown) => string | undefined;
const bufferOf = getter(typedArrayProto, "buffer") as (this: ArrayBufferView) => ArrayBufferLike;
const byteOffsetOf = getter(typedArrayProto, "byteOffset") as (this: ArrayBufferView) => number;
const lengthOf = getter(typedArrayProto, "length") as (this: ArrayBufferView) => number;
const mapSize = getter(Map.prototype, "size") as (this: Map<unknown, unknown>) => number;
const mapForEach = Map.prototype.forEach as (this: Map<unknown, unknown>, f: (v: unknown, k: unknown) => void) => void;

/** The element type of a real typed array ("Float32Array", ...); undefined for anything else, a Proxy included. */
export function typedArrayName(x: unknown): string | undefined {
  return tagOf.call(x);
}

/** How a message names `x` where a real `ctor` was wanted: its type, or that it only looks like one. */
export function showTyped(x: unknown, ctor: abstract new (...args: never[]) => unknown): string {
  const name = typedArrayName(x);
  if (name !== undefined) return name;
  if (x instanceof ctor) return `an object that is not a ${ctor.name} (a Proxy of one, or an object inheriting from one)`;
  return show(x);
}

/** Element count of a real typed array (0 once its buffer is detached). */
export function typedLength(x: ArrayBufferView): number {
  return lengthOf.call(x);
}

/** A plain Uint8Array over the same bytes as `x`, a real Uint8Array of any offset (a Node Buffer too). */
export function plainBytes(x: Uint8Array): Uint8Array {
  return new Uint8Array(bufferOf.call(x), byteOffsetOf.call(x), lengthOf.call(x));
}

/** A fresh copy of a real Float32Array, bit for bit (NaN payloads included). */
export function copyF32(x: Float32Array): Float32Array {
  // Construction from a typed array reads its internal slots, never its properties.
  return new Float32Array(x);
}

/** The size of a real Map; undefined for anything else, a Proxy of a Map included. */
export function sizeIfMap(x: object): number | undefined {
  try {
    return mapSize.call(x as Map<unknown, unknown>);
  } catch {
    return undefined;
  }
}

/** Calls `f` with each entry of a real Map, in insertion order. */
export function forEachEntry(m: object, f: (key: unknown, value: unknown) => void): void {
  mapForEach.call(m as Map<unknown, unknown>, (v, k) => f(k, v));
}

/** An object whose prototype is null or a root prototype (`{}`, `Object.create(null)`, JSON), from any realm. */
export function isPlainObject(x: object): boolean {
  const proto = Object.getPrototypeOf(x) as object | null;
  return proto === null || Object.getPrototypeOf(proto) === null;
}
