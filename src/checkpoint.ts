/**
 * The binary checkpoint format of `saveState()` / `loadState()`, version 1. Little-endian
 * throughout; no alignment is assumed.
 *
 * ```
 * header   8 B   magic "SIMDOPT\0"
 *          2 B   u16 format version (1)
 *          1 B   u8  optimizer kind (the family id: 1 = RMSprop, 2 = Adagrad, 3 = SGD, 4 = Adam, 5 = AdamW)
 *          1 B   u8  flags: bit 0 = state exists (RMSprop has none before its first step)
 *          1 B   u8  nonFinite policy (0 = propagate, 1 = skip, 2 = throw)
 *          8 B   f64 skipped steps
 *          4 B   u32 group count G
 * G times  4 B   u32 tensor count of the group
 *          1 B   u8  option count K
 *          K ×   u8 name length, ASCII name (PyTorch's), u8 type (0 = number, 1 = boolean,
 *                2 = pair), then one f64 value (two for a pair: Adam's betas)
 * per tensor, in param order:
 *          4 B   u32 element count n
 *          8 B   f64 step
 *          1 B   u8  mask of the state buffers present (bit k = slot k, in the optimizer's order:
 *                RMSprop square_avg, momentum_buffer, grad_avg; Adagrad sum; SGD
 *                momentum_buffer; Adam/AdamW exp_avg, exp_avg_sq, max_exp_avg_sq)
 *          per present buffer: n × f32
 * trailer  4 B   u32 CRC-32 (IEEE) of every byte before it
 * ```
 * Compatibility: a reader refuses any other magic and any version it does not know; a later
 * version that changes the layout bumps the version.
 */
import { familyById, type Family } from "./family.js";
import type { NonFinitePolicy } from "./options.js";
import type { StateDict, TensorState } from "./state-dict.js";

/** A checkpoint that is truncated, corrupted, of another version or for another optimizer. */
export class CheckpointError extends RangeError {
  override name = "CheckpointError";
}

export const FORMAT_VERSION = 1;
const MAGIC = [0x53, 0x49, 0x4d, 0x44, 0x4f, 0x50, 0x54, 0x00]; // "SIMDOPT\0"
const POLICIES: NonFinitePolicy[] = ["propagate", "skip", "throw"];

let crcTable: Uint32Array | undefined;
export function crc32(bytes: Uint8Array, end = bytes.length): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[i] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < end; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export interface Checkpoint {
  dict: StateDict;
  policy: NonFinitePolicy;
  skippedSteps: number;
  /** Element count of every tensor, in param order. */
  lengths: number[];
}

/** Encodes a state dict of an optimizer of `family`. */
export function encodeCheckpoint(c: Checkpoint, family: Family<unknown>): Uint8Array {
  const slots = family.slots.map((s) => s.name);
  const groups = c.dict.param_groups;
  const hasState = c.dict.state.length > 0;
  const lengths = c.lengths;
  const tensorCount = lengths.length;
  let size = 8 + 2 + 1 + 1 + 1 + 8 + 4;
  const options = groups.map((g) => Object.entries(g).filter(([k]) => k !== "params"));
  for (const opts of options) {
    size += 4 + 1;
    for (const [k, v] of opts) size += 1 + k.length + 1 + (Array.isArray(v) ? 16 : 8);
  }
  for (let i = 0; i < tensorCount; i++) {
    size += 4 + 8 + 1;
    const e = c.dict.state[i];
    if (e) for (const s of slots) if (e[s] instanceof Float32Array) size += 4 * lengths[i]!;
  }
  size += 4;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  let o = 0;
  out.set(MAGIC, 0);
  o = 8;
  dv.setUint16(o, FORMAT_VERSION, true); o += 2;
  dv.setUint8(o++, family.id);
  dv.setUint8(o++, hasState ? 1 : 0);
  dv.setUint8(o++, POLICIES.indexOf(c.policy));
  dv.setFloat64(o, c.skippedSteps, true); o += 8;
  dv.setUint32(o, groups.length, true); o += 4;
  groups.forEach((g, gi) => {
    dv.setUint32(o, g.params.length, true); o += 4;
    dv.setUint8(o++, options[gi]!.length);
    for (const [k, v] of options[gi]!) {
      dv.setUint8(o++, k.length);
      for (let j = 0; j < k.length; j++) out[o++] = k.charCodeAt(j);
      const values = Array.isArray(v) ? (v as number[]) : [Number(v)];
      dv.setUint8(o++, typeof v === "boolean" ? 1 : Array.isArray(v) ? 2 : 0);
      for (const x of values) {
        dv.setFloat64(o, x, true); o += 8;
      }
    }
  });
  for (let i = 0; i < tensorCount; i++) {
    const e = c.dict.state[i];
    dv.setUint32(o, lengths[i]!, true); o += 4;
    dv.setFloat64(o, e?.step ?? 0, true); o += 8;
    let mask = 0;
    slots.forEach((s, k) => { if (e && e[s] instanceof Float32Array) mask |= 1 << k; });
    dv.setUint8(o++, mask);
    slots.forEach((s, k) => {
      if (!(mask & (1 << k))) return;
      const b = e![s] as Float32Array;
      out.set(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), o);
      o += b.byteLength;
    });
  }
  dv.setUint32(o, crc32(out, o), true);
  return out;
}

/** Decodes and checks a checkpoint's structure and checksum; throws CheckpointError. */
export function decodeCheckpoint(bytes: unknown, family: Family<unknown>): Checkpoint {
  const expectKind = family.name;
  const slots = family.slots.map((s) => s.name);
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`${expectKind}.loadState: expected a Uint8Array, got ${bytes === null ? "null" : typeof bytes}`);
  }
  const fail = (why: string): never => {
    throw new CheckpointError(`${expectKind}.loadState: ${why}; the optimizer was not changed`);
  };
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8 || MAGIC.some((m, i) => bytes[i] !== m)) fail("not a simdopt checkpoint (bad magic)");
  if (bytes.length < 28) fail(`truncated checkpoint (${bytes.length} bytes)`);
  const version = dv.getUint16(8, true);
  if (version !== FORMAT_VERSION) fail(`checkpoint format version ${version}; this build reads version ${FORMAT_VERSION}`);
  const end = bytes.length - 4;
  if (crc32(bytes, end) !== dv.getUint32(end, true)) fail("checksum mismatch: the checkpoint is truncated or corrupted");
  let o = 10;
  const need = (n: number) => {
    if (o + n > end) fail("truncated checkpoint");
  };
  const id = dv.getUint8(o++);
  if (id !== family.id) {
    const other = familyById(id);
    fail(other ? `the checkpoint is for ${other.name}, not ${expectKind}` : `unknown optimizer kind ${id}`);
  }
  const flags = dv.getUint8(o++);
  if (flags > 1) fail(`unknown flags ${flags}`);
  const policy = POLICIES[dv.getUint8(o++)] ?? fail("unknown nonFinite policy");
  const skippedSteps = dv.getFloat64(o, true); o += 8;
  if (!Number.isInteger(skippedSteps) || skippedSteps < 0) fail(`bad skipped-step count ${skippedSteps}`);
  const groupCount = dv.getUint32(o, true); o += 4;
  const param_groups: StateDict["param_groups"] = [];
  let tensorCount = 0;
  for (let gi = 0; gi < groupCount; gi++) {
    need(5);
    const n = dv.getUint32(o, true); o += 4;
    const k = dv.getUint8(o++);
    const group: Record<string, unknown> = {};
    for (let j = 0; j < k; j++) {
      need(1);
      const len = dv.getUint8(o++);
      need(len + 9);
      let name = "";
      for (let c = 0; c < len; c++) name += String.fromCharCode(bytes[o++]!);
      const type = dv.getUint8(o++);
      if (type === 2) need(16);
      const v = dv.getFloat64(o, true); o += 8;
      if (type > 2 || (type === 1 && v !== 0 && v !== 1)) fail(`bad value for option ${JSON.stringify(name)}`);
      if (type === 2) {
        group[name] = [v, dv.getFloat64(o, true)];
        o += 8;
      } else group[name] = type === 1 ? v === 1 : v;
    }
    if (n > end) fail("truncated checkpoint");
    param_groups.push({ ...group, params: Array.from({ length: n }, (_, i) => tensorCount + i) });
    tensorCount += n;
  }
  const state: TensorState[] = [];
  const lengths: number[] = [];
  for (let i = 0; i < tensorCount; i++) {
    need(13);
    const n = dv.getUint32(o, true); o += 4;
    const step = dv.getFloat64(o, true); o += 8;
    const mask = dv.getUint8(o++);
    lengths.push(n);
    if (mask >> slots.length) fail(`unknown state buffers in tensor ${i}`);
    if ((flags & 1) === 0 && mask !== 0) fail(`tensor ${i} has state, but the header says there is none`);
    const entry: TensorState = family.countsSteps ? { step } : {};
    for (let k = 0; k < slots.length; k++) {
      if (!(mask & (1 << k))) continue;
      need(4 * n);
      entry[slots[k]!] = new Float32Array(bytes.slice(o, o + 4 * n).buffer);
      o += 4 * n;
    }
    if (flags & 1) state.push(entry);
  }
  if (o !== end) fail(`${end - o} unexpected trailing byte(s)`);
  return { dict: { state, param_groups }, policy, skippedSteps, lengths };
}
