// The README's code runs as written, against the built package (dist/, built by `npm test`):
// every ```js/```ts block is marked `runnable` (run here, each in a fresh Node process, where
// "simdopt" resolves to this package's dist/ through its own exports map) or `workers-only`
// (run in workerd by `npm run test:runtimes`). A `console.log(...); // → text` line must
// print text. The checkpoint format section is checked by reading a real checkpoint with it.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { transformSync } from "esbuild";
import { describe, expect, it } from "vitest";
import { init, RMSprop } from "../src/index.js";

const ROOT = join(import.meta.dirname, "..");
const README = readFileSync(join(ROOT, "README.md"), "utf8");

interface Block {
  lang: string;
  tags: string[];
  code: string;
  line: number;
}

const blocks: Block[] = [...README.matchAll(/^```(\w*)([^\n]*)\n([\s\S]*?)^```$/gm)].map((m) => ({
  lang: m[1]!,
  tags: m[2]!.trim().split(/\s+/).filter(Boolean),
  code: m[3]!,
  line: README.slice(0, m.index).split("\n").length,
}));
const code = blocks.filter((b) => b.lang === "js" || b.lang === "ts");
const runnable = code.filter((b) => b.tags.includes("runnable"));

/** Runs a snippet as an ES module from the repository root; returns what it printed. */
function runSnippet(block: Block): string {
  let ts = block.code;
  // A Workers-style module: call its fetch handler the way the runtime would.
  if (/^export default \{/m.test(ts)) {
    ts = ts.replace(/^export default \{/m, "const worker = {") +
      '\nconst res = await worker.fetch(new Request("https://example.com/"));\n' +
      "console.log(res.status, await res.text());\n";
  }
  const js = transformSync(ts, { loader: "ts", format: "esm", target: "es2022" }).code;
  return execFileSync(process.execPath, ["--input-type=module", "-e", js], { cwd: ROOT, encoding: "utf8" });
}

describe("README code blocks", () => {
  it("every js/ts block is marked runnable or workers-only", () => {
    expect(runnable.length).toBeGreaterThanOrEqual(7);
    for (const b of code) {
      expect(b.tags.some((t) => t === "runnable" || t === "workers-only"), `README.md:${b.line}`).toBe(true);
    }
  });

  it("no snippet leans on code the reader does not have", () => {
    for (const b of runnable) {
      expect(b.code, `README.md:${b.line}`).not.toMatch(/\/\/ \.\.\.|your code|\binitialiseWeights\b|\bbackward\(|\(model\b/);
      // Everything a snippet uses from simdopt it imports.
      const imported = new Set([...b.code.matchAll(/import \{([^}]*)\} from "simdopt"/g)].flatMap((m) => m[1]!.split(",").map((s) => s.trim())));
      for (const name of ["init", "initSync", "RMSprop", "Adagrad", "ParamStore", "fallbackReason"]) {
        if (new RegExp(`\\b${name}\\(|new ${name}\\b`).test(b.code)) expect(imported, `README.md:${b.line} uses ${name}`).toContain(name);
      }
    }
  });

  for (const b of runnable) {
    it(`README.md:${b.line} runs${b.code.includes("// →") ? " and prints what it says" : ""}`, () => {
      const out = runSnippet(b);
      for (const m of b.code.matchAll(/console\.log\(.*\);\s*\/\/ → (.+)$/gm)) expect(out).toContain(m[1]!.trim());
      if (/^export default \{/m.test(b.code)) {
        const [status, ...body] = out.trim().split(" ");
        expect(status).toBe("200");
        expect(JSON.parse(body.join(" ")).w).toHaveLength(3);
      }
    });
  }
});

describe("README checkpoint format", () => {
  // A reader written from the README's tables alone; it must take a real checkpoint apart.
  function readAsDocumented(bytes: Uint8Array) {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let o = 0;
    const magic = Buffer.from(bytes.subarray(0, 8)).toString("latin1"); o = 8;
    const version = dv.getUint16(o, true); o += 2;
    const kind = dv.getUint8(o++);
    const flags = dv.getUint8(o++);
    const policy = dv.getUint8(o++);
    const skipped = dv.getFloat64(o, true); o += 8;
    const groupCount = dv.getUint32(o, true); o += 4;
    const groups: Array<{ tensors: number; options: Record<string, number | boolean> }> = [];
    for (let g = 0; g < groupCount; g++) {
      const tensors = dv.getUint32(o, true); o += 4;
      const k = dv.getUint8(o++);
      const options: Record<string, number | boolean> = {};
      for (let j = 0; j < k; j++) {
        const len = dv.getUint8(o++);
        const name = Buffer.from(bytes.subarray(o, o + len)).toString("ascii"); o += len;
        const type = dv.getUint8(o++);
        const v = dv.getFloat64(o, true); o += 8;
        options[name] = type === 1 ? v === 1 : v;
      }
      groups.push({ tensors, options });
    }
    const tensors: Array<{ n: number; step: number; buffers: Float32Array[] }> = [];
    for (const g of groups) {
      for (let t = 0; t < g.tensors; t++) {
        const n = dv.getUint32(o, true); o += 4;
        const step = dv.getFloat64(o, true); o += 8;
        const mask = dv.getUint8(o++);
        const buffers: Float32Array[] = [];
        for (let k = 0; k < 8; k++) {
          if (!(mask & (1 << k))) continue;
          buffers.push(new Float32Array(bytes.slice(o, o + 4 * n).buffer));
          o += 4 * n;
        }
        tensors.push({ n, step, buffers });
      }
    }
    const crc = dv.getUint32(o, true); o += 4;
    return { magic, version, kind, flags, policy, skipped, groups, tensors, crc, end: o };
  }

  it("the tables describe saveState()'s bytes exactly", async () => {
    await init({ backend: "js" });
    const a = new Float32Array([1, 2, 3]), b = new Float32Array([4, 5]);
    const opt = new RMSprop([{ params: [a] }, { params: [b], lr: 0.5 }], { momentum: 0.9, centered: true, nonFinite: "skip" });
    opt.step([new Float32Array([0.1, 0.2, 0.3]), new Float32Array([0.4, 0.5])]);
    opt.step([new Float32Array([0.1, NaN, 0.3]), new Float32Array([0.4, 0.5])]);
    const bytes = opt.saveState();
    const r = readAsDocumented(bytes);
    expect(r.end).toBe(bytes.length);
    expect(r.magic).toBe("SIMDOPT\0");
    expect([r.version, r.kind, r.flags, r.policy, r.skipped]).toEqual([1, 1, 1, 1, 1]);
    expect(r.crc).toBe(crc32(bytes.subarray(0, bytes.length - 4)));
    const sd = opt.stateDict();
    expect(r.groups.map((g) => g.tensors)).toEqual([1, 1]);
    r.groups.forEach((g, i) => {
      const { params: _, ...options } = sd.param_groups[i]!;
      expect(g.options).toEqual(options);
    });
    expect(Object.keys(r.groups[0]!.options)).toEqual(["lr", "alpha", "eps", "weight_decay", "momentum", "centered", "maximize", "eps_in_sqrt", "flush_denormals"]);
    r.tensors.forEach((t, i) => {
      const s = sd.state[i]!;
      expect(t.step).toBe(s.step);
      expect(t.buffers).toEqual([s.square_avg, s.momentum_buffer, s.grad_avg]);
    });
  });
});
