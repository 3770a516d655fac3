// Browser consumer inside a dedicated Worker (bundled for the browser): the same check, where
// Atomics.wait is allowed, with its result posted to the page.
import * as simdopt from "simdopt";
import { run } from "./check.mjs";

run(simdopt, `dedicated Worker in ${navigator.userAgent}`).then((result) => postMessage(result));
