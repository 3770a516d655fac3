// `node bench/denormal.mjs [--quick]` (after `npm run build`): what subnormal state costs, and
// what the guard (`flushDenormals: true`) costs, for RMSprop with the default options and with
// momentum and centered, at 1e5 and 1e6 elements (--quick: 1e5). The rows and how they are
// timed: toolkit.mjs (`npm run bench` times the 1e6 ones).
import { DENORMAL_CONFIGS, denormalCost, describeDenormal } from "./toolkit.mjs";

const sizes = process.argv.includes("--quick") ? [1e5] : [1e5, 1e6];
const timing = { timeMs: 50, warmupMs: 10, minIterations: 5 };
for (const [label, options] of Object.entries(DENORMAL_CONFIGS)) {
  for (const n of sizes) console.log(`\n${describeDenormal(await denormalCost({ n, label, options, rounds: 5, timing }))}`);
}
