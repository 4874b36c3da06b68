// Words for the diagnostics' findings. The verdicts and the findings are decided in Rust
// (herald-core's `diagnostics`); this only says them, with what to do, in the agent's language.
import type { Finding, Row } from "./generated/core";
import { EVENT_ROWS } from "./format";
import { locale, t } from "./i18n.svelte";

/** A finding said to a person: what was found and, where there is one, what to do. */
export type Said = { text: string; fix?: string; tone: "bad" | "warn" | "note" };

function when(iso: string): string {
  return new Date(iso).toLocaleString(locale.language);
}

/** The rows' names, in the preferences' order; "none" when the list is empty. */
export function rowNames(rows: readonly Row[]): string {
  const names = EVENT_ROWS.filter(([row]) => rows.includes(row)).map(([, label]) => t(label));
  return names.length ? names.join(", ") : t("diag_none_on");
}

/** `platform` is the diagnostics' `os.platform`: "web" in a browser, where the fixes are the
 * browser's settings. */
export function sayFinding(f: Finding, platform = ""): Said {
  const web = platform === "web";
  switch (f.finding) {
    case "permission_denied":
      return { text: t("denied"), fix: t(web ? "diag_fix_permission_web" : "diag_fix_permission"), tone: "bad" };
    case "permission_unknown":
      return { text: t("diag_permission_unknown"), fix: t("diag_fix_permission"), tone: "note" };
    case "no_notification_service":
      return { text: t("diag_service"), fix: t("diag_fix_service"), tone: "bad" };
    case "stream_not_live":
      return { text: t("diag_stream"), fix: t("diag_fix_stream"), tone: "bad" };
    case "device_muted":
      return { text: t("diag_device_muted"), tone: "warn" };
    case "paused":
      return { text: t("diag_paused", { until: when(f.until) }), tone: "warn" };
    case "quiet_hours": {
      const through =
        f.mentions_break_through && f.assignments_break_through
          ? "diag_through_both"
          : f.mentions_break_through
            ? "diag_through_mentions"
            : f.assignments_break_through
              ? "diag_through_assignments"
              : "diag_through_none";
      return { text: `${t("diag_quiet_hours", { until: f.until })} ${t(through)}`, tone: "warn" };
    }
    case "push_only_assigned":
      return { text: t("diag_push_only_assigned"), tone: "note" };
    case "no_push_events":
      return { text: t("diag_no_push_events"), tone: "bad" };
    case "window_focused":
      return { text: t("diag_focused_note"), tone: "note" };
    case "email_not_configured":
      return { text: t("diag_email_off"), tone: "bad" };
    case "email_failed":
      return { text: t("diag_email_failed", { at: when(f.at), error: f.error }), tone: "bad" };
    case "email_unknown":
      return { text: t("diag_email_unknown", { error: f.error }), tone: "warn" };
    case "no_email_events":
      return { text: t("diag_no_email_events"), tone: "bad" };
    case "email_summary":
      return { text: t("diag_email_summary", { at: f.at }), tone: "note" };
    case "switches_on":
      return { text: t("diag_enabled_count", { n: f.on, of: f.of }), tone: "note" };
    case "everything_on":
      return { text: t("diag_everything_on"), fix: t("diag_fix_noise"), tone: "bad" };
    case "saving":
      return { text: t("saving"), tone: "note" };
    case "no_push_subscription":
      return { text: t("diag_no_push_subscription"), fix: t("diag_fix_push_subscription"), tone: "bad" };
    case "phone_not_registered":
      return {
        text: f.error ? t("diag_phone_not_registered_because", { error: f.error }) : t("diag_phone_not_registered"),
        fix: t("diag_fix_phone_registration"),
        tone: "bad",
      };
    case "push_failing":
      return {
        text: t("diag_push_failing", { device: f.device, error: f.error }),
        fix: t(f.platform === "web" ? "diag_fix_push_failing" : "diag_fix_push_failing_phone"),
        tone: "bad",
      };
    case "save_failed":
      return { text: t("save_failed", { message: f.message }), fix: t("diag_fix_save"), tone: "bad" };
    default: {
      const never: never = f;
      return never;
    }
  }
}
