// `npm run test:git-install`: the git install check, kept out of `npm test` for its length.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: { include: ["test/git-install.slow.ts"], testTimeout: 900_000 },
});
