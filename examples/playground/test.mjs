// `npm run test:playground`: builds the playground with Vite, serves the build, and checks it
// in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core): the page loads
// without console errors, the charts are drawn, changing an optimizer changes its path, and
// clicking the contour moves the start. Saves docs/playground.png. Exits 1 on any failure.
import { fileURLToPath } from "node:url";
import { build, preview } from "vite";
import { chromium } from "playwright-core";

const CONFIG = fileURLToPath(new URL("./vite.config.mjs", import.meta.url));
const SCREENSHOT = fileURLToPath(new URL("../../docs/playground.png", import.meta.url));
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const failures = [];
const check = (ok, what) => {
  console.log(`${ok ? "PASS" : "FAIL"} ${what}`);
  if (!ok) failures.push(what);
};

await build({ configFile: CONFIG, logLevel: "warn" });
const server = await preview({ configFile: CONFIG, preview: { port: 0, host: "127.0.0.1" }, logLevel: "warn" });
const url = server.resolvedUrls.local[0];
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--headless"] });
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 860 } });
  const errors = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(e.message));
  const idle = () => page.waitForSelector("body[data-status=idle]", { timeout: 30_000 });
  const draws = async () => Number(await page.getAttribute("body", "data-draws"));

  // Pixels of a chart's canvas: how many are inked (not white), and a fingerprint of them all.
  const pixels = (selector) =>
    page.$eval(`${selector} canvas`, (canvas) => {
      const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
      let inked = 0;
      let colored = 0;
      let hash = 0;
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
        if (a > 0 && (r < 240 || g < 240 || b < 240)) inked++;
        if (a > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 60) colored++;
        hash = (Math.imul(hash, 31) + r + 3 * g + 7 * b + 11 * a) | 0;
      }
      return { inked, colored, hash, size: `${canvas.width}x${canvas.height}` };
    });

  await page.goto(url);
  await idle();
  check(errors.length === 0, `the page loads with no console errors${errors.length ? `: ${errors.join("; ")}` : ""}`);
  check((await page.textContent("#backend")) === "wasm backend", `simdopt runs on wasm in the page (${await page.textContent("#backend")})`);
  const before = await pixels("#paths-chart");
  const loss = await pixels("#loss-chart");
  check(before.inked > 5000 && before.colored > 500, `the contour and paths are drawn (${before.inked} inked pixels, ${before.colored} in path colours, canvas ${before.size})`);
  check(loss.inked > 2000 && loss.colored > 300, `the loss plot is drawn (${loss.inked} inked pixels, ${loss.colored} in line colours)`);
  await page.screenshot({ path: SCREENSHOT });
  console.log(`saved ${SCREENSHOT}`);

  const status = () => page.textContent("#run-0 .status");
  const gdStatus = await status();
  await page.selectOption("#run-0 select.family", "Adam");
  await idle();
  const after = await pixels("#paths-chart");
  check(after.hash !== before.hash, "changing the first optimizer from SGD to Adam redraws its path");
  check((await status()) !== gdStatus, `the first run's result changes too ("${gdStatus}" -> "${await status()}")`);

  await page.fill("#run-0 input[name=lr]", "-1");
  await page.dispatchEvent("#run-0 input[name=lr]", "change");
  await idle();
  const refused = await page.textContent("#run-0 .status.error").catch(() => "");
  check(/lr/.test(refused), `a negative lr is refused with simdopt's message, on the page ("${refused}")`);

  const box = await page.$eval("#paths-chart canvas", (c) => {
    const r = c.getBoundingClientRect();
    return { x: r.x, y: r.y, width: r.width, height: r.height };
  });
  const moved = await pixels("#paths-chart");
  const startBefore = await page.textContent("#start");
  const drawn = await draws();
  await page.mouse.click(box.x + box.width * 0.5, box.y + box.height * 0.3);
  // Vega handles the click on its next tick: wait for the redraw it starts.
  await page.waitForFunction((n) => Number(document.body.dataset.draws) > n, drawn, { timeout: 10_000 });
  await idle();
  const startAfter = await page.textContent("#start");
  const [sx, sy] = startAfter.slice(1, -1).split(", ").map(Number);
  check((await pixels("#paths-chart")).hash !== moved.hash && startAfter !== startBefore && sx > -4.5 && sx < 1.5 && sy > 0 && sy < 2,
    `clicking the contour moves the start there and redraws the paths (${startBefore} -> ${startAfter})`);

  await page.selectOption("#surface", "rosenbrock");
  await idle();
  const rosen = await pixels("#paths-chart");
  check(rosen.inked > 5000 && rosen.hash !== moved.hash, "switching to Rosenbrock draws its valley and paths");
  check(errors.length === 0, `no console errors after all that${errors.length ? `: ${errors.join("; ")}` : ""}`);
} catch (e) {
  check(false, `the test ran to the end: ${e.message}`);
} finally {
  await browser.close();
  await new Promise((resolve) => server.httpServer.close(resolve));
}
console.log(failures.length ? `${failures.length} failed` : "all passed");
process.exit(failures.length ? 1 : 0);
