// The implementations the bench compares. Each `setup(kernel, n)` allocates one parameter
// tensor of `n` elements with its gradient and state, and returns `{ step, flip, dispose }`:
// `step()` runs one optimizer step, `flip()` negates the gradient (untimed, see data.mjs) and
// `dispose()` frees everything; an optional `enter()` runs before each timing. Rows with
// `script` (a Node script here) or `native` (C flags) are timed in a child process. An optional
// `skip(kernel, n, limits)` says why a row has no cell at that kernel and size.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as simdopt from "../dist/index.js";
import { fill, GRAD_SEED, KERNELS, PARAM_SEED } from "./data.mjs";

const negate = (x) => {
  for (let i = 0; i < x.length; i++) x[i] = -x[i];
};

function simdoptStep(backend, zeroCopy) {
  return async (kernel, n) => {
    await simdopt.init({ backend });
    const Opt = simdopt[KERNELS[kernel].optimizer];
    const options = KERNELS[kernel].options;
    if (zeroCopy) {
      const store = new simdopt.ParamStore({ w: n });
      const opt = new Opt(store, options);
      fill(store.param("w"), PARAM_SEED);
      fill(store.grad("w"), GRAD_SEED);
      return {
        // Later setups may grow the memory, which detaches views: re-read them before timing.
        enter: () => void (store.param("w"), store.grad("w")),
        step: () => opt.step(),
        flip: () => negate(store.grad("w")),
        dispose: () => (opt.dispose(), store.dispose()),
      };
    }
    const w = fill(new Float32Array(n), PARAM_SEED);
    const g = fill(new Float32Array(n), GRAD_SEED);
    const opt = new Opt([w], options);
    const grads = [g];
    return { step: () => opt.step(grads), flip: () => negate(g), dispose: () => opt.dispose() };
  };
}

let tf;
async function loadTf() {
  if (tf) return tf;
  tf = await import("@tensorflow/tfjs-core");
  tf.env().set("IS_TEST", true); // no "install tfjs-node" banner: we mean to time this backend
  await import("@tensorflow/tfjs-backend-cpu");
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  const dir = fileURLToPath(new URL("../node_modules/@tensorflow/tfjs-backend-wasm/dist/", import.meta.url));
  // Node has no fetch for file paths: hand the backend its binaries' bytes' location.
  wasm.setWasmPaths(dir.endsWith("/") ? dir : `${dir}/`);
  return tf;
}

// TensorFlow.js's own optimizers (data.mjs says which, and how they differ).
function tfjs(backendName) {
  return async (kernel, n) => {
    const tf = await loadTf();
    await tf.setBackend(backendName);
    await tf.ready();
    const opt = KERNELS[kernel].tf(tf.train, KERNELS[kernel].options);
    const w = tf.variable(tf.tensor1d(fill(new Float32Array(n), PARAM_SEED)));
    const gData = fill(new Float32Array(n), GRAD_SEED);
    let g = tf.tensor1d(gData);
    return {
      // Both TF.js backends share one engine: switch to this one before timing it.
      enter: () => tf.setBackend(backendName),
      step: () => opt.applyGradients({ [w.name]: g }),
      flip: () => {
        negate(gData);
        g.dispose();
        g = tf.tensor1d(gData);
      },
      dispose: () => {
        opt.dispose();
        w.dispose();
        g.dispose();
      },
    };
  };
}

const noTf = (kernel) => (typeof KERNELS[kernel].tf === "string" ? KERNELS[kernel].tf : undefined);

export const IMPLEMENTATIONS = [
  { id: "wasm", label: "simdopt wasm, zero-copy", setup: simdoptStep("wasm", true) },
  { id: "wasm-marshalled", label: "simdopt wasm, marshalled", setup: simdoptStep("wasm", false) },
  { id: "js", label: "simdopt exact JS backend", setup: simdoptStep("js", true) },
  // In its own process: see by-hand.mjs.
  { id: "plain-js", label: "plain JS loop", script: "by-hand.mjs" },
  { id: "tfjs-wasm", label: "TF.js wasm backend", setup: tfjs("wasm"), skip: noTf },
  {
    id: "tfjs-cpu", label: "TF.js cpu backend", setup: tfjs("cpu"),
    // Its steps take tens to hundreds of ns per element: seconds per timing at 1e6 and up.
    skip: (kernel, n, { tfCpuMax }) => noTf(kernel) ?? (n > tfCpuMax ? `not timed above ${tfCpuMax.toExponential(0).replace("+", "")}` : undefined),
  },
  { id: "c-sse4.2", label: "C -O3 -msse4.2", native: ["-msse4.2"] },
  { id: "c-native", label: "C -O3 -march=native", native: ["-march=native"] },
];

/** The kernel module itself, instantiated apart from the package: for the façade row. */
export function rawKernels() {
  const bytes = readFileSync(new URL("../build/simdopt.wasm", import.meta.url));
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), kernelImports()).exports;
}

/** The kernels import their memory (non-shared as shipped), which they also export. */
export const kernelImports = () => ({ env: { memory: new WebAssembly.Memory({ initial: 1, maximum: 65536 }) } });
