// The golden PyTorch trajectories, replayed on every backend and memory mode: params and every
// state buffer must match bit for bit after every step.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { init } from "../src/index.js";
import { DENSE_FIXTURE_DIR, denseFixtureIndex, FIXTURE_DIR, fixtureIndex, loadDenseFixture, loadFixture, type Fixture } from "./helpers/fixtures.js";
import { replay, type Mode } from "./helpers/replay.js";

const index = fixtureIndex();
const dense = denseFixtureIndex();

describe("fixture set", () => {
  it("holds all 81 fixtures, unchanged from the shared copy", () => {
    expect(index).toHaveLength(81);
    for (const e of index) {
      const sha = createHash("sha256").update(readFileSync(join(FIXTURE_DIR, e.file))).digest("hex");
      expect(sha, e.file).toBe(e.sha256);
    }
  });
});

describe("round-2 dense fixture set (SGD, Adam, AdamW)", () => {
  it("holds all 20 fixtures, unchanged from the shared copy", () => {
    expect(dense).toHaveLength(20);
    for (const e of dense) {
      const sha = createHash("sha256").update(readFileSync(join(DENSE_FIXTURE_DIR, e.file))).digest("hex");
      expect(sha, e.file).toBe(e.sha256);
    }
  });
});

for (const backend of ["wasm", "js"] as const) {
  for (const mode of ["marshalled", "zero-copy"] as Mode[]) {
    describe(`PyTorch SGD/Adam/AdamW fixtures, ${backend} backend, ${mode}`, () => {
      it.each(dense.map((e) => [e.file.replace(/\.json$/, ""), e.file]))("%s", async (_id, file) => {
        expect(await init({ backend })).toBe(backend);
        replay(loadDenseFixture(file) as unknown as Fixture, mode);
      });
    });
  }
}

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
