// Worker threads: every thread count gives the same bits (families and options at random, the
// PyTorch fixtures, both memory paths, ranges, sparse rows, clipping, the nonFinite scan),
// workers take part, shutdown() ends them, a process with live workers exits by itself, and
// the options and reasons are as documented. The split's thresholds are lowered here so that
// small steps are cut into many chunks, and the adaptive fallback is off, so that workers always
// take part; bench/threads.mjs measures the real settings.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { families, type Family } from "../src/family.js";
import {
  Adagrad, clipGradNorm, gradNorm, init, initSync, ParamStore, RMSprop, shutdown, threads, threadsReason, type Optimizer,
} from "../src/index.js";
import { currentBackend } from "../src/runtime.js";
import { ThreadChoice, ThreadPool, tuning } from "../src/threads/threads.js";
import type { WorkerHandle } from "../src/threads/spawn.js";
import type { WorkerReply, WorkerStart } from "../src/threads/worker-body.js";
import { firstBitDiff, fixtureIndex, loadFixture } from "./helpers/fixtures.js";
import { pick, randomOptions } from "./helpers/options.js";
import { rngOf as rng } from "./helpers/random.js";
import { optimizerClass, replay } from "./helpers/replay.js";

const ROOT = join(__dirname, "..");
const FAMILIES = families().filter((f) => f.id < 100);
const saved = { ...tuning };
beforeAll(() => Object.assign(tuning, { minElements: 0, chunkMin: 16, chunkMax: 64, adaptive: false }));
afterAll(async () => {
  Object.assign(tuning, saved);
  await shutdown();
});


/** Params (and state) after `steps` steps of random data, with the threads in use now. */
function train(name: string, options: Record<string, unknown>, lengths: number[], zeroCopy: boolean, seed: number,
  range?: [number, number]) {
  const Ctor = optimizerClass(name);
  const r = rng(seed);
  const init0 = lengths.map((n) => Float32Array.from({ length: n }, () => r() * 2 - 1));
  let store: ParamStore | undefined;
  let params: Float32Array[];
  if (zeroCopy) {
    store = new ParamStore(Object.fromEntries(lengths.map((n, i) => [`t${i}`, n])));
    init0.forEach((p, i) => store!.param(`t${i}`).set(p));
    params = store.params();
  } else params = init0.map((p) => p.slice());
  const opt: Optimizer<object> = new Ctor(params, options);
  for (let s = 0; s < 3; s++) {
    const gs = lengths.map((n) => Float32Array.from({ length: n }, () => (r() - 0.5) * 4));
    if (store) {
      gs.forEach((g, i) => store!.grad(`t${i}`).set(g));
      if (range) opt.step({ range });
      else opt.step();
    } else opt.step(gs, range ? { range } : undefined);
  }
  const out = { params: (store ? store.params() : params).map((p) => p.slice()), state: opt.saveState() };
  opt.dispose();
  store?.dispose();
  return out;
}

describe("threads: the same bits for any thread count", () => {
  it("every family, random options, both memory paths, ranges: 1 to 4 threads agree bit for bit", async () => {
    await everyFamilyAgrees();
  });

  it("the same with steps cut into equal parts, one per thread", async () => {
    // Steps of up to threads × chunkMax elements are cut into one part per thread.
    Object.assign(tuning, { chunkMax: 1 << 20 });
    try {
      await everyFamilyAgrees();
    } finally {
      Object.assign(tuning, { chunkMax: 64 });
    }
  });

  async function everyFamilyAgrees() {
    type Case = { name: string; options: Record<string, unknown>; lengths: number[]; zeroCopy: boolean; seed: number; range?: [number, number] };
    const cases: Case[] = [];
    for (const family of FAMILIES) {
      const r = rng(family.id * 104729);
      for (let c = 0; c < 4; c++) {
        const options = randomOptions(family as Family<unknown>, r);
        const lengths = [pick(r, [1, 5, 64, 1000]), pick(r, [0, 33, 4099]), pick(r, [700, 20_000])];
        const total = lengths.reduce((a, b) => a + b, 0);
        const range: [number, number] | undefined = c === 3 ? [pick(r, [0, 3, 17]), total - pick(r, [0, 5])] : undefined;
        for (const zeroCopy of [false, true]) cases.push({ name: family.name, options, lengths, zeroCopy, seed: c, range });
      }
    }
    const results: Array<Array<ReturnType<typeof train>>> = [];
    let worked = 0;
    for (const n of [1, 2, 3, 4]) {
      await init({ backend: "wasm", threads: n });
      expect(threads()).toBe(n);
      const before = currentBackend().pool?.queue.workerChunks ?? 0;
      results.push(cases.map((k) => train(k.name, k.options, k.lengths, k.zeroCopy, k.seed, k.range)));
      worked += (currentBackend().pool?.queue.workerChunks ?? 0) - before;
    }
    cases.forEach((k, i) => {
      const what = `${k.name} ${JSON.stringify(k.options)} ${k.lengths} ${k.zeroCopy ? "zero-copy" : "marshalled"} ${k.range ?? ""}`;
      const one = results[0]![i]!;
      for (const other of results.slice(1).map((r) => r[i]!)) {
        other.params.forEach((p, j) => expect(firstBitDiff(p, one.params[j]!), `${what} params[${j}]`).toBe(-1));
        expect(Buffer.from(other.state).equals(Buffer.from(one.state)), `${what} state`).toBe(true);
      }
    });
    expect(worked).toBeGreaterThan(0);
  }

  it("rowwise Adagrad: chunks hold whole rows", async () => {
    const results: Array<ReturnType<typeof train>> = [];
    for (const n of [1, 3]) {
      await init({ backend: "wasm", threads: n });
      for (const zeroCopy of [false, true]) results.push(train("Adagrad", { rowwise: 12, lr: 0.1 }, [1200, 36, 6000], zeroCopy, 9));
    }
    for (const other of results.slice(1)) {
      other.params.forEach((p, i) => expect(firstBitDiff(p, results[0]!.params[i]!)).toBe(-1));
    }
  });

  it("replays every PyTorch fixture with 3 threads, both memory paths", async () => {
    await init({ backend: "wasm", threads: 3 });
    const before = currentBackend().pool!.queue.workerChunks;
    for (const entry of fixtureIndex()) {
      const fx = loadFixture(entry.file);
      replay(fx, "marshalled");
      replay(fx, "zero-copy");
    }
    expect(currentBackend().pool!.queue.workerChunks).toBeGreaterThan(before);
  });

  it("a ping gives polling workers nothing to run, and the jobs after it run as before", async () => {
    const run = (ping: boolean) => {
      const r = rng(5);
      const w = Float32Array.from({ length: 200_000 }, () => r() - 0.5);
      const opt = new RMSprop([w], { lr: 0.01, momentum: 0.9 });
      for (let k = 0; k < 12; k++) {
        opt.step([Float32Array.from({ length: w.length }, () => r() - 0.5)]);
        if (ping) for (let i = 0; i < 3; i++) currentBackend().pool!.ping();
      }
      opt.dispose();
      return w;
    };
    await init({ backend: "wasm", threads: 1 });
    const alone = run(false);
    await init({ backend: "wasm", threads: 2 });
    const pool = currentBackend().pool!;
    const before = pool.queue.workerChunks;
    for (let i = 0; i < 50; i++) pool.ping();
    await new Promise((r) => setTimeout(r, 20));
    expect(pool.queue.workerChunks).toBe(before);
    expect(firstBitDiff(run(true), alone)).toBe(-1);
    expect(pool.queue.workerChunks).toBeGreaterThan(before);
  });

  it("sparse rows, clipping and the nonFinite scan give the same bits with threads", async () => {
    const run = () => {
      const r = rng(77);
      const w = Float32Array.from({ length: 64 * 100 }, () => r() - 0.5);
      const opt = new Adagrad([w], { lr: 0.1, nonFinite: "skip" });
      const dense = Float32Array.from({ length: w.length }, () => r() * 10);
      const norm = clipGradNorm([dense], 1);
      opt.step([dense]);
      opt.step([{ indices: Int32Array.of(3, 50, 3, 99), values: Float32Array.from({ length: 4 * 64 }, () => r()), dim: 64 }]);
      dense[4000] = NaN;
      const skipped = !opt.step([dense]);
      const out = { w: w.slice(), norm, skipped, state: opt.saveState(), n2: gradNorm([w]) };
      opt.dispose();
      return out;
    };
    await init({ backend: "wasm", threads: 1 });
    const one = run();
    await init({ backend: "wasm", threads: 2 });
    const two = run();
    expect(firstBitDiff(two.w, one.w)).toBe(-1);
    expect(Object.is(two.norm, one.norm) && Object.is(two.n2, one.n2)).toBe(true);
    expect(one.skipped && two.skipped).toBe(true);
    expect(Buffer.from(two.state).equals(Buffer.from(one.state))).toBe(true);
  });
});

describe("threads: the adaptive fallback (timings given, not measured)", () => {
  const N = 1_000_000;
  /** How many of the next `k` steps would use the threads, each taking `threadedMs` if so. */
  function next(choice: ThreadChoice, k: number, threadedMs: number, aloneMs = 1): boolean[] {
    const out: boolean[] = [];
    for (let i = 0; i < k; i++) {
      const t = choice.wants(N);
      out.push(t);
      if (t) choice.ranThreaded(N, threadedMs);
      else choice.ranAlone(N, aloneMs);
    }
    return out;
  }

  const runs = (xs: boolean[]) => {
    // [mode, length] of each run of equal values: "T" threads, "A" alone.
    const out: Array<[string, number]> = [];
    for (const x of xs) {
      const m = x ? "T" : "A";
      if (out.length && out[out.length - 1]![0] === m) out[out.length - 1]![1]++;
      else out.push([m, 1]);
    }
    return out;
  };

  it("times steps alone first, keeps threads while they pay, and probes alone after every 1,024 threaded steps", () => {
    Object.assign(tuning, { minElements: 65_536, adaptive: true });
    try {
      const choice = new ThreadChoice();
      expect(choice.wants(1000)).toBe(false); // below the threshold: alone, untimed
      // Two steps alone (the first is not counted: it may be cold), 1,024 threaded, a probe of
      // three alone (the first pays for the switch, and is not counted), and threads again.
      expect(runs(next(choice, 2 + 1024 + 3 + 10, 0.55))).toEqual([["A", 2], ["T", 1024], ["A", 3], ["T", 10]]);
      // The probe's steps alone keep the workers polling (probing), threaded steps need not.
      const modes: boolean[] = [];
      const probing: boolean[] = [];
      for (let i = 0; i < 1028; i++) {
        const t = choice.wants(N);
        modes.push(t);
        probing.push(choice.probing);
        if (t) choice.ranThreaded(N, 0.55);
        else choice.ranAlone(N, 1);
      }
      expect(runs(modes)).toEqual([["T", 1014], ["A", 3], ["T", 11]]);
      expect(probing).toEqual(modes.map((t) => !t));
    } finally {
      Object.assign(tuning, { minElements: 0, adaptive: false });
    }
  });

  it("falls back to the caller alone when three of the last five threaded steps cost more, retrying after 2, 4, 8 ... ms alone, and starts over once a try has paid for 16 steps", () => {
    Object.assign(tuning, { minElements: 65_536, adaptive: true });
    try {
      const choice = new ThreadChoice();
      // Steps alone take 1 ms, so the backoff's 2 ms, 4 ms, ... are 2, 4, ... steps. Every
      // threaded step costs 3 ms (a worker held a chunk while descheduled): a try is the step
      // that switches (not judged) and three failures (3 ms is more than twice a step alone, so
      // the steps right after the switch fail too).
      expect(runs(next(choice, 2 + 4 + 2 + 4 + 4 + 4 + 8, 3))).toEqual([["A", 2], ["T", 4], ["A", 2], ["T", 4], ["A", 4], ["T", 4], ["A", 8]]);
      // Right after a switch, a step up to twice a step alone (waking the workers) is not a
      // failure: a try whose steps take 1.5 ms costs the switch, two lenient steps and three failures.
      const waking = new ThreadChoice();
      expect(runs(next(waking, 2 + 6 + 2, 1.5))).toEqual([["A", 2], ["T", 6], ["A", 2]]);
      // A backoff lets the workers sleep.
      expect(choice.probing).toBe(false);
      // Threads pay again: the next try keeps them.
      expect(runs(next(choice, 56, 0.5))).toEqual([["T", 56]]);
      // Two slow steps among the last five are noise; three back off (by 2 ms again, not by
      // where it had got to, as this try paid for more than 16 steps), whether in a row or not.
      const judged = (times: number[]) => times.flatMap((ms) => next(choice, 1, ms));
      expect(runs([...judged([3, 0.5, 3, 0.5, 0.5, 0.5, 3, 0.5]), ...judged([3, 0.5, 3]), ...next(choice, 4, 0.5)]))
        .toEqual([["T", 11], ["A", 2], ["T", 2]]);
      expect(runs(next(choice, 20, 0.5))).toEqual([["T", 20]]);
      expect(runs([...next(choice, 3, 3), ...next(choice, 4, 0.5)])).toEqual([["T", 3], ["A", 2], ["T", 2]]);
      // One step that pays among slow ones does not start the backoff over: a try must pay
      // for 16 steps (with another process on a core, a lucky step came every few tries).
      const lucky = new ThreadChoice();
      const tries: boolean[] = [];
      for (let i = 0, j = 0; i < 2 + 7 + 2 + 7 + 4 + 7 + 8; i++) {
        const t = lucky.wants(N);
        tries.push(t);
        if (t) lucky.ranThreaded(N, [3, 0.5, 0.5, 0.5, 3, 3, 3][j++ % 7]!);
        else {
          j = 0;
          lucky.ranAlone(N, 1);
        }
      }
      expect(runs(tries)).toEqual([["A", 2], ["T", 7], ["A", 2], ["T", 7], ["A", 4], ["T", 7], ["A", 8]]);
      // The backoff is time: with steps alone of 0.25 ms, 2 ms is 8 steps; it stops doubling at 1 s.
      const fast = new ThreadChoice();
      const gaps = runs(next(fast, 20_000, 3, 0.25)).filter(([m]) => m === "A").map(([, k]) => k);
      expect(gaps.slice(0, 5)).toEqual([2, 8, 16, 32, 64]);
      expect(Math.max(...gaps)).toBe(4000);
    } finally {
      Object.assign(tuning, { minElements: 0, adaptive: false });
    }
  });
});

describe("threads: lifecycle and options", () => {
  it("shutdown() ends the workers: threads() is 1 and steps go on, on the caller", async () => {
    await init({ backend: "wasm", threads: 2 });
    expect(threads()).toBe(2);
    expect(currentBackend().pool).toBeDefined();
    await shutdown();
    expect(threads()).toBe(1);
    expect(currentBackend().pool).toBeUndefined();
    const w = new Float32Array(1000).fill(1);
    const opt = new RMSprop([w], { lr: 0.1 });
    expect(opt.step([new Float32Array(1000).fill(1)])).toBe(true);
    expect(w[999]).not.toBe(1);
    opt.dispose();
  });

  it("refuses bad thread counts naming threads and the value; initSync takes only 1", async () => {
    await expect(init({ threads: 0 })).rejects.toThrow(/threads must be a whole number from 1 to 64, or "auto", got 0/);
    await expect(init({ threads: 2.5 })).rejects.toThrow(RangeError);
    await expect(init({ threads: "2" as never })).rejects.toThrow(/threads must be a whole number or "auto", got "2"/);
    await expect(init({ threads: "2" as never })).rejects.toThrow(TypeError);
    expect(() => initSync({ threads: 2 })).toThrow(/initSync: threads must be 1.*await init\(\{ threads: 2 \}\)/);
    expect(initSync({ threads: 1 })).toBe("wasm");
  });

  it("refuses workers whose wasm does not see the caller's writes, or whose writes the caller does not see (the self-test)", async () => {
    await init({ backend: "wasm", threads: 1 });
    const backend = currentBackend();
    const used = backend.heap.usedBytes;
    /** A worker that answers as told, without running anything. */
    const fake = (reply: (m: WorkerStart) => WorkerReply) => async (): Promise<WorkerHandle> => {
      let answer: (r: WorkerReply) => void = () => {};
      return {
        start: (m) => setTimeout(() => answer(reply(m)), 1),
        onReply: (f) => (answer = f),
        terminate: () => {},
      };
    };
    await expect(ThreadPool.start(backend, 2, fake(() => ({ ready: true, saw: 0 }))))
      .rejects.toThrow(/self-test failed: a worker's wasm read 0 where the caller's wasm wrote 48/);
    await expect(ThreadPool.start(backend, 1, fake((m) => ({ ready: true, saw: m.test.expect }))))
      .rejects.toThrow(/self-test failed: the caller's wasm read 0 where a worker's wasm wrote 2/);
    await expect(ThreadPool.start(backend, 1, fake(() => ({ error: "no wasm here" })))).rejects.toThrow(/a worker could not start: no wasm here/);
    expect(backend.heap.usedBytes).toBe(used); // the self-test's blocks were given back
    expect(backend.pool).toBeUndefined();
  });

  it("says why there are fewer threads than asked: the JS backend", async () => {
    await init({ backend: "js", threads: 2 });
    expect(threads()).toBe(1);
    expect(threadsReason()).toMatch(/JS backend runs on one thread/);
    await init({ backend: "wasm", threads: "auto" });
    expect(threads()).toBeGreaterThanOrEqual(1);
    if (threads() > 1) expect(threadsReason()).toBeUndefined();
    await shutdown();
  });

  it("a process with live workers exits by itself, from dist/ in ESM and CommonJS", () => {
    const step = `const s = new m.ParamStore({ w: 200000 }); const o = new m.RMSprop(s); for (let i = 0; i < 20; i++) o.step();` +
      ` console.log(m.threads(), m.threadsReason() ?? "-");`;
    const esm = `import * as m from ${JSON.stringify(join(ROOT, "dist", "index.js"))}; await m.init({ threads: 2 }); ${step}`;
    const cjs = `const m = require(${JSON.stringify(join(ROOT, "dist", "index.cjs"))}); m.init({ threads: 2 }).then(() => { ${step} });`;
    for (const [args, what] of [[["--input-type=module", "-e", esm], "ESM"], [["-e", cjs], "CJS"]] as const) {
      const out = execFileSync(process.execPath, args, { encoding: "utf8", timeout: 30_000 });
      expect(out.trim(), what).toBe("2 -");
    }
  });
});
