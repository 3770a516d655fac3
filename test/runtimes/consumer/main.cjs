// CommonJS consumer: require() must resolve to the CJS build.
const simdopt = require("simdopt");

import("./check.mjs").then(async ({ report, run }) => {
  const result = await run(simdopt, `Node ${process.version}`);
  result.entry = require.resolve("simdopt");
  console.log(report(result));
});
