// TypeScript consumer (CommonJS), type-checked against the published .d.cts.
import simdopt = require("simdopt");

export function typeOnly(): void {
  const backend: simdopt.BackendName = simdopt.initSync({ backend: "auto" });
  const opt = new simdopt.Adagrad([new Float32Array(4)], { lr: 0.1 });
  opt.step([new Float32Array(4)]);
  console.log(backend);
}
