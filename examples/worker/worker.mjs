// A Cloudflare Worker that fine-tunes a small linear model on every request. Each model (one
// per name) is a Durable Object whose storage holds its checkpoint: simdopt's
// `opt.saveState({ params: true })` bytes, the weights with the optimizer's state. A request
// restores it, takes a few optimizer steps on the rows it brings, and stores the new one;
// nothing stays in memory between requests, so any instance, started at any time, continues
// where the last one stopped.
//
//   POST /models/<name>   body { x: number[][] (rows of 8 features), y: number[] } -> losses
//   GET  /models/<name>   -> { w, b, requests, steps }
import { DurableObject } from "cloudflare:workers";
import { init, ParamStore, RMSprop } from "simdopt";

const FEATURES = 8;
const STEPS_PER_REQUEST = 20;
const MAX_ROWS = 1024;

export default {
  async fetch(request, env) {
    const name = new URL(request.url).pathname.match(/^\/models\/([\w-]{1,64})$/)?.[1];
    if (!name) return json({ error: "use /models/<name>: POST { x, y } to train, GET to read" }, 404);
    // One object per model: its requests run one at a time, so checkpoints never race.
    return env.MODELS.get(env.MODELS.idFromName(name)).fetch(request);
  },
};

export class Model extends DurableObject {
  async fetch(request) {
    await init(); // "wasm": wrangler (or the workerd config) hands simdopt.wasm over as a module
    const saved = await this.ctx.storage.get(["checkpoint", "requests", "steps"]);
    if (request.method !== "GET" && request.method !== "POST") return json({ error: `${request.method} is not supported` }, 405);
    let rows;
    if (request.method === "POST") {
      try {
        rows = parseRows(await request.json());
      } catch (e) {
        return json({ error: e.message }, 400);
      }
    }

    // The model and its optimizer, restored from the checkpoint (weights included) or fresh.
    const store = new ParamStore({ w: FEATURES, b: 1 });
    const opt = new RMSprop(store, { lr: 0.01, alpha: 0.9, momentum: 0.9 });
    try {
      if (saved.has("checkpoint")) opt.loadState(saved.get("checkpoint"));
      const requests = saved.get("requests") ?? 0;
      const steps = saved.get("steps") ?? 0;
      if (request.method === "GET") {
        return json({ w: [...store.param("w")], b: store.param("b")[0], requests, steps });
      }
      const before = meanSquaredError(store, rows);
      for (let s = 0; s < STEPS_PER_REQUEST; s++) {
        writeGradients(store, rows);
        opt.step();
      }
      const after = meanSquaredError(store, rows);
      // One put of several keys is atomic: the checkpoint and the counters never disagree.
      await this.ctx.storage.put({ checkpoint: opt.saveState({ params: true }), requests: requests + 1, steps: steps + STEPS_PER_REQUEST });
      return json({ before, after, requests: requests + 1, steps: steps + STEPS_PER_REQUEST, backend: opt.backend });
    } finally {
      opt.dispose();
      store.dispose();
    }
  }
}

/** Checks the body: rows of FEATURES finite numbers and as many finite targets. */
function parseRows(body) {
  const { x, y } = body ?? {};
  if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length || x.length === 0 || x.length > MAX_ROWS) {
    throw new Error(`the body must be { x, y } with 1 to ${MAX_ROWS} rows in each`);
  }
  const ok = (v) => typeof v === "number" && Number.isFinite(v);
  x.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== FEATURES || !row.every(ok)) throw new Error(`x[${i}] must be ${FEATURES} finite numbers`);
  });
  y.forEach((v, i) => {
    if (!ok(v)) throw new Error(`y[${i}] must be a finite number`);
  });
  return { x, y };
}

const predict = (w, b, row) => row.reduce((s, v, j) => s + v * w[j], b);

function meanSquaredError(store, { x, y }) {
  const w = store.param("w");
  const b = store.param("b")[0];
  return x.reduce((s, row, i) => s + (predict(w, b, row) - y[i]) ** 2, 0) / x.length;
}

/** The gradient of the mean squared error, written into the store's gradient slots. */
function writeGradients(store, { x, y }) {
  const w = store.param("w");
  const b = store.param("b")[0];
  const gw = store.grad("w");
  const gb = store.grad("b");
  store.zeroGrad();
  x.forEach((row, i) => {
    const r = (2 * (predict(w, b, row) - y[i])) / x.length;
    for (let j = 0; j < FEATURES; j++) gw[j] += r * row[j];
    gb[0] += r;
  });
}

const json = (body, status = 200) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
