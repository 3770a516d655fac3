// A scheduler's state dict as bytes: the value of a checkpoint's scheduler section. It holds
// JSON's kinds of value, in a tagged binary form rather than JSON text, because numbers must
// come back bit for bit and JSON text has no -0, Infinity or NaN (ReduceLROnPlateau's `best`
// starts at Infinity). Little-endian; each value is a u8 tag, then:
//
//   0 null, 1 false, 2 true: nothing more
//   3 number: f64
//   4 string: u32 byte count, UTF-8
//   5 array:  u32 item count, then the items
//   6 object: u32 entry count, then per entry a key (u32 byte count, UTF-8) and a value
//
// Decoding trusts no count: each is bounded by the bytes left before it is looped over, and
// nesting by MAX_DEPTH, so crafted bytes cost at most a pass over themselves.
import { isPlainObject } from "./intrinsics.js";
import { show } from "./options.js";

/** Deeper than any scheduler's state (SequentialLR > its schedulers > OneCycleLR's phases). */
const MAX_DEPTH = 32;
const NULL = 0, FALSE = 1, TRUE = 2, NUMBER = 3, STRING = 4, ARRAY = 5, OBJECT = 6;

/** Encodes `v`; throws a TypeError (naming `where` and the path) for anything JSON cannot hold. */
export function encodeValue(v: unknown, where: string): Uint8Array {
  const utf8 = new TextEncoder();
  const parts: number[] = [];
  const u32 = (n: number) => parts.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
  const f64 = new DataView(new ArrayBuffer(8));
  const text = (s: string) => {
    const b = utf8.encode(s);
    u32(b.length);
    for (const x of b) parts.push(x);
  };
  const put = (x: unknown, path: string, depth: number): void => {
    if (depth > MAX_DEPTH) throw new RangeError(`${where}: the state nests deeper than ${MAX_DEPTH} at ${path}`);
    if (x === null) parts.push(NULL);
    else if (typeof x === "boolean") parts.push(x ? TRUE : FALSE);
    else if (typeof x === "number") {
      parts.push(NUMBER);
      f64.setFloat64(0, x, true);
      for (let i = 0; i < 8; i++) parts.push(f64.getUint8(i));
    } else if (typeof x === "string") {
      parts.push(STRING);
      text(x);
    } else if (Array.isArray(x)) {
      parts.push(ARRAY);
      u32(x.length);
      for (let i = 0; i < x.length; i++) put(x[i], `${path}[${i}]`, depth + 1);
    } else if (typeof x === "object" && isPlainObject(x)) {
      const keys = Object.keys(x);
      parts.push(OBJECT);
      u32(keys.length);
      for (const k of keys) {
        text(k);
        put((x as Record<string, unknown>)[k], `${path}.${k}`, depth + 1);
      }
    } else {
      throw new TypeError(`${where}: ${path} is ${typeof x === "function" ? "a function" : show(x)}; a checkpoint holds only null, booleans, numbers, strings, arrays and plain objects`);
    }
  };
  put(v, "state", 0);
  return Uint8Array.from(parts);
}

/**
 * Decodes the one value that `bytes[start, end)` must hold exactly. `fail` throws; it is
 * called with what is wrong. Objects are plain, with own data properties only (a key
 * "__proto__" is an ordinary key, as JSON.parse makes it).
 */
export function decodeValue(bytes: Uint8Array, start: number, end: number, fail: (why: string) => never): unknown {
  const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = start;
  const need = (n: number, what: string) => {
    if (n > end - o) fail(`${what} take(s) at least ${n} bytes, but ${end - o} byte(s) remain`);
  };
  const u32 = () => {
    const n = dv.getUint32(o, true);
    o += 4;
    return n;
  };
  const text = (what: string): string => {
    need(4, what);
    const n = u32();
    need(n, `${what} of ${n} byte(s)`);
    // Copied out first: a decoder refuses views of a SharedArrayBuffer.
    const copy = bytes.slice(o, o + n);
    o += n;
    try {
      return utf8.decode(copy);
    } catch {
      return fail(`${what} is not valid UTF-8`);
    }
  };
  const get = (path: string, depth: number): unknown => {
    if (depth > MAX_DEPTH) fail(`${path} nests deeper than ${MAX_DEPTH}`);
    need(1, path);
    const tag = bytes[o++]!;
    switch (tag) {
      case NULL: return null;
      case FALSE: return false;
      case TRUE: return true;
      case NUMBER: {
        need(8, path);
        const x = dv.getFloat64(o, true);
        o += 8;
        return x;
      }
      case STRING: return text(path);
      case ARRAY: {
        need(4, path);
        const n = u32();
        need(n, `${path}'s ${n} item(s)`); // one byte each at least
        const out: unknown[] = [];
        for (let i = 0; i < n; i++) out.push(get(`${path}[${i}]`, depth + 1));
        return out;
      }
      case OBJECT: {
        need(4, path);
        const n = u32();
        need(5 * n, `${path}'s ${n} entr(ies)`); // a key's count and a tag at least
        const out: Record<string, unknown> = {};
        for (let i = 0; i < n; i++) {
          const key = text(`a key of ${path}`);
          if (Object.prototype.hasOwnProperty.call(out, key)) fail(`${path} has the key ${JSON.stringify(key)} twice`);
          const value = get(`${path}.${key}`, depth + 1);
          Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
        }
        return out;
      }
      default: return fail(`${path} has unknown value tag ${tag}`);
    }
  };
  const v = get("state", 0);
  if (o !== end) fail(`${end - o} unexpected byte(s) after the state`);
  return v;
}
