// Shared memory (the wasm backend's default where SharedArrayBuffer exists): one binary serves
// both memory kinds, the kernels keep no data segments, growth leaves every view valid, and a
// write through a view of disposed memory is caught before that memory is reused.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { POISON } from "../src/heap.js";
import { init, ParamStore, RMSprop } from "../src/index.js";
import { currentBackend } from "../src/runtime.js";
import { decodeBase64 } from "../src/wasm/backend.js";
import { KERNELS_BASE64 } from "../src/wasm/kernels.generated.js";
import { LIMITS_MAX, LIMITS_SHARED_MAX, memoryImportFlagOffset, sectionsOf, withSharedFlag } from "../src/wasm/module-bytes.js";
import { forceGrowth } from "./helpers/memory.js";

const KERNELS = decodeBase64(KERNELS_BASE64);
const SECTION_DATA = 11;
const SECTION_DATA_COUNT = 12;

let disposers: Array<{ dispose(): void }> = [];
const keep = <T extends { dispose(): void }>(x: T): T => (disposers.push(x), x);
afterEach(() => {
  for (const d of disposers.reverse()) d.dispose();
  disposers = [];
});

describe("the kernel binary", () => {
  it("has no data segments: instantiating it in a worker writes nothing into live memory", () => {
    const ids = sectionsOf(KERNELS).map((s) => s.id);
    expect(ids.length).toBeGreaterThan(3);
    expect(ids).not.toContain(SECTION_DATA);
    expect(ids).not.toContain(SECTION_DATA_COUNT);
    const file = new Uint8Array(readFileSync(join(__dirname, "..", "build", "simdopt.wasm")));
    expect(sectionsOf(file).map((s) => s.id)).not.toContain(SECTION_DATA);
  });

  it("imports its memory, declared non-shared as shipped; the shared flag is one byte away", () => {
    const at = memoryImportFlagOffset(KERNELS);
    expect(at).toBeGreaterThan(8);
    expect(KERNELS[at]).toBe(LIMITS_MAX);
    const shared = withSharedFlag(KERNELS, true);
    expect(shared.length).toBe(KERNELS.length);
    expect(shared[at]).toBe(LIMITS_SHARED_MAX);
    expect([...shared].filter((b, i) => b !== KERNELS[i]).length).toBe(1);
    expect(Buffer.from(withSharedFlag(shared, false)).equals(KERNELS)).toBe(true);
    expect(withSharedFlag(KERNELS, false)).toBe(KERNELS);
    // Each form links to its own kind of memory only.
    const sharedMemory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
    const plainMemory = new WebAssembly.Memory({ initial: 1, maximum: 65536 });
    const bin = (b: Uint8Array) => new WebAssembly.Module(b as Uint8Array<ArrayBuffer>);
    expect(() => new WebAssembly.Instance(bin(shared), { env: { memory: sharedMemory } })).not.toThrow();
    expect(() => new WebAssembly.Instance(bin(KERNELS), { env: { memory: plainMemory } })).not.toThrow();
    expect(() => new WebAssembly.Instance(bin(KERNELS), { env: { memory: sharedMemory } })).toThrow(WebAssembly.LinkError);
  });
});

describe("the wasm backend over shared memory", () => {
  it("is shared here, and growth leaves every view valid: no StaleViewError, writes reach the store", async () => {
    await init({ backend: "wasm" });
    const backend = currentBackend();
    expect(backend.wasm?.shared).toBe(true);
    expect(backend.heap.buffer).toBeInstanceOf(SharedArrayBuffer);
    const store = keep(new ParamStore({ w: 64 }, { reserve: 0 }));
    const w = store.param("w"), g = store.grad("w");
    const opt = keep(new RMSprop(store, { lr: 0.1 }));
    const generation = backend.heap.generation;
    keep(forceGrowth(backend.heap));
    expect(backend.heap.generation).toBeGreaterThan(generation);
    // The old views still reach the store's memory.
    w.fill(1);
    g.fill(0.5);
    expect(opt.step()).toBe(true);
    expect(store.param("w")[3]).toBe(w[3]);
    expect(w[3]).not.toBe(1);
    // And they are recognised as the store's own: zero-copy, not staged.
    const other = keep(new RMSprop([w], { lr: 0.1 }));
    expect(() => other.step([g])).not.toThrow();
    expect(backend.heap.isStale(w)).toBe(false);
  });

  it("refuses to reuse disposed memory written through a view kept past dispose(), naming its owner; a retry succeeds", async () => {
    await init({ backend: "wasm" });
    const heap = currentBackend().heap;
    const layout = { emb: 1000, bias: 10 };
    const old = new ParamStore(layout, { reserve: 0 });
    const kept = old.param("emb");
    old.dispose();
    expect(heap.isStale(kept)).toBe(true);
    expect(new Int32Array(kept.buffer, kept.byteOffset, 4)[0]).toBe(POISON);
    kept[500] = 42; // the write a stale view lets through: it lands in quarantined memory
    const live = keep(new ParamStore({ x: 8 }, { reserve: 0 }));
    live.param("x").fill(7);
    // Fill the free space, so that the next store of this size needs the quarantined blocks.
    const filler = () => new ParamStore({ f: Math.floor((heap.capacityBytes - heap.usedBytes - heap.quarantinedBytes - heap.baseBytes) / 8) - 64 }, { reserve: 0 });
    keep(filler());
    const capacity = heap.capacityBytes;
    expect(() => new ParamStore(layout, { reserve: 0 })).toThrow(/ParamStore \(emb, bias\).*written after dispose\(\)/);
    expect(heap.setAsideBytes).toBeGreaterThan(0);
    expect([...live.param("x")]).toEqual(new Array(8).fill(7));
    // The written block is never handed out again; the other (the grads, untouched) is.
    const again = keep(new ParamStore(layout, { reserve: 0 }));
    expect(again.param("emb").byteOffset).not.toBe(kept.byteOffset);
    expect(heap.capacityBytes).toBeGreaterThanOrEqual(capacity);
    kept[500] = 43;
    expect(again.param("emb").every((x) => x === 0)).toBe(true);
  });

  it("reuses disposed memory nobody wrote to", async () => {
    await init({ backend: "wasm" });
    const heap = currentBackend().heap;
    const layout = { w: 5000 };
    const setAside = heap.setAsideBytes;
    keep(new ParamStore(layout, { reserve: 0 })).param("w").fill(1);
    const a = new ParamStore(layout, { reserve: 0 });
    a.param("w").fill(2);
    a.dispose();
    expect(heap.quarantinedBytes).toBeGreaterThan(0);
    // New stores fill the free space, then take the quarantined blocks.
    for (let i = 0; i < 200 && heap.quarantinedBytes > 0; i++) {
      const s = keep(new ParamStore(layout, { reserve: 0 }));
      expect(s.param("w").every((x) => x === 0) && s.grad("w").every((x) => x === 0)).toBe(true);
    }
    expect(heap.quarantinedBytes).toBe(0);
    expect(heap.setAsideBytes).toBe(setAside);
  });
});
