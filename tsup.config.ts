import { copyFileSync, rmSync } from "node:fs";
import { defineConfig, type Options } from "tsup";

// Two builds run in parallel, so dist/ is emptied once here rather than by tsup's per-build
// `clean`, which could delete the other build's output.
rmSync("dist", { recursive: true, force: true });

const common: Options = {
  format: ["esm"],
  target: "es2022",
  platform: "neutral",
  sourcemap: false,
  minify: false,
  treeshake: true,
  clean: false,
};

export default defineConfig([
  // The default entry (Node, Bun, Deno, browsers, bundlers): the kernels are embedded as base64.
  // stripInternal: members marked @internal (engine hooks shared between modules) stay out of
  // the published types, which then hold the public API only.
  { ...common, entry: { index: "src/index.ts" }, format: ["esm", "cjs"], dts: { compilerOptions: { stripInternal: true } } },
  // The workerd entry: imports ./simdopt.wasm as a module, shipped next to it in dist/.
  {
    ...common,
    entry: { "index.workerd": "src/index.workerd.ts" },
    esbuildPlugins: [
      {
        name: "wasm-module-import",
        setup(build) {
          build.onResolve({ filter: /\.wasm$/ }, (args) => ({ path: args.path, external: true }));
        },
      },
    ],
    onSuccess: async () => copyFileSync("build/simdopt.wasm", "dist/simdopt.wasm"),
  },
]);
