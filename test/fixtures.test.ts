// The golden PyTorch trajectories, replayed on every backend and memory mode: params and every
// state buffer must match bit for bit after every step.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { init } from "../src/index.js";
import { FIXTURE_DIR, fixtureIndex, loadFixture } from "./helpers/fixtures.js";
import { replay, type Mode } from "./helpers/replay.js";

const index = fixtureIndex();

describe("fixture set", () => {
  it("holds all 81 fixtures, unchanged from the shared copy", () => {
    expect(index).toHaveLength(81);
    for (const e of index) {
      const sha = createHash("sha256").update(readFileSync(join(FIXTURE_DIR, e.file))).digest("hex");
      expect(sha, e.file).toBe(e.sha256);
    }
  });
});

for (const backend of ["wasm", "js"] as const) {
  for (const mode of ["marshalled", "zero-copy"] as Mode[]) {
    describe(`PyTorch fixtures, ${backend} backend, ${mode}`, () => {
      it.each(index.map((e) => [e.id, e.file]))("%s", async (_id, file) => {
        expect(await init({ backend })).toBe(backend);
        replay(loadFixture(file), mode);
      });
    });
  }
}
