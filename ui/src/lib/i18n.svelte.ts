// English and Brazilian Portuguese (the words are in ./texts/). The language follows the
// agent's preference once signed in (it is stored on the server, so email and the app
// agree), else the system's language.
import type { AppReceipt, Language, TestEmail, TestNotificationResult, TestPush, TestPushDevice } from "./generated/protocol";
import { elapsed, reasonText } from "./format";
import { en, type Key } from "./texts/en";
import { ptBR } from "./texts/pt-BR";

export type { Key };

const dictionaries: Record<Language, Record<Key, string>> = { en, "pt-BR": ptBR };

export function systemLanguage(languages: readonly string[] = globalThis.navigator?.languages ?? []): Language {
  return languages.some((l) => l.toLowerCase().startsWith("pt")) ? "pt-BR" : "en";
}

export const locale = $state<{ language: Language }>({ language: systemLanguage() });

/** The text of `key` in the current language, with `{name}` filled from `params`. */
export function t(key: Key, params: Record<string, string | number> = {}): string {
  const text = dictionaries[locale.language][key] ?? en[key];
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`));
}

export function setLanguage(language: Language) {
  locale.language = language;
  if (typeof document !== "undefined") document.documentElement.lang = language;
}

/** "3 unread", "1 não lida": the counter's words with the right number. */
export function unreadText(n: number): string {
  return n === 1 ? t("unread_count_one") : t("unread_count", { n });
}

/** What the server observed of a test notification, one line per channel: never "delivered"
 * for what was only decided. */
export function testResultLines(result: TestNotificationResult): string[] {
  const bell = result.bell.state === "stored" ? t("test_bell_stored", { n: result.bell.live_streams }) : t("test_bell_off");
  return [bell, testEmailLine(result.email), ...testPushLines(result.push), ...(result.apps ?? []).map(appReceiptLine)];
}

/** What one desktop app reported doing with an item's OS notification. */
export function appReceiptLine({ name, outcome }: AppReceipt): string {
  switch (outcome.state) {
    case "shown":
      return t("app_shown", { name });
    case "folded":
      return t("app_folded", { name });
    case "not_shown":
      return t("app_not_shown", { name, why: outcome.reasons.map((r) => t(...reasonText(r))).join("; ") });
    case "failed":
      return t("app_failed", { name, error: outcome.error });
    case "no_answer":
      return t("app_no_answer", { name });
  }
}

/** What the email relay answered for the test's email, or why there is none. */
function testEmailLine(email: TestEmail): string {
  const time = (iso: string) => new Date(iso).toLocaleTimeString(locale.language);
  switch (email.state) {
    case "accepted":
      return t("test_email_accepted", { code: email.code, reply: email.reply });
    case "refused":
      return t("test_email_refused", { error: email.error });
    case "retrying":
      return t("test_email_retrying", { error: email.error, time: time(email.retry_at) });
    case "queued":
      return t("test_email_queued", { time: time(email.due_at) });
    case "off":
      return t("test_email_off");
    case "not_configured":
      return t("test_email_not_configured");
  }
}

/** One line per device the test was pushed to, with what its push service answered. */
function testPushLines(push: TestPush): string[] {
  if (push.state === "off") return [t("test_push_off")];
  if (push.state === "no_devices") return [t("test_push_no_devices")];
  return push.devices.map(pushDeviceLine);
}

/** What one device's push service answered for an item, for a person. */
export function pushDeviceLine({ name, outcome }: TestPushDevice): string {
  switch (outcome.state) {
    case "accepted":
      return t("test_push_accepted", { name, status: outcome.status });
    case "gone":
      return t("test_push_gone", { name, status: outcome.status });
    case "retrying":
      return t("test_push_retrying", {
        name,
        error: outcome.error,
        time: new Date(outcome.retry_at).toLocaleTimeString(locale.language),
      });
    case "failed":
      return t("test_push_failed", { name, error: outcome.error });
    case "skipped_read":
      return outcome.held_read_after_secs === undefined
        ? t("test_push_skipped_read", { name })
        : t("test_push_held_then_read", { name, after: elapsed(outcome.held_read_after_secs, locale.language) });
    case "expired":
      return t("test_push_expired", { name });
    case "in_front":
      return t("test_push_in_front", { name });
    case "held":
      return t("test_push_held", {
        name,
        time: new Date(outcome.until).toLocaleTimeString(locale.language),
      });
    case "pending":
      return t("test_push_pending", { name });
  }
}

/** For the tests: every key of every dictionary. */
export const allDictionaries = dictionaries;
