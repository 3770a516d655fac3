// The documented install from a packed tarball: `npm pack`, then `npm install ./simdopt-*.tgz`
// in a fresh project, offline. dist/ is built by `npm test` (pretest), so packing skips the
// `prepare` build. The git install is checked by `npm run test:git-install` (it installs
// every devDependency to build, which takes minutes).
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { expectWorkingInstall, installInto, ROOT, run, tempDir } from "./helpers/consumer.js";

const tmp = tempDir("simdopt-install-");
afterAll(() => tmp.remove());

describe("installing the packed tarball", () => {
  it("npm install ./simdopt-<version>.tgz works offline; ESM and CJS import it and step", async () => {
    const packed = JSON.parse(run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", tmp.dir], ROOT));
    const tarball = join(tmp.dir, packed[0].filename as string);
    expect(packed[0].filename).toMatch(/^simdopt-\d+\.\d+\.\d+\.tgz$/);
    const consumer = installInto(tmp.dir, tarball);
    await expectWorkingInstall(consumer);
  });
});
