// Browser consumer, bundled for the browser; the page's result is read by the runner.
import * as simdopt from "simdopt";
import { run } from "./check.mjs";

run(simdopt, navigator.userAgent).then((result) => {
  globalThis.__simdoptResult = result;
});
