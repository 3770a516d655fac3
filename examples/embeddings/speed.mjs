// What a sparse step saves: the same optimizer stepped with the batch's rows as sparse entries,
// and with the same gradient written out densely over the whole tables (zeros in every row the
// batch did not look up), as a framework without sparse gradients would have to.
import { seeded, shuffle } from "../shared/random.mjs";

/**
 * Steps two copies of one run (`build()` must give the same starting weights every time) with
 * the gradients of `steps` batches of `data`, alternating between them so that noise from other
 * work on the machine hits both alike: one copy with the sparse rows, the other with the same
 * gradient written out densely. Both get the very same gradient (the sparse copy's backward
 * pass), so their weights differ only by how the optimizer rounds the two kinds of step.
 * Returns the median milliseconds of a sparse step, of a dense step, and of writing the dense
 * gradient (zeroing the tables' gradients and adding each row in), the number of distinct rows
 * the last batch looked up, and `sameBits` / `largestDifference` between the two copies'
 * weights at the end. Only the `opt.step` calls are in the step times.
 */
export function sparseAgainstDense({ build, data, batch, steps, warmup = 3 }) {
  const sparse = build();
  const dense = build();
  const times = { sparse: [], dense: [], writeDense: [] };
  const order = shuffle(Array.from({ length: data.count }, (_, k) => k), seeded(7));
  try {
    for (let s = 0; s < warmup + steps; s++) {
      // The first steps size the optimizers' scratch and warm the code up: not timed.
      const timed = s >= warmup;
      const start = (s * batch) % (data.count - batch);

      sparse.model.backward(data, order, start, start + batch);
      let t0 = performance.now();
      sparse.opt.step(sparse.model.gradients);
      if (timed) times.sparse.push(performance.now() - t0);

      t0 = performance.now();
      writeDense(dense.store, sparse.model.gradients);
      if (timed) times.writeDense.push(performance.now() - t0);
      t0 = performance.now();
      dense.opt.step();
      if (timed) times.dense.push(performance.now() - t0);
    }
    const a = sparse.store.params();
    const b = dense.store.params();
    let sameBits = true;
    let largestDifference = 0;
    for (let t = 0; t < a.length; t++) {
      sameBits &&= Buffer.compare(bytesOf(a[t]), bytesOf(b[t])) === 0;
      for (let j = 0; j < a[t].length; j++) largestDifference = Math.max(largestDifference, Math.abs(a[t][j] - b[t][j]));
    }
    return {
      sparse: median(times.sparse),
      dense: median(times.dense),
      writeDense: median(times.writeDense),
      distinctRows: distinct(sparse.model.gradients),
      sameBits,
      largestDifference,
    };
  } finally {
    sparse.dispose();
    dense.dispose();
  }
}

/** The dense gradient of sparse rows: zero everywhere, each listed row's vector added to its row. */
function writeDense(store, gradients) {
  store.zeroGrad();
  const grads = store.grads();
  gradients.forEach(({ indices, values, dim }, t) => {
    const g = grads[t];
    for (let b = 0; b < indices.length; b++) {
      const row = indices[b] * dim;
      for (let j = 0; j < dim; j++) g[row + j] += values[b * dim + j];
    }
  });
}

function distinct(gradients) {
  return gradients.reduce((n, { indices }) => n + new Set(indices).size, 0);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const bytesOf = (a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
