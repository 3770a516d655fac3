// Small sections beside the main table:
// - façade: `opt.step()` of RMSprop over one 1,000-element ParamStore tensor against calling
//   the kernel export directly on pointers, in a separate instance of build/simdopt.wasm;
// - non-finite check: a 1e6-element step with `nonFinite: "skip"` (which scans the gradient
//   first) against a plain step;
// - subnormal gradients: how much a gradient scaled into the subnormal range slows a 1e4-element
//   step, for wasm zero-copy and for C -msse4.2 (x86 handles subnormals in microcode unless
//   flush-to-zero is on, which neither wasm nor our C build turns on).
import { Adagrad, init, ParamStore, RMSprop } from "../dist/index.js";
import { runNative } from "./native.mjs";
import { fill, GRAD_SEED, KERNELS, PARAM_SEED } from "./data.mjs";
import { rawKernels } from "./impls.mjs";
import { time } from "./measure.mjs";
import { median, summarise } from "./stats.mjs";

async function interleaved(impls, n, batch, rounds, timing) {
  const meds = impls.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < impls.length; k++) {
      const j = (k + r) % impls.length;
      meds[j].push((await time(impls[j], n, batch, timing)).median);
    }
  }
  return meds.map((m) => {
    const s = summarise(m);
    return { nsPerElement: s.value, spread: s.spread, noisy: s.noisy };
  });
}

function storeStep(n, options, Opt = RMSprop, gradScale = 1) {
  const store = new ParamStore({ w: n });
  const opt = new Opt(store, options);
  fill(store.param("w"), PARAM_SEED);
  const g = fill(store.grad("w"), GRAD_SEED);
  if (gradScale !== 1) for (let i = 0; i < n; i++) g[i] *= gradScale;
  return {
    // Later setups may replace the memory, which leaves views behind: re-read them before timing.
    enter: () => void (store.param("w"), store.grad("w")),
    step: () => opt.step(),
    flip() {},
    dispose: () => (opt.dispose(), store.dispose()),
  };
}

function directCall(n) {
  const k = rawKernels();
  const bytes = n * 4;
  const pages = Math.ceil((3 * bytes + 64) / 65536) - k.memory.buffer.byteLength / 65536;
  if (pages > 0) k.memory.grow(pages);
  const f32 = new Float32Array(k.memory.buffer);
  const p = 0, g = bytes, sq = 2 * bytes;
  fill(f32.subarray(p / 4, p / 4 + n), PARAM_SEED);
  fill(f32.subarray(g / 4, g / 4 + n), GRAD_SEED);
  const { lr, alpha, eps } = KERNELS.rmsprop.options;
  const f = Math.fround;
  const A = f(alpha), B = f(1 - alpha), E = f(eps), L = f(-lr);
  const rmsprop = k.rmsprop;
  return { step: () => rmsprop(0, n, p, g, sq, 0, 0, A, B, E, 0, 0, L), flip() {}, dispose() {} };
}

const SUBNORMAL_SCALE = 1e-39; // as in native/harness.c

async function subnormalCost(nativeBinary, rounds, timing) {
  const n = 1e4;
  const out = {};
  for (const kernel of ["rmsprop", "adagrad"]) {
    const Opt = kernel === "adagrad" ? Adagrad : RMSprop;
    const normal = storeStep(n, KERNELS[kernel].options, Opt);
    const subnormal = storeStep(n, KERNELS[kernel].options, Opt, SUBNORMAL_SCALE);
    const c = { normal: [], subnormal: [] };
    const wasm = { normal: [], subnormal: [] };
    for (let r = 0; r < rounds; r++) {
      for (const [which, inst] of [["normal", normal], ["subnormal", subnormal]]) {
        wasm[which].push((await time(inst, n, 6, timing)).median);
        if (nativeBinary) c[which].push(runNative(nativeBinary, kernel, n, 6, timing.timeMs, which === "subnormal").median);
      }
    }
    normal.dispose();
    subnormal.dispose();
    const summary = (m) => m.normal.length
      ? { normalNs: median(m.normal), subnormalNs: median(m.subnormal), ratio: median(m.subnormal) / median(m.normal) }
      : null;
    out[kernel] = { n, wasm: summary(wasm), c: summary(c) };
  }
  return out;
}

export async function overhead({ quick, rounds, nativeBinary }) {
  await init({ backend: "wasm" });
  const timing = quick ? { timeMs: 20, warmupMs: 10, minIterations: 3 } : { timeMs: 100, warmupMs: 30, minIterations: 3 };
  const n = 1000;
  const options = KERNELS.rmsprop.options;
  const step = storeStep(n, options);
  const direct = directCall(n);
  const [s, d] = await interleaved([step, direct], n, 256, rounds + 2, timing);
  step.dispose();
  const facade = {
    n,
    stepNs: s.nsPerElement * n,
    directNs: d.nsPerElement * n,
    stepSpread: s.spread.map((x) => x * n),
    directSpread: d.spread.map((x) => x * n),
    ratio: s.nsPerElement / d.nsPerElement,
    noisy: s.noisy || d.noisy,
  };
  const m = 1e6;
  const plain = storeStep(m, options);
  const skip = storeStep(m, { ...options, nonFinite: "skip" });
  const [a, b] = await interleaved([plain, skip], m, 1, rounds + 2, timing);
  plain.dispose();
  skip.dispose();
  const skipCheck = { n: m, plainNsPerElement: a.nsPerElement, skipNsPerElement: b.nsPerElement, ratio: b.nsPerElement / a.nsPerElement, noisy: a.noisy || b.noisy };
  const subnormal = await subnormalCost(nativeBinary, rounds, timing);
  return { facade, skipCheck, subnormal };
}
