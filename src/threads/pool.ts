// The caller's side of the worker threads: the control block they share, the chunks of one
// step, and how the caller hands them out and waits for them.
//
// Control block (a SharedArrayBuffer of its own, Int32 words, then float64 chunk arguments):
//   CLAIM  job generation << INDEX_BITS | next chunk index; a chunk is claimed by a
//          compare-exchange that keeps the generation, so a thread still looking at an earlier
//          job can never claim a chunk of a later one.
//   TOTAL  chunks in the job;  DONE  chunks finished (the last one notifies the caller);
//   GEN    the generation workers poll, then sleep on;  STOP  nonzero: workers end;
//   SLEEPING workers asleep on GEN: the caller calls Atomics.notify only when some are;
//   WORKED chunks workers ran, in all (tests check that workers took part).
//   args   per chunk, STRIDE float64 (three whole cache lines): the kernel's index in `names`,
//          then up to 16 arguments (i32 pointers and counts, f32 constants: all exact in
//          float64). Wasm ignores arguments past a kernel's own.
// The caller publishes a job by writing the chunks, TOTAL and DONE, then CLAIM, then GEN, and
// notifies; it takes the first chunk itself, claims the others like any worker, then waits
// until DONE reaches TOTAL. It never waits for a chunk nobody claimed, so a worker that has not
// woken costs nothing but its share.
//
// Each cache line a worker reads after the caller wrote it costs a hand-off between the cores
// (0.1–0.5 µs one way on this project's VM, at times more, bench/handoff.mjs), and a threaded step of 1e5 elements
// takes about 30 µs, so the layout keeps them few: GEN shares its line with CLAIM, TOTAL and
// DONE (a worker that sees the job has what it needs to claim a chunk), the arguments of a
// chunk are written only where they changed since the step before and never share a line with
// another chunk's, and WORKED, which only workers write, has a line of its own.
import { callChunk, type Kernel, type WorkerStart } from "./worker-body.js";

const CLAIM = 0, TOTAL = 1, DONE = 2, GEN = 3, STOP = 16, SLEEPING = 17, WORKED = 32;
const HEADER_BYTES = 192;
const INDEX_BITS = 12;
/** Chunks per step at most. */
export const MAX_CHUNKS = (1 << INDEX_BITS) - 1;
const GEN_LIMIT = 2 ** (31 - INDEX_BITS);
const STRIDE = 24;
/**
 * How long a worker polls GEN after a job before it sleeps, in ms. Waking a sleeping worker
 * takes about as long as a step of 1e5 elements on a 2-core VM, so without polling threads
 * never paid there; with it, consecutive steps of 1e5 took 0.034 ms instead of 0.055 on one
 * thread (bench/threads.mjs). Between the steps of a training loop (a forward and backward
 * pass apart) the worker then sleeps, having spent this much of its core.
 */
const WORKER_SPIN_MS = 0.2;
/**
 * How long the caller polls DONE at the end of a step before it sleeps, in ms: it has nothing
 * else to do, and waking a sleeping thread takes 50–100 µs on a busy machine, as long as a
 * chunk.
 */
const CALLER_SPIN_MS = 2;

export const LAYOUT: WorkerStart["layout"] = {
  claim: CLAIM, total: TOTAL, done: DONE, gen: GEN, stop: STOP, worked: WORKED,
  sleeping: SLEEPING, argsOffset: HEADER_BYTES, stride: STRIDE, indexBits: INDEX_BITS, spinMs: WORKER_SPIN_MS,
};

/** A kernel call with the fixed arity every chunk has. */
export type Recorder = (a0: number, a1: number, a2: number, a3: number, a4: number, a5: number, a6: number, a7: number,
  a8: number, a9: number, a10: number, a11: number, a12: number, a13: number, a14: number, a15: number) => void;

/**
 * a[i] = v, unless a[i] already holds v (Object.is: -0 and 0 differ): a write would take the
 * line from the worker that read it, which would then wait for it again.
 */
function put(a: Float64Array, i: number, v: number): void {
  if (!Object.is(a[i], v)) a[i] = v;
}

/** Whether Atomics.wait may block this thread (not on a browser's main thread). */
function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

export class ChunkQueue {
  readonly control: SharedArrayBuffer;
  private readonly c: Int32Array;
  private readonly a: Float64Array;
  private readonly fns: Kernel[];
  private readonly recorders = new Map<number, Recorder>();
  private count = 0;
  private gen = 0;
  private readonly blocking = canBlock();

  constructor(readonly names: readonly string[], exports: Record<string, unknown>) {
    this.control = new SharedArrayBuffer(HEADER_BYTES + (MAX_CHUNKS + 1) * STRIDE * 8);
    this.c = new Int32Array(this.control, 0, HEADER_BYTES / 4);
    this.a = new Float64Array(this.control, HEADER_BYTES);
    this.fns = names.map((n) => exports[n] as Kernel);
  }

  /** The index of kernel export `name`. */
  kernelId(name: string): number {
    const i = this.names.indexOf(name);
    if (i < 0) throw new Error(`simdopt internal error: no kernel ${name} for threads`);
    return i;
  }

  /** A function with the kernel's signature that adds a chunk calling it to the next job. */
  recorder(id: number): Recorder {
    let r = this.recorders.get(id);
    if (!r) {
      r = (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15) => {
        const a = this.a;
        const o = this.count++ * STRIDE;
        put(a, o, id);
        put(a, o + 1, a0); put(a, o + 2, a1); put(a, o + 3, a2); put(a, o + 4, a3); put(a, o + 5, a4);
        put(a, o + 6, a5); put(a, o + 7, a6); put(a, o + 8, a7); put(a, o + 9, a8); put(a, o + 10, a9);
        put(a, o + 11, a10); put(a, o + 12, a11); put(a, o + 13, a12); put(a, o + 14, a13); put(a, o + 15, a14);
        put(a, o + 16, a15);
      };
      this.recorders.set(id, r);
    }
    return r;
  }

  /** Chunks recorded for the next job. */
  get size(): number {
    return this.count;
  }

  /**
   * Runs the chunks recorded, on the caller and any worker awake, and returns when all are
   * done. Reads the clock only once it has waited a while (a read costs about 0.07 µs, and a
   * 1e5-element step on two threads about 30 µs).
   */
  run(now: () => number): void {
    const c = this.c;
    const total = this.count;
    this.count = 0;
    if (total === 0) return;
    this.gen = this.gen + 1 >= GEN_LIMIT ? 1 : this.gen + 1;
    const gen = this.gen;
    Atomics.store(c, TOTAL, total);
    Atomics.store(c, DONE, 0);
    // The first chunk is the caller's before anyone looks: it starts without waiting for a
    // compare-exchange on the line that workers are reading.
    Atomics.store(c, CLAIM, (gen << INDEX_BITS) | 1);
    Atomics.store(c, GEN, gen);
    if (Atomics.load(c, SLEEPING) > 0) Atomics.notify(c, GEN);
    const a = this.a, fns = this.fns;
    callChunk(fns[a[0]!]!, a, 0);
    Atomics.add(c, DONE, 1);
    for (;;) {
      const v = Atomics.load(c, CLAIM);
      const i = v & MAX_CHUNKS;
      if (i >= total) break;
      if (Atomics.compareExchange(c, CLAIM, v, v + 1) !== v) continue;
      const o = i * STRIDE;
      callChunk(fns[a[o]!]!, a, o);
      Atomics.add(c, DONE, 1);
    }
    let sleepAt = -1;
    for (let spins = 0, d = Atomics.load(c, DONE); d < total; d = Atomics.load(c, DONE)) {
      if (!this.blocking || (++spins & 1023) !== 0) continue;
      const t = now();
      if (sleepAt < 0) sleepAt = t + CALLER_SPIN_MS;
      else if (t > sleepAt) Atomics.wait(c, DONE, d, 1);
    }
  }

  /** Chunks workers have run since the pool started. */
  get workerChunks(): number {
    return Atomics.load(this.c, WORKED);
  }

  /**
   * Restarts the polling of workers still polling, with no work for them: a few steps alone
   * (the fallback's probe) then do not outlast the poll and put them to sleep, which made the
   * next threaded step wait for a wake-up (1e5-element Adam: 70 µs instead of 40). Workers
   * asleep stay asleep. A worker that sees the new generation finds the claim counter still of
   * the one before, and claims nothing.
   */
  ping(): void {
    this.gen = this.gen + 1 >= GEN_LIMIT ? 1 : this.gen + 1;
    Atomics.store(this.c, GEN, this.gen);
  }

  /** Tells every worker to end (they finish the job in hand first). */
  stop(): void {
    Atomics.store(this.c, STOP, 1);
    this.gen = this.gen + 1 >= GEN_LIMIT ? 1 : this.gen + 1;
    Atomics.store(this.c, GEN, this.gen);
    Atomics.notify(this.c, GEN);
  }
}
