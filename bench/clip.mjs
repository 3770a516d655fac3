// `node bench/clip.mjs [--quick]` (after `npm run build`): what gradient clipping costs next to
// the step it precedes, at 1e4, 1e5 and 1e6 elements (--quick: 1e6), with the JS backend's clip
// of the same arrays too. The rows and how they are timed: toolkit.mjs (`npm run bench` times
// the 1e6 ones).
import { clipCost, describeClip } from "./toolkit.mjs";

const sizes = process.argv.includes("--quick") ? [1e6] : [1e4, 1e5, 1e6];
const timing = { timeMs: 60, warmupMs: 10, minIterations: 5 };
for (const n of sizes) console.log(`\n${describeClip(await clipCost({ n, rounds: 5, timing, withJs: true }))}`);
