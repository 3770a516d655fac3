// ESM consumer: Node (import), Bun and Deno run this file as is.
import * as simdopt from "simdopt";
import { report, run } from "./check.mjs";

const runtime =
  typeof Deno === "object" ? `Deno ${Deno.version.deno}` :
  typeof Bun === "object" ? `Bun ${Bun.version}` :
  `Node ${process.version}`;
const result = await run(simdopt, runtime);
try {
  result.entry = import.meta.resolve("simdopt");
} catch {
  // Not every runtime resolves bare specifiers here; the entry is informational.
}
console.log(report(result));
