// Package hygiene: what `npm pack` ships, where the exports map points, and the size budgets
// stated in the README (the wasm is loaded at every cold start of a serverless function).
// Runs against dist/, which `npm test` builds first (pretest).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { decodeBase64 } from "../src/wasm/backend.js";
import { KERNELS_BASE64 } from "../src/wasm/kernels.generated.js";

const ROOT = join(import.meta.dirname, "..");
// The entry holds five optimizers (with sparse rows, rowwise Adagrad and the denormal guard),
// schedulers and clipping; bundlers drop what an app does not import (sideEffects: false), so
// these bound the whole package, not a typical bundle.
const BUDGET = { wasmBytes: 44 * 1024, esmEntryGzipBytes: 64 * 1024 };

const packed: { files: { path: string }[] } = JSON.parse(
  execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: ROOT, encoding: "utf8" }),
)[0];
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));

describe("npm pack", () => {
  it("ships only the builds, the kernels, README, LICENSE and package.json", () => {
    // The code the default and simdopt/tfjs entries share sits in one hashed chunk per format.
    const files = packed.files.map((f) => f.path.replace(/^dist\/chunk-\w+\./, "dist/chunk-*.")).sort();
    expect(files).toEqual([
      "LICENSE",
      "README.md",
      "dist/chunk-*.cjs",
      "dist/chunk-*.js",
      "dist/index.cjs",
      "dist/index.d.cts",
      "dist/index.d.ts",
      "dist/index.js",
      "dist/index.workerd.js",
      "dist/kernels-loader.cjs",
      "dist/kernels.cjs",
      "dist/simdopt.wasm",
      "dist/tfjs.cjs",
      "dist/tfjs.d.cts",
      "dist/tfjs.d.ts",
      "dist/tfjs.js",
      "package.json",
    ]);
  });

  it("exports every runtime condition, each with types, pointing at shipped files", () => {
    const shipped = new Set(packed.files.map((f) => `./${f.path}`));
    const root = pkg.exports["."];
    expect(Object.keys(root)).toEqual(["workerd", "browser", "deno", "bun", "node", "import", "require", "default"]);
    const leaves = (target: Record<string, unknown>): Record<string, string>[] =>
      "default" in target && typeof target.default === "string"
        ? [target as Record<string, string>]
        : Object.values(target).flatMap((t) => leaves(t as Record<string, unknown>));
    for (const leaf of leaves(root)) {
      expect(Object.keys(leaf)).toEqual(["types", "default"]);
      expect(shipped).toContain(leaf.types);
      expect(shipped).toContain(leaf.default);
    }
    expect(root.workerd.default).toBe("./dist/index.workerd.js");
    expect(root.require.default).toBe("./dist/index.cjs");
    const tfjs = pkg.exports["./tfjs"];
    expect(tfjs.import).toEqual({ types: "./dist/tfjs.d.ts", default: "./dist/tfjs.js" });
    expect(tfjs.require).toEqual({ types: "./dist/tfjs.d.cts", default: "./dist/tfjs.cjs" });
    for (const leaf of leaves(tfjs)) for (const f of Object.values(leaf)) expect(shipped).toContain(f);
    expect(pkg.peerDependenciesMeta["@tensorflow/tfjs-core"]).toEqual({ optional: true });
    expect(shipped).toContain(pkg.exports["./simdopt.wasm"]);
    for (const field of ["main", "module", "types"]) expect(shipped).toContain(pkg[field]);
    expect(pkg.sideEffects).toBe(false);
  });

  it("ships the same kernels in simdopt.wasm as the embedded copies", () => {
    const file = readFileSync(join(ROOT, "dist", "simdopt.wasm"));
    expect(Buffer.from(decodeBase64(KERNELS_BASE64)).equals(file)).toBe(true);
    // The CommonJS build's fallback, where simdopt.wasm cannot be read (src/wasm/kernels-loader.ts).
    const { KERNELS_BASE64: forCommonJs } = createRequire(import.meta.url)("../dist/kernels.cjs") as { KERNELS_BASE64: string };
    expect(Buffer.from(decodeBase64(forCommonJs)).equals(file)).toBe(true);
    expect(readFileSync(join(ROOT, "dist", "index.workerd.js"), "utf8")).toMatch(/from ["']\.\/simdopt\.wasm["']/);
  });
});

describe("size budgets", () => {
  it(`the wasm kernels stay under ${BUDGET.wasmBytes} bytes`, () => {
    expect(readFileSync(join(ROOT, "dist", "simdopt.wasm")).length).toBeLessThan(BUDGET.wasmBytes);
  });

  it(`the ESM entry stays under ${BUDGET.esmEntryGzipBytes} bytes gzipped`, () => {
    // The entry with the chunk it imports: what `import "simdopt"` loads.
    const entry = readFileSync(join(ROOT, "dist", "index.js"), "utf8");
    const names = new Set([...entry.matchAll(/from ["']\.\/(chunk-\w+\.js)["']/g)].map((m) => m[1]!));
    const chunks = [...names].map((f) => readFileSync(join(ROOT, "dist", f), "utf8"));
    expect(chunks.length).toBe(1);
    const gz = gzipSync([entry, ...chunks].join("\n"), { level: 9 });
    expect(gz.length).toBeLessThan(BUDGET.esmEntryGzipBytes);
  });
});
