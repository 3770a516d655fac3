// The denormal guard (FLUSH_DENORMALS, opt-in): after each update, state values below the
// smallest normal float32 become ±0. WebAssembly has no flush-to-zero mode, and arithmetic on
// subnormals is several times slower on common CPUs: a weight whose gradient stays 0 drives
// its running averages subnormal within a few thousand steps, and every later step pays.
//
// A guarded kernel runs its ordinary update over blocks of FLUSH_BLOCK elements, each followed
// by `flushRange` over that block's state while it is still in the L1 cache. Every update is
// elementwise, so the blocks change no bits of the update itself, and an unguarded call runs
// exactly the code it ran before. (Making the guard a specialisation of every update loop
// instead would double the number of loops, and the module's size with it.)
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
