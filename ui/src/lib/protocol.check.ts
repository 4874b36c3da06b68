// Compile-time checks that the generated protocol types say what the UI relies on.
// `npm run check` fails if the Rust types drift in a way that breaks these uses.
import type {
  ApiError,
  EventKind,
  Notification,
  Preferences,
  Reason,
  ServerMessage,
} from "./generated/protocol";

// Unknown kinds from a newer platform are accepted as plain strings.
export const newer: EventKind = "sla_breach";

// Every server message can be switched on exhaustively.
export function describe(message: ServerMessage): string {
  switch (message.type) {
    case "item":
      return message.notification.title;
    case "live":
    case "gap":
      return message.epoch;
    case "unread":
      return String(message.unread.total);
    case "read_changed":
    case "snoozed":
      return message.ids.join(",");
    case "all_read":
      return String(message.up_to_seq);
    case "preferences_changed":
      return String(message.preferences.version);
    case "closing":
      return message.reason;
    default: {
      const never: never = message;
      return never;
    }
  }
}

export function pushOn(p: Preferences): boolean {
  return p.events.mention.push && p.push_scope === "assigned_to_me";
}

export function firstReason(n: Notification): Reason["code"] | undefined {
  return n.decision.push.reasons[0]?.code;
}

export function errorCode(e: ApiError): string {
  return e.error.code;
}
