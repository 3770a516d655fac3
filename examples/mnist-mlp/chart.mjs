// The MNIST picture: training loss against epochs and test accuracy after each epoch, one
// line per optimizer (Vega-Lite).
import { RUN_COLORS } from "../shared/charts.mjs";

export function lossCurves(runs) {
  const labels = runs.map((r) => r.label);
  const palette = [RUN_COLORS["GD + momentum"], RUN_COLORS.Adagrad, RUN_COLORS.RMSprop, RUN_COLORS["RMSprop + momentum"], RUN_COLORS.Adam];
  const color = { field: "optimizer", type: "nominal", scale: { domain: labels, range: palette }, title: null, legend: { labelLimit: 300 } };
  const batches = runs.flatMap((r) => r.history.batches.map((b) => ({ optimizer: r.label, ...b })));
  const epochs = runs.flatMap((r) => r.history.epochs.map((e) => ({ optimizer: r.label, ...e })));
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: "MNIST, 784-128-10 MLP: training loss and test accuracy",
      subtitle: [
        `${runs[0].history.epochs.length} epochs of 8,000 digits, batch 64, cosine lr schedule, gradients clipped to norm 5; tested on 2,000 held-out digits.`,
        "Left: the training loss, averaged over every 25 batches, on a log scale. Right: test accuracy after each epoch.",
      ],
      anchor: "start",
      fontSize: 15,
    },
    hconcat: [
      {
        width: 340,
        height: 220,
        data: { values: batches },
        mark: { type: "line", strokeWidth: 1.4 },
        encoding: {
          x: { field: "epoch", type: "quantitative", title: "epoch" },
          // Axis titles stay short: Vega lays out by an estimate of text width (no fonts in Node).
          y: { field: "loss", type: "quantitative", scale: { type: "log" }, title: "training loss" },
          color,
        },
      },
      {
        width: 260,
        height: 220,
        data: { values: epochs },
        mark: { type: "line", strokeWidth: 1.4, point: { size: 20 } },
        encoding: {
          x: { field: "epoch", type: "quantitative", title: "epoch", axis: { tickMinStep: 1 } },
          y: { field: "testAccuracy", type: "quantitative", scale: { zero: false }, axis: { format: ".0%" }, title: "test accuracy" },
          color,
        },
      },
    ],
    resolve: { scale: { color: "shared" } },
    config: { aria: false, background: "white", font: "Helvetica, Arial, sans-serif", axis: { grid: false }, view: { stroke: "#ccc" } },
  };
}
