// The embeddings picture: train and held-out RMSE after each epoch, one colour per optimizer,
// with the noise level, below which no model can go on held-out ratings (Vega-Lite).
import { RUN_COLORS } from "../shared/charts.mjs";

export function rmseCurves({ results, size, dim, rank, noise, batch }) {
  const labels = results.map((r) => r.recipe.label);
  const color = { field: "optimizer", type: "nominal", scale: { domain: labels, range: [RUN_COLORS.Adagrad, RUN_COLORS["GD + momentum"]] }, title: null };
  const rows = results.flatMap(({ recipe, history }) =>
    history.flatMap((h) => [
      { optimizer: recipe.label, ratings: "train", epoch: h.epoch, rmse: h.train },
      { optimizer: recipe.label, ratings: "held out", epoch: h.epoch, rmse: h.heldOut },
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
        "RMSE after each epoch (log scale) on the training ratings and on the 10% held out; the dotted line is the noise.",
      ],
      anchor: "start",
      fontSize: 15,
    },
    width: 520,
    height: 260,
    layer: [
      {
        data: { values: rows },
        mark: { type: "line", strokeWidth: 1.6, point: { size: 20 } },
        encoding: {
          x: { field: "epoch", type: "quantitative", title: "epoch", axis: { tickMinStep: 1 } },
          y: { field: "rmse", type: "quantitative", scale: { type: "log" }, title: "RMSE" },
          color,
          strokeDash: { field: "ratings", type: "nominal", scale: { domain: ["held out", "train"], range: [[1, 0], [5, 3]] }, title: null },
        },
      },
      {
        data: { values: [{ rmse: noise }] },
        mark: { type: "rule", strokeDash: [2, 2], color: "#888" },
        encoding: { y: { field: "rmse", type: "quantitative" } },
      },
    ],
    config: { aria: false, background: "white", font: "Helvetica, Arial, sans-serif", axis: { grid: false }, view: { stroke: "#ccc" } },
  };
}
