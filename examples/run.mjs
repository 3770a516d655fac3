// `npm run examples` (after the build): every example in turn, each in its own process, then a
// PASS/FAIL line for each and the total time. Exits 1 if any failed.
//
//   npm run examples               the full runs (several minutes)
//   npm run examples -- --quick    the quick, checked runs: under 2 minutes together
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { quick: { type: "boolean", default: false } }, strict: true });
const EXAMPLES = ["story", "mnist-mlp", "tfjs", "worker", "embeddings"];
const TIMEOUT_S = values.quick ? 120 : 900;

function runExample(name) {
  const script = fileURLToPath(new URL(`./${name}/main.mjs`, import.meta.url));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...(values.quick ? ["--quick"] : [])], { stdio: "inherit" });
    const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_S * 1000);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      resolve(signal ? `killed by ${signal}${signal === "SIGKILL" ? ` after ${TIMEOUT_S} s` : ""}` : code === 0 ? undefined : `exit ${code}`);
    });
  });
}

const started = performance.now();
const results = [];
for (const name of EXAMPLES) {
  console.log(`\n=== ${name}${values.quick ? " --quick" : ""} ===`);
  const t0 = performance.now();
  const failure = await runExample(name);
  results.push({ name, failure, seconds: (performance.now() - t0) / 1000 });
}
console.log("");
for (const { name, failure, seconds } of results) console.log(`${failure ? "FAIL" : "PASS"} ${name} (${seconds.toFixed(1)} s)${failure ? `: ${failure}` : ""}`);
const failed = results.filter((r) => r.failure).length;
console.log(`${results.length - failed} passed, ${failed} failed in ${((performance.now() - started) / 1000).toFixed(1)} s`);
process.exit(failed ? 1 : 0);
