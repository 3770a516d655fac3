// The playground is a static page: `vite` serves it, `vite build` writes it to dist/. It uses
// the built package (npm run build), as an app that installed simdopt would.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root,
  base: "./",
  // Vite's dependency cache stays in this folder (node_modules may be shared with other trees).
  cacheDir: fileURLToPath(new URL("./.vite", import.meta.url)),
  resolve: { alias: { simdopt: fileURLToPath(new URL("../../dist/index.js", import.meta.url)) } },
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 4096 },
  logLevel: "warn",
});
