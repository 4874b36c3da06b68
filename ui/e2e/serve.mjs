// A static server for ui/dist on 127.0.0.1:0 (the browser tests' origin).
import { createReadStream, existsSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../dist/", import.meta.url));
const config = JSON.parse(readFileSync(new URL("../../tauri.conf.json", import.meta.url), "utf8"));
const csp = Object.entries(config.app.security.csp)
  .map(([directive, sources]) => `${directive} ${sources}`)
  .join("; ");
const types = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml" };

export async function serveDist() {
  if (!existsSync(join(root, "index.html"))) throw new Error("ui/dist is missing: run `npm run build` first");
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
    let file = join(root, path);
    if (!file.startsWith(root) || !existsSync(file) || statSync(file).isDirectory()) file = join(root, "index.html");
    res.writeHead(200, {
      "content-type": types[extname(file)] ?? "application/octet-stream",
      // The app's own CSP (read from tauri.conf.json), so a violation shows up here too.
      "content-security-policy": csp,
    });
    createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((r) => server.close(r)) };
}
