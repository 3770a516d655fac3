// saveState()/loadState(): bit-exact round trips, resuming equals never stopping, and every
// damaged or mismatched checkpoint is refused without changing the optimizer.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Adagrad, CheckpointError, init, RMSprop } from "../src/index.js";
import { engineOf } from "../src/optimizer.js";
import { reseal } from "./helpers/checkpoint-bytes.js";
import { decodeF32, fixtureIndex, loadFixture } from "./helpers/fixtures.js";
import { checkStep, makeOptimizer } from "./helpers/replay.js";

const index = fixtureIndex();

function sample(kind: "RMSprop" | "Adagrad") {
  const params = [Float32Array.from({ length: 5 }, (_, i) => i - 2), new Float32Array([0.5, -0.25])];
  const opt = kind === "RMSprop"
    ? new RMSprop([{ params: [params[0]!], centered: true }, { params: [params[1]!], momentum: 0.9 }], { lr: 0.1 })
    : new Adagrad([{ params: [params[0]!], lrDecay: 0.1 }, { params: [params[1]!], weightDecay: 0.01 }]);
  opt.step([new Float32Array([1, -2, 3, 0, 5e-39]), new Float32Array([Infinity, 1])]);
  return { opt, params };
}

/** An optimizer over two tensors of `n` and 2 elements, with every RMSprop buffer, stepped `salt` times. */
function sized(kind: "RMSprop" | "Adagrad", n: number, salt: number) {
  const ps = [Float32Array.from({ length: n }, (_, i) => Math.sin(i + salt)), new Float32Array([0.5, -0.25])];
  const opt = kind === "RMSprop" ? new RMSprop(ps, { momentum: 0.9, centered: true }) : new Adagrad(ps, { lrDecay: 0.1 });
  for (let s = 0; s < salt; s++) opt.step([Float32Array.from({ length: n }, (_, i) => Math.cos(i * s + 1)), new Float32Array([s, 1])]);
  return opt;
}

function copyInto(buffer: ArrayBufferLike, at: number, bytes: Uint8Array): Uint8Array {
  const view = new Uint8Array(buffer, at, bytes.length);
  view.set(bytes);
  return view;
}

/** `fn` must throw a CheckpointError whose message matches `why`. */
function expectRefused(fn: () => unknown, why: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, "the checkpoint was loaded").toBeInstanceOf(CheckpointError);
  expect((err as Error).message).toMatch(why);
}

for (const backend of ["wasm", "js"] as const) {
  describe(`checkpoints (${backend})`, () => {
    it.each(index.map((e) => [e.id, e.file]))("resuming %s from a checkpoint equals never stopping", async (_id, file) => {
      await init({ backend });
      const fx = loadFixture(file);
      const k = Math.max(1, Math.floor(fx.num_steps / 2));
      const first = makeOptimizer(fx, "marshalled");
      for (let s = 0; s < k; s++) first.grad(decodeF32(fx.steps[s]!.grad));
      const bytes = first.opt.saveState();
      const resumed = makeOptimizer(fx, "zero-copy", first.params().slice());
      first.dispose();
      resumed.opt.loadState(bytes);
      expect(resumed.opt.saveState()).toEqual(bytes);
      for (let s = k; s < fx.num_steps; s++) {
        resumed.grad(decodeF32(fx.steps[s]!.grad));
        checkStep(fx, s, resumed.params(), resumed.opt);
      }
      resumed.dispose();
    });

    for (const kind of ["RMSprop", "Adagrad"] as const) {
      it(`${kind}: round trip is bit-exact, including options and policy`, async () => {
        await init({ backend });
        const a = sample(kind);
        a.opt.nonFinite = "skip";
        for (let i = 0; i < 3; i++) expect(a.opt.step(a.params.map((p) => new Float32Array(p.length).fill(NaN)))).toBe(false);
        const bytes = a.opt.saveState();
        const b = sample(kind);
        b.opt.paramGroups[0]!.lr = 0.5;
        b.opt.loadState(bytes);
        expect(b.opt.saveState()).toEqual(bytes);
        expect(b.opt.stateDict()).toEqual(a.opt.stateDict());
        expect(b.opt.nonFinite).toBe("skip");
        expect(b.opt.skippedSteps).toBe(3);
        expect(b.opt.paramGroups[0]!.lr).toBe(a.opt.paramGroups[0]!.lr);
      });

      it(`${kind}: refuses every truncation and every single bit flip, changing nothing`, async () => {
        await init({ backend });
        const good = sample(kind).opt.saveState();
        const target = sample(kind).opt;
        target.step([new Float32Array(5).fill(0.5), new Float32Array(2).fill(-1)]);
        const before = target.saveState();
        // What each damage is reported as: a cut inside the smallest checkpoint is "truncated",
        // a longer cut no longer matches its checksum; a flipped bit is "bad magic" in the
        // magic, a version in the version field, and a checksum mismatch anywhere else.
        for (let len = 0; len < good.length; len++) {
          const why = len < 29 ? new RegExp(`truncated checkpoint \\(${len} bytes`) : /checksum mismatch: the checkpoint is truncated or corrupted/;
          expectRefused(() => target.loadState(good.slice(0, len)), why);
        }
        for (let bit = 0; bit < good.length * 8; bit++) {
          const bad = good.slice();
          bad[bit >> 3]! ^= 1 << (bit & 7);
          const at = bit >> 3;
          const why = at < 8 ? /not a simdopt checkpoint \(bad magic\)/
            : at < 10 ? new RegExp(`checkpoint format version ${1 ^ (1 << (bit - 64))}; this build reads versions 1 and 2`)
            : /checksum mismatch/;
          expectRefused(() => target.loadState(bad), why);
        }
        expect(target.saveState()).toEqual(before);
      });

      it(`${kind}: loads what was written to disk and read back as a Buffer, and any view at any offset`, async () => {
        await init({ backend });
        // A Buffer is a view into a larger pool (small files) or its own memory (large ones);
        // both sizes, and views at odd offsets of a larger buffer, load bit for bit.
        const dir = mkdtempSync(join(tmpdir(), "simdopt-checkpoint-"));
        try {
          for (const n of [5, 3001]) {
            const a = sized(kind, n, 1);
            const bytes = a.saveState();
            const file = join(dir, `${kind}-${n}.bin`);
            writeFileSync(file, bytes);
            const big = new Uint8Array(bytes.length + 11);
            big.set(bytes, 5);
            const views: Array<[string, Uint8Array]> = [
              ["readFileSync", readFileSync(file)],
              ["Buffer.from(bytes)", Buffer.from(bytes)],
              ["a Uint8Array at byteOffset 5", big.subarray(5, 5 + bytes.length)],
              ["a Buffer at byteOffset 5", Buffer.from(big.buffer, 5, bytes.length)],
              ["a Uint8Array at byteOffset 3 of a SharedArrayBuffer", copyInto(new SharedArrayBuffer(bytes.length + 8), 3, bytes)],
            ];
            for (const [how, view] of views) {
              const b = sized(kind, n, 2);
              b.loadState(view);
              expect(b.saveState(), `${how}, ${bytes.length} bytes`).toEqual(bytes);
              expect(b.stateDict(), how).toEqual(a.stateDict());
              b.dispose();
            }
            a.dispose();
          }
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
    }

    it("reads the bytes themselves, whatever a Uint8Array subclass claims for length, offset or buffer", async () => {
      await init({ backend });
      const a = sized("RMSprop", 7, 2);
      const bytes = a.saveState();
      class Lying extends Uint8Array {
        override get length() {
          return 3;
        }
        override get byteOffset() {
          return 0;
        }
        override get buffer() {
          return new ArrayBuffer(8);
        }
      }
      const holder = new ArrayBuffer(bytes.length + 9);
      const lying = new Lying(holder, 9, bytes.length);
      lying.set(bytes);
      const b = sized("RMSprop", 7, 1);
      b.loadState(lying);
      expect(b.saveState()).toEqual(bytes);
      expect(() => b.loadState(new Proxy(bytes, {}))).toThrow(
        new TypeError("RMSprop.loadState: expected a Uint8Array, got an object that is not a Uint8Array (a Proxy of one, or an object inheriting from one)"));
    });

    it("saveState refuses a skipped-step count that loadState would refuse, rather than write it", async () => {
      await init({ backend });
      const opt = sized("Adagrad", 3, 1);
      // skippedSteps is read-only in the API; the engine's count is set directly to test the writer.
      for (const bad of [0.5, -1, NaN, Infinity]) {
        engineOf(opt).skippedSteps = bad;
        expect(() => opt.saveState()).toThrow(new RangeError(`Adagrad.saveState: skippedSteps must be a whole number >= 0, got ${bad}`));
      }
      engineOf(opt).skippedSteps = 2;
      const other = sized("Adagrad", 3, 0);
      other.loadState(opt.saveState());
      expect(other.skippedSteps).toBe(2);
    });

    it("an Adagrad whose only group has no tensors loads its own checkpoint and state dict", async () => {
      await init({ backend });
      const opt = new Adagrad([{ params: [] }], { lr: 0.5 });
      const bytes = opt.saveState();
      const sd = opt.stateDict();
      opt.loadState(bytes);
      opt.loadStateDict(sd);
      expect(opt.saveState()).toEqual(bytes);
      const other = new Adagrad([{ params: [] }]);
      other.loadState(bytes);
      expect(other.saveState()).toEqual(bytes);
      expect(other.paramGroups[0]!.lr).toBe(0.5);
    });

    it("refuses other versions, other optimizers and other shapes with clear errors", async () => {
      await init({ backend });
      const rms = sample("RMSprop").opt;
      const bytes = rms.saveState();
      const before = rms.saveState();
      const v3 = bytes.slice();
      v3[8] = 3;
      expect(() => rms.loadState(reseal(v3))).toThrow(/format version 3; this build reads versions 1 and 2/);
      expect(() => sample("Adagrad").opt.loadState(bytes)).toThrow(/is for RMSprop, not Adagrad/);
      const other = new RMSprop([{ params: [new Float32Array(5)] }, { params: [new Float32Array(3)] }]);
      expectRefused(() => other.loadState(bytes), /tensor 1 has 2 element\(s\) in the checkpoint, 3 here/);
      const oneGroup = new RMSprop([new Float32Array(5), new Float32Array(2)]);
      expectRefused(() => oneGroup.loadState(bytes), /the checkpoint has 2 param group\(s\), this optimizer 1/);
      const moved = new RMSprop([{ params: [] }, { params: [new Float32Array(5), new Float32Array(2)] }]);
      expectRefused(() => moved.loadState(bytes), /param group 0 has 1 tensor\(s\) in the checkpoint, 0 here/);
      expect(() => rms.loadState([1, 2, 3] as unknown as Uint8Array)).toThrow(TypeError);
      expect(() => rms.loadState(new Uint8Array(100))).toThrow(/bad magic/);
      expect(rms.saveState()).toEqual(before);
    });

    it("an RMSprop checkpoint taken before the first step restores the no-state condition", async () => {
      await init({ backend });
      const fresh = new RMSprop([new Float32Array(4)], { momentum: 0.5 });
      const bytes = fresh.saveState();
      const used = new RMSprop([new Float32Array(4)], { momentum: 0.5 });
      used.step([new Float32Array(4).fill(1)]);
      used.loadState(bytes);
      expect(used.stateDict().state).toEqual([]);
      expect(used.saveState()).toEqual(bytes);
    });
  });
}
