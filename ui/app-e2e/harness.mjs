// What the real-app tests and the benchmark share: child processes with their output, free
// ports, polling, a real herald-server with one agent and an ingest key, tauri-driver with
// Debian's WebKitWebDriver, WebDriver sessions of an app, and the process table.
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { remote } from "webdriverio";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The child processes started here, each keeping its output (`output()`). */
export class Children {
  list = [];

  start(command, args, env = {}, logName = command) {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.output = () => output;
    child.logName = logName;
    this.list.push(child);
    return child;
  }

  named(logName) {
    return this.list.find((c) => c.logName === logName);
  }

  stopAll() {
    for (const child of [...this.list].reverse()) child.kill("SIGTERM");
  }
}

export function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
    s.on("error", fail);
  });
}

/** Polls `check` until it returns something truthy (which it returns). */
export async function until(what, check, timeout = 20_000, every = 150) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    try {
      last = await check();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    await sleep(every);
  }
  throw new Error(`timed out waiting for ${what} (last: ${last})`);
}

/** A herald-server on 127.0.0.1:<free port> with its own SQLite file in `work`, one
 * workspace, one agent and an ingest key, all made with the server's own CLI. */
export async function startServer(children, { bin, work, workspace, agent, serveArgs = [], name = "herald-server" }) {
  mkdirSync(work, { recursive: true });
  const database = join(work, "herald.db");
  const run = (args, env) => execFileSync(bin, args, { env: { ...process.env, ...env }, encoding: "utf8" });
  run(["migrate", "--database", database]);
  const groups = (agent.groups ?? []).flatMap((g) => ["--group", g]);
  run(
    ["agent", "add", "--database", database, "--workspace", workspace, "--external-id", agent.externalId, "--email", agent.email, "--name", agent.name, ...groups],
    { HERALD_AGENT_PASSWORD: agent.password },
  );
  const ingestKey = run(["ingest-key", "create", "--database", database, "--workspace", workspace]).trim().split("\n")[1].trim();
  // The platform the tests pretend to be links to its conversations there.
  run(["workspace", "links", "--database", database, "--workspace", workspace, "--origin", "https://platform.example.com"]);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // `serveArgs` may depend on the address (e.g. `--public-url`).
  const extra = typeof serveArgs === "function" ? serveArgs(base) : serveArgs;
  children.start(bin, ["serve", "--bind", `127.0.0.1:${port}`, "--database", database, ...extra], { HERALD_LOG: "warn" }, name);
  await until("the server", async () => (await fetch(`${base}/api/v1/health`)).ok);
  return { base, ingestKey, run, database };
}

/** tauri-driver with Debian's WebKitWebDriver; `env` reaches the apps it starts. */
export async function startDriver(children, env) {
  const port = await freePort();
  const native = await freePort();
  const driver = children.start(
    "tauri-driver",
    ["--port", String(port), "--native-port", String(native), "--native-driver", "/usr/bin/WebKitWebDriver"],
    env,
    "tauri-driver",
  );
  driver.port = port;
  await until("tauri-driver", async () => (await fetch(`http://127.0.0.1:${port}/status`)).ok);
  return driver;
}

/** A WebDriver session: starts `application` and drives its window. */
export function openApp(driver, application) {
  return remote({
    hostname: "127.0.0.1",
    port: driver.port,
    logLevel: "error",
    capabilities: { "tauri:options": { application }, "wdio:enforceWebDriverClassic": true },
  });
}

/** Every process: pid, parent, name, CPU ticks (user + system), from /proc. */
export function processes() {
  const all = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      all.push({ pid: Number(name), ppid: Number(rest[1]), comm, ticks: Number(rest[11]) + Number(rest[12]) });
    } catch {}
  }
  return all;
}

/** The newest process running `binary` (its name as the kernel keeps it: 15 characters). */
export function newestProcess(binary) {
  const name = binary.split("/").pop().slice(0, 15);
  return processes()
    .filter((p) => p.comm === name)
    .sort((a, b) => b.pid - a.pid)[0];
}
