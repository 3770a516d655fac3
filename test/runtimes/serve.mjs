// A static file server for the browser checks: 127.0.0.1 only, on a free port.
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { join, normalize } from "node:path";

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };

/** Serves `root`; `routes` maps a URL path to another file and extra response headers. */
export function serveStatic(root, routes = {}) {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    const route = routes[url.pathname];
    let path = route?.path ?? (url.pathname.endsWith("/") ? `${url.pathname}index.html` : url.pathname);
    if (url.pathname.startsWith("/csp/") && !route) path = url.pathname.slice(4);
    const file = join(root, normalize(path).replace(/^(\.\.[/\\])+/, ""));
    try {
      const body = await readFile(file);
      const type = TYPES[file.slice(file.lastIndexOf("."))] ?? "application/octet-stream";
      res.writeHead(200, { "content-type": type, "cache-control": "no-store", ...route?.headers });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () => new Promise((done) => server.close(done)),
      });
    });
  });
}
