// Ramer–Douglas–Peucker: drops the points of a polyline that lie within `tolerance` of the
// chord between the points kept around them. Used to keep the SVGs small: a tolerance well
// under a pixel changes nothing one can see. Browser-safe.

/** Indices of the points of (xs[i], ys[i]) to keep, in order; the ends are always kept. */
export function simplify(xs, ys, tolerance) {
  const n = xs.length;
  if (n < 3) return Array.from({ length: n }, (_, i) => i);
  const keep = new Uint8Array(n);
  keep[0] = keep[n - 1] = 1;
  const stack = [[0, n - 1]];
  while (stack.length) {
    const [a, b] = stack.pop();
    const dx = xs[b] - xs[a];
    const dy = ys[b] - ys[a];
    const len = Math.hypot(dx, dy);
    let worst = -1;
    let far = tolerance;
    for (let i = a + 1; i < b; i++) {
      // Distance to the chord, or to its start when the chord has no length (a closed ring).
      const d = len === 0 ? Math.hypot(xs[i] - xs[a], ys[i] - ys[a]) : Math.abs(dx * (ys[a] - ys[i]) - dy * (xs[a] - xs[i])) / len;
      if (d > far) {
        far = d;
        worst = i;
      }
    }
    if (worst >= 0) {
      keep[worst] = 1;
      stack.push([a, worst], [worst, b]);
    }
  }
  const out = [];
  for (let i = 0; i < n; i++) if (keep[i]) out.push(i);
  return out;
}
