import { describe, expect, test } from "vitest";
import type { Reason } from "./generated/protocol";
import { allDictionaries } from "./i18n.svelte";
import { elapsed, kindFamily, kindLabelKey, reasonText, relativeTime } from "./format";

const now = new Date("2026-11-24T12:00:00Z");

describe("elapsed", () => {
  test("the largest whole unit, in both languages", () => {
    expect(elapsed(40, "en")).toBe("40 seconds");
    expect(elapsed(1, "en")).toBe("1 second");
    expect(elapsed(185, "en")).toBe("3 minutes");
    expect(elapsed(7300, "en")).toBe("2 hours");
    expect(elapsed(40, "pt-BR")).toBe("40 segundos");
    expect(elapsed(-5, "en")).toBe("0 seconds");
  });
});

describe("relativeTime", () => {
  test("under a minute is 'just now'", () => {
    expect(relativeTime("2026-11-24T11:59:30Z", now, "en", "just now")).toBe("just now");
  });
  test("minutes, hours and days, in both languages", () => {
    expect(relativeTime("2026-11-24T11:55:00Z", now, "en", "")).toBe("5 minutes ago");
    expect(relativeTime("2026-11-24T09:00:00Z", now, "en", "")).toBe("3 hours ago");
    expect(relativeTime("2026-11-23T12:00:00Z", now, "en", "")).toBe("yesterday");
    expect(relativeTime("2026-11-24T11:55:00Z", now, "pt-BR", "")).toBe("há 5 minutos");
  });
  test("a malformed time gives nothing rather than 'NaN'", () => {
    expect(relativeTime("not a time", now, "en", "")).toBe("");
  });
});

describe("kinds", () => {
  test("an unknown kind from a newer platform is 'other', not an error", () => {
    expect(kindFamily("sla_breach")).toBe("other");
    expect(kindLabelKey("sla_breach")).toBe("kind_other");
    expect(kindFamily("mention")).toBe("mention");
  });
});

describe("reasons", () => {
  const reasons: Reason[] = [
    { code: "channel_on" },
    { code: "channel_off" },
    { code: "test_requested" },
    { code: "channel_unused" },
    { code: "mentions_always_alert" },
    { code: "not_assigned_to_me" },
    { code: "paused", until: "2026-11-24T13:00:00Z" },
    { code: "quiet_hours", ends_at: "08:00" },
    { code: "breaks_through_quiet_hours" },
    { code: "in_summary", at: "18:00", time_zone: "America/Sao_Paulo" },
    { code: "app_focused" },
    { code: "device_muted" },
    { code: "permission_denied" },
    { code: "sound_off" },
    { code: "nothing_to_sound_for" },
  ];
  test.each(reasons)("$code has words in every language", (reason) => {
    const [key, params] = reasonText(reason);
    for (const dict of Object.values(allDictionaries)) {
      expect(dict[key], key).toBeTruthy();
      for (const name of Object.keys(params)) expect(dict[key]).toContain(`{${name}}`);
    }
  });
});
