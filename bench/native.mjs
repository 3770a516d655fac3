// The C rows: compiles bench/native/ into a temporary directory with each flag set and runs
// the harness as a child process. Everything degrades to "not available" without a compiler.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const src = fileURLToPath(new URL("./native/", import.meta.url));
// No fused multiply-add (same bits as wasm); sqrtf without errno, so it can vectorise.
const COMMON = ["-O3", "-ffp-contract=off", "-fno-math-errno", "-std=c11", "-D_POSIX_C_SOURCE=200809L"];

/** Compiles one harness per flag set; returns { binaries: {key: path | null}, why, cleanup }. */
export function buildNative(flagSets) {
  const cc = process.env.CC || "cc";
  const dir = mkdtempSync(join(tmpdir(), "simdopt-bench-"));
  const binaries = {};
  const why = {};
  for (const [key, flags] of Object.entries(flagSets)) {
    const out = join(dir, `harness-${key}`);
    try {
      execFileSync(cc, [...COMMON, ...flags, "-o", out, join(src, "kernels.c"), join(src, "harness.c"), "-lm"], {
        stdio: ["ignore", "ignore", "pipe"],
      });
      binaries[key] = out;
    } catch (e) {
      binaries[key] = null;
      why[key] = e.code === "ENOENT" ? `no C compiler (${cc})` : `${cc} ${flags.join(" ")} failed`;
    }
  }
  return { binaries, why, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs a harness: median, min and max ns/element over samples of `batch` steps. */
export function runNative(binary, kernel, n, batch, timeMs, subnormal = false) {
  const args = [kernel, String(n), String(batch), String(timeMs), ...(subnormal ? ["subnormal"] : [])];
  const out = execFileSync(binary, args, { encoding: "utf8" });
  return JSON.parse(out);
}
