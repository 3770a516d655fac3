// An engine whose wasm memory cap is lower than simdopt's limit (Node with
// --wasm-max-mem-pages): stores that fit are made, growth retries with exactly what is needed,
// and a refused request allocates nothing. Runs the built package in a child process.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const child = fileURLToPath(new URL("./helpers/memory-cap-child.mjs", import.meta.url));

it("makes every store that fits under an engine's lower memory cap, and refuses the rest cleanly", () => {
  expect(existsSync(fileURLToPath(new URL("../dist/index.js", import.meta.url)))).toBe(true);
  const out = JSON.parse(execFileSync(process.execPath, ["--wasm-max-mem-pages=1000", child], { encoding: "utf8" }));
  expect(out).toMatchObject({
    store: "ok",
    storeNearTheCap: "ok",
    optimizer: "ok",
    storeWithSetAside: "ok",
    unchangedAfterRefusal: true,
  });
  expect(out.tooBigForTheEngine).toMatch(/^RangeError: ParamStore needs 3\.81 MiB \+ 3\.81 MiB .*could not grow its memory/);
  expect(out.capacityMiB).toBeLessThanOrEqual(62.5);
});
