// Loading the kernels: the module init() is handed must be simdopt's, of the same kernel ABI.
import asc from "assemblyscript/asc";
import { describe, expect, it, vi } from "vitest";
import { STAGING_BYTES } from "../src/backend.js";
import {
  createWasmBackend,
  createWasmBackendSync,
  decodeBase64,
  decodeBase64Js,
  nativeBase64Decoders,
} from "../src/wasm/backend.js";
import { KERNELS_BASE64 } from "../src/wasm/kernels.generated.js";

async function compileAs(source: string): Promise<Uint8Array> {
  const { binary, error, stderr } = await asc.compileString(source, { runtime: "stub", optimizeLevel: 0 });
  if (error || !binary) throw new Error(`asc failed: ${stderr.toString()}`);
  return binary;
}

describe("kernel module checks", () => {
  it("accepts the embedded kernels, asynchronously and synchronously", async () => {
    const bytes = decodeBase64(KERNELS_BASE64);
    expect((await createWasmBackend(bytes)).name).toBe("wasm");
    expect(createWasmBackendSync(await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>)).name).toBe("wasm");
  });

  it("keeps the staging block out of the heap's allocations, and fills nothing at init", () => {
    const bytes = decodeBase64(KERNELS_BASE64);
    const fill = vi.spyOn(Float32Array.prototype, "fill");
    try {
      const b = createWasmBackendSync(bytes);
      expect(fill).not.toHaveBeenCalled(); // fresh memory is zero already
      const ptr = b.heap.alloc(16);
      expect(b.staging).toBeGreaterThan(0);
      expect(ptr).toBeGreaterThanOrEqual(b.staging! + STAGING_BYTES);
    } finally {
      fill.mockRestore();
    }
  });

  it("refuses a module from another kernel ABI, and one that is not simdopt's", async () => {
    const other = await compileAs("export function rmsprop(): void {}\nexport function abiVersion(): u32 { return 999; }");
    await expect(createWasmBackend(other)).rejects.toThrow(/kernel ABI 999; this simdopt build needs \d+ /);
    const old = await compileAs("export function rmsprop(): void {}");
    expect(() => createWasmBackendSync(old)).toThrow(/kernel ABI 0/);
    const foreign = await compileAs("export function add(a: i32, b: i32): i32 { return a + b; }");
    await expect(createWasmBackend(foreign)).rejects.toThrow(/not simdopt's kernel module/);
    await expect(createWasmBackend(42 as unknown as Uint8Array)).rejects.toThrow(TypeError);
  });
});

describe("decoding the embedded kernels", () => {
  // Every byte value, at every length modulo 3 (so every padding form), plus the kernels.
  const samples = [0, 1, 2, 3, 4, 5, 255, 256, 257].map((n) => Uint8Array.from({ length: n }, (_, i) => (i * 97 + 13) & 255));
  samples.push(Uint8Array.from({ length: 256 }, (_, i) => i));

  it("this engine has a native decoder (Buffer and atob in Node)", () => {
    expect(nativeBase64Decoders().length).toBeGreaterThanOrEqual(2);
  });

  it("every decoder, native or not, gives the bytes that were encoded", () => {
    for (const decode of [...nativeBase64Decoders(), decodeBase64Js, decodeBase64]) {
      for (const bytes of samples) {
        const b64 = Buffer.from(bytes).toString("base64");
        expect(Array.from(decode(b64)), b64).toEqual(Array.from(bytes));
      }
      expect(Buffer.from(decode(KERNELS_BASE64)).equals(Buffer.from(KERNELS_BASE64, "base64"))).toBe(true);
    }
  });
});

describe("init", () => {
  it("concurrent calls share one wasm backend", async () => {
    const { init, ParamStore } = await import("../src/index.js");
    // Each call makes a store as soon as it resolves: all must land in the same memory.
    const stores = await Promise.all([0, 1, 2].map(() => init({ backend: "wasm" }).then(() => new ParamStore({ w: 4 }))));
    expect(new Set(stores.map((s) => s.backend)).size).toBe(1);
    for (const s of stores) s.dispose();
  });

  it("rejects bad options with the option named", async () => {
    const { init } = await import("../src/index.js");
    await expect(init({ backend: "gpu" as "js" })).rejects.toThrow(/backend must be "auto", "wasm" or "js", got "gpu"/);
    await expect(init({ workers: 4 } as object)).rejects.toThrow(/unknown option "workers"/);
  });
});
