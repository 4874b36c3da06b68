// The UI in Debian's Chromium (never a downloaded browser), against the fake backend: the
// built app as the shell would serve it, with the same CSP.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";
import { serveDist } from "./serve.mjs";

const CHROMIUM = process.env.HERALD_CHROMIUM ?? "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

let browser;
let site;
const problems = [];

before(async () => {
  site = await serveDist();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
});
after(async () => {
  await browser?.close();
  await site?.close();
});

async function open() {
  const page = await browser.newPage({ locale: "en-US" });
  page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
  page.on("pageerror", (e) => problems.push(String(e)));
  await page.goto(site.url);
  return page;
}

async function signIn(page, password = "herald-demo") {
  await page.getByLabel("Server").fill("http://127.0.0.1:7878");
  await page.getByLabel("Email").fill("ana@demo.herald.test");
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("sign-in errors are told apart: wrong password, unreachable, not https", async () => {
  const page = await open();
  await signIn(page, "wrong");
  const error = page.getByTestId("sign-in-error");
  await error.waitFor();
  assert.equal(await error.getAttribute("data-kind"), "signed_out");
  assert.match(await error.innerText(), /Wrong email or password/);

  await page.getByLabel("Server").fill("https://herald.unreachable.invalid");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator('[data-kind="offline"]').waitFor();
  assert.match(await error.innerText(), /cannot be reached/);

  await page.getByLabel("Server").fill("http://herald.example.com");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator('[data-kind="bad_server_url"]').waitFor();
  assert.match(await error.innerText(), /https/);
  await page.close();
});

test("sign in, a live item increments the bell, mark read lowers it", async () => {
  const page = await open();
  await signIn(page);
  const count = page.getByTestId("unread-count");
  await page.getByTestId("bell-item").first().waitFor();
  const before = Number(await count.innerText());
  assert.ok(before > 0);

  await page.evaluate(() => window.heraldFake.push({ kind: "mention", title: "Ana mentioned you" }));
  await page.waitForFunction((n) => document.querySelector('[data-testid="unread-count"]')?.textContent?.trim() === String(n), before + 1);
  const text = (await page.getByTestId("item-title").first().textContent()).replace(/\s+/g, " ").trim();
  assert.equal(text, "Unread: Ana mentioned you");

  await page.getByRole("button", { name: "Mark read: Ana mentioned you" }).click();
  await page.waitForFunction((n) => document.querySelector('[data-testid="unread-count"]')?.textContent?.trim() === String(n), before);
  await page.waitForFunction(() => document.querySelector('[data-testid="bell-item"]')?.dataset.read === "true");
  await page.close();
});

test("a hostile subject shows as text and runs nothing", async () => {
  const page = await open();
  await signIn(page);
  await page.getByTestId("bell-item").first().waitFor();
  const hostile = `<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>`;
  await page.evaluate((title) => window.heraldFake.push({ title, body: title, conversation: { id: "c", subject: title, customer_name: "<b>Eve</b>" } }), hostile);
  const title = page.getByTestId("item-title").first();
  await page.waitForFunction(() => document.querySelector('[data-testid="item-title"]')?.textContent?.includes("<img"));
  assert.ok((await title.innerText()).includes(hostile));
  assert.equal(await page.locator("[data-testid=bell-list] img").count(), 0);
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  await page.close();
});

test("toggling a preference shows saving, then saved; a failed save offers retry", async () => {
  const page = await open();
  await signIn(page);
  await page.getByRole("tab", { name: "Preferences" }).click();
  const status = page.getByTestId("save-status");
  await status.waitFor();
  assert.equal(await status.getAttribute("data-state"), "saved");

  const box = page.getByTestId("pref-reply-email");
  const was = await box.isChecked();
  await box.click();
  await page.locator('[data-testid="save-status"][data-state="saving"]').waitFor();
  await page.locator('[data-testid="save-status"][data-state="saved"]').waitFor();
  assert.equal(await box.isChecked(), !was);

  await page.evaluate(() => (window.heraldFake.failSaves = true));
  await page.getByTestId("pref-module-push").click();
  await page.locator('[data-testid="save-status"][data-state="failed"]').waitFor();
  await page.evaluate(() => (window.heraldFake.failSaves = false));
  await page.getByRole("button", { name: "Retry" }).click();
  await page.locator('[data-testid="save-status"][data-state="saved"]').waitFor();
  await page.close();
});

test("keyboard only: tabs move with the arrow keys; Portuguese follows the preference", async () => {
  const page = await open();
  await signIn(page);
  await page.getByRole("tab", { name: "Notifications" }).focus();
  await page.keyboard.press("ArrowRight");
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Preferences");
  await page.keyboard.press("Enter");
  await page.getByLabel("Language", { exact: true }).selectOption("pt-BR");
  await page.getByRole("tab", { name: "Preferências" }).waitFor();
  await page.close();
});

test("the connection state shows: reconnecting, offline, live again", async () => {
  const page = await open();
  await signIn(page);
  await page.getByTestId("bell-item").first().waitFor();
  await page.evaluate(() => window.heraldFake.setConnection({ state: "reconnecting", attempt: 2, retry_in_ms: 4000 }));
  await page.getByText("Connection lost. Reconnecting; nothing will be missed.").waitFor();
  assert.match(await page.getByTestId("connection").innerText(), /Reconnecting in 4 s/);
  await page.evaluate(() => window.heraldFake.setConnection({ state: "stopped" }));
  await page.getByText("You are offline.", { exact: false }).waitFor();
  await page.evaluate(() => window.heraldFake.setConnection({ state: "live" }));
  await page.getByText("You are offline.", { exact: false }).waitFor({ state: "detached" });
  assert.match(await page.getByTestId("connection").innerText(), /Live/);
  await page.close();
});

test("a session ended on the server returns to sign-in with the reason", async () => {
  const page = await open();
  await signIn(page);
  await page.getByTestId("bell-item").first().waitFor();
  await page.evaluate(() => window.heraldFake.setConnection({ state: "signed_out", reason: "your session was revoked" }));
  await page.getByText("Your session ended: your session was revoked. Sign in again.").waitFor();
  await page.close();
});

test("no errors in the console (CSP violations included)", () => {
  assert.deepEqual(problems, []);
});
