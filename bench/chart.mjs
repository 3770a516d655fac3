// An SVG line chart per optimizer: log-scale ns/element against log-scale size, one line per
// implementation. No dependencies; the file opens in any browser.
import { KERNELS } from "./data.mjs";

const COLORS = ["#d62728", "#ff7f0e", "#2ca02c", "#1f77b4", "#9467bd", "#8c564b", "#7f7f7f", "#17becf"];
const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;");

export function chart(results, sizes) {
  const kernels = Object.keys(KERNELS);
  const ok = results.filter((r) => r.available);
  const ids = [...new Set(results.map((r) => r.impl))];
  const labels = new Map(results.map((r) => [r.impl, r.label]));
  const ys = ok.map((r) => r.nsPerElement);
  const yLo = Math.floor(Math.log10(Math.min(...ys))), yHi = Math.ceil(Math.log10(Math.max(...ys)));
  const xLo = Math.log10(sizes[0]), xHi = Math.log10(sizes[sizes.length - 1]);
  const W = 300, H = 260, M = { l: 52, r: 12, t: 28, b: 40 }, legendH = 22 * Math.ceil(ids.length / 2) + 10;
  const width = kernels.length * W + 20, height = H + legendH + 10;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`];
  kernels.forEach((kernel, k) => {
    const ox = 10 + k * W;
    const x = (n) => ox + M.l + ((Math.log10(n) - xLo) / (xHi - xLo || 1)) * (W - M.l - M.r);
    const y = (v) => M.t + ((yHi - Math.log10(v)) / (yHi - yLo || 1)) * (H - M.t - M.b);
    parts.push(`<text x="${ox + M.l}" y="16" font-size="13" font-weight="bold">${esc(KERNELS[kernel].label)}</text>`);
    for (let e = yLo; e <= yHi; e++) {
      parts.push(`<line x1="${ox + M.l}" x2="${ox + W - M.r}" y1="${y(10 ** e)}" y2="${y(10 ** e)}" stroke="#ddd"/>`,
        `<text x="${ox + M.l - 4}" y="${y(10 ** e) + 4}" text-anchor="end">${10 ** e >= 1 ? 10 ** e : (10 ** e).toFixed(-e)}</text>`);
    }
    for (const n of sizes) {
      parts.push(`<line x1="${x(n)}" x2="${x(n)}" y1="${M.t}" y2="${H - M.b}" stroke="#eee"/>`,
        `<text x="${x(n)}" y="${H - M.b + 14}" text-anchor="middle">1e${Math.log10(n)}</text>`);
    }
    parts.push(`<text x="${ox + (W + M.l) / 2}" y="${H - 6}" text-anchor="middle">elements</text>`);
    if (k === 0) parts.push(`<text transform="translate(${ox + 12},${(H + M.t - M.b) / 2}) rotate(-90)" text-anchor="middle">ns per element (log)</text>`);
    ids.forEach((id, i) => {
      const pts = sizes.map((n) => ok.find((r) => r.kernel === kernel && r.n === n && r.impl === id)).filter(Boolean);
      if (pts.length === 0) return;
      const c = COLORS[i % COLORS.length];
      parts.push(`<polyline fill="none" stroke="${c}" stroke-width="${id === "wasm" ? 3 : 1.5}" points="${pts.map((r) => `${x(r.n).toFixed(1)},${y(r.nsPerElement).toFixed(1)}`).join(" ")}"/>`);
      for (const r of pts) parts.push(`<circle cx="${x(r.n).toFixed(1)}" cy="${y(r.nsPerElement).toFixed(1)}" r="2.5" fill="${c}"/>`);
    });
  });
  ids.forEach((id, i) => {
    const lx = 10 + M.l + (i % 2) * 360, ly = H + 14 + 22 * Math.floor(i / 2);
    const c = COLORS[i % COLORS.length];
    parts.push(`<line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="${c}" stroke-width="${id === "wasm" ? 3 : 1.5}"/>`,
      `<text x="${lx + 30}" y="${ly + 4}">${esc(labels.get(id))}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}
