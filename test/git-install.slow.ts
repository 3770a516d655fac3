// Installing from the git repository: `npm install git+file://<clone>` (as for a git URL, npm
// clones, installs the devDependencies, runs `prepare`, which builds, and packs the result).
// Offline: every devDependency comes from the npm cache. The clone is of HEAD, so commit
// first. Minutes long, so it is not part of `npm test`: run it with `npm run test:git-install`.
import { afterAll, describe, it } from "vitest";
import { expectWorkingInstall, installInto, ROOT, run, tempDir } from "./helpers/consumer.js";

const tmp = tempDir("simdopt-git-install-");
afterAll(() => tmp.remove());

describe("installing from the git repository", () => {
  it("npm install git+file://<clone of HEAD> builds the package; ESM and CJS import it and step", async () => {
    const clone = `${tmp.dir}/simdopt`;
    run("git", ["clone", "--quiet", "--no-local", ROOT, clone], tmp.dir);
    const consumer = installInto(tmp.dir, `git+file://${clone}`);
    await expectWorkingInstall(consumer);
  }, 900_000);
});
