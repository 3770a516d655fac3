// Matrix factorisation written out by hand: a user table and an item table, `rows × dim` each,
// in a simdopt ParamStore. A rating is predicted as the dot product of the user's row and the
// item's row; the loss is the squared error. A batch of ratings looks up a few rows of each
// table, so its gradient is a few rows too: the backward pass writes one `dim`-long gradient
// vector per lookup and hands them to the optimizer as sparse rows `{ indices, values, dim }`.
// A row looked up twice in a batch is listed twice; the optimizer adds the two vectors.

export class MatrixFactorisation {
  /**
   * @param store a ParamStore with tensors `users` (users × dim) and `items` (items × dim)
   * @param dim the length of a row (the embedding size)
   * @param batch the most ratings a batch holds
   * @param l2 the weight of the L2 penalty on the rows a batch looks up
   */
  constructor(store, { dim, batch, l2 }) {
    this.store = store;
    this.dim = dim;
    this.l2 = l2;
    // The sparse gradient of a batch, refilled by every backward pass: the user row and the
    // item row each rating looked up, and the gradient of the loss with respect to each.
    this.userRows = new Int32Array(batch);
    this.userGrads = new Float32Array(batch * dim);
    this.itemRows = new Int32Array(batch);
    this.itemGrads = new Float32Array(batch * dim);
    this.wholeBatch = this.gradientsOf(batch);
    /** What the last backward pass wrote, as `opt.step` takes it: users, then items. */
    this.gradients = this.wholeBatch;
  }

  /** The first n lookups of each table as sparse rows (a shorter last batch lists fewer). */
  gradientsOf(n) {
    const { dim } = this;
    return [
      { indices: this.userRows.subarray(0, n), values: this.userGrads.subarray(0, n * dim), dim },
      { indices: this.itemRows.subarray(0, n), values: this.itemGrads.subarray(0, n * dim), dim },
    ];
  }

  /** Every weight uniform in [−scale, scale]. */
  initialise(random, scale) {
    for (const table of this.store.params()) for (let j = 0; j < table.length; j++) table[j] = (2 * random() - 1) * scale;
  }

  /**
   * Forward and backward passes over ratings `order[start..end)` of `data`. The loss is
   *   (1/n) Σ ( ½·(u·v − r)² + ½·l2·(|u|² + |v|²) )
   * over the n ratings, with u and v the rows the rating looks up. Fills `this.gradients`
   * (ready for `opt.step(this.gradients)`) and returns the sum of the squared errors.
   */
  backward(data, order, start, end) {
    const { dim, l2 } = this;
    // Views taken afresh: an optimizer's step may have moved the store's memory (README,
    // Memory rules), and looking a tensor up is cheap.
    const U = this.store.param("users");
    const V = this.store.param("items");
    const n = end - start;
    const { userRows, userGrads, itemRows, itemGrads } = this;
    let squaredErrors = 0;
    for (let b = 0; b < n; b++) {
      const k = order[start + b];
      const u = data.user[k] * dim;
      const v = data.item[k] * dim;
      let prediction = 0;
      for (let j = 0; j < dim; j++) prediction += U[u + j] * V[v + j];
      const error = prediction - data.rating[k];
      squaredErrors += error * error;
      // d(loss)/du = (error·v + l2·u) / n, and likewise for v.
      const e = error / n;
      const decay = l2 / n;
      userRows[b] = data.user[k];
      itemRows[b] = data.item[k];
      const o = b * dim;
      for (let j = 0; j < dim; j++) {
        userGrads[o + j] = e * V[v + j] + decay * U[u + j];
        itemGrads[o + j] = e * U[u + j] + decay * V[v + j];
      }
    }
    this.gradients = n === this.userRows.length ? this.wholeBatch : this.gradientsOf(n);
    return squaredErrors;
  }

  /** Root mean squared error of the predictions over all of `data`. */
  rmse(data) {
    const { dim } = this;
    const U = this.store.param("users");
    const V = this.store.param("items");
    let sum = 0;
    for (let k = 0; k < data.count; k++) {
      const u = data.user[k] * dim;
      const v = data.item[k] * dim;
      let prediction = 0;
      for (let j = 0; j < dim; j++) prediction += U[u + j] * V[v + j];
      sum += (prediction - data.rating[k]) ** 2;
    }
    return Math.sqrt(sum / data.count);
  }
}
