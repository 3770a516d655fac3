// Cold start of `init()`: each sample is a fresh Node process that imports dist/index.js and
// awaits init({ backend: "auto" }) once (base64 decode, SIMD probe, compile, instantiate).
// Usage: node scripts/cold-start.mjs [samples=21]   (run `npm run build` first)
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const entry = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "index.js")).href;
const samples = Number(process.argv[2] ?? 21);
const probe = `
const t0 = performance.now();
const m = await import(${JSON.stringify(entry)});
const t1 = performance.now();
const backend = await m.init({ backend: "auto" });
const t2 = performance.now();
console.log(JSON.stringify({ backend, importMs: t1 - t0, initMs: t2 - t1 }));
`;
const runs = [];
for (let i = 0; i < samples; i++) {
  runs.push(JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", probe], { encoding: "utf8" })));
}
const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
const backends = [...new Set(runs.map((r) => r.backend))].join(", ");
console.log(
  `init() cold start over ${samples} fresh Node ${process.version} processes (backend ${backends}): ` +
    `median ${median(runs.map((r) => r.initMs)).toFixed(2)} ms ` +
    `(min ${Math.min(...runs.map((r) => r.initMs)).toFixed(2)}, max ${Math.max(...runs.map((r) => r.initMs)).toFixed(2)}); ` +
    `import of the entry: median ${median(runs.map((r) => r.importMs)).toFixed(2)} ms`,
);
