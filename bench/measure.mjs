// One timing of one implementation with tinybench. Each tinybench iteration flips the
// gradient (untimed) and then runs `batch` steps, reporting their mean as the sample, so that
// microsecond steps are not lost in timer overhead.
import { Bench } from "tinybench";

const now = () => Number(process.hrtime.bigint()) / 1e6;

/** Median, min and max ns/element of one timing of `impl` (an object from impls setup). */
export async function time(impl, n, batch, { timeMs, warmupMs, minIterations }) {
  await impl.enter?.();
  const bench = new Bench({
    time: timeMs,
    warmupTime: warmupMs,
    iterations: minIterations,
    warmupIterations: 1,
    now,
    throws: true,
  });
  bench.add("step", () => {
    const f0 = now();
    impl.flip();
    const t0 = now();
    for (let k = 0; k < batch; k++) impl.step();
    const t1 = now();
    return { overriddenDuration: (t1 - t0) / batch, overriddenIterationCost: t1 - f0 };
  });
  await bench.run();
  const { latency } = bench.tasks[0].result;
  const perElement = (ms) => (ms * 1e6) / n;
  return { median: perElement(latency.p50), min: perElement(latency.min), max: perElement(latency.max), samples: latency.samplesCount };
}

/** Steps per sample: enough that one sample lasts tens of microseconds, at most 64. */
export const batchFor = (n) => Math.max(1, Math.min(64, Math.round(64_000 / n)));
