// `npm run test:runtimes`: builds and packs simdopt, installs the tarball into a throwaway
// consumer project, and runs the same check (test/runtimes/consumer/check.mjs) in every runtime
// we support: Node (ESM, CJS), a TypeScript consumer, Bun, Deno, workerd and headless Chromium
// (pages with and without cross-origin isolation, and a dedicated worker), each with a thread check.
// Prints one PASS/FAIL line per runtime, then "N passed, M failed"; exits 1 on any failure.
// Flags: --no-build (reuse dist/), --keep (leave the temp dir for inspection).
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { serveStatic } from "./serve.mjs";

const run = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const BIN = join(ROOT, "node_modules", ".bin");
const FIXTURES = ["adagrad-all-n33", "rmsprop-all-n33"];
const CHROMIUM = "/usr/bin/chromium";
const args = new Set(process.argv.slice(2));
const started = Date.now();

/** Runs a command with a deadline; resolves to its combined output, rejects with it on failure. */
async function sh(file, argv, { cwd = ROOT, timeout = 120_000, env = {} } = {}) {
  try {
    const { stdout, stderr } = await run(file, argv, {
      cwd,
      timeout,
      killSignal: "SIGKILL",
      maxBuffer: 64 << 20,
      env: { ...process.env, NO_COLOR: "1", ...env },
    });
    return stdout + stderr;
  } catch (e) {
    const why = e.killed ? `timed out after ${timeout / 1000}s` : `exit ${e.code}`;
    throw new Error(`${file} ${argv.join(" ")}: ${why}\n${e.stdout ?? ""}${e.stderr ?? ""}`);
  }
}

function resultOf(output) {
  const line = output.split("\n").find((l) => l.includes("SIMDOPT_RESULT "));
  if (!line) throw new Error(`no result line in the output:\n${output}`);
  return JSON.parse(line.slice(line.indexOf("SIMDOPT_RESULT ") + "SIMDOPT_RESULT ".length));
}

/**
 * Checks the thread part of a result: `want` is 2 (two threads, the bits of one) or a RegExp
 * the reason for one thread must match.
 */
function threadVerdict(t, want) {
  if (!t) throw new Error("no thread check in the result");
  if (t.error) throw new Error(`thread check: ${t.error}`);
  if (t.sameBits !== true) throw new Error(`threads: ${t.count} threads gave other bits than one`);
  if (want === 2 || (want === BUN_THREADS && t.count === 2)) {
    if (t.count !== 2) throw new Error(`threads: ${t.count}, want 2 (${t.reason})`);
    return "2 threads, same bits";
  }
  if (t.count !== 1 || !want.test(t.reason ?? "")) throw new Error(`threads: ${t.count} (${t.reason}), want 1 with a reason matching ${want}`);
  return `1 thread because ${t.reason}`;
}

/** Checks a runtime's result: the expected backend, every fixture step bit-exact, a reason for js. */
function verdict(r, expected) {
  if (r.error) throw new Error(r.error);
  if (r.backend !== expected) {
    throw new Error(`backend is ${r.backend}, want ${expected}${r.fallbackReason ? ` (fell back: ${r.fallbackReason})` : ""}`);
  }
  if (r.fixtures.join() !== FIXTURES.join() || r.steps === 0) throw new Error(`fixtures checked: ${r.fixtures}`);
  if (expected === "js" && !(r.fallbackReason && r.wasmError?.startsWith("threw: simdopt: the wasm backend is unavailable"))) {
    throw new Error(`fallback without a reason: ${r.fallbackReason}; init({ backend: "wasm" }) ${r.wasmError}`);
  }
  let line = `backend ${r.backend}, ${r.fixtures.length} fixtures / ${r.steps} steps bit-exact`;
  if (r.fallbackReason) line += `; fell back because ${r.fallbackReason}`;
  if (r.entry) line += ` [${r.entry.replace(/^.*node_modules\//, "")}]`;
  return line;
}

// ---- the consumer project ----------------------------------------------------------------

async function prepare(tmp) {
  if (!args.has("--no-build")) await sh("npm", ["run", "build"], { timeout: 300_000 });
  // dist/ is built just above (or reused with --no-build): no `prepare` rebuild while packing.
  const packed = JSON.parse(await sh("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", tmp]).then((o) => o.slice(o.indexOf("["))));
  const tarball = join(tmp, packed[0].filename);
  const dir = join(tmp, "consumer");
  cpSync(join(ROOT, "test", "runtimes", "consumer"), dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "simdopt-consumer", private: true, type: "module" }, null, 2));
  // No dependencies and a local tarball: nothing to fetch, so this works offline.
  await sh("npm", ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", tarball], { cwd: dir });
  const fixtures = FIXTURES.map((id) => {
    const fx = JSON.parse(readFileSync(join(ROOT, "test", "fixtures", "torch", `${id}.json`), "utf8"));
    const { optimizer, hyperparameters, initial, steps } = fx;
    return { id, optimizer, hyperparameters, initial, steps };
  });
  writeFileSync(join(dir, "fixtures.mjs"), `export default ${JSON.stringify(fixtures)};\n`);
  return { dir, tarball: packed[0].filename, size: packed[0].size };
}

/**
 * Bundles an entry the way a bundler for that platform would (wrangler, Vite, ...). A `.wasm`
 * import stays an import, of a copy of the file next to the bundle, as wrangler uploads it.
 * Resolves to the names of the wasm files the bundle imports.
 */
async function bundle(dir, entry, outfile, conditions) {
  const esbuild = await import("esbuild");
  const wasm = new Set();
  const wasmModules = {
    name: "wasm-modules",
    setup(build) {
      build.onResolve({ filter: /\.wasm$/ }, async (args) => {
        if (args.pluginData === "wasm") return undefined;
        const found = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: "wasm" });
        if (found.errors.length) return { errors: found.errors };
        const name = basename(found.path);
        cpSync(found.path, join(dirname(outfile), name));
        wasm.add(name);
        return { path: `./${name}`, external: true };
      });
    },
  };
  await esbuild.build({
    absWorkingDir: dir,
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    conditions,
    plugins: [wasmModules],
    logLevel: "error",
  });
  return [...wasm];
}

// ---- runtimes ----------------------------------------------------------------------------

async function workerd(dir, name, script, conditions) {
  const wd = join(dir, name);
  mkdirSync(wd);
  const wasm = await bundle(dir, script, join(wd, "worker.js"), conditions);
  const modules = [`(name = "worker.js", esModule = embed "worker.js")`];
  for (const file of wasm) modules.push(`(name = "${file}", wasm = embed "${file}")`);
  writeFileSync(
    join(wd, "config.capnp"),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .worker)],
);
const worker :Workerd.Worker = (
  modules = [${modules.join(", ")}],
  compatibilityDate = "2025-01-01",
);
`,
  );
  const out = await sh(join(BIN, "workerd"), ["test", "--verbose", "config.capnp"], { cwd: wd, timeout: 60_000 });
  return { ...resultOf(out), entry: wasm.length ? `imports ${wasm.join(", ")} as a wasm module` : "no wasm module" };
}

async function chromium(dir, tmp) {
  const www = join(dir, "www");
  mkdirSync(www);
  await bundle(dir, "./page.mjs", join(www, "page.js"), []);
  await bundle(dir, "./dedicated-worker.mjs", join(www, "dedicated-worker.js"), []);
  await bundle(dir, "./dedicated-page.mjs", join(www, "dedicated-page.js"), []);
  cpSync(join(dir, "index.html"), join(www, "index.html"));
  cpSync(join(dir, "dedicated.html"), join(www, "dedicated.html"));
  cpSync(join(dir, "node_modules", "simdopt", "dist", "simdopt.wasm"), join(www, "simdopt.wasm"));
  // The same page; the second is served with a Content-Security-Policy that lacks 'wasm-unsafe-eval'.
  const isolation = { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" };
  const server = await serveStatic(www, {
    "/csp/": { path: "/index.html", headers: { "content-security-policy": "default-src 'self'; script-src 'self'" } },
    "/coi/": { path: "/index.html", headers: isolation },
    "/coi/page.js": { path: "/page.js", headers: isolation },
    "/coi/dedicated.html": { path: "/dedicated.html", headers: isolation },
    "/coi/dedicated-page.js": { path: "/dedicated-page.js", headers: isolation },
    "/coi/dedicated-worker.js": { path: "/dedicated-worker.js", headers: isolation },
  });
  const { chromium: launcher } = await import("playwright-core");
  const context = await launcher.launchPersistentContext(join(tmp, "chromium-profile"), {
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60_000,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  const version = `Chromium ${context.browser()?.version() ?? "(version unknown)"}`;
  const open = async (path) => {
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${server.url}${path}`);
    try {
      await page.waitForFunction(() => globalThis.__simdoptResult, null, { timeout: 30_000 });
    } catch {
      throw new Error(`the page reported no result; page errors: ${errors.join("; ") || "none"}`);
    }
    const result = await page.evaluate(() => globalThis.__simdoptResult);
    await page.close();
    return { ...result, runtime: version, entry: path.includes("wasm=url") ? "init({ wasm: URL })" : undefined };
  };
  return {
    page: () => open("/"),
    urlPage: () => open("/?wasm=url"),
    cspPage: () => open("/csp/"),
    isolatedPage: () => open("/coi/"),
    isolatedWorker: () => open("/coi/dedicated.html"),
    close: async () => {
      await context.close();
      await server.close();
    },
  };
}

// ---- main --------------------------------------------------------------------------------

const tmp = mkdtempSync(join(tmpdir(), "simdopt-runtimes-"));
/** Workers (workerd) cannot start threads: no Worker, or memory that is not shared. */
const WORKERD_ONE = /no Worker|not shared|SharedArrayBuffer/;
/** Bun: two threads, or one with the reason the self-test gives. */
const BUN_THREADS = /self-test failed/;
let passed = 0;
let failed = 0;
async function check(name, expected, fn, threads) {
  const t0 = Date.now();
  try {
    const r = await fn();
    const line = verdict(r, expected);
    console.log(`PASS ${name} (${r.runtime}): ${line}; ${threadVerdict(r.threads, threads)} in ${Date.now() - t0} ms`);
    passed++;
  } catch (e) {
    console.log(`FAIL ${name}: ${String(e.message).trim().split("\n").slice(0, 20).join("\n     ")}`);
    failed++;
  }
}

try {
  const { dir, tarball, size } = await prepare(tmp);
  console.log(`packed ${tarball} (${size} bytes), installed into ${dir}`);
  const node = ["--no-warnings"];
  const JS_ONE = /JS backend runs on one thread/;
  await check("node-esm", "wasm", async () => resultOf(await sh(process.execPath, [...node, "main.mjs"], { cwd: dir })), 2);
  await check("node-cjs", "wasm", async () => resultOf(await sh(process.execPath, [...node, "main.cjs"], { cwd: dir })), 2);
  // A CommonJS app bundled into one file for Node (as for a serverless function): no
  // simdopt.wasm beside the bundle, so init() loads the base64 copy the bundler took along.
  await check("node-cjs bundled by esbuild", "wasm", async () => {
    const esbuild = await import("esbuild");
    const outfile = join(dir, "bundled-cjs", "main.cjs");
    await esbuild.build({ absWorkingDir: dir, entryPoints: ["./main.cjs"], outfile, bundle: true, format: "cjs", platform: "node", logLevel: "error" });
    return resultOf(await sh(process.execPath, [...node, outfile], { cwd: dir }));
  }, 2);
  // V8 without a JIT has no WebAssembly at all: the engine-level fallback.
  await check("node --jitless (no WebAssembly)", "js", async () =>
    resultOf(await sh(process.execPath, [...node, "--jitless", "main.mjs"], { cwd: dir })), JS_ONE,
  );
  await check("typescript", "wasm", async () => {
    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
    // Type-checked under NodeNext (ESM and CJS) and Bundler resolution, then compiled and run.
    await sh(process.execPath, [tsc, "--noEmit", "-p", "tsconfig.json"], { cwd: dir });
    await sh(process.execPath, [tsc, "--noEmit", "-p", "tsconfig.bundler.json"], { cwd: dir });
    await sh(process.execPath, [tsc, "-p", "tsconfig.json", "--noEmit", "false"], { cwd: dir });
    const r = resultOf(await sh(process.execPath, [...node, "consumer.js"], { cwd: dir }));
    const v = (await sh(process.execPath, [tsc, "--version"])).trim();
    return { ...r, runtime: `TypeScript ${v.replace("Version ", "")} on Node ${process.version}`, entry: "types: dist/index.d.ts, dist/index.d.cts" };
  }, 2);
  await check("bun", "wasm", async () =>
    resultOf(await sh(join(BIN, "bun"), ["main.mjs"], { cwd: dir, env: { BUN_INSTALL_CACHE_DIR: join(tmp, "bun-cache") } })),
  // Bun: two threads, or one where the self-test at init finds wasm writes that do not cross.
  BUN_THREADS);
  await check("deno", "wasm", async () =>
    resultOf(
      await sh(join(BIN, "deno"), ["run", "--allow-read", "--allow-env", "main.mjs"], {
        cwd: dir,
        env: { DENO_DIR: join(tmp, "deno-dir"), DENO_NO_UPDATE_CHECK: "1" },
      }),
    ),
  2);
  const workerdVersion = (await sh(join(BIN, "workerd"), ["--version"]).catch((e) => e.message)).trim();
  await check("workerd + .wasm module", "wasm", async () => ({
    ...(await workerd(dir, "workerd-module", "./worker.mjs", ["workerd", "worker", "browser"])),
    runtime: workerdVersion,
  }), WORKERD_ONE);
  await check("workerd without the module", "js", async () => ({
    ...(await workerd(dir, "workerd-bytes", "./worker.mjs", ["worker", "browser"])),
    runtime: workerdVersion,
  }), JS_ONE);
  await check("workerd, init({ wasm: module }) by hand", "wasm", async () => ({
    ...(await workerd(dir, "workerd-explicit", "./worker-explicit.mjs", ["worker", "browser"])),
    runtime: workerdVersion,
  }), WORKERD_ONE);
  let browser;
  try {
    browser = await chromium(dir, tmp);
  } catch (e) {
    browser = { error: e };
  }
  const inBrowser = (method) => async () => {
    if (browser.error) throw browser.error;
    return browser[method]();
  };
  await check("chromium page", "wasm", inBrowser("page"), /not cross-origin isolated/);
  await check("chromium page, init({ wasm: URL })", "wasm", inBrowser("urlPage"), /not cross-origin isolated/);
  await check("chromium page, CSP without wasm-unsafe-eval", "js", inBrowser("cspPage"), JS_ONE);
  await check("chromium page, cross-origin isolated (COOP + COEP)", "wasm", inBrowser("isolatedPage"), 2);
  await check("chromium dedicated Worker, cross-origin isolated", "wasm", inBrowser("isolatedWorker"), 2);
  await browser.close?.();
} catch (e) {
  console.log(`FAIL setup: ${e.message}`);
  failed++;
} finally {
  if (args.has("--keep")) console.log(`kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}
console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
