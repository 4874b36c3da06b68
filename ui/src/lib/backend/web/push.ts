// Browser notifications for the web app: the service worker, the permission (asked only
// when the agent clicks "Enable browser notifications"), and this browser's push
// subscription, registered with the server for the signed-in session.
import type { PushDevice, PushServerKey, PushSubscriptionRequest } from "../../generated/protocol";
import type { BrowserPush } from "../types";
import type { Http } from "./http";

export type { BrowserPush };

export function supported(): boolean {
  return "Notification" in window && "serviceWorker" in navigator && "PushManager" in window;
}

/** The service worker (scope `/`), registered once per page load. */
let registration: Promise<ServiceWorkerRegistration> | undefined;
export function serviceWorker(): Promise<ServiceWorkerRegistration> | undefined {
  if (!("serviceWorker" in navigator)) return undefined;
  registration ??= navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(() => navigator.serviceWorker.ready);
  return registration;
}

/** This browser's subscription, if it has one. */
export async function currentSubscription(): Promise<PushSubscription | null> {
  const reg = await serviceWorker();
  return reg ? reg.pushManager.getSubscription() : null;
}

export async function state(http: Http): Promise<BrowserPush> {
  if (!supported()) return { state: "unsupported" };
  if (Notification.permission === "denied") return { state: "blocked" };
  if (Notification.permission === "default") return { state: "not_asked" };
  const subscription = await currentSubscription();
  if (!subscription) return { state: "allowed", registered: false };
  // Registering is idempotent: it also ties a subscription made under an earlier session
  // (signed out since, which removed it on the server) to this one.
  return { state: "allowed", registered: await register(http, subscription) };
}

/** Asks for the permission (this must run from the agent's click), subscribes with the
 * server's key and registers the subscription. */
export async function enable(http: Http): Promise<BrowserPush> {
  if (!supported()) return { state: "unsupported" };
  const permission = await Notification.requestPermission();
  if (permission === "denied") return { state: "blocked" };
  if (permission !== "granted") return { state: "not_asked" };
  const reg = await serviceWorker();
  if (!reg) return { state: "unsupported" };
  const { public_key } = await http.get<PushServerKey>("/push/key");
  const subscription =
    (await reg.pushManager.getSubscription()) ??
    (await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: fromBase64Url(public_key) }));
  return { state: "allowed", registered: await register(http, subscription) };
}

/** Removes this browser's subscription here and on the server. */
export async function disable(http: Http): Promise<void> {
  const subscription = await currentSubscription();
  if (!subscription) return;
  const endpoint = subscription.endpoint;
  await subscription.unsubscribe();
  await http.call("DELETE", "/push/subscriptions", { endpoint });
}

async function register(http: Http, subscription: PushSubscription): Promise<boolean> {
  const json = subscription.toJSON();
  const keys = json.keys;
  if (!json.endpoint || !keys?.p256dh || !keys.auth) return false;
  const body: PushSubscriptionRequest = {
    endpoint: json.endpoint,
    keys: { p256dh: keys.p256dh, auth: keys.auth },
    device_name: browserName(),
  };
  await http.post<PushDevice>("/push/subscriptions", body);
  return true;
}

/** "Chrome on Linux", for the agent's device list. */
export function browserName(): string {
  const ua = navigator.userAgent;
  const browser = /Edg\//.test(ua)
    ? "Edge"
    : /Firefox\//.test(ua)
      ? "Firefox"
      : /Chrome\/|Chromium\//.test(ua)
        ? "Chrome"
        : /Safari\//.test(ua)
          ? "Safari"
          : "Browser";
  const os = /Windows/.test(ua)
    ? "Windows"
    : /Mac OS X/.test(ua)
      ? "macOS"
      : /Android/.test(ua)
        ? "Android"
        : /iPhone|iPad/.test(ua)
          ? "iOS"
          : /Linux/.test(ua)
            ? "Linux"
            : "";
  return os ? `${browser} on ${os}` : browser;
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "=");
  const binary = atob(base64);
  const bytes = new Uint8Array(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
