// `node bench/handoff.mjs` (no build needed): how long one core takes to see what another wrote.
// The caller and a worker thread pass a counter back and forth through a SharedArrayBuffer, each
// spinning until the other's write arrives; a round trip is two hand-offs of a cache line. Every
// threaded step pays a few such hand-offs (the job out, the last chunk's end back), so this sets
// what threads cost at 1e5 elements, where a step is 30-40 µs: on this project's 2-core VM it
// moved between about 0.2 and 1 µs within one session, and the thread rows of bench/threads.mjs
// (which prints it before and after them) moved with it.
import { fileURLToPath } from "node:url";
import { isMainThread, Worker, workerData } from "node:worker_threads";

const SPAN_MS = 150;

/** Median round trip in ns over ~SPAN_MS of back-and-forth with a worker thread. */
export async function handoffRoundTrip() {
  const words = new Int32Array(new SharedArrayBuffer(128));
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: words.buffer });
  // The worker answers once it runs: wait for its first answer.
  Atomics.store(words, 0, 1);
  while (Atomics.load(words, 16) !== 1) await new Promise((r) => setTimeout(r, 1));
  const samples = [];
  let i = 1;
  const stop = performance.now() + SPAN_MS;
  while (performance.now() < stop) {
    const t0 = performance.now();
    for (let k = 0; k < 1000; k++) {
      i++;
      Atomics.store(words, 0, i);
      while (Atomics.load(words, 16) !== i);
    }
    samples.push(((performance.now() - t0) / 1000) * 1e6);
  }
  Atomics.store(words, 0, -1);
  await worker.terminate();
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

if (!isMainThread) {
  // The worker: echo each new value of word 0 into word 16 (its own cache line) until -1.
  const words = new Int32Array(workerData);
  for (let seen = 0; ;) {
    let v;
    while ((v = Atomics.load(words, 0)) === seen);
    if (v < 0) break;
    seen = v;
    Atomics.store(words, 16, v);
  }
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(`cross-core hand-off: ${(await handoffRoundTrip()).toFixed(0)} ns per round trip (two hand-offs)`);
}
