// Where blocks go: first-fit placement over the free blocks below the heap's top, written as
// pure functions over a snapshot. The heap tries a request against several snapshots (as
// things are, with its quarantine released, with room to grow up to its limit) and commits
// only a placement in which every block fits, so a refused request changes nothing.

/** A run of bytes: `ptr` and `size` are multiples of the block alignment. */
export interface Block {
  readonly ptr: number;
  readonly size: number;
}

/**
 * The allocator's state: free blocks sorted by address, merged with their free neighbours,
 * all below `top`, none ending at `top` (a free tail lowers `top` instead).
 */
export interface Extent {
  readonly free: readonly Block[];
  readonly top: number;
}

export interface Placement {
  /** Where each requested block starts, in request order. */
  readonly ptrs: number[];
  /** The extent once those blocks are taken. */
  readonly extent: Extent;
}

/**
 * Places blocks of `sizes` bytes first-fit, in order: in the first free block big enough,
 * else at the top, never ending past `end`. Undefined when any block does not fit.
 */
export function place(sizes: readonly number[], from: Extent, end: number): Placement | undefined {
  const free = [...from.free];
  let top = from.top;
  const ptrs: number[] = [];
  for (const size of sizes) {
    const i = free.findIndex((b) => b.size >= size);
    if (i >= 0) {
      const b = free[i]!;
      ptrs.push(b.ptr);
      if (b.size === size) free.splice(i, 1);
      else free[i] = { ptr: b.ptr + size, size: b.size - size };
    } else {
      if (top + size > end) return undefined;
      ptrs.push(top);
      top += size;
    }
  }
  return { ptrs, extent: { free, top } };
}

/** `from` with `blocks` given back: merged with free neighbours, a free tail lowering the top. */
export function withFreed(from: Extent, blocks: readonly Block[]): Extent {
  const sorted = [...from.free, ...blocks].sort((a, b) => a.ptr - b.ptr);
  const free: Block[] = [];
  for (const b of sorted) {
    const last = free[free.length - 1];
    if (last && last.ptr + last.size === b.ptr) free[free.length - 1] = { ptr: last.ptr, size: last.size + b.size };
    else free.push(b);
  }
  let top = from.top;
  const tail = free[free.length - 1];
  if (tail && tail.ptr + tail.size === top) {
    top = tail.ptr;
    free.pop();
  }
  return { free, top };
}

export const bytesIn = (blocks: readonly Block[]) => blocks.reduce((s, b) => s + b.size, 0);
