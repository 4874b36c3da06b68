// The app's benchmark (prints numbers; not a test): idle memory with the window open and
// 1 000 items in the bell, idle memory in the tray, cold start until the bell is usable and
// idle CPU, each beside the stock Tauri template (create-tauri-app, vanilla) built the same
// way and measured in the same run. Run by scripts/bench-app.sh, which builds both and
// provides the display, the session bus and the keyring.
//
// Memory is PSS summed over the app and all its descendants (WebKit's web and network
// processes included), read from /proc/<pid>/smaps_rollup. Start is measured from asking
// WebDriver for a session (which launches the app) to the first usable element: the same
// overhead for both apps, so the ratio is what matters.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Children, newestProcess, openApp, processes, sleep, startDriver, startServer, until } from "./harness.mjs";
import { closeWindows } from "./x11.mjs";

const HERALD = process.env.HERALD_APP;
const TEMPLATE = process.env.TEMPLATE_APP;
const SERVER = process.env.HERALD_SERVER_BIN;
const ITEMS = Number(process.env.BENCH_ITEMS ?? 1000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 5000);
const EMAIL = "bench@herald.test";
const PASSWORD = "bench password 1";

const work = mkdtempSync(join(tmpdir(), "herald-bench-"));
const children = new Children();

// --- /proc -------------------------------------------------------------------------------

function tree(root) {
  const all = processes();
  const out = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift();
    const p = all.find((x) => x.pid === pid);
    if (p) out.push(p);
    for (const c of all.filter((x) => x.ppid === pid)) queue.push(c.pid);
  }
  return out;
}

function pss(pid) {
  try {
    const m = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8").match(/^Pss:\s+(\d+) kB/m);
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

function appPid(binary) {
  const found = newestProcess(binary);
  if (!found) throw new Error(`no ${binary} process`);
  return found.pid;
}

function pssAnon(pid) {
  try {
    const m = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8").match(/^Pss_Anon:\s+(\d+) kB/m);
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

function memory(root) {
  const procs = tree(root);
  const parts = procs.map((p) => ({ comm: p.comm, mib: pss(p.pid), anon: pssAnon(p.pid) }));
  return { total: parts.reduce((s, p) => s + p.mib, 0), parts };
}

async function cpu(root, ms = 10_000) {
  const ticks = () => tree(root).reduce((s, p) => s + p.ticks, 0);
  const before = ticks();
  await sleep(ms);
  const hz = 100;
  return ((ticks() - before) / hz / (ms / 1000)) * 100;
}

// --- the server and the apps ----------------------------------------------------------------

let base;
let ingestKey;
async function serverUp() {
  ({ base, ingestKey } = await startServer(children, {
    bin: SERVER,
    work,
    workspace: "Bench",
    agent: { externalId: "bench", email: EMAIL, name: "Bench Agent", password: PASSWORD },
  }));
  for (let i = 0; i < ITEMS; i += 100) {
    const events = Array.from({ length: Math.min(100, ITEMS - i) }, (_, j) => ({
      id: `bench-${i + j}`,
      kind: "assignment",
      occurred_at: new Date(Date.now() - (ITEMS - i - j) * 60_000).toISOString(),
      conversation: { id: `c-${i + j}`, subject: `Order question #${i + j}`, customer_name: "Maria Souza" },
      assignee: "bench",
      text: "Hello, I need help with my order, it has not arrived yet.",
    }));
    const r = await fetch(`${base}/api/v1/events/batch`, {
      method: "POST",
      headers: { authorization: `Bearer ${ingestKey}`, "content-type": "application/json" },
      body: JSON.stringify({ events }),
    });
    if (!r.ok) throw new Error(`ingest: ${r.status} ${await r.text()}`);
  }
}

let driver;
async function driverUp() {
  driver = await startDriver(children, {
    XDG_DATA_HOME: join(work, "data"),
    XDG_CONFIG_HOME: join(work, "config"),
    // The app's start-up timings ("set up", "start-up restore done", "first bell").
    HERALD_LOG: "warn,herald_app=info",
    NO_COLOR: "1",
  });
}

function session(application) {
  return openApp(driver, application);
}

async function timedStart(application, selector) {
  const t0 = performance.now();
  const browser = await session(application);
  await until("the first usable element", async () => (await browser.$$(selector)).length > 0, 30_000, 10);
  return { browser, ms: performance.now() - t0 };
}

// --- runs ----------------------------------------------------------------------------------

async function heraldRun(first) {
  const { browser, ms } = await timedStart(HERALD, '[data-testid="bell-item"]');
  if (first) {
    while ((await browser.$$('[data-testid="bell-item"]')).length >= 0) {
      const count = await browser.execute(() => document.querySelector('[data-testid="bell-item"]')?.getAttribute("aria-setsize"));
      if (Number(count) >= ITEMS) break;
      const more = await browser.$("button*=Load older");
      if (!(await more.isExisting())) break;
      await more.click();
      await sleep(150);
    }
  }
  const loaded = Number(await browser.execute(() => document.querySelector('[data-testid="bell-item"]')?.getAttribute("aria-setsize")));
  await sleep(SETTLE_MS);
  const pid = appPid(HERALD);
  const open = memory(pid);
  const cpuOpen = await cpu(pid);
  // Close the window as the agent would (the window manager's close): Herald stays in the
  // tray without a webview.
  closeWindows(pid);
  await sleep(SETTLE_MS);
  const tray = memory(pid);
  const cpuTray = await cpu(pid);
  const alive = processes().some((p) => p.pid === pid);
  await browser.deleteSession().catch(() => {});
  if (processes().some((p) => p.pid === pid)) process.kill(pid, "SIGTERM");
  await sleep(500);
  return { ms, loaded, open, tray: alive ? tray : undefined, cpuOpen, cpuTray };
}

async function templateRun() {
  const { browser, ms } = await timedStart(TEMPLATE, "#greet-input");
  await sleep(SETTLE_MS);
  const pid = appPid(TEMPLATE);
  const open = memory(pid);
  const cpuOpen = await cpu(pid);
  await browser.deleteSession().catch(() => {});
  await sleep(500);
  return { ms, open, cpuOpen };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const f = (x, d = 0) => (x === undefined ? "n/a" : x.toFixed(d));

async function main() {
  await serverUp();
  await driverUp();
  // Sign in once; every timed start below restores the session from the keychain.
  {
    const browser = await session(HERALD);
    await (await browser.$('input[name="server"]')).setValue(base);
    await (await browser.$('input[name="email"]')).setValue(EMAIL);
    await (await browser.$('input[name="password"]')).setValue(PASSWORD);
    await (await browser.$('button[type="submit"]')).click();
    await until("the bell", async () => (await browser.$$('[data-testid="bell-item"]')).length > 0);
    await browser.deleteSession();
    await sleep(1000);
  }
  const herald = [];
  const template = [];
  for (let i = 0; i < RUNS; i++) {
    template.push(await templateRun());
    herald.push(await heraldRun(true));
  }
  const h = {
    start: median(herald.map((r) => r.ms)),
    open: median(herald.map((r) => r.open.total)),
    tray: median(herald.filter((r) => r.tray).map((r) => r.tray.total)),
    cpuOpen: median(herald.map((r) => r.cpuOpen)),
    cpuTray: median(herald.map((r) => r.cpuTray)),
  };
  const t = {
    start: median(template.map((r) => r.ms)),
    open: median(template.map((r) => r.open.total)),
    cpuOpen: median(template.map((r) => r.cpuOpen)),
  };
  const last = herald.at(-1);
  console.log(`\nHerald app benchmark: ${RUNS} runs each, medians; ${last.loaded} items in the bell\n`);
  console.log("                           Herald     template   Herald/template   goal");
  console.log(`window open, PSS (MiB)   ${f(h.open, 1).padStart(8)}   ${f(t.open, 1).padStart(8)}   ${f(h.open / t.open, 2).padStart(8)}x         <= 1.0x`);
  console.log(`in the tray, PSS (MiB)   ${f(h.tray, 1).padStart(8)}          -                 -         <= 40 MiB`);
  console.log(`cold start (ms)          ${f(h.start).padStart(8)}   ${f(t.start).padStart(8)}   ${f(h.start / t.start, 2).padStart(8)}x         <= 1.2x`);
  console.log(`idle CPU, window (%)     ${f(h.cpuOpen, 2).padStart(8)}   ${f(t.cpuOpen, 2).padStart(8)}`);
  console.log(`idle CPU, tray (%)       ${f(h.cpuTray, 2).padStart(8)}`);
  console.log("\nper process, Herald window open (last run):");
  for (const p of last.open.parts) console.log(`  ${p.comm.padEnd(22)} ${f(p.mib, 1)} MiB`);
  if (last.tray) for (const p of last.tray.parts) console.log(`  tray: ${p.comm.padEnd(16)} ${f(p.mib, 1)} MiB (${f(p.anon, 1)} MiB of it private data, the rest shared libraries)`);
  console.log("per process, template (last run):");
  for (const p of template.at(-1).open.parts) console.log(`  ${p.comm.padEnd(22)} ${f(p.mib, 1)} MiB`);
  const timings = driver.output().split("\n").filter((l) => /set up|restore done|first bell/.test(l)).slice(-3);
  console.log("\nHerald's start-up, last run (from its log):");
  for (const line of timings) console.log(`  ${line.replace(/^\S+\s+/, "").replace(/\x1b\[[0-9;]*m/g, "")}`);
  console.log("\nall runs:", JSON.stringify({ herald: herald.map((r) => ({ ms: Math.round(r.ms), open: +r.open.total.toFixed(1), tray: r.tray && +r.tray.total.toFixed(1) })), template: template.map((r) => ({ ms: Math.round(r.ms), open: +r.open.total.toFixed(1) })) }));
}

try {
  await main();
} finally {
  children.stopAll();
}
