// Browser consumer, bundled for the browser; the page's result is read by the runner.
// With ?wasm=url the kernels are fetched from the served simdopt.wasm instead of the embedded copy.
import * as simdopt from "simdopt";
import { run } from "./check.mjs";

const fromUrl = new URLSearchParams(location.search).get("wasm") === "url";
const options = fromUrl ? { wasm: new URL("/simdopt.wasm", location.href) } : {};
run(simdopt, navigator.userAgent, options).then((result) => {
  globalThis.__simdoptResult = result;
});
