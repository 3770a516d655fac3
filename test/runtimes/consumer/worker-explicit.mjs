// Cloudflare Workers consumer that hands the kernels over itself: init({ wasm: module }).
import * as simdopt from "simdopt";
import kernels from "simdopt/simdopt.wasm";
import { report, run } from "./check.mjs";

export default {
  async test() {
    console.log(report(await run(simdopt, "workerd", { wasm: kernels })));
  },
};
