// The playground is a static page: `vite` serves it, `vite build` writes it to dist/. It uses
// the built package (npm run build), as an app that installed simdopt would.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root,
  base: "./",
  resolve: { alias: { simdopt: fileURLToPath(new URL("../../dist/index.js", import.meta.url)) } },
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 4096 },
  logLevel: "warn",
});
