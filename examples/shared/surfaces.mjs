// The two loss surfaces of the story and the playground: each with its loss, gradient, the
// window the pictures show, a start point and contour levels. Browser-safe (no Node imports).

/**
 * An elongated quadratic bowl, f(x, y) = (x² + 50·y²) / 2: the same curvature-1 valley floor
 * along x, walls 50 times steeper across it. One learning rate for both weights must be small
 * enough for the steep direction (below 2/50 for plain gradient descent), which makes it crawl
 * along the shallow one.
 */
export const bowl = {
  id: "bowl",
  title: "Elongated bowl: (x² + 50·y²) / 2",
  loss: (x, y) => 0.5 * (x * x + 50 * y * y),
  grad: (x, y) => [x, 50 * y],
  minimum: [0, 0],
  start: [-4, 1.5],
  domain: { x: [-4.5, 1.5], y: [-2, 2] },
  // Geometric levels: the bowl's loss spans four decades inside the window.
  levels: geometric(0.02, 100, 12),
};

/**
 * Rosenbrock's function, f(x, y) = (1 − x)² + 100·(y − x²)²: a curved, nearly flat valley
 * floor between steep walls, minimum at (1, 1). The direction that makes progress keeps turning.
 */
export const rosenbrock = {
  id: "rosenbrock",
  title: "Rosenbrock: (1 − x)² + 100·(y − x²)²",
  loss: (x, y) => (1 - x) ** 2 + 100 * (y - x * x) ** 2,
  grad: (x, y) => [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)],
  minimum: [1, 1],
  start: [-1.2, 1],
  domain: { x: [-2, 2], y: [-1, 3] },
  levels: geometric(0.03, 600, 10),
};

export const surfaces = { bowl, rosenbrock };

/** `count` levels from `lo` to `hi`, equally spaced on a log scale. */
export function geometric(lo, hi, count) {
  const ratio = (hi / lo) ** (1 / (count - 1));
  return Array.from({ length: count }, (_, i) => lo * ratio ** i);
}
