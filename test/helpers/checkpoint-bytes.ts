// Checkpoint bytes written by hand (layout in src/checkpoint.ts), to craft files that claim
// more than they hold, and a reseal that gives an edited file a valid checksum again.
import { crc32 } from "../../src/checkpoint.js";

export const MAGIC = [0x53, 0x49, 0x4d, 0x44, 0x4f, 0x50, 0x54, 0x00];
/** Header bytes before the first group: magic, version, kind, flags, policy, skipped steps, group count. */
export const HEADER_BYTES = 25;

/** Rewrites the trailing CRC so that a deliberate edit is judged on its content. */
export function reseal(b: Uint8Array): Uint8Array {
  if (b.length >= 4) new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(b.length - 4, crc32(b, b.length - 4), true);
  return b;
}

/** An append-only little-endian byte writer. */
export class ByteWriter {
  private buf = new Uint8Array(256);
  private dv = new DataView(this.buf.buffer);
  length = 0;

  private room(n: number): number {
    if (this.length + n > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
      next.set(this.buf);
      this.buf = next;
      this.dv = new DataView(next.buffer);
    }
    const at = this.length;
    this.length += n;
    return at;
  }

  // Each writer takes its offset before touching this.dv or this.buf, which growing replaces.
  u8(v: number): this {
    const at = this.room(1);
    this.dv.setUint8(at, v);
    return this;
  }
  u16(v: number): this {
    const at = this.room(2);
    this.dv.setUint16(at, v, true);
    return this;
  }
  u32(v: number): this {
    const at = this.room(4);
    this.dv.setUint32(at, v, true);
    return this;
  }
  f64(v: number): this {
    const at = this.room(8);
    this.dv.setFloat64(at, v, true);
    return this;
  }
  bytes(b: ArrayLike<number>): this {
    const at = this.room(b.length);
    this.buf.set(b, at);
    return this;
  }
  /** The header up to and including the group count. kind: 1 RMSprop, 2 Adagrad. */
  header(o: { kind: number; groups: number; flags?: number; policy?: number; skipped?: number; version?: number }): this {
    return this.bytes(MAGIC).u16(o.version ?? 1).u8(o.kind).u8(o.flags ?? 1).u8(o.policy ?? 0).f64(o.skipped ?? 0).u32(o.groups);
  }
  /** One option record: name, type (0 number, 1 boolean), value. */
  option(name: string, value: number | boolean): this {
    this.u8(name.length);
    for (let i = 0; i < name.length; i++) this.u8(name.charCodeAt(i));
    return this.u8(typeof value === "boolean" ? 1 : 0).f64(Number(value));
  }
  /** Zero bytes up to `total` bytes once sealed (the CRC takes the last 4). */
  padTo(total: number): this {
    const n = total - 4 - this.length;
    if (n > 0) this.room(n);
    return this;
  }
  /** The bytes written, followed by their CRC. */
  seal(): Uint8Array {
    this.room(4);
    return reseal(this.buf.slice(0, this.length));
  }
}

/** Index of the first byte where `a` and `b` differ (or the shorter length), -1 when equal.
 * Faster than a deep toEqual, which compares large typed arrays element by element slowly. */
export function firstByteDiff(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}
