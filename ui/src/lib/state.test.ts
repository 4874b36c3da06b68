import { beforeEach, expect, test, vi } from "vitest";
import { FakeBackend } from "./backend/fake";
import type { Decision } from "./generated/protocol";
import { play } from "./sound";
import { AppState } from "./state.svelte";

vi.mock("./sound", () => ({ play: vi.fn() }));
beforeEach(() => vi.mocked(play).mockClear());

const tick = () => new Promise((r) => setTimeout(r, 0));

test("while a saved session is restored the app waits, then opens the bell (no sign-in flash)", async () => {
  const fake = new FakeBackend();
  fake.restoring = true;
  const app = new AppState(fake);
  await app.start();
  expect(app.phase).toBe("loading");
  fake.finishRestore();
  for (let i = 0; i < 10 && app.phase !== "signed_in"; i++) await tick();
  expect(app.phase).toBe("signed_in");
  expect(app.items.length).toBeGreaterThan(0);
});

test("older pages are appended, without duplicates and without refetching the bell", async () => {
  const fake = new FakeBackend({ items: 3 });
  const app = new AppState(fake);
  await app.start();
  await app.signIn("http://127.0.0.1:7878", "ana@demo.herald.test", "herald-demo");
  const before = app.items.map((n) => n.id);
  expect(await app.loadOlder(50)).toBe(50);
  expect(app.items.slice(0, 3).map((n) => n.id)).toEqual(before);
  expect(new Set(app.items.map((n) => n.id)).size).toBe(53);
});

test("a live item arrives once even if the stream repeats it", async () => {
  const fake = new FakeBackend({ items: 0 });
  const app = new AppState(fake);
  await app.start();
  await app.signIn("http://127.0.0.1:7878", "ana@demo.herald.test", "herald-demo");
  const n = fake.push({ title: "once" });
  app.apply({ type: "item", notification: n, local: n.decision });
  expect(app.items.filter((i) => i.id === n.id)).toHaveLength(1);
  expect(app.unread).toBe(1);
});

test("a mention on a muted device still sounds when the local decision says so (mentions always alert)", async () => {
  const fake = new FakeBackend({ items: 0 });
  const app = new AppState(fake);
  await app.start();
  await app.signIn("http://127.0.0.1:7878", "ana@demo.herald.test", "herald-demo");
  await app.setDeviceMuted(true);
  const n = fake.push({ kind: "mention", title: "@ana, can you look?" });
  vi.mocked(play).mockClear();
  const breaksThrough: Decision = {
    ...n.decision,
    sound: { outcome: "deliver", reasons: [{ code: "mentions_always_alert" }] },
  };
  app.apply({ type: "item", notification: { ...n, id: "mention-1" }, local: breaksThrough });
  expect(play, "Rust decided to sound; the UI must not re-decide from the mute").toHaveBeenCalledTimes(1);
  expect(play).toHaveBeenCalledWith(app.prefs?.sound.tone, app.prefs?.sound.volume);
});

test("an item the local decision keeps silent plays nothing, whatever the UI knows", async () => {
  const fake = new FakeBackend({ items: 0 });
  const app = new AppState(fake);
  await app.start();
  await app.signIn("http://127.0.0.1:7878", "ana@demo.herald.test", "herald-demo");
  const n = fake.push({ kind: "reply" });
  vi.mocked(play).mockClear();
  const silent: Decision = { ...n.decision, sound: { outcome: "suppress", reasons: [{ code: "device_muted" }] } };
  app.apply({ type: "item", notification: { ...n, id: "reply-1" }, local: silent });
  expect(play).not.toHaveBeenCalled();
});

test("a bell snapshot asked for before a live update does not undo it", async () => {
  const fake = new FakeBackend({ items: 0 });
  const app = new AppState(fake);
  await app.start();
  await app.signIn("http://127.0.0.1:7878", "ana@demo.herald.test", "herald-demo");
  fake.setConnection({ state: "connecting", attempt: 0 });
  // The answer to bell() is computed now (connecting) but arrives after the live event.
  const snapshot = await fake.bell();
  let deliver: (() => void) | undefined;
  fake.bell = () => new Promise((resolve) => (deliver = () => resolve(snapshot)));
  const loading = app.loadBell();
  app.apply({ type: "connection", state: { state: "live" } });
  app.apply({ type: "unread", unread: { total: 3 } });
  deliver?.();
  await loading;
  expect(app.connection, "the newer event wins over the older snapshot").toEqual({ state: "live" });
  expect(app.unread).toBe(3);
});

test("Rust's offline verdict raises and lowers the offline banner's flag", () => {
  const app = new AppState(new FakeBackend());
  expect(app.offline).toBe(false);
  app.apply({ type: "offline", offline: true });
  expect(app.offline).toBe(true);
  app.apply({ type: "offline", offline: false });
  expect(app.offline).toBe(false);
});
