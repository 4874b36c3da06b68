import { expect, test } from "vitest";
import type { TestNotificationResult } from "./generated/protocol";
import { allDictionaries, locale, setLanguage, systemLanguage, t, testResultLines, unreadText } from "./i18n.svelte";

test("both languages have every text, and the same placeholders", () => {
  const en = allDictionaries.en;
  const pt = allDictionaries["pt-BR"];
  const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
  for (const key of Object.keys(en) as (keyof typeof en)[]) {
    expect(pt[key], key).toBeTruthy();
    expect(placeholders(pt[key]), key).toEqual(placeholders(en[key]));
  }
});

test("the system language picks Portuguese for any pt locale", () => {
  expect(systemLanguage(["pt-BR"])).toBe("pt-BR");
  expect(systemLanguage(["pt-PT", "en"])).toBe("pt-BR");
  expect(systemLanguage(["de-DE", "en-US"])).toBe("en");
  expect(systemLanguage([])).toBe("en");
});

test("t fills parameters and follows the language", () => {
  setLanguage("en");
  expect(t("unread_count", { n: 3 })).toBe("3 unread");
  setLanguage("pt-BR");
  expect(locale.language).toBe("pt-BR");
  expect(t("unread_count", { n: 3 })).toBe("3 não lidas");
  expect(unreadText(1)).toBe("1 não lida");
  setLanguage("en");
});

test("a test notification's result says what was observed per channel, never 'delivered'", () => {
  setLanguage("en");
  const base = { notification: {} as TestNotificationResult["notification"] };
  const lines = testResultLines({
    ...base,
    bell: { state: "stored", live_streams: 2 },
    email: { state: "accepted", code: 250, reply: "2.0.0 Ok: queued as 4F1" },
    push: {
      state: "sent",
      devices: [
        { device: "d1", name: "Firefox on Linux", outcome: { state: "accepted", status: 201 } },
        { device: "d2", name: "Chrome", outcome: { state: "gone", status: 410 } },
        { device: "d3", name: "Edge", outcome: { state: "pending" } },
        { device: "d4", name: "Ana's iPhone", outcome: { state: "skipped_read", held_read_after_secs: 40 } },
        { device: "d5", name: "Safari", outcome: { state: "skipped_read" } },
      ],
    },
    apps: [
      { name: "Herald on ana-laptop", outcome: { state: "shown" }, at: "2026-12-02T10:00:00Z" },
      {
        name: "Herald on desk-7",
        outcome: { state: "not_shown", reasons: [{ code: "test_requested" }, { code: "permission_denied" }] },
        at: "2026-12-02T10:00:00Z",
      },
      { name: "Herald on old-pc", outcome: { state: "no_answer" } },
    ],
  });
  expect(lines[0]).toContain("stored");
  expect(lines[0]).toContain("2");
  expect(lines[1]).toBe("Email: the email relay accepted it (250 2.0.0 Ok: queued as 4F1); look in your inbox, and in spam.");
  expect(lines.slice(2)).toEqual([
    "Push to Firefox on Linux: accepted by its push service (201); the browser shows it when it is online.",
    "Push to Chrome: its push service no longer knows this browser (410), so Herald removed it. Enable browser notifications there again.",
    "Push to Edge: no answer from its push service yet.",
    "Push to Ana's iPhone: held while you worked at a computer, then not sent: you read it 40 seconds after it came.",
    "Push to Safari: not sent, the item was read first.",
    "Herald on ana-laptop: showed it as a notification on that device.",
    "Herald on desk-7: did not show a notification (you asked for a test; the system does not allow notifications).",
    "Herald on old-pc: had it, but did not say whether it showed it (an older or busy app).",
  ]);
  const none = testResultLines({ ...base, bell: { state: "off" }, email: { state: "off" }, push: { state: "no_devices" }, apps: [] });
  expect(none[2]).toContain("nothing was sent");
  expect(lines.join(" ")).not.toMatch(/delivered/i);
  const quiet = testResultLines({ ...base, bell: { state: "off" }, email: { state: "not_configured" }, push: { state: "off" }, apps: [] });
  expect(quiet[1]).toContain("no email relay");
  setLanguage("pt-BR");
  expect(testResultLines({ ...base, bell: { state: "off" }, email: { state: "off" }, push: { state: "off" }, apps: [] })[1]).toContain(
    "não enviam e-mail",
  );
  setLanguage("en");
});
