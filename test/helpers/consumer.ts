// A throwaway project that installs simdopt the way a user would, offline, and runs it from
// ESM and from CommonJS. Shared by the tarball install test (npm test) and the git install
// test (npm run test:git-install).
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import * as src from "../../src/index.js";

export const ROOT = join(import.meta.dirname, "..", "..");

export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** `npm install --offline <spec>` into a fresh project in `dir`/consumer; returns its path. */
export function installInto(dir: string, spec: string, extra: string[] = []): string {
  const consumer = join(dir, "consumer");
  mkdirSync(consumer);
  writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: "consumer", private: true }));
  run("npm", ["install", "--offline", "--no-audit", "--no-fund", ...extra, spec], consumer);
  return consumer;
}

const W = [1, -2, 3, 0.5, 7, -0.25];
const G = [0.1, 0.2, -0.3, 0.4, 0.5, -8];
const OPTIONS = { lr: 0.01, momentum: 0.9, centered: true };
const step = (init: string) => `
const backend = ${init};
const w = new Float32Array(${JSON.stringify(W)});
const opt = new RMSprop([w], ${JSON.stringify(OPTIONS)});
opt.step([new Float32Array(${JSON.stringify(G)})]);
console.log(JSON.stringify({ backend, w: Array.from(w) }));
`;
const ESM = `import { init, RMSprop } from "simdopt";\n${step("await init()")}`;
const CJS = `const { initSync, RMSprop } = require("simdopt");\n${step("initSync()")}`;

/**
 * Imports the installed package from ESM and CommonJS in `consumer`, runs one RMSprop step on
 * wasm, and checks the weights against the sources bit for bit.
 */
export async function expectWorkingInstall(consumer: string): Promise<void> {
  writeFileSync(join(consumer, "esm.mjs"), ESM);
  writeFileSync(join(consumer, "cjs.cjs"), CJS);
  await src.init({ backend: "wasm" });
  const w = new Float32Array(W);
  new src.RMSprop([w], OPTIONS).step([new Float32Array(G)]);
  const want = Array.from(w);
  expect(want).not.toEqual(Array.from(new Float32Array(W)));
  for (const file of ["esm.mjs", "cjs.cjs"]) {
    const got = JSON.parse(run(process.execPath, [file], consumer));
    expect(got, file).toEqual({ backend: "wasm", w: want });
  }
  // The installed copy is a package of its own, not a link back into this repository.
  const resolved = run(process.execPath, ["-p", "require.resolve('simdopt')"], consumer).trim();
  expect(resolved).toBe(join(consumer, "node_modules", "simdopt", "dist", "index.cjs"));
  expect(realpathSync(resolved).startsWith(consumer)).toBe(true);
}
