// How many threads steps use, as `init({ threads })` asked: the pool attached to the wasm
// backend, and why there are fewer threads than asked when there are.
import type { Backend } from "../backend.js";
import { show } from "../options.js";
import { spawnUnavailableReason } from "./spawn.js";
import { ThreadPool } from "./threads.js";

/** What `init({ threads })` takes: a thread count (the caller included), or "auto". */
export type ThreadsOption = number | "auto";

/** Thread counts above this are refused: more threads than that never pay for one step. */
export const MAX_THREADS = 64;

/** Validates `init`'s `threads` option into a count or "auto"; throws naming `threads` and the value. */
export function parseThreads(value: unknown, fn: string): ThreadsOption {
  if (value === "auto") return value;
  if (typeof value !== "number") throw new TypeError(`${fn}: threads must be a whole number or "auto", got ${show(value)}`);
  if (!Number.isInteger(value) || value < 1 || value > MAX_THREADS) {
    throw new RangeError(`${fn}: threads must be a whole number from 1 to ${MAX_THREADS}, or "auto", got ${show(value)}`);
  }
  return value;
}

/** Cores this process may use: `navigator.hardwareConcurrency`, or Node's `availableParallelism()`. */
async function availableParallelism(): Promise<number> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (typeof nav?.hardwareConcurrency === "number" && nav.hardwareConcurrency > 0) return nav.hardwareConcurrency;
  try {
    const specifier = ["node", "os"].join(":"); // not a literal: see spawn.ts
    const os = (await import(/* @vite-ignore */ specifier)) as { availableParallelism?: () => number; cpus(): unknown[] };
    return os.availableParallelism?.() ?? os.cpus().length;
  } catch {
    return 1;
  }
}

class Threads {
  private pool: ThreadPool | undefined;
  private owner: Backend | undefined;
  private reason: string | undefined;
  /** Configuration calls run one after another, in the order made. */
  private queue: Promise<void> = Promise.resolve();

  get inUse(): number {
    return this.pool?.threads ?? 1;
  }

  get whyFewer(): string | undefined {
    return this.reason;
  }

  configure(want: ThreadsOption, backend: Backend | undefined, wasm: Backend | undefined): Promise<void> {
    const next = this.queue.then(() => this.apply(want, backend, wasm));
    this.queue = next.catch(() => undefined);
    return next;
  }

  shutdown(): Promise<void> {
    const next = this.queue.then(() => this.stop());
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async apply(want: ThreadsOption, backend: Backend | undefined, wasm: Backend | undefined): Promise<void> {
    const count = want === "auto" ? await availableParallelism() : want;
    if (this.pool && this.pool.threads === count && this.owner === wasm && backend === wasm) return;
    this.stop();
    this.reason = undefined;
    if (count <= 1) {
      if (want === "auto") this.reason = "this machine has one core available";
      return;
    }
    const why = backend?.name !== "wasm" ? "the JS backend runs on one thread"
      : !backend.wasm!.shared ? `the kernels' memory is not shared: ${backend.wasm!.unsharedReason}`
      : spawnUnavailableReason();
    if (why) {
      this.reason = why;
      return;
    }
    try {
      this.pool = await ThreadPool.start(backend!, count - 1);
      this.owner = backend;
      backend!.pool = this.pool;
    } catch (e) {
      this.reason = (e as Error).message;
    }
  }

  private stop(): void {
    if (!this.pool) return;
    this.pool.shutdown();
    if (this.owner?.pool === this.pool) this.owner.pool = undefined;
    this.pool = undefined;
    this.owner = undefined;
  }
}

/** The process-wide thread configuration. */
export const threadsState = new Threads();

/**
 * Threads that steps use now: the caller plus its worker threads. 1 until `init({ threads })`
 * starts workers, and after `shutdown()`.
 *
 * @example
 * ```ts
 * await init({ threads: "auto" });
 * if (threads() === 1) console.warn(`simdopt runs on one thread: ${threadsReason()}`);
 * ```
 */
export function threads(): number {
  return threadsState.inUse;
}

/**
 * Why `threads()` is lower than the last `init({ threads })` asked for, or undefined: no
 * SharedArrayBuffer, a page that is not cross-origin isolated, a runtime without workers
 * (Cloudflare Workers), the JS backend, a worker that failed its self-test, ...
 *
 * @example
 * ```ts
 * await init({ backend: "js", threads: 2 });
 * console.log(threads(), threadsReason()); // 1 "the JS backend runs on one thread"
 * ```
 */
export function threadsReason(): string | undefined {
  return threadsState.whyFewer;
}

/**
 * Ends the worker threads; steps run on the caller from then on, until `init({ threads })`
 * starts workers again. Workers never keep a process alive, so calling this is optional.
 *
 * @example
 * ```ts
 * await init({ threads: 2 });
 * await shutdown(); // threads() is 1 again
 * ```
 */
export function shutdown(): Promise<void> {
  return threadsState.shutdown();
}
