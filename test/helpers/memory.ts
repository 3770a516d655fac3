// Test helpers for optimizer memory: forcing a growth, and writing through views that may be
// detached.
import { expect } from "vitest";
import type { Heap } from "../../src/heap.js";
import { ParamStore } from "../../src/index.js";

/**
 * A store with more elements than the heap has free bytes in all, so allocating it must grow
 * the memory (and so detach or abandon every earlier view) while growing it as little as
 * possible.
 */
export function forceGrowth(heap: Heap): ParamStore {
  const generation = heap.generation;
  const store = new ParamStore({ big: Math.ceil((heap.capacityBytes - heap.usedBytes) / 4) + 16 }, { reserve: 0 });
  expect(heap.generation).toBeGreaterThan(generation);
  return store;
}

/** Writes `x` through `v` as user code would; a detached view has length 0 and takes nothing. */
export function scribble(v: Float32Array, x: number): void {
  if (v.length > 0) v.fill(x);
}
