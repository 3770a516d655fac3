// Crafted checkpoints: files with a valid checksum whose counts claim more than the bytes or the
// optimizer hold. Each is refused with a CheckpointError at the first count that does not fit,
// before anything is built from it (the message names that count), and changes nothing.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CheckpointError, init, RMSprop } from "../src/index.js";
import { ByteWriter, firstByteDiff, HEADER_BYTES, MAGIC, reseal } from "./helpers/checkpoint-bytes.js";

const RMSPROP = 1;
const SIZES = [10 * 1024, 60 * 1024, 1024 * 1024];

function refusal(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected the checkpoint to be refused, but it loaded");
}

/** Must be refused with a CheckpointError matching `message`, leaving `opt` as it was. */
function refuses(opt: RMSprop, bytes: Uint8Array, message: RegExp): void {
  const before = opt.saveState();
  const e = refusal(() => opt.loadState(bytes));
  expect(e, `${e.name}: ${e.message}`).toBeInstanceOf(CheckpointError);
  expect(e.message).toMatch(message);
  expect(firstByteDiff(opt.saveState(), before)).toBe(-1);
}

/** The optimizer every crafted file is offered to: two groups, tensors of 5 and 3, with state. */
function target(): RMSprop {
  const opt = new RMSprop([{ params: [new Float32Array(5)], momentum: 0.9 }, { params: [new Float32Array(3)], centered: true }]);
  opt.step([new Float32Array(5).fill(1), new Float32Array(3).fill(-1)]);
  return opt;
}

/** The start of a file for target(): header, then its two groups without options. */
const twoGroups = (w = new ByteWriter()) => w.header({ kind: RMSPROP, groups: 2 }).u32(1).u8(0).u32(1).u8(0);

for (const backend of ["wasm", "js"] as const) {
  describe(`crafted checkpoints (${backend})`, () => {
    for (const size of SIZES) {
      const kb = `${size / 1024} KB`;

      it(`${kb}: as many groups as the bytes hold, each claiming as many tensors as the file has bytes`, async () => {
        await init({ backend });
        const groups = Math.floor((size - HEADER_BYTES - 4) / 5);
        const w = new ByteWriter().header({ kind: RMSPROP, groups });
        for (let g = 0; g < groups; g++) w.u32(size - 32).u8(0);
        const bytes = w.padTo(size).seal();
        expect(bytes.length).toBe(size);
        refuses(target(), bytes, new RegExp(`has ${groups} param group\\(s\\), this optimizer 2;`));
      });

      it(`${kb}: a group count of 2^32 - 1`, async () => {
        await init({ backend });
        refuses(target(), new ByteWriter().header({ kind: RMSPROP, groups: 2 ** 32 - 1 }).padTo(size).seal(),
          /has 4294967295 param group\(s\), this optimizer 2;/);
      });

      it(`${kb}: the first group claims as many tensors as the bytes hold`, async () => {
        await init({ backend });
        const claim = Math.floor((size - HEADER_BYTES - 4) / 13);
        const bytes = new ByteWriter().header({ kind: RMSPROP, groups: 2 }).u32(claim).u8(0).padTo(size).seal();
        refuses(target(), bytes, new RegExp(`param group 0 has ${claim} tensor\\(s\\) in the checkpoint, 1 here;`));
      });

      it(`${kb}: a tensor claims as many elements as the bytes hold`, async () => {
        await init({ backend });
        const w = twoGroups();
        const claim = Math.floor((size - w.length - 4 - 13) / 12);
        const bytes = w.u32(claim).f64(1).u8(0b111).padTo(size).seal();
        refuses(target(), bytes, new RegExp(`tensor 0 has ${claim} element\\(s\\) in the checkpoint, 5 here;`));
      });

      it(`${kb}: a group claims 255 options with names as long as they can be`, async () => {
        await init({ backend });
        const w = new ByteWriter().header({ kind: RMSPROP, groups: 2 }).u32(1).u8(255);
        for (let k = 0; k < 255 && w.length + 265 < size - 4; k++) w.option("x".repeat(255), 1);
        refuses(target(), w.padTo(size).seal(), /param group 0 claims 255 option\(s\); RMSprop has 9;/);
      });

      it(`${kb}: a tensor of the right length whose buffers the bytes cannot hold`, async () => {
        await init({ backend });
        const n = 1 << 18;
        const opt = new RMSprop([new Float32Array(n)], { momentum: 0.5, centered: true });
        opt.step([new Float32Array(n).fill(1)]);
        const w = new ByteWriter().header({ kind: RMSPROP, groups: 1 }).u32(1).u8(0);
        const rest = size - w.length - 4 - 13;
        const bytes = w.u32(n).f64(1).u8(0b111).padTo(size).seal();
        refuses(opt, bytes, new RegExp(`truncated checkpoint: tensor 0 holds 3 buffer\\(s\\) of ${n} element\\(s\\) \\(${12 * n} bytes\\), but ${rest} byte\\(s\\) remain;`));
        opt.dispose();
      });
    }

    for (const size of SIZES.slice(0, 2)) {
      it(`${size / 1024} KB: an optimizer with more tensors than the bytes can describe`, async () => {
        await init({ backend });
        const tensors = 5000;
        const opt = new RMSprop([{ params: Array.from({ length: tensors }, () => new Float32Array(1)) }]);
        const w = new ByteWriter().header({ kind: RMSPROP, groups: 1 }).u32(tensors).u8(0);
        const rest = size - w.length - 4;
        refuses(opt, w.padTo(size).seal(),
          new RegExp(`truncated checkpoint: param group 0 has ${tensors} tensor\\(s\\), which need at least ${13 * tensors} bytes, but ${rest} byte\\(s\\) remain;`));
        opt.dispose();
      });
    }

    it("an option named __proto__, constructor or toString is refused like any unknown name", async () => {
      await init({ backend });
      // A complete checkpoint of RMSprop([2 elements]) before its first step, with one option.
      const file = (name: string) => new ByteWriter().header({ kind: RMSPROP, groups: 1, flags: 0 })
        .u32(1).u8(1).option(name, 0.5).u32(2).f64(0).u8(0).seal();
      const opt = new RMSprop([new Float32Array(2)]);
      opt.loadState(file("lr"));
      expect(opt.paramGroups[0]!.lr).toBe(0.5);
      for (const name of ["__proto__", "constructor", "toString", "hasOwnProperty", "params"]) {
        refuses(opt, file(name), new RegExp(`unknown key "${name}"`));
      }
      expect(opt.paramGroups[0]!.lr).toBe(0.5);
    });

    it("an option given twice is refused", async () => {
      await init({ backend });
      const bytes = new ByteWriter().header({ kind: RMSPROP, groups: 1, flags: 0 })
        .u32(1).u8(2).option("lr", 0.5).option("lr", 0.25).u32(2).f64(0).u8(0).seal();
      refuses(new RMSprop([new Float32Array(2)]), bytes, /param_groups\[0\] gives "lr" twice/);
    });

    it("a step or skipped-step count that is not a whole number >= 0 is refused", async () => {
      await init({ backend });
      const file = (skipped: number, step: number) => new ByteWriter().header({ kind: RMSPROP, groups: 1, skipped })
        .u32(1).u8(0).u32(2).f64(step).u8(1).bytes(new Uint8Array(8)).seal();
      const opt = new RMSprop([new Float32Array(2)]);
      opt.loadState(file(3, 4));
      expect(opt.skippedSteps).toBe(3);
      expect(opt.stateDict().state[0]!.step).toBe(4);
      for (const bad of [-1, 0.5, NaN, Infinity]) {
        refuses(opt, file(bad, 1), /bad skipped-step count/);
        refuses(opt, file(0, bad), /state\[0\]\.step must be a whole number >= 0/);
      }
    });

    it("every sealed prefix shorter than the smallest checkpoint is refused as truncated", async () => {
      await init({ backend });
      const opt = target();
      const good = opt.saveState();
      for (let len = 0; len <= HEADER_BYTES + 3; len++) {
        const b = good.slice(0, len);
        if (len >= MAGIC.length + 4) reseal(b); // a shorter file's checksum would overwrite its magic
        refuses(opt, b, new RegExp(`truncated checkpoint \\(${len} bytes; a checkpoint has at least 29\\)`));
      }
      // A sealed 28-byte file whose group count, which overlaps its checksum, reads 0.
      let skipped = 0;
      let file: Uint8Array;
      do {
        file = new ByteWriter().bytes(MAGIC).u16(1).u8(RMSPROP).u8(1).u8(0).f64(skipped++).bytes([0, 0, 0]).seal();
      } while (file[24] !== 0);
      expect(file.length).toBe(28);
      refuses(opt, file, /truncated checkpoint \(28 bytes; a checkpoint has at least 29\)/);
      // The magic itself decides "not a checkpoint" even in a short file.
      refuses(opt, Uint8Array.from([...MAGIC.slice(0, 3), 0]), /bad magic/);
    });
  });
}

describe("crafted checkpoints in a process with a small heap", () => {
  // Refusing must not allocate in proportion to what a file claims: with a 32 MB V8 heap, files
  // whose claims would take gigabytes to build are refused and the process lives.
  it("refuses 60 KB and 1 MB files of many groups claiming many tensors, in a 32 MB heap", () => {
    const dist = new URL("../dist/index.js", import.meta.url).href;
    const code = `
      const { RMSprop, initSync } = await import(${JSON.stringify(dist)});
      initSync();
      const crc = (b, end) => { let c = ~0; for (let i = 0; i < end; i++) { c ^= b[i]; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; } return ~c >>> 0; };
      const out = [];
      for (const size of [60 * 1024, 1024 * 1024]) {
        const b = new Uint8Array(size), dv = new DataView(b.buffer);
        b.set([${MAGIC.join(", ")}]);
        dv.setUint16(8, 1, true); b[10] = 1; b[11] = 1;
        const groups = Math.floor((size - 29) / 5);
        dv.setUint32(21, groups, true);
        for (let g = 0; g < groups; g++) dv.setUint32(25 + 5 * g, size - 32, true);
        dv.setUint32(size - 4, crc(b, size - 4), true);
        const opt = new RMSprop([new Float32Array(5), new Float32Array(3)]);
        try { opt.loadState(b); out.push("loaded"); } catch (e) { out.push(e.name); }
      }
      console.log(JSON.stringify(out));
    `;
    const stdout = execFileSync(process.execPath, ["--max-old-space-size=32", "--input-type=module", "-e", code], {
      cwd: fileURLToPath(new URL("..", import.meta.url)), encoding: "utf8",
    });
    expect(JSON.parse(stdout)).toEqual(["CheckpointError", "CheckpointError"]);
  });
});
