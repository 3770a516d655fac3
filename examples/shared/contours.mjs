// Contour lines of a surface as rows a Vega-Lite line mark draws: d3-contour traces the
// isolines on a grid, and this turns its polygons back into the surface's coordinates, leaving
// out the stretches that run along the window's edge (they close d3's polygons; they are not
// isolines). Browser-safe.
import { contours } from "d3-contour";
import { simplify } from "./simplify.mjs";

/**
 * Rows `{ x, y, level, line, i }`: `line` names one polyline and `i` orders its points.
 * `cells` is the grid's width in samples; its height follows from the window's aspect. Points
 * within `tolerance` (a fraction of the window's width) of a straight line are left out.
 */
export function contourRows(surface, { cells = 120, tolerance = 1e-3 } = {}) {
  const [x0, x1] = surface.domain.x;
  const [y0, y1] = surface.domain.y;
  const nx = cells;
  const ny = Math.max(2, Math.round((cells * (y1 - y0)) / (x1 - x0)));
  const dx = (x1 - x0) / nx;
  const dy = (y1 - y0) / ny;
  // Sample i sits at the centre of cell i, which d3-contour places at grid coordinate i + 0.5,
  // so grid coordinate gx is x0 + gx·dx and the grid's edges are the window's.
  const values = new Float64Array(nx * ny);
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) values[j * nx + i] = surface.loss(x0 + (i + 0.5) * dx, y0 + (j + 0.5) * dy);
  }
  const onEdge = ([gx, gy]) => gx === 0 || gx === nx || gy === 0 || gy === ny;
  const lines = [];
  for (const { value, coordinates } of contours().size([nx, ny]).thresholds(surface.levels)(values)) {
    for (const polygon of coordinates) {
      for (const ring of polygon) {
        // Segment by segment: one with both ends on the edge is the window's border, and
        // breaks the line.
        let line;
        for (let k = 0; k + 1 < ring.length; k++) {
          const p = ring[k];
          const q = ring[k + 1];
          if (onEdge(p) && onEdge(q)) {
            line = undefined;
            continue;
          }
          if (!line) lines.push((line = { value, points: [p] }));
          line.points.push(q);
        }
      }
    }
  }
  const rows = [];
  lines.forEach(({ value, points }, line) => {
    const xs = points.map((p) => x0 + p[0] * dx);
    const ys = points.map((p) => y0 + p[1] * dy);
    simplify(xs, ys, tolerance * (x1 - x0)).forEach((k, i) => rows.push({ x: round(xs[k]), y: round(ys[k]), level: value, line, i }));
  });
  return rows;
}

// Four decimals are far below a pixel and keep the SVGs small.
const round = (v) => Math.round(v * 1e4) / 1e4;
