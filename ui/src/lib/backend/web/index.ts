// The web app's implementation of the seam: the UI served by herald-server talks to its REST
// API and its stream directly (http.ts, stream.ts); browser notifications come through Web
// Push and the service worker (push.ts, ../../../sw.ts). What Rust decides comes from the
// server: the items' decisions, edits and pauses applied, the diagnostics' verdicts, the
// trail. This file keeps the tab's model of the bell and turns server messages into the
// UI's events.
import type {
  AgentProfile,
  Decision,
  InboxPage,
  MarkResult,
  Notification,
  PasswordSetupResult,
  PausePreset,
  PrefEdit,
  PrefEdits,
  Preferences,
  RulesPreview,
  ServerMessage,
  SnoozeRequest,
  SnoozeResult,
  SnoozeTarget,
  SnoozeUntil,
  TestNotificationResult,
  VersionedPreferences,
  WebSession,
} from "../../generated/protocol";
import type { BellView, ConnState, Diagnostics, PrefsView, SaveStatus, SessionView, Trail, UiEvent } from "../types";
import type { Backend, BackendError } from "../types";
import { t } from "../../i18n.svelte";
import { Http } from "./http";
import { OfflineWatch } from "./offline";
import * as push from "./push";
import { Stream } from "./stream";

const PAGE = 50;
const MUTED_KEY = "herald.device_muted";

export class WebBackend implements Backend {
  readonly http = new Http();
  /** The server is this page's own: the sign-in form asks for no address. */
  readonly fixedServer = location.origin;
  private agent: AgentProfile | undefined;
  /** The bell, newest first; only items the server put on the bell. */
  private items: Notification[] = [];
  private unread = 0;
  private maxSeq = 0;
  private epoch: string | undefined;
  private lastEventAt: string | undefined;
  private connection: ConnState = { state: "stopped" };
  private prefs: VersionedPreferences | undefined;
  private save: SaveStatus = { state: "saved" };
  /** Edits not on the server yet (a failed save), sent again by retrySave. */
  private pending: PrefEdits = { edits: [] };
  private loaded = false;
  private replayed = false;
  private readonly handlers = new Set<(event: UiEvent) => void>();
  private readonly offline = new OfflineWatch({
    changed: (offline) => this.emit({ type: "offline", offline }),
    notify: (offline, caughtUp) => void this.notifyOffline(offline, caughtUp),
  });
  private readonly stream = new Stream({
    position: () => ({ after_seq: this.maxSeq, ...(this.epoch ? { epoch: this.epoch } : {}) }),
    message: (message) => this.onMessage(message),
    state: (state) => {
      this.offline.state(state);
      this.connection = state;
      this.emit({ type: "connection", state });
      if (state.state === "signed_out") this.ended(state.reason);
    },
    sessionAlive: async () => {
      try {
        await this.http.get<WebSession>("/web/session");
        return true;
      } catch (error) {
        return (error as BackendError).kind !== "signed_out";
      }
    },
  });

  constructor() {
    // A click on a notification while this tab is open (the service worker asks it to show
    // the item).
    navigator.serviceWorker?.addEventListener("message", (event: MessageEvent<{ type?: string; id?: string }>) => {
      if (event.data?.type === "focus_item" && event.data.id) this.emit({ type: "focus_item", id: event.data.id });
    });
  }

  private emit(event: UiEvent) {
    for (const handler of this.handlers) handler(event);
  }

  async subscribe(handler: (event: UiEvent) => void): Promise<() => void> {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  async sessionState(): Promise<SessionView> {
    const focus = new URLSearchParams(location.search).get("item") ?? undefined;
    if (focus) history.replaceState(null, "", location.pathname);
    const view: SessionView = {
      signed_in: false,
      server: location.origin,
      connection: this.connection,
      device_muted: this.muted(),
      restoring: false,
      ...(focus ? { focus_item: focus } : {}),
    };
    let session: WebSession;
    try {
      session = await this.http.get<WebSession>("/web/session");
    } catch (error) {
      if ((error as BackendError).kind === "signed_out") return view;
      throw error;
    }
    this.began(session);
    return { ...view, signed_in: true, agent: session.agent, connection: this.connection };
  }

  async setPassword(token: string, password: string): Promise<string> {
    const done = await this.http.post<PasswordSetupResult>("/password-setup", { token, password });
    return done.email;
  }

  async signIn(_server: string, email: string, password: string): Promise<AgentProfile> {
    const session = await this.http.post<WebSession>("/web/session", {
      email,
      password,
      device_name: push.browserName(),
    });
    this.began(session);
    return session.agent;
  }

  private began(session: WebSession) {
    this.agent = session.agent;
    this.http.csrf = session.csrf_token;
    void push.serviceWorker()?.catch(() => undefined);
  }

  async signOut(): Promise<void> {
    this.stream.stop();
    await push.disable(this.http).catch(() => undefined);
    await this.http.call("DELETE", "/web/session");
    this.forget();
  }

  private ended(reason: string) {
    this.forget();
    this.emit({ type: "signed_out", reason });
  }

  private forget() {
    this.http.csrf = undefined;
    this.agent = undefined;
    this.items = [];
    this.unread = 0;
    this.maxSeq = 0;
    this.epoch = undefined;
    this.loaded = false;
    this.prefs = undefined;
  }

  async bell(): Promise<BellView> {
    if (!this.loaded) await this.loadFirstPage();
    return {
      items: this.items,
      unread: { total: this.unread },
      connection: this.connection,
      ...(this.lastEventAt ? { last_event_at: this.lastEventAt } : {}),
    };
  }

  /** The first page and the counter, then the stream from there. */
  private async loadFirstPage() {
    const [page, health] = await Promise.all([
      this.http.get<InboxPage>(`/inbox?limit=${PAGE}`),
      this.http.get<{ epoch: string }>("/health"),
    ]);
    this.showFirstPage(page);
    this.maxSeq = Math.max(0, ...page.items.map((n) => n.seq));
    this.epoch = health.epoch;
    this.loaded = true;
    this.stream.start();
  }

  private showFirstPage(page: InboxPage) {
    this.items = page.items;
    this.unread = page.unread.total;
  }

  async loadOlder(limit: number): Promise<Notification[]> {
    const oldest = this.items.at(-1);
    if (!oldest) return [];
    const page = await this.http.get<InboxPage>(`/inbox?limit=${limit}&before=${oldest.seq}`);
    const known = new Set(this.items.map((n) => n.id));
    const fresh = page.items.filter((n) => !known.has(n.id));
    this.items = [...this.items, ...fresh];
    return fresh;
  }

  async mark(ids: string[], read: boolean): Promise<void> {
    const result = await this.http.post<MarkResult>("/inbox/mark", { scope: "items", ids, read });
    this.setRead(new Set(ids), read ? new Date().toISOString() : undefined);
    this.setUnread(result.unread.total);
  }

  async markAll(): Promise<void> {
    const result = await this.http.post<MarkResult>("/inbox/mark", { scope: "all" });
    this.setRead(new Set(this.items.map((n) => n.id)), new Date().toISOString());
    this.setUnread(result.unread.total);
  }

  async snooze(target: SnoozeTarget, until?: SnoozeUntil): Promise<SnoozeResult> {
    const request: SnoozeRequest = { target, ...(until ? { until } : {}) };
    const result = await this.http.post<SnoozeResult>("/inbox/snooze", request);
    this.setSnoozed(new Set(result.ids), result.until);
    this.setUnread(result.unread.total);
    return result;
  }

  async openItem(id: string): Promise<void> {
    const item = this.items.find((n) => n.id === id);
    if (item && !item.read_at) await this.mark([id], true);
    // Links were checked at ingest (https, the workspace's declared origins only).
    const url = item?.conversation?.url;
    if (url?.startsWith("https://")) window.open(url, "_blank", "noopener,noreferrer");
  }

  async why(id: string): Promise<Trail | null> {
    return this.http.get<Trail>(`/inbox/${encodeURIComponent(id)}/trail`);
  }

  async preferences(): Promise<PrefsView> {
    this.prefs ??= await this.http.get<VersionedPreferences>("/preferences");
    return { preferences: this.prefs.preferences, status: this.save };
  }

  async previewRules(): Promise<RulesPreview> {
    return this.http.get<RulesPreview>("/preferences/preview");
  }

  async editPreferences(edit: PrefEdit): Promise<Preferences> {
    return this.change({ ...this.pending, edits: [...this.pending.edits, edit] });
  }

  async pause(preset: PausePreset): Promise<Preferences> {
    return this.change({ edits: this.pending.edits, pause: preset });
  }

  async retrySave(): Promise<void> {
    await this.change(this.pending);
  }

  /** Sends edits; the server applies them. A failure keeps them for a retry and says so;
   * what shows is what the server has. */
  private async change(change: PrefEdits): Promise<Preferences> {
    this.setSave({ state: "saving" });
    try {
      this.prefs = await this.http.post<VersionedPreferences>("/preferences/edits", change);
      this.pending = { edits: [] };
      this.setSave({ state: "saved" });
      this.emit({ type: "preferences", preferences: this.prefs });
    } catch (error) {
      const e = error as BackendError;
      if (e.kind === "invalid_input") {
        this.setSave({ state: "saved" });
        throw e; // nothing to retry: the change itself is wrong
      }
      this.pending = change;
      this.setSave({ state: "failed", kind: e.kind, message: e.message });
    }
    if (!this.prefs) throw { kind: "offline", message: "cannot reach the server" } satisfies BackendError;
    return this.prefs.preferences;
  }

  private setSave(status: SaveStatus) {
    this.save = status;
    this.emit({ type: "save", status });
  }

  async sendTest(mention?: boolean): Promise<TestNotificationResult> {
    return this.http.post<TestNotificationResult>(mention ? "/test-notification?mention=true" : "/test-notification");
  }

  async diagnostics(): Promise<Diagnostics> {
    const subscription = await push.currentSubscription().catch(() => null);
    const permission = push.supported()
      ? { granted: "granted", denied: "denied", default: "unknown" }[Notification.permission]
      : "unknown";
    return this.http.post<Diagnostics>("/diagnostics", {
      permission,
      browser: push.browserName(),
      push_supported: push.supported(),
      ...(subscription ? { endpoint: subscription.endpoint } : {}),
      connection: this.connection,
      ...(this.lastEventAt ? { last_event_at: this.lastEventAt } : {}),
      save: this.save,
      device_muted: this.muted(),
      window_focused: document.hasFocus(),
    });
  }

  /** A muted browser takes no push: its subscription is removed, and added back on unmute
   * when notifications are allowed. */
  async setDeviceMuted(muted: boolean): Promise<void> {
    localStorage.setItem(MUTED_KEY, muted ? "1" : "0");
    if (muted) await push.disable(this.http);
    else if (push.supported() && Notification.permission === "granted") await push.enable(this.http);
  }

  private muted(): boolean {
    return localStorage.getItem(MUTED_KEY) === "1";
  }

  /** This browser's notification state, for the "Enable browser notifications" control. */
  browserPush(): Promise<push.BrowserPush> {
    return push.state(this.http);
  }

  /** Asks for the permission (from the agent's click) and registers this browser. */
  enableBrowserPush(): Promise<push.BrowserPush> {
    localStorage.setItem(MUTED_KEY, "0");
    return push.enable(this.http);
  }

  private onMessage(message: ServerMessage) {
    switch (message.type) {
      case "item": {
        const n = message.notification;
        this.maxSeq = Math.max(this.maxSeq, n.seq);
        if (n.decision.dashboard.outcome !== "deliver") return;
        // An id held already with a lower seq is that item coming back (a snooze ended, an
        // unanswered assignment): it moves to its new place.
        const held = this.items.find((i) => i.id === n.id);
        if (held && held.seq >= n.seq) return;
        this.items = [n, ...this.items.filter((i) => i.id !== n.id)].sort((a, b) => b.seq - a.seq);
        if (message.replay) {
          this.offline.replayed();
          this.replayed = true; // shown together once the replay ends, without alerts
          return;
        }
        this.lastEventAt = new Date().toISOString();
        this.emit({ type: "item", notification: n, local: this.local(n.decision) });
        return;
      }
      case "live":
        this.epoch = message.epoch;
        if (this.replayed) {
          this.replayed = false;
          this.emit({ type: "reset" });
        }
        return;
      case "gap":
        // The stream goes on from the server's latest seq at once (items after the gap may
        // arrive before the first page does); the bell is fetched again.
        this.epoch = message.epoch;
        this.maxSeq = message.latest_seq;
        void this.refetch();
        return;
      case "unread":
        this.setUnread(message.unread.total);
        return;
      case "read_changed":
        this.setRead(new Set(message.ids), message.read_at);
        return;
      case "snoozed":
        this.setSnoozed(new Set(message.ids), message.until);
        return;
      case "all_read": {
        const ids = this.items
          .filter((n) => n.seq <= message.up_to_seq && (!message.conversation_id || n.conversation?.id === message.conversation_id))
          .map((n) => n.id);
        this.setRead(new Set(ids), new Date().toISOString());
        return;
      }
      case "preferences_changed":
        this.prefs = message.preferences;
        this.emit({ type: "preferences", preferences: message.preferences });
        return;
      case "closing":
        return;
      default: {
        // Every message the server sends is handled: a new variant fails the type check.
        const unhandled: never = message;
        return unhandled;
      }
    }
  }

  /** The offline and back-online notices as browser notifications, where allowed (the
   * banner says it in the tab either way). One tag: "back online" replaces "offline". */
  private async notifyOffline(offline: boolean, caughtUp: number) {
    if (!push.supported() || Notification.permission !== "granted") return;
    const registration = await navigator.serviceWorker?.getRegistration().catch(() => undefined);
    const title = offline ? t("offline_notice_title") : t("online_notice_title");
    const body = offline ? t("offline_notice_body") : t("online_notice_body", { n: caughtUp });
    await registration?.showNotification(title, { body, tag: "herald-connection" }).catch(() => undefined);
  }

  /** After a gap: the first page again. */
  private async refetch() {
    this.showFirstPage(await this.http.get<InboxPage>(`/inbox?limit=${PAGE}`));
    this.emit({ type: "reset" });
  }

  /** A browser follows the server's decision (it has no policy of its own); a muted
   * browser plays no sound. */
  private local(decision: Decision): Decision {
    if (!this.muted()) return decision;
    return { ...decision, sound: { outcome: "suppress", reasons: [{ code: "device_muted" }] } };
  }

  private setRead(ids: Set<string>, readAt: string | undefined) {
    this.items = this.items.map((n) => {
      if (!ids.has(n.id)) return n;
      // Unread by hand: back from its snooze too.
      const { read_at: _, snoozed_until: __, ...rest } = n;
      return readAt ? { ...rest, read_at: readAt, ...(n.snoozed_until ? { snoozed_until: n.snoozed_until } : {}) } : rest;
    });
    this.emit({ type: "read_changed" });
  }

  /** Snoozed until `until` (read meanwhile, as the server keeps them), or back (unread). */
  private setSnoozed(ids: Set<string>, until: string | undefined) {
    const now = new Date().toISOString();
    this.items = this.items.map((n) => {
      if (!ids.has(n.id)) return n;
      const { read_at: _, snoozed_until: __, ...rest } = n;
      return until ? { ...rest, read_at: n.read_at ?? now, snoozed_until: until } : rest;
    });
    this.emit({ type: "read_changed" });
  }

  private setUnread(total: number) {
    this.unread = total;
    this.emit({ type: "unread", unread: { total } });
  }
}
