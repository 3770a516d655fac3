import { copyFileSync, rmSync } from "node:fs";
import { defineConfig, type Options } from "tsup";

type EsbuildPlugin = NonNullable<Options["esbuildPlugins"]>[number];

// The builds below run in parallel, so dist/ is emptied once here rather than by tsup's
// per-build `clean`, which could delete another build's output.
rmSync("dist", { recursive: true, force: true });

const common: Options = {
  format: ["esm"],
  target: "es2022",
  platform: "neutral",
  sourcemap: false,
  // Every serverless cold start parses the entry, so comments and whitespace go and syntax is
  // compacted (a fresh Node process imports it about 10% faster, bench/cold-start.mjs).
  // Identifiers stay: classes keep their names in consoles and stack traces, which renaming
  // would turn into two letters (and esbuild's keepNames, which restores them, costs at import
  // what renaming saves).
  minifyWhitespace: true,
  minifySyntax: true,
  minifyIdentifiers: false,
  treeshake: true,
  clean: false,
};

// In the CommonJS build, index.cjs gets its kernels from dist/kernels-loader.cjs (built below)
// rather than embedding them: see src/wasm/kernels-loader.ts. tsup runs esbuild in ESM for both
// formats here (splitting, tree shaking), so the format is told by the TSUP_FORMAT it defines.
const commonJsKernels: EsbuildPlugin = {
  name: "commonjs-kernels",
  setup(build) {
    if (build.initialOptions.define?.TSUP_FORMAT !== JSON.stringify("cjs")) return;
    build.onResolve({ filter: /\/embedded-kernels\.js$/ }, () => ({ path: "./kernels-loader.cjs", external: true }));
  },
};

export default defineConfig([
  // The default entry (Node, Bun, Deno, browsers, bundlers): the kernels are embedded as base64
  // in the ESM build, and loaded at the first init by the CommonJS one (commonJsKernels).
  // stripInternal: members marked @internal (engine hooks shared between modules) stay out of
  // the published types, which then hold the public API only.
  // simdopt/tfjs is built with it, and code splitting puts what both use (the runtime, memory
  // and families) in one shared chunk: `init()` from "simdopt" then serves simdopt/tfjs too,
  // in ESM and in CommonJS alike. TF.js itself is the user's (a peer dependency).
  {
    ...common,
    entry: { index: "src/index.ts", tfjs: "src/tfjs/index.ts" },
    format: ["esm", "cjs"],
    splitting: true,
    external: ["@tensorflow/tfjs-core"],
    esbuildPlugins: [commonJsKernels],
    dts: { compilerOptions: { stripInternal: true } },
  },
  // The CommonJS build's kernels: the loader, a few hundred bytes that index.cjs requires, and
  // the base64 copy the loader requires at the first init() where it cannot read simdopt.wasm.
  // Built by esbuild as CommonJS directly (no tree-shaking pass, which goes through ESM), so
  // that `require("./kernels.cjs")` stays a plain require that bundlers follow.
  {
    ...common,
    entry: { "kernels-loader": "src/wasm/kernels-loader.ts", kernels: "src/wasm/kernels.generated.ts" },
    format: ["cjs"],
    treeshake: false,
    external: ["./kernels.cjs"],
  },
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
