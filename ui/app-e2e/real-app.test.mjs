// The real app under Xvfb, driven through WebDriver (tauri-driver + Debian's WebKitWebDriver),
// against a real herald-server with its own SQLite file, with the real kernel keychain and a
// real notification service on the session D-Bus (dunst, started by D-Bus activation).
//
// Run by scripts/test-app.sh, which provides the display, the session bus and the keyring:
//   xvfb-run -a dbus-run-session -- keyctl session - node --test app-e2e/
// Screenshots go to docs/screenshots/ (HERALD_SCREENSHOTS=0 to skip).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Children, openApp, processes, newestProcess, sleep, startDriver, startServer, until } from "./harness.mjs";
import { closeWindows } from "./x11.mjs";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const APP = process.env.HERALD_APP ?? join(ROOT, "target/debug/herald");
const SERVER = process.env.HERALD_SERVER_BIN ?? join(ROOT, "target/debug/herald-server");
const SHOTS = join(ROOT, "docs/screenshots");
const TAKE_SHOTS = process.env.HERALD_SCREENSHOTS !== "0";
const EMAIL = "ana@e2e.herald.test";
const PASSWORD = "correct horse battery";

const work = mkdtempSync(join(tmpdir(), "herald-app-e2e-"));
const HOME_DIR = join(work, "home");
const AUTOSTART = join(HOME_DIR, ".config/autostart/Herald.desktop");
const children = new Children();
let base;
let ingestKey;
let serverRun;
let driver;
let browser;

async function api(path, { method = "GET", token, body, headers = {} } = {}) {
  const response = await fetch(`${base}/api/v1/${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { "content-type": "application/json" } : {}),
      ...headers,
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function ingest(event) {
  return api("events", { method: "POST", token: ingestKey, body: event });
}

let eventNumber = 0;
function assignment(subject) {
  eventNumber += 1;
  return {
    id: `e2e-${Date.now()}-${eventNumber}`,
    kind: "assignment",
    occurred_at: new Date().toISOString(),
    conversation: {
      id: `c-${eventNumber}`,
      subject,
      customer_name: "Maria Souza",
      url: `https://platform.example.com/conversations/c-${eventNumber}`,
    },
    actor: { name: "Bruno Lima" },
    assignee: "ana",
    text: "Can you take this one?",
  };
}

async function openSession() {
  browser = await openApp(driver, APP);
}

const byTest = (id) => browser.$(`[data-testid="${id}"]`);

/** The text of every element `selector` finds. */
async function texts(selector) {
  const out = [];
  for (const element of await browser.$$(selector)) out.push(await element.getText());
  return out;
}

async function unreadCount() {
  const text = await (await byTest("unread-count")).getText();
  return Number(text.trim() || "0");
}

async function shot(name) {
  if (!TAKE_SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await browser.saveScreenshot(join(SHOTS, `${name}.png`));
}

before(async () => {
  assert.ok(process.env.DISPLAY, "run under Xvfb (scripts/test-app.sh)");
  assert.ok(process.env.DBUS_SESSION_BUS_ADDRESS, "run inside dbus-run-session (scripts/test-app.sh)");
  ({ base, ingestKey, database: serverRun } = await startServer(children, {
    bin: SERVER,
    work,
    workspace: "E2E",
    agent: { externalId: "ana", email: EMAIL, name: "Ana Souza", password: PASSWORD, groups: ["inbox:support"] },
  }));

  // Every Notify call on the session bus, as the notification service receives it.
  // Line-buffered: into a pipe dbus-monitor would hold its output back.
  children.start(
    "stdbuf",
    ["-oL", "dbus-monitor", "--session", "interface='org.freedesktop.Notifications',member='Notify'"],
    {},
    "dbus-monitor",
  );
  await sleep(300);

  driver = await startDriver(children, {
    // The app's own data folder for this run (state.json, device.json).
    XDG_DATA_HOME: join(work, "data"),
    XDG_CONFIG_HOME: join(work, "config"),
    HERALD_LOG: "info",
    // Said offline after 2 s without the server (a minute in real use).
    HERALD_OFFLINE_AFTER_SECS: "2",
    // The sleep and network signals come on the session bus, where the test sends them.
    HERALD_WAKE_BUS: "session",
    // Start-at-login entries go to $HOME/.config/autostart: this run's own home.
    HOME: HOME_DIR,
  });
  await openSession();
});

after(async () => {
  await browser?.deleteSession().catch(() => {});
  children.stopAll();
  if (process.env.HERALD_E2E_LOGS) {
    for (const child of children.list) console.log(`--- ${child.logName}\n${child.output()}`);
  }
});

function notifyCalls() {
  return children.named("dbus-monitor")?.output() ?? "";
}

test("sign in with a wrong password says so; the right one opens the bell", async () => {
  await (await browser.$('input[name="server"]')).setValue(base);
  await (await browser.$('input[name="email"]')).setValue(EMAIL);
  await (await browser.$('input[name="password"]')).setValue("not the password");
  await (await browser.$('button[type="submit"]')).click();
  const error = await byTest("sign-in-error");
  await error.waitForExist({ timeout: 15_000 });
  assert.equal(await error.getAttribute("data-kind"), "signed_out");

  await (await browser.$('input[name="password"]')).setValue(PASSWORD);
  await (await browser.$('button[type="submit"]')).click();
  await (await byTest("connection")).waitForExist({ timeout: 15_000 });
  await until("the live connection", async () => (await (await byTest("connection")).getText()).includes("Live"));
  assert.equal(await unreadCount(), 0);
});

/** Another app takes the focus (X input focus, as a click elsewhere would): with Herald in
 * front of the agent the bell alone shows new items, so OS notifications need this. */
async function focusAnotherApp() {
  children.start("xmessage", ["-name", "herald-e2e-other", "-geometry", "+900+600", "another app"]);
  execFileSync("xdotool", ["search", "--sync", "--classname", "herald-e2e-other", "windowfocus", "--sync"]);
}

test("an ingested event increments the bell and raises an OS notification", async () => {
  await focusAnotherApp();
  const stamp = String(Date.now());
  const subject = `Refund <b>now</b> & "quickly" ${stamp}`;
  await ingest({ ...assignment(subject), text: 'See <a href="http://evil.example/">this</a> & pay' });
  await until("the bell to count 1", async () => (await unreadCount()) === 1);
  const item = await (await byTest("bell-item")).getText();
  assert.ok(item.includes("Assigned to you"), item);
  assert.ok(item.includes(subject), "the subject shows as text, markup and all");

  // The notification service received it: the heading (plain text by the specification),
  // the body escaped for markup (a raw "<a href" never reaches it), and the actions.
  const calls = await until("a Notify call", async () => {
    const log = notifyCalls();
    return log.includes(stamp) ? log : undefined;
  });
  assert.match(calls, /member=Notify/);
  assert.match(calls, /string "herald"/i);
  assert.ok(calls.includes(`string "Bruno Lima assigned you: ${subject}"`), calls);
  assert.ok(calls.includes("&lt;a href=&quot;http://evil.example/&quot;&gt;"), calls);
  assert.ok(!calls.includes('<a href="http://evil.example/">'), "markup in the body must be escaped");
  assert.match(calls, /string "open"/);
  assert.match(calls, /string "mark_read"/);

  await ingest(assignment("Second order question"));
  await until("the bell to count 2", async () => (await unreadCount()) === 2);
  await until("a second Notify call", async () => notifyCalls().includes("Second order question"));
  await shot("bell");
});

test("a click on the OS notification marks its item read", async () => {
  // dunst's "action 0" is a click on the body of a shown notification ("default" → "tap").
  execFileSync("dunstctl", ["action", "0"]);
  await until("the bell to count 1", async () => (await unreadCount()) === 1);
  await until("one item shown read", async () => (await browser.$$('[data-testid="bell-item"][data-read="true"]')).length === 1);
});

test("mark read lowers the count, in the app and on the server", async () => {
  const unread = await browser.$('[data-testid="bell-item"][data-read="false"] [data-testid="toggle-read"]');
  await unread.click();
  await until("the bell to count 0", async () => (await unreadCount()) === 0);
  const grant = await api("session", { method: "POST", body: { email: EMAIL, password: PASSWORD } });
  const server = await api("inbox/unread", { token: grant.token });
  assert.equal(server.total, 0);
});

test("a preference change is saved and survives an app restart", async () => {
  await (await browser.$("#tab-prefs")).click();
  const box = await byTest("pref-reply-email");
  await box.waitForExist();
  const before = await box.isSelected();
  await box.click();
  await until("saved", async () => (await (await byTest("save-status")).getAttribute("data-state")) === "saved" && (await box.isSelected()) !== before);
  await shot("preferences");
  const grant = await api("session", { method: "POST", body: { email: EMAIL, password: PASSWORD } });
  const saved = await api("preferences", { token: grant.token });
  assert.equal(saved.preferences.events.reply.email, !before);

  // Restart: the session comes back from the keychain, the preference from the server.
  await browser.deleteSession();
  await openSession();
  await (await browser.$("#tab-prefs")).waitForExist({ timeout: 20_000 });
  await (await browser.$("#tab-prefs")).click();
  const again = await byTest("pref-reply-email");
  await again.waitForExist();
  assert.equal(await again.isSelected(), !before);
});

test("Save and test reports the app's own OS notification as the app saw it", async () => {
  await (await browser.$("#tab-prefs")).click();
  const button = await byTest("save-and-test");
  await button.waitForExist();
  const before = notifyCalls().split("notifications reach you here").length;
  await button.click();
  // The server waits for the app's receipt on the stream and reports it per app.
  const result = await until("the test's result with the app's receipt", async () => {
    const box = await byTest("test-result");
    if (!(await box.isExisting())) return undefined;
    const text = await box.getText();
    return text.includes("Herald desktop (linux):") ? text : undefined;
  });
  assert.match(result, /Herald desktop \(linux\): showed it as a notification on that device\./);
  // And the notification service did receive it.
  await until("the test's Notify call", async () => notifyCalls().split("notifications reach you here").length > before);
});

test("diagnostics see the notification service, the live stream and the email set-up", async () => {
  await (await browser.$("#tab-diag")).click();
  const service = await byTest("diag-service");
  await service.waitForExist({ timeout: 15_000 });
  assert.match(await service.getText(), /dunst/i);
  await until("the stream to be live", async () => (await (await byTest("diag-stream")).getText()) === "live");
  // The server of this test has no SMTP relay: the email card says so (GET /api/v1/email),
  // beside the profile email.
  const email = await (await byTest("diag-email")).getText();
  assert.match(email, /the server has no email set up/);
  assert.ok(email.includes(EMAIL), email);
  await shot("diagnostics");
});

/** The app's process and the names of its children (WebKit's). */
function appProcess() {
  const app = newestProcess(APP);
  const children = processes().filter((p) => p.ppid === app?.pid);
  return app && { pid: app.pid, children: children.map((p) => p.comm) };
}

test("losing the server: one offline notification, then one back online with what was caught up", async () => {
  const count = (text) => notifyCalls().split(`string "${text}"`).length - 1;
  const old = children.named("herald-server");
  const exited = new Promise((resolve) => old.once("exit", resolve));
  old.kill("SIGTERM");
  await until("the offline notification", async () => count("Herald is offline") === 1, 30_000);
  await (await byTest("offline-banner")).waitForExist({ timeout: 10_000 });
  await exited;
  const port = new URL(base).port;
  children.start(SERVER, ["serve", "--bind", `127.0.0.1:${port}`, "--database", serverRun], { HERALD_LOG: "warn" }, "herald-server-again");
  await until("the server again", async () => (await fetch(`${base}/api/v1/health`).catch(() => ({ ok: false }))).ok);
  await until("the back-online notification", async () => count("Herald is back online") === 1, 30_000);
  assert.equal(count("Herald is offline"), 1, "one notice for the whole outage");
  await (await byTest("offline-banner")).waitForExist({ timeout: 10_000, reverse: true });
  await until("the stream to be live", async () => {
    await (await browser.$("#tab-diag")).click();
    return (await (await byTest("diag-stream")).getText()) === "live";
  });
});

test("a snoozed item comes back with a fresh OS notification, kept by the server across a restart", async () => {
  await focusAnotherApp();
  const subject = `Snooze me ${Date.now()}`;
  await ingest(assignment(subject));
  await until("its Notify call", async () => notifyCalls().includes(subject));
  assert.match(notifyCalls(), /string "snooze"/, "the notification offers to snooze");
  // From the bell, through the app's own command.
  await (await browser.$("#tab-bell")).click();
  await (await browser.$(`button[aria-label="Snooze: ${subject}"]`)).click();
  await (await byTest("snooze-quarter_hour")).click();
  await (await byTest("snoozed-until")).waitForExist({ timeout: 10_000 });
  await focusAnotherApp(); // Herald in front would show the bell, not a notification
  // Moved to a few seconds from now over REST (the app's snooze offers minutes at least).
  const grant = await api("session", { method: "POST", body: { email: EMAIL, password: PASSWORD } });
  const page = await api("inbox?limit=20", { token: grant.token });
  const item = page.items.find((n) => n.title === subject);
  assert.ok(item?.snoozed_until, "snoozed on the server");
  await api("inbox/snooze", {
    method: "POST",
    token: grant.token,
    body: { target: { scope: "items", ids: [item.id] }, until: { choice: "at", at: new Date(Date.now() + 4000).toISOString() } },
  });
  // A restart in between: the server keeps the snooze.
  const old = children.named("herald-server-again") ?? children.named("herald-server");
  const exited = new Promise((resolve) => old.once("exit", resolve));
  old.kill("SIGTERM");
  await exited;
  const port = new URL(base).port;
  children.start(SERVER, ["serve", "--bind", `127.0.0.1:${port}`, "--database", serverRun], { HERALD_LOG: "warn" }, "herald-server-third");
  const back = `Back from snooze: Bruno Lima assigned you: ${subject}`;
  await until("the reminder's Notify call", async () => notifyCalls().includes(`string "${back}"`), 30_000);
  await (await byTest("came-back")).waitForExist({ timeout: 10_000 });
  const after = await api("inbox?limit=1", { token: grant.token });
  assert.equal(after.items[0].id, item.id, "the same item, at the top");
  assert.equal(after.items[0].read_at, undefined, "unread");
});

test("a wake-up signal from the login manager reconnects at once instead of after the backoff", async () => {
  const connection = async () => (await byTest("connection")).getText();
  const old = children.named("herald-server-third");
  const exited = new Promise((resolve) => old.once("exit", resolve));
  old.kill("SIGTERM");
  await exited;
  // Failed attempts back off: wait until the next one is at least 8 s away (the text shows
  // the delay chosen when the wait began, rounded up: seen right after it changed).
  const waitS = await until(
    "a long backoff",
    async () => {
      const m = /Reconnecting in (\d+) s/.exec(await connection());
      return m && Number(m[1]) >= 8 ? Number(m[1]) : undefined;
    },
    60_000,
  );
  const seen = Date.now();
  const port = new URL(base).port;
  children.start(SERVER, ["serve", "--bind", `127.0.0.1:${port}`, "--database", serverRun], { HERALD_LOG: "warn" }, "herald-server-fourth");
  await until("the server again", async () => (await fetch(`${base}/api/v1/health`).catch(() => ({ ok: false }))).ok);
  const sent = Date.now();
  // What logind sends when the computer wakes up.
  execFileSync("dbus-send", ["--session", "--type=signal", "/org/freedesktop/login1", "org.freedesktop.login1.Manager.PrepareForSleep", "boolean:false"]);
  await until("live again", async () => (await connection()) === "Live", 30_000);
  const live = Date.now();
  // Without the wake the next attempt comes no sooner than (waitS - 1) s after `seen`.
  const natural = seen + (waitS - 1) * 1000;
  assert.ok(live < natural - 1000, `live ${live - sent} ms after the signal, before the backoff's attempt (${natural - sent} ms)`);
});

test("the end of a pause raises one 'While you were quiet' notification", async () => {
  await focusAnotherApp();
  const grant = await api("session", { method: "POST", body: { email: EMAIL, password: PASSWORD } });
  const edit = (pause) => api("preferences/edits", { method: "POST", token: grant.token, body: { edits: [], pause } });
  await edit("hour");
  const stamp = Date.now();
  await ingest(assignment(`Held A ${stamp}`));
  await ingest(assignment(`Held B ${stamp}`));
  await until("both in the bell", async () => (await browser.$$("[data-testid=bell-item]")).length > 0 && (await (await browser.$("body")).getText()).includes(`Held B ${stamp}`));
  await edit("off");
  const summary = 'string "While you were quiet: 2 notifications, 2 assignments"';
  await until("the summary's Notify call", async () => notifyCalls().includes(summary), 30_000);
  assert.ok(!notifyCalls().includes(`Held A ${stamp}`), "the pause held the items' own notifications");
});

test("start at login: on after the first sign-in, the switch in Preferences removes and restores it", async () => {
  await until("the autostart entry", async () => existsSync(AUTOSTART));
  assert.match(readFileSync(AUTOSTART, "utf8"), new RegExp(`Exec=.*${APP.split("/").pop()}`));
  await (await browser.$("#tab-prefs")).click();
  const box = await byTest("autostart");
  await box.waitForExist({ timeout: 10_000 });
  assert.equal(await box.isSelected(), true);
  await box.click();
  await until("the entry removed", async () => !existsSync(AUTOSTART));
  await box.click();
  await until("the entry back", async () => existsSync(AUTOSTART));
  await (await browser.$("#tab-bell")).click();
});

test("herald:// links from a second start open the item; junk opens nothing", async () => {
  const subject = `Deep link ${Date.now()}`;
  await ingest(assignment(subject));
  const grant = await api("session", { method: "POST", body: { email: EMAIL, password: PASSWORD } });
  const page = await api("inbox?limit=5", { token: grant.token });
  const item = page.items.find((n) => n.title === subject);
  const second = (link) =>
    execFileSync(APP, [link], { env: { ...process.env, HOME: HOME_DIR, XDG_DATA_HOME: join(work, "data"), XDG_CONFIG_HOME: join(work, "config") }, timeout: 20_000 });
  second(`herald://item/${item.id}/../../../etc/passwd`);
  second("herald://settings/delete-everything");
  await until("the refusals in the log", async () => (children.named("tauri-driver")?.output().match(/a herald:\/\/ link was refused/g) ?? []).length >= 2);
  assert.equal((await browser.$$(".item.focused")).length, 0, "junk focuses nothing");
  second(`herald://item/${item.id}`);
  await (await browser.$(`#item-${item.id}.focused`)).waitForExist({ timeout: 10_000 });
});

test("two accounts on two servers: one bell with labels, counters right, signing out of one keeps the other", async () => {
  const beta = await startServer(children, {
    bin: SERVER,
    work: join(work, "beta"),
    workspace: "Beta",
    agent: { externalId: "ana-b", email: "ana@beta.herald.test", name: "Ana B", password: PASSWORD },
    name: "herald-server-beta",
  });
  const ingestBeta = (event) =>
    fetch(`${beta.base}/api/v1/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${beta.ingestKey}`, "content-type": "application/json" },
      body: JSON.stringify({ ...event, assignee: "ana-b" }),
    }).then((r) => assert.ok(r.ok, `Beta took the event: ${r.status}`));
  await (await browser.$("#tab-bell")).click();
  const before = await unreadCount();

  await (await byTest("add-account")).click();
  await (await browser.$('input[name="server"]')).setValue(beta.base);
  await (await browser.$('input[name="email"]')).setValue("ana@beta.herald.test");
  await (await browser.$('input[name="password"]')).setValue(PASSWORD);
  await (await browser.$('button[type="submit"]')).click();
  await until("two live accounts", async () => (await browser.$$('[data-testid="account"]')).length === 2);
  assert.deepEqual(await texts('[data-testid="account-label"]'), ["E2E", "Beta"]);

  await focusAnotherApp();
  const fromBeta = `From Beta ${Date.now()}`;
  await ingestBeta(assignment(fromBeta));
  await until("the total to count Beta's item", async () => (await unreadCount()) === before + 1);
  const row = await browser.$(`//li[@data-testid="bell-item"][.//*[contains(text(), "${fromBeta}")]]`);
  assert.equal(await (await row.$('[data-testid="item-account"]')).getText(), "Beta");
  await until("Beta's OS notification says whose it is", async () => notifyCalls().includes(`string "Beta · Bruno Lima assigned you: ${fromBeta}"`));
  const fromE2e = `From E2E ${Date.now()}`;
  await ingest(assignment(fromE2e));
  await until("the total to count both", async () => (await unreadCount()) === before + 2);
  const [newest, next] = await browser.execute(() =>
    [...document.querySelectorAll('[data-testid="item-title"]')].map((t) => t.textContent),
  );
  assert.ok(newest?.includes(fromE2e) && next?.includes(fromBeta), `newest first across accounts: ${newest} / ${next}`);
  await until("each account's own counter", async () => {
    const [e2e, b] = await texts('[data-testid="account"]');
    return e2e.endsWith(String(before + 1)) && b.endsWith("1");
  });
  await shot("two-accounts");

  // Beta is shown (the last signed in): signing out of it leaves E2E running.
  const signOut = await byTest("sign-out");
  assert.equal(await signOut.getText(), "Sign out of Beta");
  await signOut.click();
  await until("one account left", async () => (await browser.$$('[data-testid="account"]')).length === 0);
  await (await byTest("connection")).waitForExist();
  await until("the total without Beta", async () => (await unreadCount()) === before + 1);
  const stillHere = `Still here ${Date.now()}`;
  await ingest(assignment(stillHere));
  await until("E2E still delivers", async () => (await unreadCount()) === before + 2);
  await until("without a label now", async () => notifyCalls().includes(`string "Bruno Lima assigned you: ${stillHere}"`));
  // Beta revoked the app's session: only the one just made to look remains.
  const betaApi = async (path, init = {}) => (await fetch(`${beta.base}/api/v1/${path}`, init)).json();
  const grant = await betaApi("session", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "ana@beta.herald.test", password: PASSWORD }),
  });
  const sessions = await betaApi("sessions", { headers: { authorization: `Bearer ${grant.token}` } });
  assert.deepEqual(sessions.map((x) => x.current), [true], JSON.stringify(sessions));
});

test("closing the window keeps Herald in the tray: no webview, notifications go on", async () => {
  // A size of the agent's own, kept when the window closes (checked after a restart below).
  await browser.setWindowSize(1000, 650);
  await until("the new size", async () => (await browser.getWindowSize()).width === 1000);
  const before = appProcess();
  assert.ok(before, "the app runs");
  assert.ok(before.children.some((c) => c.startsWith("WebKitWebProces")), before.children.join(","));
  assert.ok(closeWindows(before.pid) > 0);
  await until("the web process to go", async () => !appProcess()?.children.some((c) => c.startsWith("WebKitWebProces")));
  const after = appProcess();
  assert.equal(after?.pid, before.pid, "the app is still running");

  const subject = `While in the tray ${Date.now()}`;
  await ingest(assignment(subject));
  await until("a Notify call from the tray", async () => notifyCalls().includes(subject));
  process.kill(before.pid, "SIGTERM");
});

test("the window comes back at the size it had", async () => {
  await until("the app gone", async () => !appProcess());
  await browser.deleteSession().catch(() => {}); // its app is gone already
  await openSession();
  const size = await browser.getWindowSize();
  assert.ok(Math.abs(size.width - 1000) <= 2 && Math.abs(size.height - 650) <= 2, JSON.stringify(size));
});
