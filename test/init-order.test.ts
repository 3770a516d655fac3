// init() and initSync() called many times, overlapping: the last call made wins, each call
// resolves to the backend it chose, and an error names the call's own kernels. Each test
// imports a fresh copy of the sources, so it starts with nothing initialised.
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { decodeBase64 } from "../src/wasm/backend.js";
import { KERNELS_BASE64 } from "../src/wasm/kernels.generated.js";

type Pkg = typeof import("../src/index.js");

const KERNELS = decodeBase64(KERNELS_BASE64);
/** A valid wasm module that is not simdopt's: (module (func (export "f"))). */
const FOREIGN = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 7, 5, 1, 1, 102, 0, 0, 10, 4, 1, 2, 0, 11]);

let pkg: Pkg;
beforeEach(async () => {
  vi.resetModules();
  pkg = await import("../src/index.js");
});

/** A kernel source that the test hands over when it chooses: forces the asynchronous path. */
function later(bytes: Uint8Array = KERNELS) {
  let release!: () => void;
  const source = new Promise<Uint8Array>((resolve) => {
    release = () => resolve(bytes);
  });
  return { source, release };
}

/** The backend new objects get now. */
function inUse(): string {
  const store = new pkg.ParamStore({ w: 4 });
  store.dispose();
  return store.backend;
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe("overlapping calls: the last call made wins", () => {
  it("a slow wasm init() that finishes after a later initSync({ backend: 'js' }) does not override it", async () => {
    const k = later();
    const slow = pkg.init({ backend: "wasm", wasm: k.source });
    expect(pkg.initSync({ backend: "js" })).toBe("js");
    k.release();
    expect(await slow).toBe("wasm");
    expect(inUse()).toBe("js");
  });

  it("a slow wasm init() and a later init({ backend: 'js' }): each resolves to its own choice, js stays", async () => {
    const k = later();
    const slow = pkg.init({ backend: "wasm", wasm: k.source });
    const fast = pkg.init({ backend: "js" });
    expect(await fast).toBe("js");
    expect(inUse()).toBe("js");
    k.release();
    expect(await slow).toBe("wasm");
    expect(inUse()).toBe("js");
  });

  it("init({ backend: 'js' }) then a slow wasm init(): wasm takes over when it is ready", async () => {
    const k = later();
    expect(await pkg.init({ backend: "js" })).toBe("js");
    const slow = pkg.init({ backend: "wasm", wasm: k.source });
    expect(inUse()).toBe("js");
    k.release();
    expect(await slow).toBe("wasm");
    expect(inUse()).toBe("wasm");
  });

  it("a call takes effect when it is made if nothing needs compiling", async () => {
    expect(pkg.initSync({ backend: "wasm" })).toBe("wasm");
    const toJs = pkg.init({ backend: "js" });
    expect(inUse()).toBe("js"); // before the promise is awaited
    const toWasm = pkg.init({ backend: "wasm" });
    expect(inUse()).toBe("wasm");
    expect([await toJs, await toWasm]).toEqual(["js", "wasm"]);
  });

  it("a failed call applies nothing, so an earlier slow call still takes effect", async () => {
    const k = later();
    const slow = pkg.init({ backend: "js" }).then(() => pkg.init({ backend: "auto", wasm: k.source }));
    await settle();
    await expect(pkg.init({ backend: "wasm", wasm: FOREIGN })).rejects.toThrow(/module given to init\(\) is not simdopt's/);
    k.release();
    expect(await slow).toBe("wasm");
    expect(inUse()).toBe("wasm");
  });

  it("every interleaving of calls and completions ends with the last successful call's choice", async () => {
    type Call = { fn: "init" | "initSync"; backend: "auto" | "wasm" | "js"; slow: boolean; bad: boolean };
    const call = fc.record({
      fn: fc.constantFrom("init" as const, "initSync" as const),
      backend: fc.constantFrom("auto" as const, "wasm" as const, "js" as const),
      slow: fc.boolean(),
      bad: fc.boolean(),
    });
    // A step either makes a call or lets one of the slow calls' kernels arrive.
    const step = fc.oneof({ weight: 3, arbitrary: call }, { weight: 2, arbitrary: fc.nat(9).map((i) => ({ release: i })) });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 10 }), async (steps) => {
        vi.resetModules();
        pkg = await import("../src/index.js");
        const gates: Array<() => void> = [];
        const made: Call[] = [];
        const runs: Promise<string>[] = [];
        for (const s of steps) {
          if ("release" in s) {
            gates[s.release % Math.max(gates.length, 1)]?.();
            await settle();
            continue;
          }
          const bytes = s.bad ? FOREIGN : KERNELS;
          const gate = s.fn === "init" && s.slow ? later(bytes) : undefined;
          if (gate) gates.push(gate.release);
          const options = { backend: s.backend, wasm: s.backend === "js" ? undefined : (gate?.source ?? bytes) };
          made.push(s);
          const run: Promise<string> = s.fn === "init" ? pkg.init(options) : new Promise((resolve) => resolve(pkg.initSync(options)));
          run.catch(() => {}); // judged below, once every call has settled
          runs.push(run);
        }
        for (const release of gates) release();
        const results = (await Promise.allSettled(runs)).map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error)));
        results.forEach((r, i) => {
          const c = made[i]!;
          if (c.backend === "js") expect(r).toBe("js");
          else if (!c.bad) expect(r).toBe("wasm");
          else if (r instanceof Error) {
            // A module that is not simdopt's fails its own call, named as that call's option.
            expect(c.backend).toBe("wasm");
            expect(r.message).toMatch(new RegExp(`module given to ${c.fn}\\(\\) is not simdopt's`));
          } else {
            // ...unless the kernels were loaded already: then the call reuses them.
            expect(r === "wasm" || (c.backend === "auto" && r === "js")).toBe(true);
          }
        });
        const last = results.filter((r) => !(r instanceof Error)).at(-1);
        if (last === undefined) expect(() => inUse()).toThrow(/not initialised/);
        else expect(inUse()).toBe(last);
      }),
      { numRuns: 150 },
    );
  });
});

describe("each error names the call's own kernels", () => {
  it("a call without `wasm` is not blamed for a concurrent call's bad module", async () => {
    const bad = later(FOREIGN);
    const withBad = pkg.init({ backend: "wasm", wasm: bad.source });
    const plain = pkg.init({ backend: "wasm" });
    bad.release();
    expect(await plain).toBe("wasm");
    await expect(withBad).rejects.toThrow(/the `wasm` module given to init\(\) is not simdopt's kernel module/);
    expect(inUse()).toBe("wasm");
  });

  it("a bad module fails only the call that gave it, and says it was given to that call", async () => {
    const bad = later(FOREIGN);
    const good = later();
    const withBad = pkg.init({ backend: "wasm", wasm: bad.source });
    const withGood = pkg.init({ backend: "wasm", wasm: good.source });
    bad.release();
    await expect(withBad).rejects.toThrow(/the `wasm` module given to init\(\) is not simdopt's kernel module/);
    good.release();
    expect(await withGood).toBe("wasm");
    expect(inUse()).toBe("wasm");
  });

  it("when the embedded kernels cannot be compiled, the error says so, not that a module was given", async () => {
    const restore = refuseCompiling(() => new WebAssembly.CompileError("compiling is refused here"));
    try {
      const e = await pkg.init({ backend: "wasm" }).catch((x: Error) => x);
      expect(e).toBeInstanceOf(Error);
      expect((e as Error).message).toMatch(/^simdopt: the wasm backend is unavailable: the kernels embedded in simdopt could not be compiled or instantiated: compiling is refused here/);
      expect((e as Error).message).not.toMatch(/given/);
      expect(() => pkg.initSync({ backend: "wasm" })).toThrow(/the kernels embedded in simdopt could not be compiled/);
      expect(await pkg.init()).toBe("js");
      expect(pkg.fallbackReason()).toMatch(/the kernels embedded in simdopt could not be compiled/);
    } finally {
      restore();
    }
  });

  it("initSync names its own `wasm` option", () => {
    expect(() => pkg.initSync({ backend: "wasm", wasm: FOREIGN })).toThrow(/the `wasm` module given to initSync\(\) is not simdopt's/);
    expect(() => pkg.initSync({ backend: "wasm", wasm: new URL("https://example.com/k.wasm") })).toThrow(/given to initSync\(\) must be a WebAssembly.Module or its bytes/);
  });
});

describe("compiling synchronously first", () => {
  afterEach(() => vi.restoreAllMocks());

  it("init() compiles the embedded kernels without the promise-based calls where the engine allows", async () => {
    const compile = vi.spyOn(WebAssembly, "compile");
    const instantiate = vi.spyOn(WebAssembly, "instantiate");
    expect(await pkg.init()).toBe("wasm");
    expect(compile).not.toHaveBeenCalled();
    expect(instantiate).not.toHaveBeenCalled();
  });

  it("where synchronous compilation is refused (a browser's main thread), init() compiles asynchronously", async () => {
    // Chromium's main thread refuses `new WebAssembly.Module` and `new WebAssembly.Instance`
    // for modules over 4 KB with a RangeError.
    const restore = refuseCompiling(undefined);
    try {
      const compile = vi.spyOn(WebAssembly, "compile");
      expect(await pkg.init({ backend: "wasm" })).toBe("wasm");
      expect(compile).toHaveBeenCalledTimes(1);
      expect(inUse()).toBe("wasm");
    } finally {
      restore();
    }
  });

  it("where it is refused, initSync() falls back to JS and says why, or throws for backend 'wasm'", () => {
    const restore = refuseCompiling(undefined);
    try {
      expect(() => pkg.initSync({ backend: "wasm" })).toThrow(/kernels embedded in simdopt could not be compiled or instantiated: WebAssembly.Module is disallowed on the main thread/);
      expect(pkg.initSync()).toBe("js");
      expect(pkg.fallbackReason()).toMatch(/disallowed on the main thread/);
    } finally {
      restore();
    }
  });
});

describe("an engine without wasm SIMD", () => {
  it("falls back to JS and says SIMD is missing, or throws that for backend 'wasm'", async () => {
    // Such an engine rejects the kernels' SIMD instructions, and any probe that uses them.
    const restore = refuseCompiling(() => new WebAssembly.CompileError("invalid opcode 0xfd"));
    const validate = vi.spyOn(WebAssembly, "validate").mockReturnValue(false);
    try {
      await expect(pkg.init({ backend: "wasm" })).rejects.toThrow(/^simdopt: the wasm backend is unavailable: this engine's WebAssembly has no 128-bit SIMD$/);
      expect(() => pkg.initSync({ backend: "wasm" })).toThrow(/no 128-bit SIMD/);
      expect(await pkg.init()).toBe("js");
      expect(pkg.fallbackReason()).toBe("this engine's WebAssembly has no 128-bit SIMD");
    } finally {
      validate.mockRestore();
      restore();
    }
  });
});

/**
 * Makes synchronous compilation refuse modules over 4 KB as a browser's main thread does;
 * with `asyncError`, the promise-based compile fails too, with that error. Returns the undo.
 */
function refuseCompiling(asyncError: (() => Error) | undefined): () => void {
  const wa = WebAssembly as unknown as Record<string, unknown>;
  const saved = { Module: wa.Module, Instance: wa.Instance, compile: wa.compile };
  const RealModule = WebAssembly.Module;
  const RealInstance = WebAssembly.Instance;
  const refuse = (what: string) => new RangeError(`${what} is disallowed on the main thread, if the buffer size is larger than 4KB. Use WebAssembly.compile.`);
  const Module = function (bytes: BufferSource) {
    if (bytes.byteLength > 4096) throw refuse("WebAssembly.Module");
    return new RealModule(bytes);
  } as unknown as typeof WebAssembly.Module;
  Object.defineProperty(Module, Symbol.hasInstance, { value: (x: unknown) => x instanceof RealModule });
  const Instance = function (module: WebAssembly.Module, imports: WebAssembly.Imports) {
    if (module instanceof RealModule) throw refuse("WebAssembly.Instance");
    return new RealInstance(module, imports);
  } as unknown as typeof WebAssembly.Instance;
  wa.Module = Module;
  wa.Instance = Instance;
  if (asyncError) wa.compile = () => Promise.reject(asyncError());
  return () => Object.assign(wa, saved);
}
