// Starting one worker thread from the worker source string, in whichever way this runtime
// has: `worker_threads` (Node, Bun, Deno), unref'd so that it never keeps the process alive,
// or a Web Worker from a blob: URL (browsers). The source is built into the bundle, so
// this works from dist/ in ESM and CommonJS alike, with no file to resolve.
import { callChunk, workerBody, type WorkerReply, type WorkerStart } from "./worker-body.js";

/** A started worker, whatever its kind. */
export interface WorkerHandle {
  start(m: WorkerStart): void;
  /** Calls `f` with the worker's first reply, or with an error when it fails to load. */
  onReply(f: (r: WorkerReply) => void): void;
  terminate(): void;
}

interface NodeWorker {
  postMessage(m: unknown): void;
  once(ev: string, f: (x: unknown) => void): void;
  unref(): void;
  terminate(): unknown;
}

const g = globalThis as {
  process?: { versions?: { node?: string } };
  Worker?: new (url: string, options?: { type?: string }) => {
    postMessage(m: unknown): void; onmessage: ((e: { data: unknown }) => void) | null;
    onerror: ((e: { message?: string }) => void) | null; terminate(): void; unref?: () => void;
  };
};

/**
 * Whether `worker_threads` is the way here: Node, Bun and Deno, whose `worker_threads` workers
 * can be unref'd (Deno's Web Workers keep the process alive).
 */
const useWorkerThreads = () => typeof g.process?.versions?.node === "string";

/** Why no worker can be started here, or undefined when one can be tried. */
export function spawnUnavailableReason(): string | undefined {
  if (useWorkerThreads() || typeof g.Worker === "function") return undefined;
  return "this runtime cannot start worker threads (it has no Worker)";
}

/** The worker's source: its body called with the host's three hooks (source text) and callChunk. */
const source = (hooks: string) => `(${workerBody.toString()})(${hooks}, ${callChunk.toString()});`;

/** Starts one worker; rejects when this runtime cannot. */
export async function spawnWorker(): Promise<WorkerHandle> {
  if (useWorkerThreads()) {
    // A specifier computed at run time, which minifiers cannot fold into a literal that bundlers
    // for other platforms would try to resolve: this line runs only in Node and Bun.
    const specifier = ["node", "worker_threads"].join(":");
    const wt = (await import(/* @vite-ignore */ specifier)) as { Worker: new (url: URL) => NodeWorker };
    // A data: URL is loaded as an ES module whatever the parent is (CommonJS, ESM, --input-type).
    const src = `import { parentPort } from "node:worker_threads";\n` +
      source(`(f) => parentPort.once("message", f), (m) => parentPort.postMessage(m), () => parentPort.close()`);
    const w = new wt.Worker(new URL(`data:text/javascript;charset=utf-8,${encodeURIComponent(src)}`));
    w.unref();
    return {
      start: (m) => w.postMessage(m),
      onReply: (f) => {
        w.once("message", (r) => f(r as WorkerReply));
        w.once("error", (e) => f({ error: (e as Error).message }));
      },
      terminate: () => void w.terminate(),
    };
  }
  const W = g.Worker!;
  const src = source(`(f) => { self.onmessage = (e) => f(e.data); }, (m) => self.postMessage(m), () => self.close()`);
  // A blob: URL is same-origin, which a cross-origin isolated page requires of its workers;
  // a data: URL where there is no Blob.
  const url = typeof Blob === "function" && typeof URL.createObjectURL === "function"
    ? URL.createObjectURL(new Blob([src], { type: "text/javascript" }))
    : `data:text/javascript;charset=utf-8,${encodeURIComponent(src)}`;
  const w = new W(url, { type: "module" });
  w.unref?.();
  return {
    start: (m) => w.postMessage(m),
    onReply: (f) => {
      w.onmessage = (e) => f(e.data as WorkerReply);
      w.onerror = (e) => f({ error: e.message ?? "the worker failed to load" });
    },
    terminate: () => w.terminate(),
  };
}
