// The check every runtime runs against the installed package: init({ backend: "auto" }), then
// Adagrad and RMSprop replayed against PyTorch fixtures, every step compared bit for bit.
// Uses only what all runtimes share (no node:, no Buffer), so Workers and browsers run it too.
import fixtures from "./fixtures.mjs";

function decodeF32(b64) {
  const s = atob(b64);
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

// NaN matches any NaN (payloads are not significant); everything else compares as raw bits.
function expectBits(got, want, what) {
  if (!(got instanceof Float32Array) || got.length !== want.length) throw new Error(`${what}: wrong type or length`);
  const a = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const b = new Uint32Array(want.buffer, want.byteOffset, want.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i] && !(Number.isNaN(got[i]) && Number.isNaN(want[i]))) {
      throw new Error(`${what}: element ${i} is ${got[i]}, want ${want[i]}`);
    }
  }
}

const CAMEL = { weight_decay: "weightDecay", lr_decay: "lrDecay", initial_accumulator_value: "initialAccumulatorValue" };

function replay(simdopt, fx) {
  const options = {};
  for (const [k, v] of Object.entries(fx.hyperparameters)) options[CAMEL[k] ?? k] = v;
  const Ctor = fx.optimizer === "RMSprop" ? simdopt.RMSprop : simdopt.Adagrad;
  const params = decodeF32(fx.initial.params.b64);
  const opt = new Ctor([params], options);
  try {
    fx.steps.forEach((want, k) => {
      opt.step([decodeF32(want.grad.b64)]);
      const what = `${fx.id} step ${k + 1}`;
      expectBits(params, decodeF32(want.params.b64), `${what} params`);
      const state = opt.stateDict().state[0];
      for (const [name, value] of Object.entries(want.state)) {
        if (name === "step") {
          if (state.step !== value) throw new Error(`${what}: step is ${state.step}, want ${value}`);
        } else {
          expectBits(state[name], decodeF32(value.b64), `${what} ${name}`);
        }
      }
    });
  } finally {
    opt.dispose();
  }
  return fx.steps.length;
}

/** RMSprop with momentum over 200,000 elements for 12 steps, from fixed data: the params after. */
function trainBig(simdopt) {
  const n = 200_000;
  let seed = 12345;
  const next = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296) - 0.5;
  const w = Float32Array.from({ length: n }, next);
  const g = new Float32Array(n);
  const opt = new simdopt.RMSprop([w], { lr: 0.01, momentum: 0.9, centered: true });
  for (let s = 0; s < 12; s++) {
    for (let i = 0; i < n; i++) g[i] = next();
    opt.step([g]);
  }
  opt.dispose();
  return w;
}

/**
 * Threads: how many `init({ threads: 2 })` gives here and why fewer, and whether the params
 * after big steps have the bits of one thread. The workers are left running.
 */
async function threadCheck(simdopt, initOptions) {
  const t = { count: null, reason: null, sameBits: null, error: null };
  try {
    await simdopt.init({ ...initOptions, threads: 1 });
    const one = trainBig(simdopt);
    await simdopt.init({ ...initOptions, threads: 2 });
    t.count = simdopt.threads();
    t.reason = simdopt.threadsReason() ?? null;
    const two = trainBig(simdopt);
    const a = new Uint32Array(one.buffer), b = new Uint32Array(two.buffer);
    t.sameBits = a.every((x, i) => x === b[i]);
    // No shutdown(): the workers must not keep Node, Deno or Bun alive (the runner's deadline).
  } catch (e) {
    t.error = String(e && e.stack ? e.stack : e);
  }
  return t;
}

/** Runs the check; resolves to a plain object the runner validates (never throws). */
export async function run(simdopt, runtime, initOptions = {}) {
  const out = { runtime, backend: null, fallbackReason: null, wasmError: null, steps: 0, fixtures: [], error: null, threads: null };
  try {
    out.backend = await simdopt.init({ ...initOptions, backend: "auto" });
    out.fallbackReason = simdopt.fallbackReason() ?? null;
    if (out.backend === "js") {
      // Where auto fell back, asking for wasm explicitly must fail and say why.
      out.wasmError = await simdopt.init({ ...initOptions, backend: "wasm" }).then(
        (b) => `init({ backend: "wasm" }) resolved to ${b} instead of throwing`,
        (e) => `threw: ${e.message}`,
      );
      await simdopt.init({ backend: "js" });
    }
    for (const fx of fixtures) {
      out.steps += replay(simdopt, fx);
      out.fixtures.push(fx.id);
    }
    out.threads = await threadCheck(simdopt, out.backend === "js" ? { ...initOptions, backend: "js" } : initOptions);
  } catch (e) {
    out.error = String(e && e.stack ? e.stack : e);
  }
  return out;
}

/** The line the runner looks for in a runtime's output. */
export const report = (result) => `SIMDOPT_RESULT ${JSON.stringify(result)}`;
