// What a push message becomes on screen. The server's message (crates/server/src/push/
// payload.rs) is text; the Notification API shows it as text, so nothing in it is markup.

/** The push message's fields the service worker uses. */
export type PushMessage = {
  v: number;
  id: string;
  kind: string;
  title: string;
  body: string;
  tag: string;
  renotify: boolean;
  url: string;
  /** Why it is back: a snooze ended, or an assignment is still unread. */
  reminder?: "snoozed" | "unanswered";
};

export type Shown = {
  title: string;
  options: {
    body: string;
    tag: string;
    renotify: boolean;
    data: { id: string | null; url: string };
    actions: { action: string; title: string }[];
  };
};

function text(value: unknown, max: number): string {
  return typeof value === "string" ? value.slice(0, max) : "";
}

/** The notification for a push message; anything unreadable still shows (a push must). */
export function notificationFor(data: unknown): Shown {
  const m = (typeof data === "object" && data !== null ? data : {}) as Partial<PushMessage>;
  const id = /^[0-9a-f-]{36}$/.test(text(m.id, 36)) ? text(m.id, 36) : null;
  // Clicks open this server's own pages only.
  const url = id ? `/?item=${id}` : "/";
  const title = text(m.title, 300) || "Herald";
  const why = m.reminder === "snoozed" ? "Back from snooze: " : m.reminder === "unanswered" ? "Still unread: " : "";
  return {
    title: why + title,
    options: {
      body: text(m.body, 1000),
      tag: text(m.tag, 200) || (id ? `item:${id}` : "herald"),
      renotify: m.renotify === true,
      data: { id, url },
      actions: id
        ? [
            { action: "read", title: "Mark read" },
            { action: "snooze", title: "Snooze 1 hour" },
          ]
        : [],
    },
  };
}
