// A pool of worker threads over the wasm backend's shared memory, and when a step uses it.
//
// Adaptive use: after each threaded step the caller compares what the step cost (its own chunks,
// then waiting for chunks workers held) with what running everything itself would have cost
// (its own time scaled to all elements). When waiting cost more than the workers saved (a
// worker descheduled mid-chunk, as when another process busies the cores), the next steps run
// on the caller alone, and threads are tried again after a backoff that doubles after each
// failed try (2, 4, ... 4096 steps) and starts over after a step where they paid.
import type { Backend } from "../backend.js";
import { ChunkQueue, LAYOUT } from "./pool.js";
import { spawnWorker, type WorkerHandle } from "./spawn.js";
import type { WorkerReply } from "./worker-body.js";

/** Steps with fewer elements than this run on the caller alone (bench/threads.mjs). */
export const THREAD_MIN_ELEMENTS = 65_536;
/** Chunks: at least this many elements (a multiple of 16: 64-byte aligned), ... */
export const CHUNK_MIN = 8_192;
/** ... and at most this many (a chunk's time is then well under a scheduler time slice). */
export const CHUNK_MAX = 262_144;
/**
 * @internal The split's settings. Tests lower the thresholds (so that small steps are cut into
 * many chunks) and turn the adaptive fallback off (so that workers always take part).
 */
export const tuning = { minElements: THREAD_MIN_ELEMENTS, chunkMin: CHUNK_MIN, chunkMax: CHUNK_MAX, adaptive: true };

const BACKOFF_FIRST = 2;
const BACKOFF_MAX = 4096;
/** A threaded step must beat the caller-alone estimate by this factor to count as paying. */
const PAYS = 0.97;
/** How long init waits for workers to start and pass their self-test. */
const START_TIMEOUT_MS = 15_000;

const now: () => number = typeof performance === "object" ? () => performance.now() : () => Date.now();

export class ThreadPool {
  /** Threads in use: the caller and the workers. */
  readonly threads: number;
  readonly queue: ChunkQueue;
  private solo = 0;
  private backoff = BACKOFF_FIRST;
  private stopped = false;

  private constructor(queue: ChunkQueue, private readonly workers: WorkerHandle[]) {
    this.queue = queue;
    this.threads = workers.length + 1;
  }

  /**
   * Starts `count` workers over `backend`'s shared memory; each instantiates the kernels and
   * checks that wasm writes cross between it and the caller. Rejects with the reason when any
   * worker cannot start or fails that check (the others are ended).
   */
  static async start(backend: Backend, count: number): Promise<ThreadPool> {
    const wasm = backend.wasm!;
    const names = WebAssembly.Module.exports(wasm.module).filter((e) => e.kind === "function").map((e) => e.name);
    const exports = wasm.instance.exports as Record<string, unknown>;
    const queue = new ChunkQueue(names, exports);
    // Self-test memory: values the caller's wasm writes, and a block per worker to write.
    const heap = backend.heap;
    const n = 16;
    const [readPtr, ...writePtrs] = heap.allocAll(new Array(count + 1).fill(n * 4), "the worker self-test", {}) as [number, ...number[]];
    const workers: WorkerHandle[] = [];
    try {
      heap.view(readPtr, n).set(Array.from({ length: n }, (_, i) => i + 1));
      (exports.scale as (n: number, p: number, c: number) => void)(n, readPtr, 3); // max |x| is now 48
      const replies = await Promise.all(writePtrs.map(async (writePtr) => {
        const w = await spawnWorker();
        workers.push(w);
        const reply = new Promise<WorkerReply>((resolve) => w.onReply(resolve));
        w.start({ module: wasm.module, memory: wasm.memory, control: queue.control, names, layout: LAYOUT,
          test: { readPtr, writePtr, n, expect: 48 } });
        return withTimeout(reply, START_TIMEOUT_MS);
      }));
      replies.forEach((r, i) => {
        if ("error" in r) throw new Error(`a worker could not start: ${r.error}`);
        if (r.saw !== 48) throw new Error(`self-test failed: a worker's wasm read ${r.saw} where the caller's wasm wrote 48`);
        const seen = (exports.maxAbs as (n: number, p: number) => number)(n, writePtrs[i]!);
        if (seen !== 2) throw new Error(`self-test failed: the caller's wasm read ${seen} where a worker's wasm wrote 2`);
      });
    } catch (e) {
      queue.stop();
      for (const w of workers) w.terminate();
      throw e;
    } finally {
      for (const p of [readPtr, ...writePtrs]) heap.release(p, { viewsEscaped: false });
    }
    return new ThreadPool(queue, workers);
  }

  /** Should a step of `elements` elements be split among the threads now? */
  wants(elements: number): boolean {
    if (elements < tuning.minElements || this.stopped) return false;
    if (this.solo > 0) {
      this.solo--;
      return false;
    }
    return true;
  }

  /** Runs the chunks recorded in `queue`, then decides whether the next steps use threads. */
  run(): void {
    const q = this.queue;
    q.run(now);
    const { own, wait, share } = q.timing;
    if (wait === 0 || share <= 0 || !tuning.adaptive) return;
    if (own + wait <= (own / share) * PAYS) {
      this.backoff = BACKOFF_FIRST;
      return;
    }
    this.solo = this.backoff;
    this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX);
  }

  /** Ends the workers; steps already returned are complete, later ones run on the caller. */
  shutdown(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.queue.stop();
    for (const w of this.workers) w.terminate();
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`workers did not start within ${ms / 1000} s`)), ms);
    (timer as { unref?: () => void }).unref?.();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
