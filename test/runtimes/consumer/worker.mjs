// Cloudflare Workers consumer, run by `workerd test`: the bundler picks the entry by condition.
import * as simdopt from "simdopt";
import { report, run } from "./check.mjs";

export default {
  async test() {
    console.log(report(await run(simdopt, "workerd")));
  },
};
