// Runs examples/worker/worker.mjs in workerd, the open-source Workers runtime, and plays its
// client: sends batches of rows from a hidden linear model, restarts workerd halfway (the
// model's checkpoint is on disk in the Durable Object's storage), and checks that training
// continued where it stopped and found the hidden weights.
//
//   npm run example:worker              40 requests, a restart, 10 more
//   npm run example:worker -- --quick   12, a restart, 4 more, with checks
import { spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { check, flags } from "../shared/cli.mjs";
import { startUnit } from "../shared/progress.mjs";
import { seeded } from "../shared/random.mjs";

const { quick } = flags();
const [FIRST, SECOND] = quick ? [12, 4] : [40, 10];
const HERE = dirname(fileURLToPath(import.meta.url));
const WORKERD = join(HERE, "..", "..", "node_modules", ".bin", "workerd");

// The hidden model the client's rows come from, with a little noise.
const TRUE_W = [0.5, -1, 2, 0, 1.5, -0.5, 0.25, -2];
const TRUE_B = 0.7;
const random = seeded(3);
function batch(rows = 32) {
  const x = Array.from({ length: rows }, () => TRUE_W.map(() => 2 * random() - 1));
  const y = x.map((row) => row.reduce((s, v, j) => s + v * TRUE_W[j], TRUE_B) + 0.01 * (2 * random() - 1));
  return { x, y };
}

/** Bundles the Worker as wrangler would (the `workerd` condition), simdopt.wasm beside it. */
async function bundle(dir) {
  await build({
    entryPoints: [join(HERE, "worker.mjs")],
    outfile: join(dir, "worker.js"),
    bundle: true,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    logLevel: "error",
    external: ["cloudflare:*"], // the runtime's own modules
    plugins: [
      {
        name: "wasm-module",
        setup(b) {
          b.onResolve({ filter: /\.wasm$/, namespace: "file" }, async (args) => {
            if (args.pluginData) return undefined;
            const found = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: true });
            cpSync(found.path, join(dir, basename(found.path)));
            return { path: `./${basename(found.path)}`, external: true };
          });
        },
      },
    ],
  });
}

function config(port, storage) {
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "storage", disk = (path = ${JSON.stringify(storage)}, writable = true)),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "simdopt.wasm", wasm = embed "simdopt.wasm"),
  ],
  compatibilityDate = "2025-01-01",
  bindings = [(name = "MODELS", durableObjectNamespace = "Model")],
  durableObjectNamespaces = [(className = "Model", uniqueKey = "simdopt-example-model")],
  durableObjectStorage = (localDisk = "storage"),
);
`;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

/** Starts workerd on `dir`'s config and resolves once it answers; `stop()` ends it. */
async function startWorkerd(dir, url) {
  const child = spawn(WORKERD, ["serve", "--experimental", "config.capnp"], { cwd: dir, stdio: ["ignore", "inherit", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise((resolve) => child.on("exit", resolve));
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`workerd exited with ${child.exitCode}:\n${stderr}`);
    try {
      await fetch(url);
      break;
    } catch {
      if (i > 150) throw new Error(`workerd did not answer within 15 s:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

async function call(url, body) {
  const res = await fetch(url, body ? { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } } : {});
  const out = await res.json();
  if (!res.ok) throw new Error(`${res.status}: ${out.error}`);
  return out;
}

async function train(url, count, label) {
  const unit = startUnit(label, count);
  let first;
  let last;
  for (let i = 0; i < count; i++) {
    last = await call(url, batch());
    first ??= last;
    if (!process.stdout.isTTY && (i === 0 || (i + 1) % 5 === 0 || i === count - 1)) {
      console.log(`  request ${String(last.requests).padStart(3)}: loss on its rows ${last.before.toExponential(2)} -> ${last.after.toExponential(2)} after ${last.steps} steps`);
    }
    unit.tick(i + 1, `loss ${last.after.toExponential(2)}`);
  }
  unit.done(`${count} requests; the last one's loss ${last.after.toExponential(2)} (backend ${last.backend})`);
  return { first, last };
}

const dir = mkdtempSync(join(tmpdir(), "simdopt-worker-"));
const t0 = performance.now();
let server;
try {
  mkdirSync(join(dir, "storage"));
  await bundle(dir);
  const port = await freePort();
  writeFileSync(join(dir, "config.capnp"), config(port, join(dir, "storage")));
  const base = `http://127.0.0.1:${port}`;
  const url = `${base}/models/demo`;
  console.log(`worker: workerd serving the example Worker at ${base}; a linear model of 8 features, 20 RMSprop steps per request`);

  server = await startWorkerd(dir, base);
  const first = await train(url, FIRST, "before the restart");
  const beforeRestart = await call(url);
  // A bad request is refused and changes nothing.
  const refused = await call(url, { x: [[1, 2]], y: [1] }).then(() => "accepted", (e) => e.message);
  check(refused.startsWith("400") && JSON.stringify(await call(url)) === JSON.stringify(beforeRestart), `a malformed batch should be refused with 400, changing nothing: ${refused}`);
  console.log(`a malformed batch was refused (${refused}), the model unchanged`);
  await server.stop();
  console.log("workerd stopped; starting it again on the same storage");
  server = await startWorkerd(dir, base);
  const afterRestart = await call(url);
  check(JSON.stringify(afterRestart) === JSON.stringify(beforeRestart), "after the restart the model should be the one checkpointed before it");
  console.log(`restored from its checkpoint: ${afterRestart.requests} requests and ${afterRestart.steps} steps so far, the same weights`);
  const second = await train(url, SECOND, "after the restart");
  const model = await call(url);
  await server.stop();
  server = undefined;

  const error = Math.max(...model.w.map((w, j) => Math.abs(w - TRUE_W[j])), Math.abs(model.b - TRUE_B));
  console.log(`learned w = [${model.w.map((v) => v.toFixed(3)).join(", ")}], b = ${model.b.toFixed(3)}; largest error ${error.toFixed(4)}`);
  check(second.last.requests === FIRST + SECOND, `the requests after the restart should continue the count, got ${second.last.requests}`);
  check(second.first.before < first.first.before / 100, `the first request after the restart should start from the trained model: loss ${second.first.before}, against ${first.first.before} untrained`);
  check(error < 0.05, `the model should find the hidden weights to within 0.05, is ${error} off`);
  check(second.last.backend === "wasm", `workerd should run the wasm kernels, ran ${second.last.backend}`);
  console.log(`worker done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
} finally {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
}
