// saveState()/loadState(): bit-exact round trips, resuming equals never stopping, and every
// damaged or mismatched checkpoint is refused without changing the optimizer.
import { describe, expect, it } from "vitest";
import { Adagrad, CheckpointError, init, RMSprop } from "../src/index.js";
import { crc32 } from "../src/checkpoint.js";
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

/** Rewrites the CRC so that a deliberate edit is judged on its content, not the checksum. */
function reseal(b: Uint8Array): Uint8Array {
  new DataView(b.buffer).setUint32(b.length - 4, crc32(b, b.length - 4), true);
  return b;
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
        let refused = 0;
        for (let len = 0; len < good.length; len++) {
          expect(() => target.loadState(good.slice(0, len))).toThrow(CheckpointError);
          refused++;
        }
        for (let bit = 0; bit < good.length * 8; bit++) {
          const bad = good.slice();
          bad[bit >> 3]! ^= 1 << (bit & 7);
          expect(() => target.loadState(bad)).toThrow(CheckpointError);
          refused++;
        }
        expect(refused).toBe(good.length * 9);
        expect(target.saveState()).toEqual(before);
      });
    }

    it("refuses other versions, other optimizers and other shapes with clear errors", async () => {
      await init({ backend });
      const rms = sample("RMSprop").opt;
      const bytes = rms.saveState();
      const before = rms.saveState();
      const v2 = bytes.slice();
      v2[8] = 2;
      expect(() => rms.loadState(reseal(v2))).toThrow(/format version 2; this build reads version 1/);
      expect(() => sample("Adagrad").opt.loadState(bytes)).toThrow(/is for RMSprop, not Adagrad/);
      const other = new RMSprop([new Float32Array(5), new Float32Array(3)]);
      expect(() => other.loadState(bytes)).toThrow(/tensor 1 has 2 element\(s\) in the checkpoint, 3 here/);
      const fewer = new RMSprop([new Float32Array(5)]);
      expect(() => fewer.loadState(bytes)).toThrow(CheckpointError);
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
