// Every `@example` in the public API's doc comments (src/**/*.ts, as TypeDoc shows them) runs
// as written, with the package's exports in scope (and `tf`, TF.js's core on its cpu backend,
// for simdopt/tfjs): a renamed option or a changed signature breaks the test, not the reader.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-core/dist/register_all_gradients"; // minimize() needs them; @tensorflow/tfjs registers them too
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import * as api from "../src/index.js";
import * as tfjsApi from "../src/tfjs/index.js";

const SRC = fileURLToPath(new URL("../src/", import.meta.url));

interface Example {
  where: string;
  code: string;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

/** The code of each ```ts block after an @example tag, named by file and the declaration it documents. */
function examplesOf(file: string): Example[] {
  const text = readFileSync(file, "utf8");
  const out: Example[] = [];
  // The comment, then the declaration (past any `//` lines between them).
  for (const doc of text.matchAll(/\/\*\*([\s\S]*?)\*\/\s*\n(?:\s*\/\/[^\n]*\n)*([^\n]*)/g)) {
    const body = doc[1]!.split("\n").map((l) => l.replace(/^\s*\* ?/, ""));
    for (let i = 0; i < body.length; i++) {
      if (!body[i]!.startsWith("@example")) continue;
      const open = body.indexOf("```ts", i);
      const close = body.indexOf("```", open + 1);
      const declaration = doc[2]!.trim().replace(/\s*[{(<=].*$/, "");
      out.push({ where: `${relative(SRC, file)}: ${declaration}`, code: body.slice(open + 1, close).join("\n") });
    }
  }
  return out;
}

const examples = filesUnder(SRC).flatMap(examplesOf);
const scope: Record<string, unknown> = { ...api, ...tfjsApi, tf };
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (...values: unknown[]) => Promise<void>;

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("doc-comment examples", () => {
  it("the public API has examples to run", () => {
    // The classes every user meets; if one loses its example, this says so.
    for (const name of ["RMSprop", "Adagrad", "SGD", "Adam", "AdamW", "ParamStore", "clipGradNorm", "init", "CosineAnnealingLR", "rmsprop"]) {
      expect(examples.some((e) => new RegExp(`: export (class|function) ${name}\\b`).test(e.where)), name).toBe(true);
    }
  });

  it.each(examples.map((e) => [e.where, e] as const))("%s", async (_, example) => {
    await api.init();
    await new AsyncFunction(...Object.keys(scope), example.code)(...Object.values(scope));
  });
});
