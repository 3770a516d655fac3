/**
 * The binary checkpoint format of `saveState()` / `loadState()`, versions 1 and 2.
 * Little-endian throughout; no alignment is assumed.
 *
 * ```
 * header   8 B   magic "SIMDOPT\0"
 *          2 B   u16 format version: 1, or 2 when a params or scheduler section follows
 *          1 B   u8  optimizer kind (the family id: 1 = RMSprop, 2 = Adagrad, 3 = SGD, 4 = Adam, 5 = AdamW)
 *          1 B   u8  flags: bit 0 = state exists (RMSprop has none before its first step);
 *                version 2 only: bit 1 = params section, bit 2 = scheduler section
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
 *          per present buffer: its values as f32: n of them, or n / d for a buffer kept per
 *                row of d (Adagrad's sum with its option rowwise = d > 0, which the group's
 *                options above record; a reader that does not know the option refuses it)
 * params section (flags bit 1), per tensor in param order:
 *          n × f32 the param's values (n from the tensor's record)
 * scheduler section (flags bit 2):
 *          1 B   u8  class name length, ASCII class name ("OneCycleLR")
 *          4 B   u32 byte count L (at most 16 MiB)
 *          L B   the scheduler's state dict, one value as scheduler-bytes.ts encodes it
 * trailer  4 B   u32 CRC-32 (IEEE) of every byte before it
 * ```
 * Compatibility: a reader refuses any other magic and any version it does not know; a later
 * version that changes the layout bumps the version. Version 1 is version 2 without sections,
 * and is what is written when no section is asked for, so such files read in older builds.
 *
 * Reading trusts no count: each is checked against the optimizer it is loaded into (its groups,
 * tensors, tensor lengths and options) and against the bytes that remain, before anything is
 * looped over or allocated by it, so a crafted file costs at most a pass over its own bytes.
 */
import { familyById, type Family } from "./family.js";
import { plainBytes, showTyped, typedArrayName } from "./intrinsics.js";
import { show, type NonFinitePolicy } from "./options.js";
import { decodeValue, encodeValue } from "./scheduler-bytes.js";
import { planLoad, type LoadPlan, type RawEntry, type StateDict, type StateShape } from "./state-dict.js";

/**
 * A checkpoint that is truncated, corrupted, of another version or for another optimizer.
 *
 * @example
 * ```ts
 * const opt = new RMSprop([new Float32Array(4)]);
 * const bytes = opt.saveState();
 * bytes[bytes.length - 1] ^= 1; // damage the checksum
 * try {
 *   opt.loadState(bytes);
 * } catch (e) {
 *   if (!(e instanceof CheckpointError)) throw e; // refused; opt is unchanged
 * }
 * ```
 */
export class CheckpointError extends RangeError {
  /** Always "CheckpointError". */
  override name = "CheckpointError";
}

/** The newest version; version 1 is still written when there is no section. */
export const FORMAT_VERSION = 2;
const HAS_STATE = 1;
const HAS_PARAMS = 2;
const HAS_SCHEDULER = 4;
/** The largest scheduler section: far beyond any scheduler's state, a bound for crafted files. */
export const SCHEDULER_MAX_BYTES = 1 << 24;
const MAGIC = [0x53, 0x49, 0x4d, 0x44, 0x4f, 0x50, 0x54, 0x00]; // "SIMDOPT\0"
const POLICIES: NonFinitePolicy[] = ["propagate", "skip", "throw"];
/** Bytes of the header (up to the group count), of a group's counts, of an option with an
 * empty name, of a tensor's record before its buffers, and of the trailer. */
const HEADER_BYTES = 25;
const GROUP_BYTES = 5;
const OPTION_MIN_BYTES = 10;
const TENSOR_BYTES = 13;
const CRC_BYTES = 4;

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
  /** The params' values, in param order: a params section. */
  params?: readonly Float32Array[];
  /** A scheduler section. */
  scheduler?: SchedulerState;
}

/** A scheduler's class name and its state dict, as a checkpoint holds them. */
export interface SchedulerState {
  kind: string;
  state: unknown;
}

/** Encodes a state dict of an optimizer of `family`. */
export function encodeCheckpoint(c: Checkpoint, family: Family<unknown>): Uint8Array {
  const slots = family.slots.map((s) => s.name);
  // Written as it is read back: a count that loadState would refuse is refused here.
  if (!Number.isInteger(c.skippedSteps) || c.skippedSteps < 0) {
    throw new RangeError(`${family.name}.saveState: skippedSteps must be a whole number >= 0, got ${show(c.skippedSteps)}`);
  }
  const groups = c.dict.param_groups;
  const hasState = c.dict.state.length > 0;
  const lengths = c.lengths;
  const tensorCount = lengths.length;
  let size = HEADER_BYTES;
  const options = groups.map((g) => Object.entries(g).filter(([k]) => k !== "params"));
  for (const opts of options) {
    size += GROUP_BYTES;
    for (const [k, v] of opts) {
      const pair = Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === "number");
      if (typeof v !== "number" && typeof v !== "boolean" && !pair) {
        throw new TypeError(`saveState: option ${k} is neither a number, a boolean nor a pair of numbers`);
      }
      size += 1 + k.length + 1 + (pair ? 16 : 8);
    }
  }
  for (let i = 0; i < tensorCount; i++) {
    size += TENSOR_BYTES;
    const e = c.dict.state[i];
    if (e) for (const s of slots) if (e[s] instanceof Float32Array) size += (e[s] as Float32Array).byteLength;
  }
  const params = c.params;
  if (params) for (let i = 0; i < tensorCount; i++) size += 4 * lengths[i]!;
  const kind = c.scheduler?.kind ?? "";
  const sched = c.scheduler && encodeValue(c.scheduler.state, `${family.name}.saveState: options.scheduler`);
  if (sched) {
    if (sched.length > SCHEDULER_MAX_BYTES) {
      throw new RangeError(`${family.name}.saveState: the scheduler's state takes ${sched.length} bytes; a checkpoint holds at most ${SCHEDULER_MAX_BYTES}`);
    }
    size += 1 + kind.length + 4 + sched.length;
  }
  size += CRC_BYTES;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  let o = 0;
  out.set(MAGIC, 0);
  o = 8;
  dv.setUint16(o, params || sched ? 2 : 1, true); o += 2;
  dv.setUint8(o++, family.id);
  dv.setUint8(o++, (hasState ? HAS_STATE : 0) | (params ? HAS_PARAMS : 0) | (sched ? HAS_SCHEDULER : 0));
  dv.setUint8(o++, POLICIES.indexOf(c.policy));
  dv.setFloat64(o, c.skippedSteps, true); o += 8;
  dv.setUint32(o, groups.length, true); o += 4;
  groups.forEach((g, gi) => {
    dv.setUint32(o, g.params.length, true); o += 4;
    dv.setUint8(o++, options[gi]!.length);
    for (const [k, v] of options[gi]!) {
      dv.setUint8(o++, k.length);
      for (let j = 0; j < k.length; j++) out[o++] = k.charCodeAt(j);
      dv.setUint8(o++, typeof v === "boolean" ? 1 : Array.isArray(v) ? 2 : 0);
      for (const x of Array.isArray(v) ? (v as number[]) : [Number(v)]) {
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
  if (params) {
    for (const p of params) {
      out.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), o);
      o += p.byteLength;
    }
  }
  if (sched) {
    dv.setUint8(o++, kind.length);
    for (let j = 0; j < kind.length; j++) out[o++] = kind.charCodeAt(j);
    dv.setUint32(o, sched.length, true); o += 4;
    out.set(sched, o);
    o += sched.length;
  }
  dv.setUint32(o, crc32(out, o), true);
  return out;
}

/** A decoded checkpoint, checked against the optimizer and ready to apply. */
export interface LoadedCheckpoint {
  plan: LoadPlan;
  policy: NonFinitePolicy;
  skippedSteps: number;
  /** The params section: private arrays in param order, or null when there is none. */
  params: Float32Array[] | null;
  /** The scheduler section, not yet checked against any scheduler, or null. */
  scheduler: SchedulerState | null;
}

const popcount = (m: number) => {
  let n = 0;
  for (; m; m &= m - 1) n++;
  return n;
};

/**
 * Decodes a checkpoint for the optimizer `shape` describes and checks all of it: structure,
 * checksum, and that it fits that optimizer. Throws a CheckpointError (a TypeError when the
 * input is not a Uint8Array); changes nothing. `input` may be any Uint8Array (a Node or Bun
 * Buffer included) at any byte offset.
 */
export function decodeCheckpoint(input: unknown, shape: StateShape): LoadedCheckpoint {
  const where = `${shape.kind}.loadState`;
  if (typedArrayName(input) !== "Uint8Array") {
    throw new TypeError(`${where}: expected a Uint8Array, got ${showTyped(input, Uint8Array)}`);
  }
  const fail = (why: string): never => {
    throw new CheckpointError(`${where}: ${why}; the optimizer was not changed`);
  };
  const bytes = plainBytes(input as Uint8Array);
  const size = bytes.length;
  for (let i = 0; i < MAGIC.length && i < size; i++) if (bytes[i] !== MAGIC[i]) fail("not a simdopt checkpoint (bad magic)");
  const smallest = HEADER_BYTES + CRC_BYTES;
  if (size < smallest) fail(`truncated checkpoint (${size} bytes; a checkpoint has at least ${smallest})`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, size);
  const version = dv.getUint16(8, true);
  if (version < 1 || version > FORMAT_VERSION) fail(`checkpoint format version ${version}; this build reads versions 1 and 2`);
  const end = size - CRC_BYTES;
  if (crc32(bytes, end) !== dv.getUint32(end, true)) fail("checksum mismatch: the checkpoint is truncated or corrupted");
  let o = 10;
  const left = () => end - o;
  /** Refuses, before it is read, what needs more than the bytes that remain. */
  const need = (n: number, what: string) => {
    if (n > left()) fail(`truncated checkpoint: ${what} take(s) at least ${n} bytes, but ${left()} byte(s) remain`);
  };
  const id = dv.getUint8(o++);
  if (id !== shape.id) {
    const other = familyById(id);
    fail(other ? `the checkpoint is for ${other.name}, not ${shape.kind}` : `unknown optimizer kind ${id}`);
  }
  const kind = shape.kind;
  const flags = dv.getUint8(o++);
  if (flags > (version === 1 ? HAS_STATE : HAS_STATE | HAS_PARAMS | HAS_SCHEDULER)) fail(`unknown flags ${flags} in a version ${version} checkpoint`);
  const hasState = (flags & HAS_STATE) !== 0;
  const policy = POLICIES[dv.getUint8(o++)] ?? fail("unknown nonFinite policy");
  const skippedSteps = dv.getFloat64(o, true); o += 8;
  if (!Number.isInteger(skippedSteps) || skippedSteps < 0) fail(`bad skipped-step count ${skippedSteps}`);

  const plans = shape.plans;
  const groupCount = dv.getUint32(o, true); o += 4;
  if (groupCount !== plans.length) fail(`the checkpoint has ${groupCount} param group(s), this optimizer ${plans.length}`);
  need(GROUP_BYTES * groupCount, `${groupCount} param group(s)`);
  const optionLimit = Object.keys(shape.specs).length;
  const options = plans.map((plan, gi) => {
    need(GROUP_BYTES, `param group ${gi}`);
    const n = dv.getUint32(o, true); o += 4;
    const k = dv.getUint8(o++);
    if (n !== plan.tensors.length) fail(`param group ${gi} has ${n} tensor(s) in the checkpoint, ${plan.tensors.length} here`);
    if (TENSOR_BYTES * n > left()) {
      fail(`truncated checkpoint: param group ${gi} has ${n} tensor(s), which need at least ${TENSOR_BYTES * n} bytes, but ${left()} byte(s) remain`);
    }
    if (k > optionLimit) fail(`param group ${gi} claims ${k} option(s); ${kind} has ${optionLimit}`);
    need(OPTION_MIN_BYTES * k, `param group ${gi}'s ${k} option(s)`);
    const group: Array<[string, unknown]> = [];
    for (let j = 0; j < k; j++) {
      need(OPTION_MIN_BYTES, `option ${j} of param group ${gi}`);
      const len = dv.getUint8(o++);
      need(len + 9, `option ${j} of param group ${gi}`);
      let name = "";
      for (let c = 0; c < len; c++) name += String.fromCharCode(bytes[o++]!);
      const type = dv.getUint8(o++);
      if (type === 2) need(16, `option ${j} of param group ${gi}`);
      const v = dv.getFloat64(o, true); o += 8;
      if (type > 2 || (type === 1 && v !== 0 && v !== 1)) fail(`bad value for option ${JSON.stringify(name)}`);
      if (type === 2) {
        group.push([name, [v, dv.getFloat64(o, true)]]);
        o += 8;
      } else group.push([name, type === 1 ? v === 1 : v]);
    }
    return group;
  });
  // The buffers below are read in this optimizer's layout: refuse first a checkpoint whose
  // options lay them out otherwise (planLoad checks every option value afterwards).
  const keyOf = new Map(Object.entries(shape.specs).map(([key, spec]) => [spec.torch, key]));
  options.forEach((group, gi) => {
    const next = { ...shape.values[gi]! };
    for (const [name, v] of group) {
      const key = keyOf.get(name);
      if (key !== undefined) next[key] = v;
    }
    const why = shape.layoutChange(next, gi);
    if (why) fail(`param group ${gi}: ${why}`);
  });

  const entries: RawEntry[] = [];
  let index = 0;
  for (const plan of plans) {
    for (const tensor of plan.tensors) {
      const i = index++;
      need(TENSOR_BYTES, `tensor ${i}'s record`);
      const n = dv.getUint32(o, true); o += 4;
      const step = dv.getFloat64(o, true); o += 8;
      const mask = dv.getUint8(o++);
      if (n !== tensor.length) fail(`tensor ${i} has ${n} element(s) in the checkpoint, ${tensor.length} here`);
      if (mask >> shape.slots.length) fail(`unknown state buffers in tensor ${i}`);
      if (!hasState && (mask !== 0 || step !== 0)) fail(`tensor ${i} has state, but the header says there is none`);
      // Each buffer as this optimizer lays it out: the options that set a layout cannot change.
      const lens = shape.slots.map((_, k) => (mask & (1 << k) ? tensor.slotLen[k]! : 0));
      const elements = lens.reduce((a, b) => a + b, 0);
      if (4 * elements > left()) {
        const count = popcount(mask);
        const sizes = elements === n * count ? `of ${n} element(s)` : `of ${elements} element(s) in all`;
        fail(`truncated checkpoint: tensor ${i} holds ${count} buffer(s) ${sizes} (${4 * elements} bytes), but ${left()} byte(s) remain`);
      }
      const buffers = shape.slots.map((_, k) => {
        if (!(mask & (1 << k))) return undefined;
        // Copied byte for byte into an array of its own: `bytes` may sit at any offset.
        const b = new Float32Array(lens[k]!);
        new Uint8Array(b.buffer).set(bytes.subarray(o, o + 4 * lens[k]!));
        o += 4 * lens[k]!;
        return b;
      });
      entries.push({ key: String(i), index: i, step, buffers });
    }
  }
  let params: Float32Array[] | null = null;
  if (flags & HAS_PARAMS) {
    params = [];
    for (const plan of plans) {
      for (const tensor of plan.tensors) {
        const n = tensor.length;
        need(4 * n, `the values of param ${tensor.index} (${n} element(s))`);
        const p = new Float32Array(n);
        new Uint8Array(p.buffer).set(bytes.subarray(o, o + 4 * n));
        o += 4 * n;
        params.push(p);
      }
    }
  }
  let scheduler: SchedulerState | null = null;
  if (flags & HAS_SCHEDULER) {
    need(5, "the scheduler section");
    const len = dv.getUint8(o++);
    need(len + 4, "the scheduler section");
    let name = "";
    for (let c = 0; c < len; c++) name += String.fromCharCode(bytes[o++]!);
    const size = dv.getUint32(o, true); o += 4;
    if (size > SCHEDULER_MAX_BYTES) fail(`the scheduler section claims ${size} bytes; a checkpoint holds at most ${SCHEDULER_MAX_BYTES}`);
    need(size, "the scheduler's state");
    const state = decodeValue(bytes, o, o + size, (why) => fail(`the scheduler's state is malformed: ${why}`));
    o += size;
    scheduler = { kind: name, state };
  }
  if (o !== end) fail(`${end - o} unexpected trailing byte(s)`);
  try {
    return { plan: planLoad({ options, entries: hasState ? entries : null }, shape, where), policy, skippedSteps, params, scheduler };
  } catch (e) {
    if (!(e instanceof TypeError || e instanceof RangeError)) throw e;
    return fail(e.message.startsWith(`${where}: `) ? e.message.slice(where.length + 2) : e.message);
  }
}
