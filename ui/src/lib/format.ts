// Pure formatting helpers: relative times, kinds, reasons. Tested in format.test.ts.
import type { Channel, ChannelDecision, EventKind, EventMatrix, Preferences, Reason } from "./generated/protocol";
import type { Key } from "./texts/en";

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
];

/** "5 minutes ago", "yesterday", in the given language; under a minute is `justNow`. */
export function relativeTime(iso: string, now: Date, language: string, justNow: string): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return "";
  const seconds = Math.round((then - now.getTime()) / 1000);
  if (Math.abs(seconds) < 60) return justNow;
  const format = new Intl.RelativeTimeFormat(language, { numeric: "auto" });
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return format.format(Math.trunc(seconds / size), unit);
  }
  return justNow;
}

/** A span of time in its largest whole unit, in words of the language: "40 seconds",
 * "3 minutes", "2 hours". */
export function elapsed(seconds: number, language: string): string {
  const [unit, size]: [Intl.NumberFormatOptions["unit"], number] =
    seconds >= 3600 ? ["hour", 3600] : seconds >= 60 ? ["minute", 60] : ["second", 1];
  const format = new Intl.NumberFormat(language, { style: "unit", unit, unitDisplay: "long" });
  return format.format(Math.floor(Math.max(0, seconds) / size));
}

/** A full date and time for tooltips and screen readers. */
export function absoluteTime(iso: string, language: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return new Intl.DateTimeFormat(language, { dateStyle: "medium", timeStyle: "short" }).format(date);
}

const KNOWN = ["new_conversation", "assignment", "mention", "reply", "module", "test", "quiet_summary"] as const;
type KnownKind = (typeof KNOWN)[number];

/** The kind's family: unknown kinds from a newer platform are "other", never an error. */
export function kindFamily(kind: EventKind): KnownKind | "other" {
  return (KNOWN as readonly string[]).includes(kind) ? (kind as KnownKind) : "other";
}

/** A glyph per kind, so kinds are told apart at a glance (with the label beside it). */
export const KIND_GLYPH: Record<KnownKind | "other", string> = {
  new_conversation: "✉",
  assignment: "➜",
  mention: "@",
  reply: "↩",
  module: "⚙",
  test: "✓",
  quiet_summary: "☾",
  other: "•",
};

/** The rows of the event × channel matrix with their labels, assignments and mentions first
 * (what usually matters most, as the spec advises). */
export const EVENT_ROWS: [keyof EventMatrix, Key][] = [
  ["assignment", "kind_assignment"],
  ["mention", "kind_mention"],
  ["new_conversation", "kind_new_conversation"],
  ["reply", "kind_reply"],
  ["module", "kind_module"],
  ["other", "kind_other"],
];

export function kindLabelKey(kind: EventKind): Key {
  return `kind_${kindFamily(kind)}` as Key;
}

/** The words of a reason, as a key and its parameters. */
export function reasonText(reason: Reason): [Key, Record<string, string>] {
  switch (reason.code) {
    case "paused":
      return ["r_paused", { until: reason.until }];
    case "quiet_hours":
      return ["r_quiet_hours", { ends_at: reason.ends_at }];
    case "in_summary":
      return ["r_in_summary", { at: reason.at, time_zone: reason.time_zone }];
    case "locked":
      return ["r_locked", { by: reason.by }];
    case "reminded":
      return reason.reminder.kind === "snoozed"
        ? ["r_reminded_snoozed", {}]
        : ["r_reminded_unanswered", { count: String(reason.reminder.count), limit: String(reason.reminder.limit) }];
    default:
      return [`r_${reason.code}` as Key, {}];
  }
}

export function outcomeKey(decision: ChannelDecision): Key {
  return `out_${decision.outcome}` as Key;
}

/** Whether the workspace's admin locked this cell of the matrix (the locks come with the
 * preferences; the server and the policy enforce them, this only shows them). */
export function lockedCell(prefs: Preferences, kind: string, channel: Channel): boolean {
  return (prefs.locks ?? []).some((l) => l.setting === "channel" && l.kind === kind && l.channel === channel);
}

/** Whether "mentions always alert" is locked. */
export function lockedAlways(prefs: Preferences): boolean {
  return (prefs.locks ?? []).some((l) => l.setting === "mentions_always_alert");
}
