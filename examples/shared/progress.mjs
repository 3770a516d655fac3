// Progress for long loops: a cli-progress bar on a terminal, and a plain line per finished
// unit (an epoch, a request) everywhere else, so logs stay readable in CI.
import cliProgress from "cli-progress";

const isTTY = Boolean(process.stdout.isTTY) && !process.env.CI;

/**
 * Starts one unit of work of `total` ticks, titled `label` ("RMSprop epoch 2/5"). `tick(n,
 * status)` moves it on (status: a short text such as "loss 0.31"); `done(summary)` ends it
 * and leaves `label  summary  (time)` on its own line.
 */
export function startUnit(label, total) {
  const t0 = performance.now();
  const seconds = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
  if (!isTTY) {
    return {
      tick() {},
      done: (summary) => console.log(`${label}  ${summary}  (${seconds()})`),
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {percentage}% {status}`, hideCursor: true, clearOnComplete: true, barsize: 24 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { status: "" });
  return {
    tick: (n, status = "") => bar.update(n, { status }),
    done(summary) {
      bar.stop();
      console.log(`${label}  ${summary}  (${seconds()})`);
    },
  };
}
