// Cold start of `init()`: each sample is a fresh Node process that imports dist/index.js and
// awaits init({ backend: "auto" }) once (base64 decode, SIMD probe, compile, instantiate).
// The bench reports it; on its own: node bench/cold-start.mjs [samples=21] (after a build).
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const entry = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "index.js")).href;
const probe = `
const t0 = performance.now();
const m = await import(${JSON.stringify(entry)});
const t1 = performance.now();
const backend = await m.init({ backend: "auto" });
const t2 = performance.now();
console.log(JSON.stringify({ backend, importMs: t1 - t0, initMs: t2 - t1 }));
`;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Medians over `samples` fresh processes, in milliseconds. */
export function coldStart(samples) {
  const runs = [];
  for (let i = 0; i < samples; i++) {
    runs.push(JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", probe], { encoding: "utf8" })));
  }
  const init = runs.map((r) => r.initMs);
  return {
    samples,
    backend: [...new Set(runs.map((r) => r.backend))].join(", "),
    initMs: median(init), minMs: Math.min(...init), maxMs: Math.max(...init),
    importMs: median(runs.map((r) => r.importMs)),
  };
}

export function describeColdStart(c) {
  return `init() cold start over ${c.samples} fresh Node ${process.version} processes (backend ${c.backend}): ` +
    `median ${c.initMs.toFixed(2)} ms (min ${c.minMs.toFixed(2)}, max ${c.maxMs.toFixed(2)}); ` +
    `import of the entry: median ${c.importMs.toFixed(2)} ms`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(describeColdStart(coldStart(Number(process.argv[2] ?? 21))));
}
