// The CommonJS build's kernels, loaded when init() first needs them rather than when simdopt is
// required: embedded in index.cjs, the 59 KB of base64 took about a sixth of a fresh Node
// process's `require("simdopt")` (bench/cold-start.mjs). tsup.config.ts builds this file to
// dist/kernels-loader.cjs and puts it in the place of embedded-kernels.ts in index.cjs.
//
// Node (20.16 and later) reads dist/simdopt.wasm, beside this file, which also spares the base64
// decode. Where that file cannot be read (a bundle, older Node, a browser bundle of CommonJS
// code), the base64 copy in dist/kernels.cjs is required here: a plain `require` of a relative
// path, which bundlers follow, so a bundle carries the kernels too.
import type { loadEmbeddedKernels as Contract } from "./embedded-kernels.js";

type Fs = { readFileSync(path: string): Uint8Array };
type Host = { process?: { getBuiltinModule?: (id: string) => unknown } };

export const loadEmbeddedKernels: typeof Contract = (decode) => {
  // getBuiltinModule rather than require("node:fs"), which bundlers for browsers refuse.
  const fs = (globalThis as Host).process?.getBuiltinModule?.("node:fs") as Fs | undefined;
  if (fs) {
    try {
      return fs.readFileSync(`${__dirname}/simdopt.wasm`);
    } catch {
      // Not beside this file: index.cjs has been bundled, and kernels.cjs with it.
    }
  }
  return decode((require("./kernels.cjs") as { KERNELS_BASE64: string }).KERNELS_BASE64);
};
