// Vega-Lite to SVG in Node, with no browser and no canvas: Vega's headless view.
import * as vega from "vega";
import { compile } from "vega-lite";

/** Renders a Vega-Lite spec to an SVG string. */
export async function toSvg(spec) {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
