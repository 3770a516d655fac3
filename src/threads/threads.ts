// A pool of worker threads over the wasm backend's shared memory, and when a step uses it.
//
// Adaptive use, per optimizer (ThreadChoice). Its steps run in one of two modes, alone or on
// the threads. The first step alone after a switch is never judged, nor the first threaded
// one, and the next UNJUDGED_THREADED - 1 threaded ones fail only when they take more than
// WAKING × a step alone: they pay for moving the data between the cores' caches and for waking
// workers that slept (measured here: an isolated threaded step among steps alone costs more
// than a step alone, while consecutive threaded steps cost half; and on a busy VM the steps
// right after a wake-up were slow often enough that judging them as the others made a try
// fail, doubled the backoff, and left whole seconds of steps alone). Steps alone keep a
// running average of their cost per element. A threaded step that costs more than PAYS × that
// average fails; FAILS of the last WINDOW judged threaded steps failing (a worker descheduled
// mid-chunk, as when another process busies the cores, or cores that share too little memory
// bandwidth) switch to steps alone for a backoff that doubles after each failed try and starts
// over once a try has paid for PROVEN steps (one step that paid did not prove much: with another
// process on the second core, a try often held one lucky step among its slow ones, and the
// backoff then started over at 2 ms every few tries, where it should have grown towards 1 s).
// The backoff is counted in the caller's time (2 ms, 4 ms, ... up to 1 s of steps alone), so
// that a failed try stays a small share of the time whatever the step's size, and threads come
// back within a second once the cores are free. Every PROBE_EVERY threaded steps, a few steps
// run alone to keep the average current; the workers are kept polling through them, so that
// the threaded step after a probe does not wait for a worker to wake.
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

const BACKOFF_FIRST_MS = 2;
const BACKOFF_MAX_MS = 1000;
/**
 * Failed steps among the last WINDOW judged threaded ones that switch to steps alone: the
 * threaded steps' median then costs more than a step alone. One or two are noise on a busy
 * machine (another process preempting a thread for a moment), and a worker that has lost its
 * core fails every step; but with another process sharing the cores, a try's steps were often
 * slow and fast by turns, and a rule of three failures in a row let such a try run on (one
 * measured: its median threaded step took 1.13× the median step alone).
 */
const FAILS = 3;
const WINDOW = 5;
/**
 * Threaded steps after a switch that are judged leniently: the first not at all, the next ones
 * fail only above WAKING × a step alone (see the notes at the top).
 */
const UNJUDGED_THREADED = 3;
const WAKING = 2;
/** Threaded steps of one try that must pay before the backoff starts over at BACKOFF_FIRST_MS. */
const PROVEN = 16;
/** A threaded step must beat the caller-alone average by this factor to count as paying. */
const PAYS = 0.95;
/**
 * After this many threaded steps, PROBE_STEPS run alone to keep the caller-alone average
 * current (three steps alone, with the one that is not judged, every 256 cost about 1% of a
 * 1e5-element step on two threads).
 */
const PROBE_EVERY = 1024;
const PROBE_STEPS = 2;
/** How long init waits for workers to start and pass their self-test. */
const START_TIMEOUT_MS = 15_000;

/** Milliseconds, as finely as the runtime tells. */
export const clock: () => number = typeof performance === "object" ? () => performance.now() : () => Date.now();

/** Whether one optimizer's steps use the threads now (see the notes at the top). */
export class ThreadChoice {
  private threads = false;
  /** Steps in the current mode so far. */
  private run = 0;
  /** Steps alone left before threads are tried (again). */
  private solo = 0;
  private backoff = BACKOFF_FIRST_MS;
  /** Average ms per element of a step alone, and how many steps it averages (at most counted to 2). */
  private alone = 0;
  private aloneSamples = 0;
  /** The last WINDOW judged threaded steps of this try, newest in bit 0: 1 where one failed. */
  private recent = 0;
  /** Threaded steps since the last probe. */
  private sinceProbe = 0;
  /** Threaded steps of this try that paid. */
  private paid = 0;
  /** Are the steps alone now a probe (a few steps), rather than a backoff? */
  private probe = false;

  /** Do the steps alone now probe, so that the workers should keep polling (see ChunkQueue.ping)? */
  get probing(): boolean {
    return this.probe && !this.threads;
  }

  /** Should a step of `elements` elements be split among the threads? */
  wants(elements: number): boolean {
    if (elements < tuning.minElements) return false;
    if (!tuning.adaptive) return true;
    if (this.threads) {
      if (++this.sinceProbe >= PROBE_EVERY) {
        this.switchTo(false, PROBE_STEPS);
        this.probe = true;
      }
    } else if (this.solo > 0) this.solo--;
    else if (this.aloneSamples > 0) this.switchTo(true, 0);
    return this.threads;
  }

  /** A step of `elements` ran alone in `ms`. */
  ranAlone(elements: number, ms: number): void {
    if (elements < tuning.minElements || elements === 0 || this.run++ === 0) return;
    const x = ms / elements;
    this.alone = this.aloneSamples === 0 ? x : 0.5 * this.alone + 0.5 * x;
    this.aloneSamples = Math.min(this.aloneSamples + 1, 2);
  }

  /** A step of `elements` ran on the threads in `ms`: did it pay? */
  ranThreaded(elements: number, ms: number): void {
    if (!tuning.adaptive || elements === 0) return;
    const run = this.run++;
    if (run === 0) return;
    // Right after the switch, only a step that a busy core held up (more than WAKING × a step
    // alone) fails: with another process on the cores each try then costs four steps, not six.
    const waking = run < UNJUDGED_THREADED;
    const failed = ms / elements > this.alone * (waking ? WAKING : PAYS);
    if (!failed && waking) return;
    this.recent = ((this.recent << 1) | (failed ? 1 : 0)) & ((1 << WINDOW) - 1);
    if (!failed) {
      if (++this.paid === PROVEN) this.backoff = BACKOFF_FIRST_MS;
      return;
    }
    if (bitCount(this.recent) < FAILS) return;
    this.switchTo(false, Math.max(1, Math.round(this.backoff / (this.alone * elements))));
    this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX_MS);
  }

  private switchTo(threads: boolean, solo: number): void {
    this.threads = threads;
    this.probe = false;
    this.run = 0;
    this.recent = 0;
    this.sinceProbe = 0;
    this.paid = 0;
    this.solo = solo;
  }
}

function bitCount(x: number): number {
  let n = 0;
  for (; x !== 0; x &= x - 1) n++;
  return n;
}

export class ThreadPool {
  /** Threads in use: the caller and the workers. */
  readonly threads: number;
  readonly queue: ChunkQueue;
  private stopped = false;

  private constructor(queue: ChunkQueue, private readonly workers: WorkerHandle[]) {
    this.queue = queue;
    this.threads = workers.length + 1;
  }

  /**
   * Starts `count` workers over `backend`'s shared memory; each instantiates the kernels and
   * checks that wasm writes cross between it and the caller. Rejects with the reason when any
   * worker cannot start or fails that check (the others are ended). `spawn` starts one worker
   * (tests pass their own).
   */
  static async start(backend: Backend, count: number, spawn: () => Promise<WorkerHandle> = spawnWorker): Promise<ThreadPool> {
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
        const w = await spawn();
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

  /** Runs the chunks recorded in `queue`; returns when every one is done. */
  run(): void {
    if (this.stopped) throw new Error("simdopt internal error: a step on threads that were shut down");
    this.queue.run(clock);
  }

  /** Keeps the workers polling through a step alone (see ChunkQueue.ping). */
  ping(): void {
    if (!this.stopped) this.queue.ping();
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
