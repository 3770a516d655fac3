// Gradient clipping: torch's clip_grad_norm_ golden files on both backends, for caller-owned
// arrays and for a ParamStore; agreement of every path with each other and with a plain model of
// FORMULAS-2.md on random inputs (NaN, ±Inf, subnormals, overflowing squares, lengths across the
// 8-lane, 4-lane and staging boundaries); gradNorm; errorIfNonfinite; and bad input refused
// without changing anything.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { STAGING_ELEMENTS, type BackendName } from "../src/backend.js";
import { clipGradNorm, gradNorm, init, ParamStore, RMSprop, StaleViewError } from "../src/index.js";
import { currentBackend } from "../src/runtime.js";
import { decodeF32, expectBits, firstBitDiff } from "./helpers/fixtures.js";
import { rngOf } from "./helpers/random.js";
import { setMemoryMode } from "../src/wasm/memory.js";

// Some tests here check the rules of non-shared memory (growth detaches views: StaleViewError);
// test/shared-memory.test.ts checks those of shared memory, the default where it exists.
setMemoryMode("unshared");

const CLIP_DIR = join(import.meta.dirname, "fixtures", "torch-round2", "clip");
const BACKENDS: readonly BackendName[] = ["wasm", "js"];

type F32 = { b64: string };
interface ClipFixture {
  format: string;
  id: string;
  max_norm: number;
  norm_type: number | "inf";
  grads: F32[];
  total_norm: F32;
  clipped: F32[];
}

const clipIndex: Array<{ file: string; format: string; sha256: string }> =
  JSON.parse(readFileSync(join(CLIP_DIR, "index.json"), "utf8")).fixtures;
const loadClip = (file: string): ClipFixture => JSON.parse(readFileSync(join(CLIP_DIR, file), "utf8"));

const f = Math.fround;
const sameNumber = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
const bitsOf = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

// --- targets: the same gradients as caller-owned arrays or in a ParamStore --------------------

type TargetKind = "arrays" | "store";

interface Target {
  target: Float32Array[] | ParamStore;
  /** The gradients as they are now. */
  grads: () => Float32Array[];
  dispose: () => void;
}

function targetOf(kind: TargetKind, grads: readonly Float32Array[]): Target {
  if (kind === "arrays") {
    const own = grads.map((g) => g.slice());
    return { target: own, grads: () => own, dispose: () => {} };
  }
  const names = grads.map((_, i) => `t${i}`);
  const store = new ParamStore(Object.fromEntries(grads.map((g, i) => [names[i], g.length])));
  grads.forEach((g, i) => store.grad(names[i]!).set(g));
  return { target: store, grads: () => store.grads(), dispose: () => store.dispose() };
}

// --- a plain model of FORMULAS-2.md, to check random inputs against ---------------------------

function modelL2(x: Float32Array): number {
  const lanes = new Float32Array(8); // a store rounds to float32
  const full = x.length - (x.length % 8);
  for (let i = 0; i < full; i++) lanes[i % 8] = lanes[i % 8]! + f(x[i]! * x[i]!);
  let b = lanes[0]!;
  for (let j = 1; j < 8; j++) b = f(b + lanes[j]!);
  for (let i = full; i < x.length; i++) b = f(b + f(x[i]! * x[i]!));
  return f(Math.sqrt(b));
}

function modelMaxAbs(x: Float32Array): number {
  let m = 0;
  for (const v of x) m = Math.max(m, Math.abs(v)); // Math.max: NaN wins
  return m;
}

function modelClip(grads: readonly Float32Array[], maxNorm: number, normType: number): { total: number; clipped: Float32Array[] } {
  const norms = Float32Array.from(grads, normType === 2 ? modelL2 : modelMaxAbs);
  const total = normType === 2 ? modelL2(norms) : modelMaxAbs(norms);
  const coef = Math.min(f(f(1 / f(total + f(1e-6))) * f(maxNorm)), 1); // Math.min keeps NaN
  return { total, clipped: grads.map((g) => g.map((v) => f(v * coef))) };
}

// --- golden files ---------------------------------------------------------------------------

describe("clip fixture set", () => {
  it("holds the 6 clip-golden/1 fixtures, unchanged from the shared copy", () => {
    expect(clipIndex).toHaveLength(6);
    for (const e of clipIndex) {
      const bytes = readFileSync(join(CLIP_DIR, e.file));
      expect(createHash("sha256").update(bytes).digest("hex"), e.file).toBe(e.sha256);
      expect(e.format).toBe("clip-golden/1");
      expect(loadClip(e.file).format).toBe("clip-golden/1");
    }
  });
});

for (const backend of BACKENDS) {
  for (const kind of ["arrays", "store"] as const) {
    describe(`torch clip_grad_norm_ fixtures, ${backend} backend, ${kind}`, () => {
      it.each(clipIndex.map((e) => [e.file]))("%s", async (file) => {
        expect(await init({ backend })).toBe(backend);
        const fx = loadClip(file);
        const t = targetOf(kind, fx.grads.map(decodeF32));
        const normType = fx.norm_type === "inf" ? Infinity : fx.norm_type;
        const want = decodeF32(fx.total_norm)[0]!;
        expect(sameNumber(gradNorm(t.target, fx.norm_type), want), `gradNorm ${gradNorm(t.target, normType)} vs ${want}`).toBe(true);
        const total = clipGradNorm(t.target, fx.max_norm, { normType });
        expect(sameNumber(total, want), `total norm ${total} vs ${want}`).toBe(true);
        t.grads().forEach((g, i) => expectBits(g, decodeF32(fx.clipped[i]!), `${fx.id} grads[${i}]`));
        t.dispose();
      });
    });
  }
}

// --- random inputs: every path agrees with the others and with the model ----------------------


const bitsToF32 = (u: number) => new Float32Array(Uint32Array.of(u >>> 0).buffer)[0]!;
const FINITE_EXTREMES = [
  0, -0, bitsToF32(0x00000001), bitsToF32(0x807fffff), bitsToF32(0x00800000), 1e-30, -1e-20,
  3.4028234663852886e38, -3e38, 1.8e19, -1.8446744e19, 1e10,
];
const NON_FINITE = [NaN, Infinity, -Infinity];

type Mix = "normal" | "extremes" | "nonfinite";

function values(r: () => number, n: number, mix: Mix): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = r();
    if (mix === "nonfinite" && u < 0.01) a[i] = NON_FINITE[Math.floor(r() * 3)]!;
    else if (mix !== "normal" && u < 0.1) a[i] = FINITE_EXTREMES[Math.floor(r() * FINITE_EXTREMES.length)]!;
    else if (mix !== "normal" && u < 0.4) a[i] = (r() < 0.5 ? -1 : 1) * 10 ** (r() * 76 - 38);
    else a[i] = (r() - 0.5) * 4;
  }
  return a;
}

const LENGTHS = [
  ...Array.from({ length: 71 }, (_, i) => i), 1000, 1027,
  STAGING_ELEMENTS - 1, STAGING_ELEMENTS + 5, 2 * STAGING_ELEMENTS + 13,
];

describe("every backend and target agrees with the model, bit for bit", () => {
  const paths = BACKENDS.flatMap((b) => (["arrays", "store"] as const).map((k) => [b, k] as const));
  for (const mix of ["normal", "extremes", "nonfinite"] as const) {
    for (const normType of [2, Infinity]) {
      it(`${mix} values, norm ${normType}, lengths 0..70, 1000, 1027 and across the staging block`, async () => {
        let cases = 0;
        for (const n of LENGTHS) {
          const r = rngOf(n * 7919 + (mix === "normal" ? 1 : mix === "extremes" ? 2 : 3) + (normType === 2 ? 0 : 100));
          // The long tensor alone, and after tensors of other lengths so it is not first.
          const lists = [[n], [Math.floor(r() * 20), n, 1 + Math.floor(r() * 9)]];
          for (const lengths of lists) {
            const grads = lengths.map((k) => values(r, k, mix));
            const maxNorm = r() < 0.25 ? 1e30 : r() * 3;
            const want = modelClip(grads, maxNorm, normType);
            for (const [backend, kind] of paths) {
              await init({ backend });
              const t = targetOf(kind, grads);
              const where = `${backend} ${kind} ${mix} norm ${normType} lengths ${lengths}`;
              const total = clipGradNorm(t.target, maxNorm, { normType });
              expect(sameNumber(total, want.total), `${where}: total ${total}, model ${want.total}`).toBe(true);
              t.grads().forEach((g, i) => expectBits(g, want.clipped[i]!, `${where}: grads[${i}]`));
              t.dispose();
              cases++;
            }
          }
        }
        expect(cases).toBe(LENGTHS.length * 2 * paths.length);
      });
    }
  }
});

describe("kernels", () => {
  it.each(BACKENDS.map((b) => [b]))("%s: l2NormLanes over pieces of 8k elements equals l2Norm", async (backend) => {
    await init({ backend });
    const { heap, kernels } = currentBackend();
    const r = rngOf(99);
    for (const n of [0, 7, 8, 9, 64, 1027]) {
      const x = values(r, n, "extremes");
      const ptr = heap.alloc(n * 4 + 64);
      const lanes = ptr + n * 4 + (16 - ((n * 4) % 16)) % 16; // 16-byte aligned, after the data
      heap.f32.set(x, ptr / 4);
      const whole = kernels.l2Norm(n, ptr);
      expect(sameNumber(whole, modelL2(x)), `n=${n}`).toBe(true);
      for (const piece of [8, 16, 1024]) {
        heap.f32.fill(0, lanes / 4, lanes / 4 + 8);
        let last = 0;
        for (let s = 0; s < n; s += piece) last = kernels.l2NormLanes(Math.min(piece, n - s), ptr + s * 4, lanes);
        if (n > 0) expect(sameNumber(last, whole), `n=${n} piece=${piece}: ${last} vs ${whole}`).toBe(true);
      }
      heap.release(ptr);
    }
  });

  it("wasm: caller-owned arrays go through the backend's staging block and never grow memory", async () => {
    await init({ backend: "wasm" });
    const { heap } = currentBackend();
    const g = values(rngOf(5), 3 * STAGING_ELEMENTS + 3, "normal");
    const used = heap.usedBytes;
    const capacity = heap.capacityBytes;
    const generation = heap.generation;
    clipGradNorm([g], 0.5);
    expect([heap.usedBytes, heap.capacityBytes, heap.generation]).toEqual([used, capacity, generation]);
  });
});

// --- gradNorm, errorIfNonfinite, the store's padding -------------------------------------------

describe("gradNorm", () => {
  for (const backend of BACKENDS) {
    for (const kind of ["arrays", "store"] as const) {
      it(`${backend}, ${kind}: equals clipGradNorm's return and changes nothing`, async () => {
        await init({ backend });
        const r = rngOf(11);
        for (const normType of [2, Infinity, "inf"] as const) {
          const grads = [values(r, 37, "extremes"), values(r, 8, "normal"), values(r, 1000, "normal")];
          const t = targetOf(kind, grads);
          const norm = gradNorm(t.target, normType);
          t.grads().forEach((g, i) => expect(bitsOf(g)).toEqual(bitsOf(grads[i]!)));
          expect(sameNumber(clipGradNorm(t.target, 0.1, { normType }), norm)).toBe(true);
          expect(firstBitDiff(t.grads()[2]!, grads[2]!)).toBeGreaterThanOrEqual(0); // it did clip
          t.dispose();
        }
        expect(gradNorm(targetOf(kind, []).target)).toBe(0);
      });
    }
  }
});

describe("errorIfNonfinite", () => {
  for (const backend of BACKENDS) {
    for (const kind of ["arrays", "store"] as const) {
      it(`${backend}, ${kind}: a NaN or ±Inf total throws a RangeError naming it and scales nothing`, async () => {
        await init({ backend });
        for (const [bad, shown] of [[NaN, "NaN"], [-Infinity, "Infinity"], [3e38, "Infinity"]] as const) {
          for (const normType of [2, Infinity]) {
            if (normType === Infinity && bad === 3e38) continue; // finite under max |x|
            const grads = [Float32Array.of(1, 2, 3), Float32Array.of(0.5, bad, -4)];
            const t = targetOf(kind, grads);
            expect(() => clipGradNorm(t.target, 1, { normType, errorIfNonfinite: true }))
              .toThrow(new RegExp(`^clipGradNorm: the total (2|inf)-norm of the gradients is ${shown}`));
            expect(() => clipGradNorm(t.target, 1, { normType, errorIfNonfinite: true })).toThrow(RangeError);
            t.grads().forEach((g, i) => expect(bitsOf(g)).toEqual(bitsOf(grads[i]!)));
            t.dispose();
          }
        }
      });

      it(`${backend}, ${kind}: by default a non-finite total scales anyway, as torch`, async () => {
        await init({ backend });
        const nan = targetOf(kind, [Float32Array.of(1, -2), Float32Array.of(NaN)]);
        expect(clipGradNorm(nan.target, 1)).toBeNaN();
        expect(nan.grads().flatMap((g) => Array.from(g)).every(Number.isNaN)).toBe(true);
        nan.dispose();
        // total = Inf gives coef = 1 / Inf * maxNorm = 0: finite grads become ±0, infinite ones NaN.
        const inf = targetOf(kind, [Float32Array.of(1, -2), Float32Array.of(Infinity)]);
        expect(clipGradNorm(inf.target, 1)).toBe(Infinity);
        expect(inf.grads().map((g) => Array.from(g))).toEqual([[0, -0], [NaN]]);
        inf.dispose();
        const fine = targetOf(kind, [Float32Array.of(3, 4)]);
        const twin = targetOf(kind, [Float32Array.of(3, 4)]);
        expect(clipGradNorm(fine.target, 1, { errorIfNonfinite: true })).toBe(clipGradNorm(twin.target, 1));
        expect(bitsOf(fine.grads()[0]!)).toEqual(bitsOf(twin.grads()[0]!));
        fine.dispose();
        twin.dispose();
      });
    }
  }
});

describe("ParamStore target", () => {
  it.each(BACKENDS.map((b) => [b]))("%s: clips only the tensors, not the padding between them", async (backend) => {
    await init({ backend });
    // Lengths 5 and 3 leave padding in the gradient block; an optimizer scans the whole block.
    const store = new ParamStore({ a: 5, b: 3 });
    const opt = new RMSprop(store, { nonFinite: "throw" });
    store.grad("a").set([1, NaN, 2, 3, 4]);
    expect(clipGradNorm(store, 1)).toBeNaN();
    store.grad("a").set([1, 2, 3, 4, 5]);
    store.grad("b").set([1, 2, 3]);
    expect(opt.step()).toBe(true); // would throw if NaN had been written into the padding
    opt.dispose();
    store.dispose();
  });

  it.each(BACKENDS.map((b) => [b]))("%s: refuses a disposed store and one with views from before a growth", async (backend) => {
    await init({ backend });
    const disposed = new ParamStore({ w: 4 });
    disposed.dispose();
    expect(() => clipGradNorm(disposed, 1)).toThrow(/^clipGradNorm: target is a ParamStore that was disposed$/);
    expect(() => gradNorm(disposed)).toThrow(TypeError);

    const store = new ParamStore({ w: 4 }, { reserve: 0 });
    store.grad("w").set([3, 4, 0, 0]);
    const heap = store.runtime.heap;
    const big = new ParamStore({ big: Math.ceil((heap.capacityBytes - heap.usedBytes) / 4) + 16 }, { reserve: 0 });
    expect(() => clipGradNorm(store, 1)).toThrow(StaleViewError);
    expect(Array.from(store.grad("w"))).toEqual([3, 4, 0, 0]); // re-read: unchanged
    expect(clipGradNorm(store, 1)).toBe(5);
    big.dispose();
    store.dispose();
  });
});

// --- bad input ------------------------------------------------------------------------------

describe("validation: bad input is refused, naming it, and changes nothing", () => {
  for (const backend of BACKENDS) {
    it(`${backend} backend`, async () => {
      await init({ backend });
      const a = Float32Array.of(3, 4, -12), b = Float32Array.of(0.5, 1e-3);
      const before = [bitsOf(a), bitsOf(b)];
      const store = new ParamStore({ w: 3 });
      store.grad("w").set([3, 4, -12]);
      const storeBefore = bitsOf(store.grad("w"));
      const bad = (fn: () => unknown, E: typeof TypeError, msg: RegExp) => {
        expect(fn).toThrow(E);
        expect(fn).toThrow(msg);
        expect([bitsOf(a), bitsOf(b)]).toEqual(before);
        expect(bitsOf(store.grad("w"))).toEqual(storeBefore);
      };
      const c = (maxNorm: unknown, options?: unknown) => () =>
        clipGradNorm([a, b], maxNorm as number, options as object);

      // maxNorm: a finite number >= 0.
      bad(c("1"), TypeError, /^clipGradNorm: maxNorm must be a number, got "1"$/);
      for (const [v, shown] of [[-1, "-1"], [-1e-30, "-1e-30"], [NaN, "NaN"], [Infinity, "Infinity"], [-Infinity, "-Infinity"]] as const) {
        bad(c(v), RangeError, new RegExp(`^clipGradNorm: maxNorm must be a finite number >= 0, got ${shown}$`));
        bad(() => clipGradNorm(store, v), RangeError, /maxNorm must be a finite number >= 0/);
      }
      // normType: 2 or Infinity ("inf") only.
      for (const [v, shown] of [[1, "1"], [3, "3"], [0, "0"], [-Infinity, "-Infinity"], [2.5, "2.5"], ["fro", '"fro"'], ["2", '"2"']] as const) {
        bad(c(1, { normType: v }), RangeError,
          new RegExp(`^clipGradNorm: options\\.normType must be 2 or Infinity \\("inf"\\), got ${shown}$`));
        bad(() => gradNorm([a, b], v as number), RangeError, /^gradNorm: normType must be 2 or Infinity \("inf"\)/);
      }
      bad(c(1, { normType: null }), TypeError, /options\.normType must be 2 or Infinity \("inf"\), got null/);
      // Options.
      bad(c(1, null), TypeError, /^clipGradNorm: options must be an object, got null$/);
      bad(c(1, { norm_type: 2 }), TypeError, /unknown option "norm_type" \(known: normType, errorIfNonfinite\)/);
      bad(c(1, { errorIfNonfinite: 1 }), TypeError, /options\.errorIfNonfinite must be a boolean, got 1/);
      // Targets.
      bad(() => clipGradNorm(42 as never, 1), TypeError, /^clipGradNorm: target must be a ParamStore or an array of Float32Array, got 42$/);
      bad(() => clipGradNorm(a as never, 1), TypeError, /target must be a ParamStore or an array of Float32Array, got Float32Array/);
      bad(() => gradNorm({ grads: [a] } as never), TypeError, /^gradNorm: target must be a ParamStore/);
      bad(() => clipGradNorm([a, new Float64Array(2)] as never, 1), TypeError, /^clipGradNorm: target\[1\] must be a Float32Array, got Float64Array$/);
      bad(() => clipGradNorm([a, [1, 2]] as never, 1), TypeError, /target\[1\] must be a Float32Array, got an array/);
      bad(() => clipGradNorm([a, b, a], 1), TypeError, /^clipGradNorm: target\[0\] and target\[2\] share memory; each gradient may appear once$/);
      bad(() => clipGradNorm([a, a.subarray(1, 2)], 1), TypeError, /target\[0\] and target\[1\] share memory/);
      const gone = new Float32Array(4);
      structuredClone(gone.buffer, { transfer: [gone.buffer] });
      bad(() => clipGradNorm([a, gone], 1), TypeError, /^clipGradNorm: target\[1\] is detached/);
      bad(() => gradNorm([gone]), TypeError, /^gradNorm: target\[0\] is detached/);

      // Good input after all that: zero-length arrays are fine, -0 counts as 0.
      expect(clipGradNorm([new Float32Array(0), a.subarray(0, 0)], 1)).toBe(0);
      const z1 = Float32Array.of(2, -3), z2 = Float32Array.of(2, -3);
      clipGradNorm([z1], -0);
      clipGradNorm([z2], 0);
      expect(bitsOf(z1)).toEqual(bitsOf(z2));
      expect(Array.from(z2)).toEqual([0, -0]);
      store.dispose();
    });
  }
});

describe("optimizer target", () => {
  for (const backend of BACKENDS) {
    it(`clips a store optimizer's slots and a caller-owned optimizer's last grads (${backend})`, async () => {
      await init({ backend });
      const store = new ParamStore({ a: 9, b: 1030 });
      store.grad("a").fill(3);
      store.grad("b").fill(-2);
      const ref = [store.grad("a").slice(), store.grad("b").slice()];
      const opt = new RMSprop(store);
      const want = clipGradNorm(ref, 1);
      expect(clipGradNorm(opt, 1)).toBe(want);
      expect(firstBitDiff(store.grad("a"), ref[0]!)).toBe(-1);
      expect(firstBitDiff(store.grad("b"), ref[1]!)).toBe(-1);

      const w = [new Float32Array(5), new Float32Array(300)];
      const g = [new Float32Array(5).fill(4), new Float32Array(300).fill(0.5)];
      const own = new RMSprop(w);
      expect(() => clipGradNorm(own, 1)).toThrow(/params\[0\].*no grads from a step\(\) yet/);
      own.step(g);
      g[0]!.fill(4);
      g[1]!.fill(0.5);
      const twin = g.map((x) => x.slice());
      expect(clipGradNorm(own, 0.5)).toBe(clipGradNorm(twin, 0.5));
      g.forEach((x, i) => expect(firstBitDiff(x, twin[i]!)).toBe(-1));
      expect(gradNorm(own)).toBe(gradNorm(twin));
      opt.dispose();
      own.dispose();
      store.dispose();
    });
  }
});
