// What every example shares on the command line: `--quick` (the fast checked run that
// `npm run examples -- --quick` uses) and failing loudly.
import { parseArgs } from "node:util";

/** Parses the flags an example accepts beside `--quick`; unknown flags are an error. */
export function flags(extra = {}) {
  const { values } = parseArgs({ options: { quick: { type: "boolean", default: false }, ...extra }, strict: true });
  return values;
}

/** Throws with `message` unless `ok`: the examples' checks are real assertions. */
export function check(ok, message) {
  if (!ok) throw new Error(`check failed: ${message}`);
}
