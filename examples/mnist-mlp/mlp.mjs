// A 784-128-10 multilayer perceptron written out by hand: ReLU hidden layer, softmax output,
// cross-entropy loss. Weights and gradients live in a simdopt ParamStore, so the optimizer
// updates them where the forward and backward passes read and write them, without copies.
import { PIXELS } from "./data.mjs";

export const HIDDEN = 128;
export const CLASSES = 10;

/**
 * The tensors of the model, in elements. w1 is stored input-major (w1[i·128 + j] joins pixel
 * i to hidden unit j) so that a pixel's weights are one contiguous row; w2 likewise.
 */
export const LAYOUT = { w1: PIXELS * HIDDEN, b1: HIDDEN, w2: HIDDEN * CLASSES, b2: CLASSES };

export class Mlp {
  /** @param store a ParamStore created with LAYOUT */
  constructor(store) {
    this.store = store;
    this.hidden = new Float32Array(HIDDEN);
    this.dHidden = new Float32Array(HIDDEN);
    this.probs = new Float32Array(CLASSES);
  }

  /** He-uniform weights for the ReLU layer, Glorot-uniform for the output; zero biases. */
  initialise(random) {
    const uniform = (view, limit) => {
      for (let i = 0; i < view.length; i++) view[i] = (2 * random() - 1) * limit;
    };
    uniform(this.store.param("w1"), Math.sqrt(6 / PIXELS));
    uniform(this.store.param("w2"), Math.sqrt(6 / (HIDDEN + CLASSES)));
    this.store.param("b1").fill(0);
    this.store.param("b2").fill(0);
  }

  /**
   * Forward pass of image `n` of `images`: leaves the hidden activations in `this.hidden` and
   * the class probabilities in `this.probs`. `p` holds the parameter views.
   */
  forward(p, images, n) {
    const { hidden: h, probs } = this;
    const x0 = n * PIXELS;
    // h = relu(x·W1 + b1). Most pixels are 0 (background), and skipping them is free.
    h.set(p.b1);
    for (let i = 0; i < PIXELS; i++) {
      const xi = images[x0 + i];
      if (xi === 0) continue;
      const row = i * HIDDEN;
      for (let j = 0; j < HIDDEN; j++) h[j] += xi * p.w1[row + j];
    }
    for (let j = 0; j < HIDDEN; j++) if (h[j] < 0) h[j] = 0;
    // logits = h·W2 + b2, then a softmax shifted by the largest logit so exp cannot overflow.
    probs.set(p.b2);
    for (let j = 0; j < HIDDEN; j++) {
      const hj = h[j];
      if (hj === 0) continue;
      const row = j * CLASSES;
      for (let k = 0; k < CLASSES; k++) probs[k] += hj * p.w2[row + k];
    }
    let max = -Infinity;
    for (let k = 0; k < CLASSES; k++) max = Math.max(max, probs[k]);
    let sum = 0;
    for (let k = 0; k < CLASSES; k++) sum += probs[k] = Math.exp(probs[k] - max);
    for (let k = 0; k < CLASSES; k++) probs[k] /= sum;
  }

  /**
   * Forward and backward passes over the images `batch` (indices into `data`): writes the
   * gradient of the batch's mean cross-entropy into the store's gradient slots and returns
   * that mean loss.
   */
  backward(data, batch) {
    const { store, hidden: h, dHidden: dh, probs } = this;
    const p = { w1: store.param("w1"), b1: store.param("b1"), w2: store.param("w2"), b2: store.param("b2") };
    const g = { w1: store.grad("w1"), b1: store.grad("b1"), w2: store.grad("w2"), b2: store.grad("b2") };
    store.zeroGrad();
    const scale = 1 / batch.length;
    let loss = 0;
    for (const n of batch) {
      this.forward(p, data.images, n);
      const label = data.labels[n];
      loss -= Math.log(Math.max(probs[label], 1e-30));
      // d(loss)/d(logits) = probs − one-hot(label), averaged over the batch.
      probs[label] -= 1;
      for (let k = 0; k < CLASSES; k++) probs[k] *= scale;
      const dz = probs;
      for (let k = 0; k < CLASSES; k++) g.b2[k] += dz[k];
      // Through W2: its gradient is h ⊗ dz, and dh = W2·dz where the ReLU was open.
      for (let j = 0; j < HIDDEN; j++) {
        const row = j * CLASSES;
        let s = 0;
        for (let k = 0; k < CLASSES; k++) {
          g.w2[row + k] += h[j] * dz[k];
          s += p.w2[row + k] * dz[k];
        }
        dh[j] = h[j] > 0 ? s : 0;
      }
      // Through W1: its gradient is x ⊗ dh, again only where a pixel is lit.
      for (let j = 0; j < HIDDEN; j++) g.b1[j] += dh[j];
      const x0 = n * PIXELS;
      for (let i = 0; i < PIXELS; i++) {
        const xi = data.images[x0 + i];
        if (xi === 0) continue;
        const row = i * HIDDEN;
        for (let j = 0; j < HIDDEN; j++) g.w1[row + j] += xi * dh[j];
      }
    }
    return loss * scale;
  }

  /** Mean cross-entropy and accuracy (fraction correct) over all of `data`. */
  evaluate(data) {
    const { store, probs } = this;
    const p = { w1: store.param("w1"), b1: store.param("b1"), w2: store.param("w2"), b2: store.param("b2") };
    let loss = 0;
    let correct = 0;
    for (let n = 0; n < data.count; n++) {
      this.forward(p, data.images, n);
      const label = data.labels[n];
      loss -= Math.log(Math.max(probs[label], 1e-30));
      let best = 0;
      for (let k = 1; k < CLASSES; k++) if (probs[k] > probs[best]) best = k;
      if (best === label) correct++;
    }
    return { loss: loss / data.count, accuracy: correct / data.count };
  }
}
