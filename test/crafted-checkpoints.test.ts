// Crafted checkpoints: files with a valid checksum whose counts claim more than the bytes or the
// optimizer hold. Each is refused with a CheckpointError at the first count that does not fit,
// before anything is built from it (the message names that count), and changes nothing.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CheckpointError, init, OneCycleLR, RMSprop, type LRScheduler } from "../src/index.js";
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

/** As `refuses`, for a file with sections: offered with a scheduler, which must keep its state too. */
function refusesWithScheduler(opt: RMSprop, scheduler: LRScheduler, bytes: Uint8Array, message: RegExp): void {
  const before = opt.saveState({ params: true, scheduler });
  const e = refusal(() => opt.loadState(bytes, { scheduler }));
  expect(e, `${e.name}: ${e.message}`).toBeInstanceOf(CheckpointError);
  expect(e.message).toMatch(message);
  expect(firstByteDiff(opt.saveState({ params: true, scheduler }), before)).toBe(-1);
}

/**
 * target()'s own checkpoint made version 2 with `flags` added to its flags, followed by what
 * `tail` writes, then zeros up to `size` bytes when given.
 */
function version2(flags: number, tail: (w: ByteWriter) => ByteWriter, size?: number): Uint8Array {
  const base = target().saveState();
  const w = tail(new ByteWriter().bytes(base.subarray(0, base.length - 4)));
  if (size !== undefined) w.padTo(size);
  const out = w.seal();
  out[8] = 2;
  out[11]! |= flags;
  return reseal(out);
}

/** The start of a scheduler section for OneCycleLR whose state takes `bytes` bytes. */
const schedulerSection = (w: ByteWriter, bytes: number) => w.u8(10).bytes([..."OneCycleLR"].map((c) => c.charCodeAt(0))).u32(bytes);
const PARAMS = 2;
const SCHEDULER = 4;

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

      it(`${kb}: a params section for a tensor of as many elements as the bytes hold, and one more`, async () => {
        await init({ backend });
        // Before its first step RMSprop has no state: the file is the header, one group, one
        // record, then the params, which are one element short.
        const rest = size - HEADER_BYTES - 5 - 13 - 4;
        const n = Math.floor(rest / 4) + 1;
        const opt = new RMSprop([new Float32Array(n)]);
        const bytes = new ByteWriter().header({ kind: RMSPROP, groups: 1, flags: PARAMS, version: 2 }).u32(1).u8(0)
          .u32(n).f64(0).u8(0).padTo(size).seal();
        expect(bytes.length).toBe(size);
        refuses(opt, bytes, new RegExp(`truncated checkpoint: the values of param 0 \\(${n} element\\(s\\)\\) take\\(s\\) at least ${4 * n} bytes, but ${rest} byte\\(s\\) remain;`));
        opt.dispose();
      });

      it(`${kb}: a scheduler section claiming 2^32 - 1 bytes, and one claiming one byte more than remain`, async () => {
        await init({ backend });
        const opt = target();
        const scheduler = new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 10 });
        refusesWithScheduler(opt, scheduler, version2(SCHEDULER, (w) => schedulerSection(w, 2 ** 32 - 1), size),
          /the scheduler section claims 4294967295 bytes; a checkpoint holds at most 16777216;/);
        const head = version2(SCHEDULER, (w) => schedulerSection(w, 0)).length - 4;
        const rest = size - head - 4;
        refusesWithScheduler(opt, scheduler, version2(SCHEDULER, (w) => schedulerSection(w, rest + 1), size),
          new RegExp(`truncated checkpoint: the scheduler's state take\\(s\\) at least ${rest + 1} bytes, but ${rest} byte\\(s\\) remain;`));
      });

      it(`${kb}: scheduler state claiming more items, entries or string bytes than its section holds`, async () => {
        await init({ backend });
        const opt = target();
        const scheduler = new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 10 });
        const head = version2(SCHEDULER, (w) => schedulerSection(w, 0)).length - 4;
        const rest = size - head - 4; // the state fills the file
        const claim = (tag: number, count: number) => version2(SCHEDULER, (w) => schedulerSection(w, rest).u8(tag).u32(count), size);
        refusesWithScheduler(opt, scheduler, claim(5, rest - 4),
          new RegExp(`the scheduler's state is malformed: state's ${rest - 4} item\\(s\\) take\\(s\\) at least ${rest - 4} bytes, but ${rest - 5} byte\\(s\\) remain;`));
        refusesWithScheduler(opt, scheduler, claim(5, 2 ** 32 - 1), /state's 4294967295 item\(s\) take\(s\) at least 4294967295 bytes/);
        const entries = Math.floor((rest - 5) / 5) + 1;
        refusesWithScheduler(opt, scheduler, claim(6, entries),
          new RegExp(`state's ${entries} entr\\(ies\\) take\\(s\\) at least ${5 * entries} bytes, but ${rest - 5} byte\\(s\\) remain;`));
        refusesWithScheduler(opt, scheduler, claim(4, rest - 4), new RegExp(`state of ${rest - 4} byte\\(s\\) take\\(s\\) at least ${rest - 4} bytes, but ${rest - 5}`));
        refusesWithScheduler(opt, scheduler, claim(4, 2 ** 32 - 1), /state of 4294967295 byte\(s\) take\(s\) at least 4294967295 bytes/);
        // As many entries as the bytes hold: each an empty key and null, so the second repeats the first.
        refusesWithScheduler(opt, scheduler, claim(6, entries - 1), /state has the key "" twice;/);
      });

      it(`${kb}: arrays nested as deep as the bytes allow are refused at depth 32, without exhausting the stack`, async () => {
        await init({ backend });
        const opt = target();
        const scheduler = new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 10 });
        const head = version2(SCHEDULER, (w) => schedulerSection(w, 0)).length - 4;
        const depth = Math.floor((size - head - 4) / 5);
        const bytes = version2(SCHEDULER, (w) => {
          schedulerSection(w, 5 * depth);
          for (let d = 0; d < depth; d++) w.u8(5).u32(1);
          return w;
        }, size);
        refusesWithScheduler(opt, scheduler, bytes, /the scheduler's state is malformed: state(\[0\]){33} nests deeper than 32;/);
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
  it("refuses 60 KB and 1 MB files of many groups claiming many tensors, and a 1 MB scheduler section claiming 2^32 - 1 items, in a 32 MB heap", () => {
    const dist = new URL("../dist/index.js", import.meta.url).href;
    const code = `
      const { RMSprop, OneCycleLR, initSync } = await import(${JSON.stringify(dist)});
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
      // Version 2: no state, then a 1 MB scheduler section whose state claims 2^32 - 1 items.
      {
        const size = 1024 * 1024, b = new Uint8Array(size), dv = new DataView(b.buffer);
        b.set([${MAGIC.join(", ")}]);
        dv.setUint16(8, 2, true); b[10] = 1; b[11] = 4;
        let o = 21;
        dv.setUint32(o, 1, true); o += 4; // one group of two tensors, no options
        dv.setUint32(o, 2, true); o += 5;
        for (const n of [5, 3]) { dv.setUint32(o, n, true); o += 13; }
        b[o++] = 10;
        for (const c of "OneCycleLR") b[o++] = c.charCodeAt(0);
        dv.setUint32(o, size - 4 - (o + 4), true); o += 4;
        b[o++] = 5; dv.setUint32(o, 2 ** 32 - 1, true);
        dv.setUint32(size - 4, crc(b, size - 4), true);
        const opt = new RMSprop([new Float32Array(5), new Float32Array(3)], { momentum: 0.9 });
        const scheduler = new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 10 });
        try { opt.loadState(b, { scheduler }); out.push("loaded"); } catch (e) { out.push(e.name + ": " + e.message); }
      }
      console.log(JSON.stringify(out));
    `;
    const stdout = execFileSync(process.execPath, ["--max-old-space-size=32", "--input-type=module", "-e", code], {
      cwd: fileURLToPath(new URL("..", import.meta.url)), encoding: "utf8",
    });
    const out = JSON.parse(stdout) as string[];
    expect(out.slice(0, 2)).toEqual(["CheckpointError", "CheckpointError"]);
    expect(out[2]).toMatch(/^CheckpointError: RMSprop\.loadState: the scheduler's state is malformed: state's 4294967295 item\(s\) take\(s\) at least 4294967295 bytes/);
  });
});
