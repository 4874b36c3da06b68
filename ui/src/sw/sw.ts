// Herald's service worker (built to /sw.js): shows each push as a notification, and on a
// click focuses an open Herald tab on the item (or opens one); the "Mark read" and "Snooze 1
// hour" actions go to the API with the session's cookie and CSRF token.
import { notificationFor } from "./message";

// The few service-worker types used here (the DOM and WebWorker libraries cannot share one
// TypeScript program).
type Client = { url: string; focused?: boolean; focus(): Promise<Client>; postMessage(m: unknown): void };
type Clients = {
  matchAll(o: { type: "window"; includeUncontrolled: boolean }): Promise<Client[]>;
  openWindow(url: string): Promise<Client | null>;
  claim(): Promise<void>;
};
type ExtendableEvent = Event & { waitUntil(p: Promise<unknown>): void };
type PushEvent = ExtendableEvent & { data: { json(): unknown } | null };
type ClickEvent = ExtendableEvent & {
  action: string;
  notification: { data: { id: string | null; url: string } | null; close(): void };
};
type Scope = {
  clients: Clients;
  registration: { showNotification(title: string, options: object): Promise<void> };
  skipWaiting(): Promise<void>;
  addEventListener(type: string, listener: (event: never) => void): void;
};

const sw = self as unknown as Scope;

sw.addEventListener("install", (event: ExtendableEvent) => {
  event.waitUntil(sw.skipWaiting());
});

sw.addEventListener("activate", (event: ExtendableEvent) => {
  event.waitUntil(sw.clients.claim());
});

sw.addEventListener("push", (event: PushEvent) => {
  let data: unknown;
  try {
    data = event.data?.json();
  } catch {
    data = undefined;
  }
  const { title, options } = notificationFor(data);
  event.waitUntil(sw.registration.showNotification(title, options));
});

sw.addEventListener("notificationclick", (event: ClickEvent) => {
  event.notification.close();
  const data = event.notification.data ?? { id: null, url: "/" };
  const id = data.id;
  const act =
    id && event.action === "read"
      ? post(id, "/api/v1/inbox/mark", { scope: "items", ids: [id], read: true })
      : id && event.action === "snooze"
        ? post(id, "/api/v1/inbox/snooze", { target: { scope: "items", ids: [id] }, until: { choice: "hour" } })
        : show(id, data.url);
  event.waitUntil(act);
});

/** Focuses an open Herald tab on the item, or opens one there. */
async function show(id: string | null, url: string): Promise<void> {
  const windows = await sw.clients.matchAll({ type: "window", includeUncontrolled: true });
  const tab = windows.find((c) => c.focused) ?? windows[0];
  if (tab) {
    if (id) tab.postMessage({ type: "focus_item", id });
    await tab.focus();
    return;
  }
  await sw.clients.openWindow(url);
}

/** Acts on the item through the API: the cookie signs in, the session's CSRF token comes
 * from the API. Signed out: opens the item, where the sign-in is. */
async function post(id: string, path: string, body: object): Promise<void> {
  const session = await fetch("/api/v1/web/session", { credentials: "same-origin" });
  if (!session.ok) return show(id, `/?item=${id}`);
  const { csrf_token } = (await session.json()) as { csrf_token: string };
  await fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json", "x-herald-csrf": csrf_token },
    body: JSON.stringify(body),
  });
}
