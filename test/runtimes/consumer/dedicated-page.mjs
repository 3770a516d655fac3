// Starts dedicated-worker.js and publishes its result for the runner.
const worker = new Worker(new URL("./dedicated-worker.js", import.meta.url), { type: "module" });
worker.onmessage = (e) => {
  globalThis.__simdoptResult = e.data;
};
worker.onerror = (e) => {
  globalThis.__simdoptResult = { error: `the worker failed: ${e.message}` };
};
