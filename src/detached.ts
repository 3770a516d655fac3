// Whether an ArrayBuffer has been detached: transferred, or left behind by the growth of a
// WebAssembly.Memory. A detached buffer has byteLength 0, like a live empty one; they differ in
// that a typed array cannot be constructed over a detached buffer, even with length 0.

/**
 * True when `buffer` is detached. Uses `ArrayBuffer.prototype.detached` where the runtime has
 * it (not in Node 20) and otherwise tries a zero-length view, which throws only on a detached
 * buffer. SharedArrayBuffers never detach.
 */
export function isDetached(buffer: ArrayBufferLike): boolean {
  const detached = (buffer as { detached?: unknown }).detached;
  if (typeof detached === "boolean") return detached;
  if (buffer.byteLength !== 0) return false;
  try {
    new Uint8Array(buffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}
