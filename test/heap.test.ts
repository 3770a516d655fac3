// The heap on its own, over small memories with small limits so that the edge of memory and
// the limit are reached in milliseconds: where blocks land, what a failed request leaves
// behind, how memory grows, when freed blocks come back, and which views are stale.
import { describe, expect, it } from "vitest";
import { isDetached } from "../src/detached.js";
import { arrayBufferSource, BLOCK_ALIGN, Heap, wasmMemorySource, type MemorySource } from "../src/heap.js";
import { decodeBase64 } from "../src/wasm/backend.js";
import { KERNELS_BASE64 } from "../src/wasm/kernels.generated.js";

const PAGE = 65536;
const LIMIT = 16 * PAGE;

/** Grows like `inner` up to `capBytes`, then refuses, as an engine with a lower memory cap does. */
function capped(inner: MemorySource, capBytes: number): MemorySource {
  return {
    get buffer() {
      return inner.buffer;
    },
    shared: inner.shared,
    maxBytes: inner.maxBytes,
    limitHint: inner.limitHint,
    growTo(bytes, keep) {
      if (bytes > capBytes) throw new RangeError(`cannot grow to ${bytes} bytes`);
      inner.growTo(bytes, keep);
    },
    renew(keep) {
      inner.renew(keep);
    },
  };
}

const SOURCES = {
  "wasm memory": (limit = LIMIT, cap = Infinity) =>
    cap === Infinity
      ? wasmMemorySource(new WebAssembly.Memory({ initial: 1 }), limit)
      // A declared maximum refuses growth the way an engine cap does.
      : wasmMemorySource(new WebAssembly.Memory({ initial: 1, maximum: cap / PAGE }), limit),
  "array buffer": (limit = LIMIT, cap = Infinity) =>
    cap === Infinity ? arrayBufferSource(PAGE, limit) : capped(arrayBufferSource(PAGE, limit), cap),
};

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Writes `x` through `v` the way a loop would: a detached view has length 0 and takes nothing. */
function scribble(v: Float32Array, x: number): void {
  for (let i = 0; i < v.length; i++) v[i] = x;
}

const blockBytes = (n: number) => Math.ceil(Math.max(n, 1) / BLOCK_ALIGN) * BLOCK_ALIGN;

/** The heap's observable state: a failed request must leave all of it as it was. */
const snapshot = (h: Heap) => ({
  used: h.usedBytes, capacity: h.capacityBytes, generation: h.generation,
  quarantined: h.quarantinedBytes, reserved: h.reservedBytes, buffer: h.buffer,
});

for (const [name, makeSource] of Object.entries(SOURCES)) {
  describe(`heap over ${name}`, () => {
    it("refuses a block that would end past the limit, even when the bytes in use leave room", () => {
      const heap = new Heap(makeSource());
      const hole1 = heap.alloc(300 * 1024);
      const keep1 = heap.alloc(64);
      const hole2 = heap.alloc(300 * 1024);
      heap.alloc(64);
      heap.release(hole1);
      heap.release(hole2);
      // 128 bytes in use, but no hole and no room at the top takes 450 KiB below the limit.
      const before = snapshot(heap);
      expect(() => heap.alloc(450 * 1024)).toThrow(RangeError);
      expect(snapshot(heap)).toEqual(before);
      expect(() => heap.allocAll([450 * 1024], "two optimizers' state")).toThrow(/two optimizers' state.*450\.00 KiB/);
      // The holes still serve what fits in them.
      const p = heap.alloc(200 * 1024);
      expect(p + 200 * 1024).toBeLessThanOrEqual(heap.capacityBytes);
      expect(p).not.toBe(keep1);
    });

    it("places every block inside memory and below the limit, never overlapping, under random use", () => {
      const heap = new Heap(makeSource());
      const next = rng(7);
      const live = new Map<number, { bytes: number; tag: number }>();
      let refused = 0;
      for (let op = 0; op < 3000; op++) {
        if (live.size > 0 && next() < 0.45) {
          const ptrs = [...live.keys()];
          const ptr = ptrs[Math.floor(next() * ptrs.length)]!;
          live.delete(ptr);
          heap.release(ptr);
          continue;
        }
        const sizes = Array.from({ length: 1 + Math.floor(next() * 3) }, () => Math.floor(next() ** 3 * 400 * 1024));
        const before = snapshot(heap);
        let ptrs: number[];
        try {
          ptrs = heap.allocAll(sizes, "random blocks");
        } catch (e) {
          expect(e).toBeInstanceOf(RangeError);
          expect(snapshot(heap)).toEqual(before);
          refused++;
          continue;
        }
        ptrs.forEach((ptr, i) => {
          const bytes = blockBytes(sizes[i]!);
          expect(ptr % BLOCK_ALIGN).toBe(0);
          expect(ptr).toBeGreaterThanOrEqual(BLOCK_ALIGN);
          expect(ptr + bytes).toBeLessThanOrEqual(heap.capacityBytes);
          expect(heap.capacityBytes).toBeLessThanOrEqual(LIMIT);
          const tag = op * 4 + i + 1;
          heap.f32.fill(tag, ptr / 4, (ptr + bytes) / 4);
          live.set(ptr, { bytes, tag });
        });
        // No block was given twice: every live block still holds its own tag.
        if (op % 50 === 0) {
          for (const [ptr, { bytes, tag }] of live) {
            expect(heap.f32.subarray(ptr / 4, (ptr + bytes) / 4).every((x) => x === tag)).toBe(true);
          }
        }
      }
      expect(refused).toBeGreaterThan(0);
      expect(heap.usedBytes).toBe([...live.values()].reduce((s, b) => s + b.bytes, 0));
    });

    it("allocates all blocks of a request or none of them", () => {
      const heap = new Heap(makeSource());
      heap.allocAll([10 * PAGE], "ballast");
      const before = snapshot(heap);
      // The first block fits, the three together do not.
      expect(() => heap.allocAll([3 * PAGE, 3 * PAGE, 3 * PAGE], "RMSprop state")).toThrow(RangeError);
      expect(() => heap.allocAll([3 * PAGE, 3 * PAGE, 3 * PAGE], "RMSprop state"))
        .toThrow(/RMSprop state needs 192\.00 KiB \+ 192\.00 KiB \+ 192\.00 KiB/);
      expect(snapshot(heap)).toEqual(before);
      const [a, b] = heap.allocAll([2 * PAGE, 2 * PAGE], "state");
      expect(b! - a!).toBe(2 * PAGE);
    });

    it("grows geometrically, and by exactly what is needed when the engine refuses more", () => {
      const heap = new Heap(makeSource(LIMIT, 10 * PAGE));
      heap.alloc(6 * PAGE);
      const capacity = heap.capacityBytes;
      expect(capacity).toBeGreaterThanOrEqual(6 * PAGE + BLOCK_ALIGN);
      // 1.5 × the capacity is more than the engine gives; what is needed is not.
      const p = heap.alloc(3 * PAGE);
      expect(p + 3 * PAGE).toBeLessThanOrEqual(heap.capacityBytes);
      expect(heap.capacityBytes).toBeLessThanOrEqual(10 * PAGE);
      // Beyond the engine's cap: refused, naming the request, nothing allocated or grown.
      const before = snapshot(heap);
      expect(() => heap.allocAll([2 * PAGE], "Adagrad state")).toThrow(/Adagrad state/);
      expect(snapshot(heap)).toEqual(before);
    });

    it("reuses a freed block only after every view of it has been left behind", () => {
      const heap = new Heap(makeSource());
      heap.alloc(PAGE); // something live below
      const n = 1000;
      const kept: Float32Array[] = [];
      const capacity0 = heap.capacityBytes;
      const generation0 = heap.generation;
      for (let i = 0; i < 200; i++) {
        const ptr = heap.alloc(n * 4);
        const v = heap.view(ptr, n);
        expect(heap.isStale(v)).toBe(false);
        v.fill(1);
        heap.release(ptr);
        expect(heap.isStale(v)).toBe(true);
        kept.push(v);
        const fresh = heap.alloc(n * 4);
        const w = heap.view(fresh, n);
        for (const old of kept) scribble(old, -1); // writes through views of freed memory
        expect(w.every((x) => x === 0)).toBe(true);
        heap.release(fresh);
      }
      // Waiting for a growth to detach views costs no memory: the heap renews, it does not grow.
      expect(heap.capacityBytes).toBe(capacity0);
      expect(heap.generation).toBeGreaterThan(generation0);
      expect(heap.quarantinedBytes).toBeLessThan(capacity0);
    });

    it("reuses a block whose views never left its owner at once", () => {
      const heap = new Heap(makeSource());
      const a = heap.alloc(1000);
      heap.release(a, { viewsEscaped: false });
      expect(heap.alloc(1000)).toBe(a);
      expect(heap.quarantinedBytes).toBe(0);
    });

    it("keeps each reservation for its own owner, cumulatively", () => {
      const heap = new Heap(makeSource());
      const [a] = heap.allocAll([PAGE, PAGE], "store a", { reserveBytes: 3 * PAGE });
      heap.allocAll([PAGE, PAGE], "store b", { reserveBytes: 3 * PAGE });
      expect(heap.reservedBytes).toBe(6 * PAGE);
      const generation = heap.generation;
      // Both stores' optimizers fit without growing, whichever comes first.
      heap.allocAll([PAGE, PAGE, PAGE], "b's optimizer");
      heap.allocAll([PAGE, PAGE, PAGE], "a's optimizer");
      expect(heap.generation).toBe(generation);
      expect(heap.reservedBytes).toBe(0);
      // A disposed store's reservation goes with it.
      heap.allocAll([PAGE], "store c", { reserveBytes: 2 * PAGE });
      heap.release(a!);
      expect(heap.reservedBytes).toBe(2 * PAGE);
    });

    it("reserves what it can, without failing, when the limit is lower", () => {
      const heap = new Heap(makeSource(LIMIT, 8 * PAGE));
      const [p] = heap.allocAll([4 * PAGE], "store", { reserveBytes: 100 * PAGE });
      expect(p! + 4 * PAGE).toBeLessThanOrEqual(heap.capacityBytes);
      expect(heap.usedBytes).toBe(4 * PAGE);
    });

    it("views only live memory, and tells stale views", () => {
      const heap = new Heap(makeSource());
      const ptr = heap.alloc(64);
      const v = heap.view(ptr, 16);
      const sub = v.subarray(4, 8);
      expect(heap.isStale(v)).toBe(false);
      expect(heap.isStale(sub)).toBe(false);
      expect(heap.isStale(heap.view(ptr, 0))).toBe(false);
      expect(heap.isStale(new Float32Array(4))).toBe(false);
      heap.alloc(2 * LIMIT / 3); // grows: every earlier view is left behind
      expect(heap.isStale(v)).toBe(true);
      expect(heap.isStale(sub)).toBe(true);
      expect(heap.isStale(heap.view(ptr, 16))).toBe(false);
      heap.release(ptr);
      expect(() => heap.view(ptr, 16)).toThrow(/given back/);
    });
  });
}

describe("isDetached", () => {
  it("tells detached buffers from live ones, zero-length ones included", () => {
    expect(isDetached(new ArrayBuffer(0))).toBe(false);
    expect(isDetached(new ArrayBuffer(8))).toBe(false);
    expect(isDetached(new SharedArrayBuffer(0))).toBe(false);
    const moved = new ArrayBuffer(8);
    structuredClone(moved, { transfer: [moved] });
    expect(isDetached(moved)).toBe(true);
    const memory = new WebAssembly.Memory({ initial: 1 });
    const before = memory.buffer;
    memory.grow(0);
    expect(isDetached(before)).toBe(true);
    expect(isDetached(memory.buffer)).toBe(false);
  });
});

describe("heap over the kernels' own wasm memory", () => {
  it("refuses a second optimizer's state past the limit, and the kernels touch only their own blocks", () => {
    const env = { memory: new WebAssembly.Memory({ initial: 1, maximum: 65536 }) };
    const instance = new WebAssembly.Instance(new WebAssembly.Module(decodeBase64(KERNELS_BASE64) as Uint8Array<ArrayBuffer>), { env });
    const { memory, rmsprop } = instance.exports as { memory: WebAssembly.Memory; rmsprop: (...a: number[]) => void };
    const heap = new Heap(wasmMemorySource(memory, LIMIT));
    const n = 30_000; // 120,000 bytes per tensor
    // Small stores, made and disposed, leave 50 KiB holes between an unrelated store and a
    // store too big for them.
    const holes: number[] = [];
    const live: number[] = [];
    for (let i = 0; i < 4; i++) {
      holes.push(heap.alloc(50 * 1024));
      live.push(heap.alloc(n * 4));
    }
    for (const h of holes) heap.release(h);
    const [unrelatedP, unrelatedG, p, g] = live as [number, number, number, number];
    heap.f32.fill(3, unrelatedP / 4, unrelatedP / 4 + n);
    heap.f32.fill(0.5, unrelatedG / 4, unrelatedG / 4 + n);
    heap.f32.fill(1, p / 4, p / 4 + n);
    heap.f32.fill(0.25, g / 4, g / 4 + n);
    // First optimizer: RMSprop with momentum and centered, three state blocks.
    const [sq, buf, ga] = heap.allocAll([n * 4, n * 4, n * 4], "RMSprop state") as [number, number, number];
    for (const ptr of [sq, buf, ga]) expect(ptr + n * 4).toBeLessThanOrEqual(memory.buffer.byteLength);
    // Second optimizer: its blocks are bigger than the holes, and the bytes in use leave room
    // for them, but not where they would go.
    const before = snapshot(heap);
    expect(() => heap.allocAll([60 * 1024, 60 * 1024, 60 * 1024], "RMSprop state"))
      .toThrow(/RMSprop state needs 60\.00 KiB \+ 60\.00 KiB \+ 60\.00 KiB .*at most 1\.00 MiB/);
    expect(snapshot(heap)).toEqual(before);
    const f = Math.fround;
    for (let k = 0; k < 3; k++) rmsprop(14, n, p, g, sq, ga, buf, f(0.99), f(0.01), f(1e-8), f(1e-3), f(0.9), f(-0.01));
    const all = new Float32Array(memory.buffer);
    expect(all.subarray(unrelatedP / 4, unrelatedP / 4 + n).every((x) => x === 3)).toBe(true);
    expect(all.subarray(unrelatedG / 4, unrelatedG / 4 + n).every((x) => x === 0.5)).toBe(true);
    expect(all[p / 4]).toBeLessThan(1);
  });
});
