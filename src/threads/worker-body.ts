// The code every worker thread runs, kept as self-contained functions so that it can be started
// from a string (a data: URL or a blob: URL) in every build: `workerBody`, which is given
// `callChunk` as its last argument, and `callChunk` may refer to nothing outside themselves.
// Their protocol is in pool.ts.

/** What a worker is sent once, to start. */
export interface WorkerStart {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly control: SharedArrayBuffer;
  /** Kernel export names: a chunk's kernel id indexes this list. */
  readonly names: readonly string[];
  /** Control block layout (control.ts). */
  readonly layout: {
    claim: number; total: number; done: number; gen: number; stop: number; worked: number; sleeping: number;
    argsOffset: number; stride: number; indexBits: number; spinMs: number;
  };
  /** Self-test: `n` float32 at `readPtr` hold values whose max |x| is `expect`; write 1s at `writePtr`. */
  readonly test: { readPtr: number; writePtr: number; n: number; expect: number };
}

/** A worker's replies: ready (with what its self-test saw), or why it could not start. */
export type WorkerReply = { ready: true; saw: number } | { error: string };

export type Kernel = (...a: number[]) => void;

/**
 * Calls kernel `f` with the arguments of the chunk at `a[o]`, as many as the kernel takes
 * (measured: Adam at 1e5 elements on 2 threads, 0.048 ms a step rather than 0.058 with every
 * call passing 16). The caller's side calls it directly; a worker is handed its source as the
 * body's last argument (spawn.ts), so it too may refer to nothing outside itself.
 */
export function callChunk(f: Kernel, a: Float64Array, o: number): void {
  switch (f.length) {
    case 9:
      return f(a[o + 1]!, a[o + 2]!, a[o + 3]!, a[o + 4]!, a[o + 5]!, a[o + 6]!, a[o + 7]!, a[o + 8]!, a[o + 9]!);
    case 13:
      return f(a[o + 1]!, a[o + 2]!, a[o + 3]!, a[o + 4]!, a[o + 5]!, a[o + 6]!, a[o + 7]!, a[o + 8]!, a[o + 9]!,
        a[o + 10]!, a[o + 11]!, a[o + 12]!, a[o + 13]!);
    default:
      return f(a[o + 1]!, a[o + 2]!, a[o + 3]!, a[o + 4]!, a[o + 5]!, a[o + 6]!, a[o + 7]!, a[o + 8]!, a[o + 9]!,
        a[o + 10]!, a[o + 11]!, a[o + 12]!, a[o + 13]!, a[o + 14]!, a[o + 15]!, a[o + 16]!);
  }
}

/**
 * Runs in the worker: instantiates the kernels over the shared memory, runs the self-test,
 * replies, then claims chunks whenever the caller publishes a job until told to stop.
 */
export function workerBody(
  receive: (f: (m: WorkerStart) => void) => void, post: (m: WorkerReply) => void, done: () => void, call: typeof callChunk,
): void {
  receive((m) => {
    let fns: Kernel[];
    let c: Int32Array;
    let a: Float64Array;
    try {
      const instance = new WebAssembly.Instance(m.module, { env: { memory: m.memory } });
      const exports = instance.exports as Record<string, (...a: number[]) => number>;
      fns = m.names.map((n) => exports[n]!);
      c = new Int32Array(m.control);
      a = new Float64Array(m.control, m.layout.argsOffset);
      // Both ways through wasm: what the caller's instance wrote, and a write the caller checks.
      const saw = exports.maxAbs!(m.test.n, m.test.readPtr);
      exports.scale!(m.test.n, m.test.writePtr, 0);
      new Float32Array(m.memory.buffer, m.test.writePtr, m.test.n).fill(1);
      exports.scale!(m.test.n, m.test.writePtr, 2);
      post({ ready: true, saw });
    } catch (e) {
      post({ error: String((e as Error)?.message ?? e) });
      done();
      return;
    }
    const L = m.layout;
    const mask = (1 << L.indexBits) - 1;
    let seen = Atomics.load(c, L.gen);
    for (;;) {
      // Poll a while after a job (a tight loop's next step comes soon), then sleep. Whoever
      // changes GEN after this worker counts itself asleep notifies; one that changed it before
      // makes the wait return at once.
      // The clock is first read after 1,024 polls, so a job that comes sooner costs no read.
      let until = -1;
      for (let polls = 0; Atomics.load(c, L.gen) === seen;) {
        if ((++polls & 1023) !== 0) continue;
        const now = performance.now();
        if (until < 0) until = now + L.spinMs;
        else if (now > until) {
          Atomics.add(c, L.sleeping, 1);
          Atomics.wait(c, L.gen, seen);
          Atomics.sub(c, L.sleeping, 1);
        }
      }
      seen = Atomics.load(c, L.gen);
      if (Atomics.load(c, L.stop) !== 0) break;
      for (;;) {
        const v = Atomics.load(c, L.claim);
        if (v >>> L.indexBits !== (seen & (2 ** (31 - L.indexBits) - 1))) break;
        const i = v & mask;
        const total = Atomics.load(c, L.total);
        if (i >= total) break;
        if (Atomics.compareExchange(c, L.claim, v, v + 1) !== v) continue;
        const o = i * L.stride;
        call(fns[a[o]!]!, a, o);
        if (Atomics.add(c, L.done, 1) + 1 === total) Atomics.notify(c, L.done);
        Atomics.add(c, L.worked, 1);
      }
    }
    done();
  });
}
