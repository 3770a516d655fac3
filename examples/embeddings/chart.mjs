// The embeddings picture: train and held-out RMSE after each epoch, one colour per optimizer,
// with the noise level, below which no model can go on held-out ratings (Vega-Lite).
import { RUN_COLORS } from "../shared/charts.mjs";

export function rmseCurves({ results, size, dim, rank, noise, batch }) {
  const labels = results.map((r) => r.recipe.label);
  const color = { field: "optimizer", type: "nominal", scale: { domain: labels, range: [RUN_COLORS.Adagrad, RUN_COLORS.GD] }, title: null };
  // The two runs nearly coincide: the first is drawn wider, so the second shows on it.
  const rows = results.flatMap(({ recipe, history }, k) =>
    history.flatMap((h) => [
      { optimizer: recipe.label, width: k === 0 ? 4 : 1.5, ratings: "train", epoch: h.epoch, rmse: h.train },
      { optimizer: recipe.label, width: k === 0 ? 4 : 1.5, ratings: "held out", epoch: h.epoch, rmse: h.heldOut },
    ]),
  );
  const epochs = results[0].history.length - 1;
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: "Matrix factorisation with sparse rows: Adagrad and row-wise Adagrad",
      subtitle: [
        `${size.users.toLocaleString("en")} users × ${size.items.toLocaleString("en")} items, ratings of rank ${rank} plus noise ${noise}; ` +
          `embeddings of ${dim}, batch ${batch}, ${epochs} epochs.`,
        "RMSE after each epoch: training ratings dashed, the 10% held out solid. No model can predict held-out ratings better than the noise.",
      ],
      anchor: "start",
      fontSize: 15,
    },
    width: 520,
    height: 260,
    layer: [
      {
        data: { values: rows },
        mark: { type: "line" },
        encoding: {
          x: { field: "epoch", type: "quantitative", title: "epoch", axis: { tickMinStep: 1 } },
          y: { field: "rmse", type: "quantitative", scale: { domain: [0, 1.1] }, title: "RMSE" },
          color,
          strokeWidth: { field: "width", type: "quantitative", scale: null, legend: null },
          strokeDash: { field: "ratings", type: "nominal", scale: { domain: ["held out", "train"], range: [[1, 0], [6, 3]] }, title: null, legend: { symbolType: "stroke" } },
        },
      },
      {
        data: { values: [{ rmse: noise, text: `noise ${noise}` }] },
        layer: [
          { mark: { type: "rule", strokeDash: [2, 2], color: "#888" }, encoding: { y: { field: "rmse", type: "quantitative" } } },
          {
            mark: { type: "text", align: "right", baseline: "bottom", dy: -3, x: 515, color: "#666", fontSize: 10 },
            encoding: { y: { field: "rmse", type: "quantitative" }, text: { field: "text" } },
          },
        ],
      },
    ],
    config: { aria: false, background: "white", font: "Helvetica, Arial, sans-serif", axis: { grid: false }, view: { stroke: "#ccc" } },
  };
}
