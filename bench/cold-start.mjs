// Cold start, as a serverless function pays it: every sample is a fresh Node process.
//
// - init(): `await init()` right after the entry is imported (decoding the embedded
//   kernels, compiling and instantiating them).
// - ESM import: `import("dist/index.js")`, timed after an empty module has been imported in
//   the same process, so Node's own loader start-up is not counted.
// - CJS require: `require("dist/index.cjs")`, likewise after requiring an empty module.
// - For scale, a one-line module in a package of its own, imported and required at the same
//   point: what Node's loader takes for any module (resolving, reading, compiling, linking),
//   the least an entry can cost.
//
// Each figure is the median over the samples. The bench reports it; on its own:
//   node bench/cold-start.mjs [samples=21] [dist...]      (after `npm run build`)
// Given several dist/ directories (another build's, say), it samples them in turn, so that
// machine noise hits every build alike, and reports each.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { median } from "./stats.mjs";

const DIST = join(dirname(fileURLToPath(import.meta.url)), "..", "dist");

const esmProbe = (empty, dist) => `
const t0 = performance.now();
await import(${JSON.stringify(pathToFileURL(empty).href)});
const t1 = performance.now();
const m = await import(${JSON.stringify(pathToFileURL(join(dist, "index.js")).href)});
const t2 = performance.now();
const backend = await m.init();
const t3 = performance.now();
console.log(JSON.stringify({ backend, emptyMs: t1 - t0, importMs: t2 - t1, initMs: t3 - t2 }));
`;

const cjsProbe = (empty, dist) => `
const t0 = performance.now();
require(${JSON.stringify(empty)});
const t1 = performance.now();
require(${JSON.stringify(join(dist, "index.cjs"))});
const t2 = performance.now();
console.log(JSON.stringify({ emptyMs: t1 - t0, requireMs: t2 - t1 }));
`;


const run = (args) => JSON.parse(execFileSync(process.execPath, args, { encoding: "utf8" }));

/** Medians over `samples` fresh processes for each of ESM and CJS, in milliseconds. */
export function coldStart(samples) {
  return coldStarts(samples, [DIST])[0];
}

/** `coldStart` for each build in `dists` (dist/ directories), sampled in turn. */
export function coldStarts(samples, dists) {
  const dir = mkdtempSync(join(tmpdir(), "simdopt-cold-"));
  try {
    const emptyEsm = join(dir, "empty.mjs");
    const emptyCjs = join(dir, "empty.cjs");
    writeFileSync(emptyEsm, "");
    writeFileSync(emptyCjs, "");
    const oneLine = join(dir, "one-line");
    mkdirSync(oneLine);
    writeFileSync(join(oneLine, "package.json"), '{ "type": "module" }\n');
    writeFileSync(join(oneLine, "index.js"), 'export const init = async () => "none";\n');
    writeFileSync(join(oneLine, "index.cjs"), 'exports.init = async () => "none";\n');
    const all = [...dists, oneLine];
    const runs = all.map(() => ({ esm: [], cjs: [] }));
    // Alternate builds and kinds, so that a burst of machine noise lands on all alike.
    for (let i = 0; i < samples; i++) {
      all.forEach((dist, d) => {
        runs[d].esm.push(run(["--input-type=module", "-e", esmProbe(emptyEsm, dist)]));
        runs[d].cjs.push(run(["-e", cjsProbe(emptyCjs, dist)]));
      });
    }
    const floor = runs.pop();
    const results = runs.map(({ esm, cjs }, d) => {
      const init = esm.map((r) => r.initMs);
      return {
        dist: dists[d],
        samples,
        backend: [...new Set(esm.map((r) => r.backend))].join(", "),
        initMs: median(init), minMs: Math.min(...init), maxMs: Math.max(...init),
        importMs: median(esm.map((r) => r.importMs)),
        emptyImportMs: median(esm.map((r) => r.emptyMs)),
        requireMs: median(cjs.map((r) => r.requireMs)),
        emptyRequireMs: median(cjs.map((r) => r.emptyMs)),
        oneLineImportMs: median(floor.esm.map((r) => r.importMs)),
        oneLineRequireMs: median(floor.cjs.map((r) => r.requireMs)),
      };
    });
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function describeColdStart(c) {
  const ms = (x) => `${x.toFixed(2)} ms`;
  return [
    `Cold start of ${c.dist}, medians over ${c.samples} fresh Node ${process.version} processes:`,
    `  init()          ${ms(c.initMs)} (min ${c.minMs.toFixed(2)}, max ${c.maxMs.toFixed(2)}; backend ${c.backend})`,
    `  ESM import      ${ms(c.importMs)} after an empty module (which itself took ${ms(c.emptyImportMs)})`,
    `  CJS require     ${ms(c.requireMs)} after an empty module (which itself took ${ms(c.emptyRequireMs)})`,
    `  a one-line module at the same point: ESM import ${ms(c.oneLineImportMs)}, CJS require ${ms(c.oneLineRequireMs)}`,
  ].join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [samples = "21", ...dists] = process.argv.slice(2);
  const results = coldStarts(Number(samples), dists.length ? dists.map((d) => resolve(d)) : [DIST]);
  console.log(results.map(describeColdStart).join("\n"));
}
