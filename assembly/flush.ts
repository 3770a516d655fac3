// The denormal guard (FLUSH_DENORMALS, opt-in): after each update, state values below the
// smallest normal float32 become ±0. WebAssembly has no flush-to-zero mode, and arithmetic on
// subnormals is several times slower on common CPUs: a weight whose gradient stays 0 drives
// its running averages subnormal within a few thousand steps, and every later step pays.
//
// Two ways, the same bits (each update is elementwise; the step computes with the values it
// produced, and only what it stores is flushed):
// - The loops of each family's common options (RMSprop default, with momentum, centered with
//   momentum; Adagrad; Adam; AdamW; SGD with momentum) flush as they store, with `flush` from
//   lanes.ts: free in the default loops, which the divider bounds.
// - Every other combination runs its ordinary loop over blocks of FLUSH_BLOCK elements, each
//   followed by `flushBuffers` over that block's state while it is still in the L1 cache:
//   about 0.1 ns per element per buffer. Flushing inside every loop instead would double the
//   number of loops, and the module's size (44 KB to 80 KB).
// Unguarded, every kernel runs exactly the loop it ran before.
import { flush } from "./lanes";

/** Elements per guarded block: 4 KiB per buffer, so RMSprop's five streams stay in L1. */
export const FLUSH_BLOCK: usize = 1024;

/**
 * flushRange over each of up to three buffers of `n` f32; a 0 pointer is skipped. Every kernel
 * flushes through this one call site, so that the loop is emitted once, not once per kernel.
 */
export function flushBuffers(n: usize, a: usize, b: usize, c: usize): void {
  for (let k = 0; k < 3; k++) {
    const ptr = k == 0 ? a : k == 1 ? b : c;
    if (ptr != 0) flushRange(n, ptr);
  }
}

/** x = flush(x) for the `n` f32 at byte offset `ptr`, in place. */
function flushRange(n: usize, ptr: usize): void {
  const end = ptr + (n << 2);
  const stop = ptr + ((n << 2) & ~15);
  // A guarded do-while: see lanes.ts, "Loop shape".
  if (ptr < stop) do {
    store<v128>(ptr, flush<v128>(load<v128>(ptr)));
    ptr += 16;
  } while (ptr < stop);
  while (ptr < end) {
    store<f32>(ptr, flush<f32>(load<f32>(ptr)));
    ptr += 4;
  }
}
