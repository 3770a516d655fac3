// The plain JS row: the update as someone would write it by hand, in doubles, one loop, no
// care for float32 rounding; same hyperparameters and arithmetic as the kernels otherwise.
//
// It runs in its own Node process (`node bench/by-hand.mjs KERNEL N BATCH TIME_MS WARMUP_MS`,
// printing one JSON line), because the bench process is not a fair place for it: once any
// ArrayBuffer has been detached (every wasm memory.grow detaches the old buffer), V8 adds a
// detached-buffer check to every typed-array access in the process, which slowed this loop by
// 6-18% here. A user's own loop, in a process without simdopt, would not pay that.
import { flips, fill, GRAD_SEED, KERNELS, PARAM_SEED } from "./data.mjs";
import { time } from "./measure.mjs";

function rmspropByHand(p, g, s, lr, alpha, eps) {
  for (let i = 0; i < p.length; i++) {
    const gi = g[i];
    const v = alpha * s[i] + (1 - alpha) * gi * gi;
    s[i] = v;
    p[i] -= (lr * gi) / (Math.sqrt(v) + eps);
  }
}

function rmspropCenteredMomentumByHand(p, g, s, ga, buf, lr, alpha, eps, momentum) {
  for (let i = 0; i < p.length; i++) {
    const gi = g[i];
    const v = alpha * s[i] + (1 - alpha) * gi * gi;
    s[i] = v;
    const m = alpha * ga[i] + (1 - alpha) * gi;
    ga[i] = m;
    const b = momentum * buf[i] + gi / (Math.sqrt(v - m * m) + eps);
    buf[i] = b;
    p[i] -= lr * b;
  }
}

function adagradByHand(p, g, s, lr, eps) {
  for (let i = 0; i < p.length; i++) {
    const gi = g[i];
    const v = s[i] + gi * gi;
    s[i] = v;
    p[i] -= (lr * gi) / (Math.sqrt(v) + eps);
  }
}

function adamByHand(p, g, m, v, { lr, betas: [b1, b2], eps }, step) {
  const stepSize = lr / (1 - b1 ** step), root = Math.sqrt(1 - b2 ** step);
  for (let i = 0; i < p.length; i++) {
    const gi = g[i];
    const mi = b1 * m[i] + (1 - b1) * gi;
    m[i] = mi;
    const vi = b2 * v[i] + (1 - b2) * gi * gi;
    v[i] = vi;
    p[i] -= (stepSize * mi) / (Math.sqrt(vi) / root + eps);
  }
}

function adamwByHand(p, g, m, v, { lr, betas: [b1, b2], eps, weightDecay }, step) {
  const stepSize = lr / (1 - b1 ** step), root = Math.sqrt(1 - b2 ** step), keep = 1 - lr * weightDecay;
  for (let i = 0; i < p.length; i++) {
    const gi = g[i];
    const mi = b1 * m[i] + (1 - b1) * gi;
    m[i] = mi;
    const vi = b2 * v[i] + (1 - b2) * gi * gi;
    v[i] = vi;
    p[i] = p[i] * keep - (stepSize * mi) / (Math.sqrt(vi) / root + eps);
  }
}

function sgdMomentumByHand(p, g, buf, { lr, momentum, dampening }) {
  for (let i = 0; i < p.length; i++) {
    const b = momentum * buf[i] + (1 - dampening) * g[i];
    buf[i] = b;
    p[i] -= lr * b;
  }
}

export function setupByHand(kernel, n) {
  const p = fill(new Float32Array(n), PARAM_SEED);
  const g = fill(new Float32Array(n), GRAD_SEED);
  const s = new Float32Array(n);
  const { options, fixedStep } = KERNELS[kernel];
  let step;
  if (kernel === "adam" || kernel === "adamw") {
    const m = new Float32Array(n);
    const byHand = kernel === "adam" ? adamByHand : adamwByHand;
    step = () => byHand(p, g, m, s, options, fixedStep);
  } else if (kernel === "sgd-momentum") {
    step = () => sgdMomentumByHand(p, g, s, options);
  } else if (kernel === "rmsprop") {
    const { lr, alpha, eps } = options;
    step = () => rmspropByHand(p, g, s, lr, alpha, eps);
  } else if (kernel === "adagrad") {
    const { lr, eps } = options;
    step = () => adagradByHand(p, g, s, lr, eps);
  } else {
    const { lr, alpha, eps, momentum } = options;
    const ga = new Float32Array(n), buf = new Float32Array(n);
    step = () => rmspropCenteredMomentumByHand(p, g, s, ga, buf, lr, alpha, eps, momentum);
  }
  const flip = () => {
    for (let i = 0; i < n; i++) g[i] = -g[i];
  };
  return { step, flip: flips(kernel) ? flip : () => {} };
}

const [kernel, n, batch, timeMs, warmupMs] = process.argv.slice(2);
const result = await time(setupByHand(kernel, Number(n)), Number(n), Number(batch), {
  timeMs: Number(timeMs), warmupMs: Number(warmupMs), minIterations: 3,
});
console.log(JSON.stringify(result));
