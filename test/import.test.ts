// The built package: dist/ exists because `npm test` builds first. Its ESM and CommonJS
// entries both expose init, RMSprop and Adagrad, can run a step on either backend, and give
// the same bits as the sources.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import * as src from "../src/index.js";
import { KERNELS_BASE64 } from "../src/wasm/kernels.generated.js";
import { tempDir } from "./helpers/consumer.js";
import { expectBits } from "./helpers/fixtures.js";

type Pkg = typeof src;

const require = createRequire(import.meta.url);
const dist = (f: string) => fileURLToPath(new URL(`../dist/${f}`, import.meta.url));

function data(n: number, salt: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.cos((i + 1) * 3.1 + salt) * (1 + (i % 7));
  return a;
}

/** A few steps of RMSprop (momentum, centered) and Adagrad (lr decay) over 37 elements. */
async function trajectory(pkg: Pkg, backend: "wasm" | "js"): Promise<Float32Array[]> {
  expect(await pkg.init({ backend })).toBe(backend);
  const w1 = data(37, 1);
  const w2 = data(37, 2);
  const rms = new pkg.RMSprop([w1], { lr: 1e-2, momentum: 0.9, centered: true, weightDecay: 1e-3 });
  const ada = new pkg.Adagrad([w2], { lr: 0.1, lrDecay: 0.05, initialAccumulatorValue: 0.1 });
  expect(rms.backend).toBe(backend);
  expect(ada.backend).toBe(backend);
  const start1 = w1.slice();
  for (let k = 0; k < 3; k++) {
    rms.step([data(37, 10 + k)]);
    ada.step([data(37, 20 + k)]);
  }
  // The step really updated the caller's arrays in place.
  expect(Array.from(w1)).not.toEqual(Array.from(start1));
  const sd = rms.stateDict();
  expect(sd.state[0]!.step).toBe(3);
  expect(Object.keys(sd.state[0]!).sort()).toEqual(["grad_avg", "momentum_buffer", "square_avg", "step"]);
  const out = [w1, w2, sd.state[0]!.square_avg as Float32Array, ada.stateDict().state[0]!.sum as Float32Array];
  rms.dispose();
  ada.dispose();
  return out;
}

function expectApi(pkg: Pkg): void {
  expect(typeof pkg.init).toBe("function");
  expect(typeof pkg.RMSprop).toBe("function");
  expect(typeof pkg.Adagrad).toBe("function");
}

async function expectSameAsSources(pkg: Pkg, label: string): Promise<void> {
  for (const backend of ["wasm", "js"] as const) {
    const got = await trajectory(pkg, backend);
    const want = await trajectory(src, backend);
    got.forEach((a, i) => expectBits(a, want[i]!, `${label} ${backend} buffer ${i}`));
  }
}

describe("the built package", () => {
  it("dist/ holds the ESM and CommonJS entries", () => {
    expect(existsSync(dist("index.js"))).toBe(true);
    expect(existsSync(dist("index.cjs"))).toBe(true);
  });

  it("ESM: import('../dist/index.js') exposes init, RMSprop, Adagrad and steps on both backends", async () => {
    const esm = (await import("../dist/index.js")) as unknown as Pkg;
    expectApi(esm);
    await expectSameAsSources(esm, "ESM");
  });

  it("CommonJS: require('../dist/index.cjs') exposes init, RMSprop, Adagrad and steps on both backends", async () => {
    const cjs = require("../dist/index.cjs") as Pkg;
    expectApi(cjs);
    await expectSameAsSources(cjs, "CJS");
  });

  it("CommonJS: require('simdopt') resolves through the exports map to the same module", async () => {
    const byName = require("simdopt") as Pkg;
    expect(byName).toBe(require("../dist/index.cjs"));
    expectApi(byName);
  });

  it("ESM and CommonJS builds give the same bits as each other", async () => {
    const esm = (await import("../dist/index.js")) as unknown as Pkg;
    const cjs = require("../dist/index.cjs") as Pkg;
    for (const backend of ["wasm", "js"] as const) {
      const a = await trajectory(esm, backend);
      const b = await trajectory(cjs, backend);
      a.forEach((x, i) => expectBits(x, b[i]!, `ESM vs CJS ${backend} buffer ${i}`));
    }
  });

  it("dist classes validate input like the sources", async () => {
    const cjs = require("../dist/index.cjs") as Pkg;
    await cjs.init({ backend: "js" });
    expect(() => new cjs.RMSprop([data(3, 1)], { lr: -1 })).toThrow(RangeError);
    expect(() => new cjs.Adagrad([data(3, 1)], { lrDecay: NaN })).toThrow(/lrDecay/);
  });
});

describe("the CommonJS build's kernels", () => {
  const tmp = tempDir("simdopt-cjs-kernels-");
  afterAll(() => tmp.remove());

  /** Runs `script` in a fresh Node process (a fresh module registry); returns what it prints. */
  const node = (script: string) => execFileSync(process.execPath, ["-e", script], { encoding: "utf8" }).trim();
  const loaded = (entry: string, call: string) =>
    node(`const m = require(${JSON.stringify(entry)});
      const before = Object.keys(require.cache).filter((f) => f.endsWith("kernels.cjs"));
      Promise.resolve(m.${call}).then((backend) => console.log(JSON.stringify({ backend, before,
        after: Object.keys(require.cache).filter((f) => f.endsWith("kernels.cjs")).map((f) => f.split(/[\\/]/).pop()) })));`);

  it("index.cjs does not hold the base64 kernels; the first init reads dist/simdopt.wasm", () => {
    expect(readFileSync(dist("index.cjs"), "utf8")).not.toContain(KERNELS_BASE64.slice(0, 200));
    for (const call of ["init({ backend: 'wasm' })", "initSync({ backend: 'wasm' })"]) {
      expect(JSON.parse(loaded(dist("index.cjs"), call))).toEqual({ backend: "wasm", before: [], after: [] });
    }
  });

  it("without simdopt.wasm beside it (as in a bundle), init and initSync load the base64 copy", () => {
    for (const f of readdirSync(dist("."))) if (f.endsWith(".cjs")) copyFileSync(dist(f), join(tmp.dir, f));
    expect(existsSync(join(tmp.dir, "simdopt.wasm"))).toBe(false);
    for (const call of ["init({ backend: 'wasm' })", "initSync({ backend: 'wasm' })"]) {
      expect(JSON.parse(loaded(join(tmp.dir, "index.cjs"), call))).toEqual({ backend: "wasm", before: [], after: ["kernels.cjs"] });
    }
  });
});
