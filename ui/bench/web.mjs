// The web app's weight and speed, printed (not a test): the JavaScript and CSS an agent's
// browser downloads (gzip), and the time from navigation to a usable bell with 1 000 items
// in Debian's Chromium against a real herald-server (the debug build the tests use, or
// HERALD_SERVER_BIN).
//
//   cd ui && npm run build && node bench/web.mjs
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import { Children, startServer } from "../app-e2e/harness.mjs";

const ITEMS = Number(process.env.ITEMS ?? 1000);
const RUNS = 5;
const dist = fileURLToPath(new URL("../dist/", import.meta.url));
const BIN = process.env.HERALD_SERVER_BIN ?? fileURLToPath(new URL("../../target/debug/herald-server", import.meta.url));
if (!existsSync(BIN) || !existsSync(join(dist, "index.html"))) throw new Error("build first: npm run build; cargo build -p herald-server");

// What the page loads: index.html's script and style, and the web backend's chunk.
const files = readdirSync(join(dist, "assets")).filter((f) => /^(main|web)-.*\.(js|css)$/.test(f));
const size = (f) => gzipSync(readFileSync(join(dist, "assets", f)), { level: 9 }).length;
const js = files.filter((f) => f.endsWith(".js")).reduce((n, f) => n + size(f), 0);
const css = files.filter((f) => f.endsWith(".css")).reduce((n, f) => n + size(f), 0);
const sw = gzipSync(readFileSync(join(dist, "sw.js")), { level: 9 }).length;
console.log(`web app: JavaScript ${(js / 1024).toFixed(1)} KiB gzip (${files.filter((f) => f.endsWith(".js")).join(", ")}), CSS ${(css / 1024).toFixed(1)} KiB, service worker ${(sw / 1024).toFixed(1)} KiB`);

const children = new Children();
const work = mkdtempSync(join(tmpdir(), "herald-web-bench-"));
const agent = { externalId: "ana", email: "ana@bench.test", name: "Ana", password: "correct horse battery" };
try {
  const server = await startServer(children, { bin: BIN, work, workspace: "Bench", agent });
  for (let i = 0; i < ITEMS; i += 500) {
    const events = Array.from({ length: Math.min(500, ITEMS - i) }, (_, k) => ({
      id: `b-${i + k}`,
      kind: "assignment",
      occurred_at: new Date().toISOString(),
      conversation: { id: `c-${i + k}`, subject: `Conversation ${i + k}` },
      assignee: "ana",
      text: "Please take this one",
    }));
    const r = await fetch(`${server.base}/api/v1/events/batch`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.ingestKey}`, "content-type": "application/json" },
      body: JSON.stringify({ events }),
    });
    if (!r.ok) throw new Error(`ingest: ${r.status}`);
  }
  const browser = await chromium.launch({ executablePath: process.env.HERALD_CHROMIUM ?? "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"], headless: true });
  const times = [];
  for (let run = 0; run < RUNS; run++) {
    const context = await browser.newContext();
    const signIn = await context.request.post(`${server.base}/api/v1/web/session`, {
      data: { email: agent.email, password: agent.password },
      headers: { origin: server.base },
    });
    if (!signIn.ok()) throw new Error(`sign in: ${signIn.status()}`);
    const page = await context.newPage();
    await page.goto(server.base, { waitUntil: "commit" });
    await page.locator('[data-testid="bell-item"]').first().waitFor();
    times.push(await page.evaluate(() => performance.now()));
    await context.close();
  }
  await browser.close();
  times.sort((a, b) => a - b);
  console.log(`navigation to a usable bell with ${ITEMS} items (signed in, ${RUNS} runs): median ${times[Math.floor(RUNS / 2)].toFixed(0)} ms, best ${times[0].toFixed(0)} ms`);
} finally {
  children.stopAll();
  rmSync(work, { recursive: true, force: true });
}
