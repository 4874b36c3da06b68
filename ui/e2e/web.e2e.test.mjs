// The web app in Debian's Chromium against a real herald-server serving it (the binary the
// Rust tests built): the HttpOnly session, the live bell, marks and preferences reaching
// the server, the service worker, and browser push end to end: the subscription reaches
// the server, an event goes through the push outbox to a local push service that checks
// the VAPID signature and decrypts it, and the decrypted message, delivered to the service
// worker through DevTools (headless Chromium has no push service), shows a notification
// whose hostile subject is plain text.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { Children, startServer, until } from "../app-e2e/harness.mjs";
import { startPushService } from "./push-service.mjs";

const CHROMIUM = process.env.HERALD_CHROMIUM ?? "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const BIN = process.env.HERALD_SERVER_BIN ?? fileURLToPath(new URL("../../target/debug/herald-server", import.meta.url));
const AGENT = { externalId: "ana", email: "ana@acme.example", name: "Ana", password: "correct horse battery" };

const children = new Children();
// The local push service listens on http://127.0.0.1: allowed for this test only.
const serveArgs = (base) => ["--push-allow-insecure-endpoints", "--push-contact", "mailto:ops@acme.example", "--public-url", base];
let work;
let server;
let browser;
const problems = [];

before(async () => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build it (cargo build -p herald-server) or set HERALD_SERVER_BIN`);
  work = mkdtempSync(join(tmpdir(), "herald-web-"));
  server = await startServer(children, {
    bin: BIN,
    work,
    workspace: "Acme",
    agent: AGENT,
    serveArgs: (base) => serveArgs(base),
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
});

after(async () => {
  await browser?.close();
  children.stopAll();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function ingest(event) {
  const response = await fetch(`${server.base}/api/v1/events`, {
    method: "POST",
    headers: { authorization: `Bearer ${server.ingestKey}`, "content-type": "application/json" },
    body: JSON.stringify(event),
  });
  assert.equal(response.status, 200, await response.text());
}

let counter = 0;
function assignment(subject) {
  counter += 1;
  return {
    id: `web-${counter}`,
    kind: "assignment",
    occurred_at: new Date().toISOString(),
    conversation: { id: `c-${counter}`, subject, url: `https://platform.example.com/c/${counter}` },
    actor: { name: "Bruno" },
    assignee: "ana",
    text: `Please look at ${subject}`,
  };
}

/** The agent's token over REST (as a script or the desktop app would), to check the server. */
async function bearer() {
  const response = await fetch(`${server.base}/api/v1/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: AGENT.email, password: AGENT.password }),
  });
  return (await response.json()).token;
}

async function api(token, path) {
  const response = await fetch(`${server.base}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(response.status, 200, path);
  return response.json();
}

async function signedInPage(context) {
  const page = await context.newPage();
  // Before signing in, the page asks who is signed in and hears 401 (Chromium logs that as a
  // console error): expected once; any other failed request is a problem.
  let signedIn = false;
  page.on("console", (m) => m.type() === "error" && !/status of 401/.test(m.text()) && problems.push(m.text()));
  page.on("pageerror", (e) => problems.push(String(e)));
  page.on("response", (r) => {
    const expected = !signedIn && r.status() === 401 && r.url().endsWith("/api/v1/web/session");
    if (r.status() >= 400 && !expected) problems.push(`${r.status()} ${r.url()}`);
  });
  await page.goto(server.base);
  await page.getByLabel("Email").fill(AGENT.email);
  await page.getByLabel("Password").fill(AGENT.password);
  signedIn = true;
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator('[data-testid="unread-count"]').waitFor({ state: "attached" });
  return page;
}

const unreadShown = (page) => page.evaluate(() => document.querySelector('[data-testid="unread-count"]')?.textContent?.trim());

test("an agent with only a browser: session cookie, live bell, marks and preferences", async () => {
  const context = await browser.newContext({ locale: "en-US" });
  const page = await signedInPage(context);
  assert.equal(await page.getByLabel("Server").count(), 0, "no server address to type: it is this page's");

  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === "herald_session");
  assert.ok(session, "the session is a cookie");
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, "Strict");
  assert.equal(await page.evaluate(() => document.cookie.includes("herald_session")), false, "page scripts cannot read it");

  // A live item increments the bell.
  const before = Number(await unreadShown(page));
  await ingest(assignment("Refund for order #88"));
  await until("the live item in the bell", async () => Number(await unreadShown(page)) === before + 1);
  await page.getByText("Refund for order #88").first().waitFor();

  // Marking it read reaches the server.
  await page.getByRole("button", { name: "Mark read: Refund for order #88" }).click();
  const token = await bearer();
  await until("the mark on the server", async () => (await api(token, "/inbox/unread")).total === before);

  // A preference saves, with its state shown.
  await page.getByRole("tab", { name: "Preferences" }).click();
  const box = page.getByTestId("pref-reply-email");
  const was = await box.isChecked();
  await box.click();
  await page.locator('[data-testid="save-status"][data-state="saved"]').waitFor();
  await until("the preference on the server", async () => (await api(token, "/preferences")).preferences.events.reply.email === !was);

  // The preview of the rules follows the edit: replies' push switched off leaves Push out
  // of the working day's cell, decided by the server's policy.
  const replyWorking = page.getByTestId("preview-reply-working");
  await until("the preview", async () => (await replyWorking.textContent())?.includes("Push"));
  await page.getByTestId("pref-reply-push").click();
  await until("the preview after the edit", async () => {
    const text = await replyWorking.textContent();
    return text !== null && !text.includes("Push");
  });

  assert.deepEqual(problems, [], "no console errors or CSP violations");
  await context.close();
});

test("snooze from the bell: out of the count on the server, heard by another tab, brought back", async () => {
  const context = await browser.newContext({ locale: "en-US" });
  const page = await signedInPage(context);
  const other = await context.newPage();
  await other.goto(server.base);
  await other.locator('[data-testid="unread-count"]').waitFor({ state: "attached" });
  const token = await bearer();
  const before = (await api(token, "/inbox/unread")).total;
  await ingest(assignment("Snooze me #12"));
  await until("the item in the bell", async () => Number(await unreadShown(page)) === before + 1);

  await page.getByRole("button", { name: "Snooze: Snooze me #12" }).click();
  await page.getByTestId("snooze-hour").click();
  await until("out of the count on the server", async () => (await api(token, "/inbox/unread")).total === before);
  const page1 = await api(token, "/inbox?limit=5");
  const item = page1.items.find((n) => n.title === "Snooze me #12");
  assert.ok(item.snoozed_until, "the server keeps the time it comes back");
  const left = (Date.parse(item.snoozed_until) - Date.now()) / 60_000;
  assert.ok(left > 55 && left <= 60, `an hour from now (${left} minutes)`);
  // The other tab hears it on its stream.
  await other.getByTestId("snoozed-until").first().waitFor();
  assert.equal(Number(await unreadShown(other)), before);

  // Brought back by hand: unread again, everywhere.
  await page.getByRole("button", { name: "Unsnooze: Snooze me #12" }).click();
  await until("back in the count", async () => (await api(token, "/inbox/unread")).total === before + 1);
  await until("the other tab too", async () => Number(await unreadShown(other)) === before + 1);

  // Reminders of unread assignments are a preference the server keeps.
  await page.getByRole("tab", { name: "Preferences" }).click();
  await page.getByTestId("escalation-enabled").click();
  await page.getByTestId("escalation-after").selectOption("30");
  await until("the escalation on the server", async () => {
    const e = (await api(token, "/preferences")).preferences.escalation;
    return e.enabled && e.after_minutes === 30;
  });
  assert.deepEqual(problems, [], "no console errors or CSP violations");
  await context.close();
});

test("browser push: enable, the push goes through the outbox, the service worker shows it as text", async () => {
  const context = await browser.newContext({ locale: "en-US" });
  await context.grantPermissions(["notifications"], { origin: server.base });
  const token = await bearer();
  const { public_key } = await api(token, "/push/key");
  const push = await startPushService(public_key);
  const subscription = push.browser("tab");
  // Headless Chromium has no push service: PushManager hands out our subscription instead.
  await context.addInitScript((sub) => {
    let current = null;
    const fake = () => ({ ...sub, toJSON: () => sub, unsubscribe: async () => ((current = null), true) });
    PushManager.prototype.getSubscription = async () => current;
    PushManager.prototype.subscribe = async () => (current = fake());
  }, subscription);
  const page = await signedInPage(context);

  const cdp = await context.newCDPSession(page);
  const registrations = new Map();
  cdp.on("ServiceWorker.workerRegistrationUpdated", ({ registrations: list }) => {
    for (const r of list) if (!r.isDeleted) registrations.set(r.scopeURL, r.registrationId);
  });
  await cdp.send("ServiceWorker.enable");
  await page.evaluate(() => navigator.serviceWorker.ready);
  const registrationId = await until("the service worker registration", () => registrations.get(`${server.base}/`));

  await page.getByRole("tab", { name: "Preferences" }).click();
  await page.getByTestId("enable-browser-push").click();
  await page.locator('[data-testid="browser-push"][data-state="allowed"]').waitFor();
  await page.getByText("this browser gets Herald's push notifications").waitFor();
  const devices = await api(token, "/push/subscriptions");
  assert.equal(devices.length, 1, "the subscription reached the server");
  assert.equal(devices[0].service, "127.0.0.1");

  // While the tab is in front of the agent, the tab shows the item and its browser's push is
  // held (the stream tells the server).
  await page.getByRole("tab", { name: "Notifications" }).click();
  await ingest(assignment("Seen in the tab"));
  await page.getByText("Seen in the tab").first().waitFor();
  await until("the push held", async () => (await api(token, "/push/subscriptions"))[0].last?.outcome.state === "in_front");
  assert.equal(push.received.length, 0);

  // The agent leaves the tab. Headless Chromium keeps every page focused, so the test plays
  // the browser's part: the page no longer has focus, and says so (the frame goes out on
  // the stream before the next event is even posted).
  await page.evaluate(() => {
    document.hasFocus = () => false;
    window.dispatchEvent(new Event("blur"));
  });
  const hostile = `<img src=x onerror="window.pwned=1"> refund`;
  await ingest(assignment(hostile));
  const delivered = await until("the push at the push service", () => push.received.find((r) => JSON.parse(r.plaintext).title === hostile));
  assert.equal(delivered.urgency, "high");
  assert.deepEqual(push.violations, []);

  // DevTools stands in for the push service's delivery to the browser. Like a push service,
  // it delivers again when the browser did not take it (headless Chromium sometimes drops
  // a delivery to a worker that is just starting).
  let deliveries = 0;
  const shown = await until(
    "the notification",
    async () => {
      const list = await page.evaluate(async () => {
        const reg = await navigator.serviceWorker.ready;
        return (await reg.getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag }));
      });
      const found = list.find((n) => n.title.includes("refund"));
      if (!found) {
        deliveries += 1;
        await cdp.send("ServiceWorker.deliverPushMessage", { origin: server.base, registrationId, data: delivered.plaintext.toString("utf8") });
      }
      return found;
    },
    20_000,
    1_500,
  );
  assert.ok(deliveries <= 3, `delivered ${deliveries} times`);
  assert.equal(shown.title, hostile, "the subject as plain text");
  assert.match(shown.tag, /^conversation:/);
  assert.equal(await page.evaluate(() => window.pwned), undefined);

  // Save and test says what the push service answered for this browser.
  await page.getByRole("tab", { name: "Preferences" }).click();
  await page.getByTestId("save-and-test").click();
  const result = page.getByTestId("test-result");
  await result.waitFor();
  await page.getByText(/Push to .*: accepted by its push service \(201\)/).waitFor();
  assert.deepEqual(push.violations, []);
  assert.deepEqual(problems, [], "no console errors or CSP violations");
  await push.close();
  await context.close();
});

test("a new agent from the admin API sets a password through the one-time link, then signs in", async () => {
  // The admin's key, made with the real binary's CLI; everything else through the API.
  const adminKey = server
    .run(["admin-key", "create", "--database", server.database, "--workspace", "Acme"])
    .trim()
    .split("\n")[1]
    .trim();
  const admin = async (method, path, body) => {
    const response = await fetch(`${server.base}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    assert.ok(response.ok, `${method} ${path}: ${response.status} ${await response.clone().text()}`);
    return response.json();
  };
  const dora = await admin("POST", "/admin/agents", { external_id: "dora", email: "dora@acme.example", name: "Dora", groups: ["inbox:support"] });
  assert.equal(dora.has_password, false);
  const link = await admin("POST", `/admin/agents/${dora.id}/setup-link`);
  assert.ok(link.url.startsWith(`${server.base}/#setup=hrld_p_`), link.url);
  assert.equal(link.emailed, false, "this server has no email relay: the admin hands the link over");

  const context = await browser.newContext({ locale: "en-US" });
  const page = await context.newPage();
  page.on("pageerror", (e) => problems.push(String(e)));
  await page.goto(link.url);
  await page.getByLabel("New password").fill("dora's own password");
  await page.getByLabel("The same password again").fill("dora's own password");
  await page.getByRole("button", { name: "Set my password" }).click();
  await page.getByTestId("sign-in-notice").waitFor();
  assert.equal(await page.getByTestId("sign-in-notice").textContent(), "Your password is set: sign in with it.");
  assert.equal(new URL(page.url()).hash, "", "the token leaves the address bar");
  assert.equal(await page.getByLabel("Email").inputValue(), "dora@acme.example");
  await page.getByLabel("Password").fill("dora's own password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator('[data-testid="unread-count"]').waitFor({ state: "attached" });
  // The link worked once.
  const again = await fetch(`${server.base}/api/v1/password-setup`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token: link.url.split("#setup=")[1], password: "someone else's" }),
  });
  assert.equal(again.status, 401);
  await context.close();
});

// Last: it stops the server.
test("a tab without its server says it is offline after a while, and back online when it is", async () => {
  const context = await browser.newContext({ locale: "en-US" });
  // A minute in real use; two seconds here.
  await context.addInitScript(() => localStorage.setItem("herald.offline_after_ms", "2000"));
  const page = await signedInPage(context);
  await page.getByTestId("connection").getByText("Live").waitFor();
  const banner = page.getByTestId("offline-banner");
  assert.equal(await banner.count(), 0);

  const old = children.named("herald-server");
  const exited = new Promise((resolve) => old.once("exit", resolve));
  old.kill("SIGTERM");
  await exited;
  await banner.waitFor({ timeout: 20_000 });
  assert.match(await banner.textContent(), /Herald is offline/);

  const port = new URL(server.base).port;
  children.start(BIN, ["serve", "--bind", `127.0.0.1:${port}`, "--database", server.database, ...serveArgs(server.base)], { HERALD_LOG: "warn" }, "herald-server-again");
  await until("the server again", async () => (await fetch(`${server.base}/api/v1/health`).catch(() => ({ ok: false }))).ok);
  await page.evaluate(() => window.dispatchEvent(new Event("online"))); // the network is back
  await banner.waitFor({ state: "detached", timeout: 20_000 });
  await page.getByTestId("connection").getByText("Live").waitFor();
  await context.close();
});
