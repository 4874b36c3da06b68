// The peer benchmark's load generator: the same fan-out against herald-server (the release
// binary on a SQLite file, `synchronous = FULL`, preferences and the policy applied) and
// against a socket.io 4.8 server that only relays (socketio-server.mjs), in one run, from
// one process. One HTTP request per event; every agent has one live stream; latency is from
// the request to the item arriving on the agent's stream (one clock: this process).
//
//   node run.mjs --herald target/release/herald-server --bench target/release/herald-bench \
//     [--agents 1000] [--rates 1000,3000] [--seconds 10] [--burst 1000] \
//     [--profile DIR]   # perf record herald-server through each fixed rate (DIR/rate-N.data),
//                       # and skip socket.io (scripts/profile-server.sh)
//
// Prints numbers and ratios, never a verdict: the machine is shared.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { io as socketio } from "socket.io-client";
import WebSocket from "ws";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => {
    if (arg.startsWith("--")) pairs.push([arg.slice(2), all[i + 1]]);
    return pairs;
  }, []),
);
const AGENTS = Number(args.agents ?? 1000);
const RATES = String(args.rates ?? "1000,3000").split(",").map(Number);
const SECONDS = Number(args.seconds ?? 10);
const BURST = Number(args.burst ?? 1000);
const PROFILE = args.profile;
const CLK_TCK = 100;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// --- the processes -----------------------------------------------------------------------

function status(pid, field) {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith(`${field}:`));
  return Number(line?.split(/\s+/)[1] ?? 0); // KiB
}

/** User + system CPU seconds of a process (all its threads). */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

function start(command, argv, ready) {
  const child = spawn(command, argv, { stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let seen = "";
    const look = (chunk) => {
      seen += chunk;
      const found = ready(seen);
      if (found) resolve({ child, url: found });
    };
    child.stdout.on("data", look);
    child.stderr.on("data", look);
    child.on("exit", (code) => reject(new Error(`${command} exited (${code}): ${seen}`)));
  });
}

// --- HTTP with keep-alive ------------------------------------------------------------------

const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });

function post(url, body, headers = {}) {
  const data = JSON.stringify(body);
  return new Promise((resolve) => {
    const req = http.request(
      url,
      { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(data), ...headers } },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString("utf8") }));
      },
    );
    req.on("error", () => resolve({ status: 0, body: "" }));
    req.end(data);
  });
}

async function pool(count, concurrency, task) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

// --- the two servers behind one shape --------------------------------------------------------

function event(n, tag) {
  const agentNo = n % AGENTS;
  return {
    id: `${tag}-${n}`,
    kind: "assignment",
    occurred_at: new Date().toISOString(),
    conversation: { id: `c-${agentNo}`, subject: "Order #4821 did not arrive", customer_name: "Marina Costa" },
    actor: { name: "Router" },
    assignee: `a${agentNo}`,
    mentioned: [],
    participants: [],
    text: "Olá, alguma novidade sobre o meu pedido?",
    recipients: [],
  };
}

async function heraldServer() {
  const dir = mkdtempSync(join(tmpdir(), "herald-peers-"));
  const db = join(dir, "herald.db");
  const key = execFileSync(args.bench, ["--seed", db, "--agents", String(AGENTS)]).toString().trim().split("\n").pop();
  const { child, url } = await start(args.herald, ["serve", "--bind", "127.0.0.1:0", "--database", db, "--log", "warn"], (out) =>
    out.match(/herald-server listening on (\S+)/)?.[1],
  );
  const pid = child.pid;
  const idle = status(pid, "VmRSS");

  const tokens = new Array(AGENTS);
  await pool(AGENTS, 8, async (n) => {
    for (;;) {
      const { status: code, body } = await post(`${url}/api/v1/session`, { email: `a${n}@bench.test`, password: "bench password" });
      if (code === 200) return void (tokens[n] = JSON.parse(body).token);
      if (code !== 503) throw new Error(`sign-in ${n}: ${code} ${body}`);
      await sleep(100);
    }
  });
  const signedIn = status(pid, "VmRSS");

  // Then a burst of sign-ins at once (wrong passwords and unknown emails, one address): the
  // agents signed in first, as the limiter refuses this address for a while afterwards.
  await Promise.all(
    Array.from({ length: BURST }, (_, n) =>
      post(`${url}/api/v1/session`, { email: n % 2 ? `a${n % AGENTS}@bench.test` : `nobody${n}@bench.test`, password: "wrong" }),
    ),
  );
  const burstPeak = status(pid, "VmHWM");
  await sleep(2000);
  const afterBurst = status(pid, "VmRSS");

  return {
    name: "herald-server",
    pid,
    idle,
    signedIn,
    burstPeak,
    afterBurst,
    ingest: (ev) => post(`${url}/api/v1/events`, ev, { authorization: `Bearer ${key}` }),
    connect(n, onItem) {
      return new Promise((resolve, reject) => {
        const ws = new WebSocket(`${url.replace("http://", "ws://")}/api/v1/stream`, { headers: { authorization: `Bearer ${tokens[n]}` } });
        ws.on("open", () => ws.send(JSON.stringify({ type: "resume", after_seq: 0 })));
        ws.on("message", (data) => {
          const message = JSON.parse(data.toString());
          if (message.type === "live") resolve(ws);
          else if (message.type === "item" && !message.replay) onItem(message.notification.event_id);
        });
        ws.on("error", reject);
      });
    },
    stop() {
      child.kill("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function socketioServer() {
  const here = new URL(".", import.meta.url).pathname;
  const { child, url } = await start(process.execPath, [join(here, "socketio-server.mjs")], (out) => {
    const port = out.match(/listening (\d+)/)?.[1];
    return port && `http://127.0.0.1:${port}`;
  });
  const pid = child.pid;
  return {
    name: "socket.io 4.8",
    pid,
    idle: status(pid, "VmRSS"),
    ingest: (ev) => post(`${url}/events`, ev),
    connect(n, onItem) {
      return new Promise((resolve, reject) => {
        const socket = socketio(url, { transports: ["websocket"], auth: { agent: `a${n}` }, forceNew: true, reconnection: false });
        socket.on("connect", () => resolve(socket));
        socket.on("item", (ev) => onItem(ev.id));
        socket.on("connect_error", reject);
      });
    },
    stop() {
      child.kill("SIGTERM");
    },
  };
}

// --- the measurements ----------------------------------------------------------------------

function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function measure(server) {
  const sent = new Map();
  const latencies = [];
  let delivered = 0;
  const onItem = (id) => {
    const at = sent.get(id);
    if (at === undefined) return;
    sent.delete(id);
    delivered += 1;
    latencies.push(performance.now() - at);
  };
  const beforeStreams = status(server.pid, "VmRSS");
  const streams = [];
  for (let n = 0; n < AGENTS; n += 50) {
    streams.push(...(await Promise.all(Array.from({ length: Math.min(50, AGENTS - n) }, (_, i) => server.connect(n + i, onItem)))));
  }
  await sleep(1000);
  const withStreams = status(server.pid, "VmRSS");
  const result = { name: server.name, idle: server.idle, signedIn: server.signedIn, burstPeak: server.burstPeak, afterBurst: server.afterBurst };
  result.perStream = ((withStreams - beforeStreams) * 1024) / AGENTS / 1000; // KB

  result.rates = [];
  for (const rate of RATES) {
    latencies.length = 0;
    delivered = 0;
    sent.clear();
    const perf = PROFILE && server.name === "herald-server" ? profile(server.pid, rate) : null;
    const cpu0 = cpuSeconds(server.pid);
    const t0 = performance.now();
    let n = 0;
    let acked = 0;
    const inflight = [];
    // Every 10 ms, the events due by then.
    while (performance.now() - t0 < SECONDS * 1000) {
      const due = Math.floor(((performance.now() - t0) / 1000) * rate);
      while (n < due) {
        const ev = event(n, `r${rate}`);
        sent.set(ev.id, performance.now());
        inflight.push(server.ingest(ev).then((r) => void (r.status === 200 && (acked += 1))));
        n += 1;
      }
      await sleep(10);
    }
    await Promise.all(inflight);
    // Over the time until the last answer came back: past saturation, answers lag.
    const elapsed = (performance.now() - t0) / 1000;
    await sleep(2000); // stragglers
    if (perf) await perf;
    const cpu = cpuSeconds(server.pid) - cpu0;
    latencies.sort((a, b) => a - b);
    result.rates.push({
      rate,
      offered: n,
      acked,
      ackedPerSecond: acked / elapsed,
      delivered,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      cpuPerEventUs: delivered ? (cpu / delivered) * 1e6 : NaN,
    });
  }

  // Saturation: as fast as acknowledgements come back, 64 requests in flight.
  latencies.length = 0;
  delivered = 0;
  sent.clear();
  const t0 = performance.now();
  let next = 0;
  let acked = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (performance.now() - t0 < SECONDS * 1000) {
        const ev = event(next++, "sat");
        sent.set(ev.id, performance.now());
        if ((await server.ingest(ev)).status === 200) acked += 1;
      }
    }),
  );
  result.saturation = acked / ((performance.now() - t0) / 1000);
  await sleep(1000);
  for (const s of streams) s.close();
  return result;
}

/** perf record of one process for the length of a phase, with call stacks. */
function profile(pid, rate) {
  const out = join(PROFILE, `rate-${rate}.data`);
  const perf = spawn("perf", ["record", "-q", "-e", "cpu-clock", "-F", "999", "--call-graph", "dwarf,16384", "-p", String(pid), "-o", out, "--", "sleep", String(SECONDS)], { stdio: "inherit" });
  return new Promise((resolve) => perf.on("exit", resolve));
}

// --- the run -------------------------------------------------------------------------------

const fmt = (x, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : "–");
const mb = (kib) => (kib ? `${fmt(kib / 1024, 0)} MB` : "–");

console.log(`peer benchmark: ${AGENTS} agents with a live stream each, rates ${RATES.join(", ")}/s for ${SECONDS} s, ${BURST} sign-ins at once`);
const herald = await heraldServer();
const h = await measure(herald);
herald.stop();
if (PROFILE) {
  for (const r of h.rates) console.log(`${r.rate}/s: ${fmt(r.ackedPerSecond, 0)} acknowledged/s, p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms, ${fmt(r.cpuPerEventUs, 0)} µs CPU per event`);
  agent.destroy();
  process.exit(0);
}
const peer = await socketioServer();
const p = await measure(peer);
peer.stop();
agent.destroy();

const rows = [
  ["resident, idle", mb(h.idle), mb(p.idle), ""],
  [`resident after ${AGENTS} agents signed in (8 at a time)`, mb(h.signedIn), "–", ""],
  [`peak during ${BURST} sign-ins at once`, mb(h.burstPeak), "–", "goal < 300 MB"],
  ["resident 2 s after that burst", mb(h.afterBurst), "–", "goal: within 50 MB of before it"],
  ["memory per live stream", `${fmt(h.perStream)} KB`, `${fmt(p.perStream)} KB`, `${fmt(h.perStream / p.perStream, 2)}×, goal ≤ 30 KB`],
];
for (const [i, r] of h.rates.entries()) {
  const q = p.rates[i];
  rows.push([`${r.rate}/s: acknowledged per second`, fmt(r.ackedPerSecond, 0), fmt(q.ackedPerSecond, 0), `${fmt(r.ackedPerSecond / q.ackedPerSecond, 2)}×`]);
  rows.push([`${r.rate}/s: delivered of offered`, `${r.delivered}/${r.offered}`, `${q.delivered}/${q.offered}`, ""]);
  rows.push([`${r.rate}/s: delivery p50 / p99 (ms)`, `${fmt(r.p50)} / ${fmt(r.p99)}`, `${fmt(q.p50)} / ${fmt(q.p99)}`, `p99 ${fmt(r.p99 / q.p99, 2)}×`]);
  rows.push([`${r.rate}/s: server CPU per delivered event`, `${fmt(r.cpuPerEventUs, 0)} µs`, `${fmt(q.cpuPerEventUs, 0)} µs`, `${fmt(r.cpuPerEventUs / q.cpuPerEventUs, 2)}×, goal ≤ 130 µs`]);
}
rows.push(["saturation: acknowledged per second", fmt(h.saturation, 0), fmt(p.saturation, 0), `${fmt(h.saturation / p.saturation, 2)}×, goal ≥ 3×`]);

const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c].length), ["measure", "herald-server", "socket.io", "ratio / goal"][c].length));
const line = (cells) => `| ${cells.map((cell, c) => cell.padEnd(widths[c])).join(" | ")} |`;
console.log(line(["measure", "herald-server", "socket.io", "ratio / goal"]));
console.log(line(widths.map((w) => "-".repeat(w))));
for (const r of rows) console.log(line(r));
