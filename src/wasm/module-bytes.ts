// The kernel module's binary as the façade reads it: where its memory import's limits are, so
// that one binary serves both shared and non-shared memory, and which sections it has.
//
// The kernels import their memory ("env" "memory", limits min 1, max 65,536 pages). The shipped
// binary declares it non-shared (limits flag 0x01); for shared memory the flag byte becomes 0x03
// (shared, with a maximum) in a copy made before compiling. Both flags take one byte, so nothing
// else in the binary moves.

/** Limits flag of a memory with a maximum. */
export const LIMITS_MAX = 0x01;
/** Limits flag of a shared memory (which always has a maximum). */
export const LIMITS_SHARED_MAX = 0x03;

const SECTION_IMPORT = 2;

/** A section of a module binary: its id and where its contents lie. */
export interface Section {
  readonly id: number;
  readonly start: number;
  readonly end: number;
}

function readLeb(bytes: Uint8Array, at: { i: number }): number {
  let result = 0;
  let scale = 1;
  for (;;) {
    const b = bytes[at.i++];
    if (b === undefined) throw new RangeError("truncated module binary");
    result += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return result;
    scale *= 128;
  }
}

/** The sections of a module binary, in order. Throws a RangeError on a truncated binary. */
export function sectionsOf(bytes: Uint8Array): Section[] {
  const out: Section[] = [];
  const at = { i: 8 };
  while (at.i < bytes.length) {
    const id = bytes[at.i++]!;
    const size = readLeb(bytes, at);
    const start = at.i;
    if (start + size > bytes.length) throw new RangeError("truncated module binary");
    out.push({ id, start, end: start + size });
    at.i = start + size;
  }
  return out;
}

/** Byte offset of the limits flag of the module's memory import, or -1 when it imports none. */
export function memoryImportFlagOffset(bytes: Uint8Array): number {
  const section = sectionsOf(bytes).find((s) => s.id === SECTION_IMPORT);
  if (!section) return -1;
  const at = { i: section.start };
  const skipName = () => {
    const n = readLeb(bytes, at);
    at.i += n;
  };
  const count = readLeb(bytes, at);
  for (let k = 0; k < count; k++) {
    skipName();
    skipName();
    const kind = bytes[at.i++];
    if (kind === 0) readLeb(bytes, at); // function: type index
    else if (kind === 1 || kind === 2) {
      if (kind === 1) at.i++; // table: element type
      const flag = at.i;
      if (kind === 2) return flag;
      const flags = bytes[at.i++]!;
      readLeb(bytes, at);
      if (flags & 1) readLeb(bytes, at);
    } else if (kind === 3) at.i += 2; // global: value type, mutability
    else return -1;
  }
  return -1;
}

/**
 * The module's bytes with its memory import declared `shared` or not: the bytes themselves
 * when they already say so, else a patched copy. Bytes without a memory import of a maximum
 * (not simdopt's kernels) are returned as they are, and fail at instantiation.
 */
export function withSharedFlag(bytes: Uint8Array, shared: boolean): Uint8Array {
  let at: number;
  try {
    at = memoryImportFlagOffset(bytes);
  } catch {
    return bytes;
  }
  const flag = bytes[at];
  const want = shared ? LIMITS_SHARED_MAX : LIMITS_MAX;
  if (at < 0 || (flag !== LIMITS_MAX && flag !== LIMITS_SHARED_MAX) || flag === want) return bytes;
  const copy = new Uint8Array(bytes); // a copy: Buffer#slice would share the caller's bytes
  copy[at] = want;
  return copy;
}
