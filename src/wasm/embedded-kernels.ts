// The kernels that come with the default entry, as base64 inside the bundle: every host that
// runs it (bundlers, browsers, Deno, Bun, Node's ESM loader) has them synchronously, without
// reading files. The CommonJS build puts kernels-loader.ts in this module's place (see
// tsup.config.ts): the signature below is the contract between the two.
import { KERNELS_BASE64 } from "./kernels.generated.js";

/** The kernels' bytes; `decode` is the entry's base64 decoder, passed in so no copy is bundled. */
export function loadEmbeddedKernels(decode: (b64: string) => Uint8Array): Uint8Array {
  return decode(KERNELS_BASE64);
}
