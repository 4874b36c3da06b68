// An in-memory backend for the browser tests, the component tests and `npm run dev` without
// the shell. It behaves like the shell where the UI can tell (errors, events, save states),
// and exposes a few handles for tests (`push`, `setConnection`, `failSaves`).
//
// What Rust decides is not re-decided here: the default preferences and the diagnostics are
// the Rust side's own golden samples (the same files its tests pin), read as they are.
import defaultsJson from "../../../../crates/protocol/tests/golden/preferences_default.json";
import diagnosticsJson from "../../../../crates/core/tests/golden/diagnostics.json";
import previewJson from "../../../../crates/protocol/tests/golden/rules_preview.json";
import type {
  BellView,
  ConnState,
  Diagnostics,
  PrefsView,
  SaveStatus,
  SessionView,
  Trail,
  UiEvent,
} from "../generated/core";
import type {
  AgentProfile,
  Decision,
  EventKind,
  Notification,
  PausePreset,
  PrefEdit,
  Preferences,
  Reminder,
  RulesPreview,
  SnoozeResult,
  SnoozeTarget,
  SnoozeUntil,
  TestNotificationResult,
} from "../generated/protocol";
import type { Backend, BackendError } from "./types";

export const FAKE_PASSWORD = "herald-demo";

/** The defaults of `Preferences::default()` in Rust (its golden file). */
export function defaultPreferences(): Preferences {
  return structuredClone(defaultsJson as Preferences);
}

function deliver(): Decision {
  const d = { outcome: "deliver" as const, reasons: [{ code: "channel_on" as const }] };
  return { dashboard: d, email: { outcome: "suppress", reasons: [{ code: "channel_off" }] }, push: d, sound: d };
}

let counter = 0;

export type FakeItem = Partial<Notification> & { title?: string; kind?: EventKind };

export function fakeNotification(seq: number, item: FakeItem = {}): Notification {
  counter += 1;
  const now = new Date(Date.now() - (item.seq ?? 0)).toISOString();
  return {
    id: `00000000-0000-4000-8000-${String(counter).padStart(12, "0")}`,
    seq,
    event_id: `fake-${counter}`,
    kind: "new_conversation",
    title: "New conversation",
    body: "Hello, I need help with my order.",
    conversation: { id: `c-${counter}`, subject: "Order #1234", customer_name: "Maria Souza" },
    occurred_at: now,
    created_at: now,
    decision: deliver(),
    context: {
      assigned_to_me: false,
      mentioned: false,
      directly_addressed: false,
      app_focused: false,
      device_muted: false,
      push_permission: "granted",
      pushed_to_this_phone: false,
    },
    ...item,
  };
}

function failure(kind: BackendError["kind"], message: string): BackendError {
  return { kind, message };
}

export class FakeBackend implements Backend {
  private signedIn = false;
  private agent: AgentProfile = {
    id: "00000000-0000-4000-8000-00000000a11a",
    external_id: "ana",
    email: "ana@demo.herald.test",
    name: "Ana Lima",
    workspace: "Demo",
  };
  private items: Notification[] = [];
  private seq = 0;
  private prefs = defaultPreferences();
  private save: SaveStatus = { state: "saved" };
  private connection: ConnState = { state: "stopped" };
  private handlers = new Set<(event: UiEvent) => void>();
  private lastEventAt: string | undefined;
  private muted = false;
  /** Saves fail while this is set (to show the failed state and retry). */
  failSaves = false;
  /** How long a save takes, in ms. */
  saveDelayMs = 400;
  /** A saved session is being restored (see `finishRestore`). */
  restoring = false;
  /** Calls made, for tests. */
  readonly calls: string[] = [];

  constructor(options: { items?: number } = {}) {
    for (let i = 0; i < (options.items ?? 6); i++) this.seed();
  }

  private seed() {
    const kinds: EventKind[] = ["new_conversation", "assignment", "mention", "reply", "module"];
    const kind = kinds[this.seq % kinds.length] ?? "reply";
    this.seq += 1;
    const n = fakeNotification(this.seq, {
      kind,
      title: `${kind.replace("_", " ")} #${this.seq}`,
      occurred_at: new Date(Date.now() - this.seq * 7 * 60_000).toISOString(),
    });
    this.items.push(n);
  }

  private emit(event: UiEvent) {
    for (const handler of this.handlers) handler(event);
  }

  private unread() {
    return { total: this.items.filter((n) => !n.read_at).length };
  }

  private requireSession() {
    if (!this.signedIn) throw failure("signed_out", "Sign in again.");
  }

  // --- test handles ---------------------------------------------------------------------

  /** A live item arrives on the stream. */
  /** An item coming back, as the server brings it (a snooze ended, an unanswered
   * assignment): the same id at a new seq, unread, with the reminder in its context. */
  comeBack(id: string, reminder: Reminder): Notification | undefined {
    const held = this.items.find((n) => n.id === id);
    if (!held) return undefined;
    this.seq += 1;
    const { read_at: _, snoozed_until: __, ...rest } = held;
    const n: Notification = { ...rest, seq: this.seq, context: { ...held.context, reminder } };
    this.items = [n, ...this.items.filter((i) => i.id !== id)];
    this.emit({ type: "item", notification: n, local: n.decision });
    this.emit({ type: "unread", unread: this.unread() });
    return n;
  }

  push(item: FakeItem = {}): Notification {
    this.seq += 1;
    const n = fakeNotification(this.seq, { ...item, seq: this.seq });
    this.items.unshift(n);
    this.lastEventAt = new Date().toISOString();
    this.emit({ type: "item", notification: n, local: n.decision });
    this.emit({ type: "unread", unread: this.unread() });
    return n;
  }

  /** The saved session comes back, as the shell's start-up restore does. */
  finishRestore() {
    this.restoring = false;
    this.signedIn = true;
    this.connection = { state: "live" };
    this.emit({ type: "restored" });
  }

  setConnection(state: ConnState) {
    this.connection = state;
    this.emit({ type: "connection", state });
  }

  // --- the seam -------------------------------------------------------------------------

  async sessionState(): Promise<SessionView> {
    this.calls.push("sessionState");
    return {
      signed_in: this.signedIn,
      ...(this.signedIn ? { agent: this.agent } : {}),
      server: "http://127.0.0.1:7878",
      email: this.agent.email,
      connection: this.connection,
      device_muted: this.muted,
      restoring: this.restoring,
    };
  }

  async signIn(server: string, email: string, password: string): Promise<AgentProfile> {
    this.calls.push("signIn");
    let url: URL;
    try {
      url = new URL(server);
    } catch {
      throw failure("bad_server_url", `"${server}" is not a web address`);
    }
    const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
    if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
      throw failure("bad_server_url", "the server must use https (plain http only to this computer)");
    }
    if (url.hostname.endsWith(".invalid")) {
      throw failure("offline", `could not reach ${url.host}`);
    }
    if (password !== FAKE_PASSWORD || !email.includes("@")) {
      throw failure("signed_out", "wrong email or password");
    }
    this.signedIn = true;
    this.agent = { ...this.agent, email };
    this.setConnection({ state: "live" });
    return this.agent;
  }

  async signOut(): Promise<void> {
    this.signedIn = false;
    this.setConnection({ state: "stopped" });
  }

  async bell(): Promise<BellView> {
    this.requireSession();
    return {
      items: [...this.items],
      unread: this.unread(),
      connection: this.connection,
      ...(this.lastEventAt ? { last_event_at: this.lastEventAt } : {}),
    };
  }

  async loadOlder(limit: number): Promise<Notification[]> {
    this.requireSession();
    const before = this.items.length;
    for (let i = 0; i < Math.min(limit, 50); i++) this.seed();
    return this.items.slice(before);
  }

  async mark(ids: string[], read: boolean): Promise<void> {
    this.requireSession();
    this.calls.push(`mark:${ids.join(",")}:${read}`);
    const at = new Date().toISOString();
    this.items = this.items.map((n) => {
      if (!ids.includes(n.id)) return n;
      if (read) return { ...n, read_at: at };
      const { read_at: _, ...unread } = n;
      return unread;
    });
    this.emit({ type: "read_changed" });
    this.emit({ type: "unread", unread: this.unread() });
  }

  /** Snoozes as the server would (read while snoozed, back unread without a notification
   * when brought back); the times are a stand-in, the real ones are Rust's. */
  async snooze(target: SnoozeTarget, until?: SnoozeUntil): Promise<SnoozeResult> {
    this.requireSession();
    this.calls.push(`snooze:${target.scope === "items" ? target.ids.join(",") : target.conversation_id}:${until?.choice ?? "back"}`);
    const now = Date.now();
    const at = !until
      ? undefined
      : until.choice === "at"
        ? until.at
        : new Date(now + { quarter_hour: 15 * 60_000, hour: 3_600_000, tomorrow_morning: 86_400_000 }[until.choice]).toISOString();
    const chosen = (n: Notification) =>
      target.scope === "items" ? target.ids.includes(n.id) : n.conversation?.id === target.conversation_id && (until ? !n.read_at : !!n.snoozed_until);
    const ids = this.items.filter(chosen).map((n) => n.id);
    this.items = this.items.map((n) => {
      if (!ids.includes(n.id)) return n;
      const { read_at: _, snoozed_until: __, ...rest } = n;
      return at ? { ...rest, read_at: n.read_at ?? new Date(now).toISOString(), snoozed_until: at } : rest;
    });
    this.emit({ type: "read_changed" });
    this.emit({ type: "unread", unread: this.unread() });
    return { ids, ...(at ? { until: at } : {}), unread: this.unread() };
  }

  /** Start at login, as the desktop app has it (the shell's plugin does the real work). */
  autostartOn = false;

  async autostart(): Promise<boolean> {
    return this.autostartOn;
  }

  async setAutostart(on: boolean): Promise<void> {
    this.calls.push(`autostart:${on}`);
    this.autostartOn = on;
  }

  async markAll(): Promise<void> {
    await this.mark(
      this.items.map((n) => n.id),
      true,
    );
  }

  async openItem(id: string): Promise<void> {
    this.calls.push(`open:${id}`);
    await this.mark([id], true);
  }

  async why(id: string): Promise<Trail | null> {
    const n = this.items.find((item) => item.id === id);
    if (!n) return null;
    return { server: n.decision, local: n.decision, os: { os: "shown" }, devices: [], apps: [] };
  }

  async preferences(): Promise<PrefsView> {
    this.requireSession();
    return { preferences: structuredClone(this.prefs), status: this.save };
  }

  private setSave(status: SaveStatus) {
    this.save = status;
    this.emit({ type: "save", status });
  }

  async editPreferences(edit: PrefEdit): Promise<Preferences> {
    this.requireSession();
    this.calls.push(`edit:${edit.edit}`);
    this.prefs = applyEdit(this.prefs, edit);
    this.setSave({ state: "saving" });
    setTimeout(() => this.finishSave(), this.saveDelayMs);
    return structuredClone(this.prefs);
  }

  async pause(preset: PausePreset): Promise<Preferences> {
    // A stand-in for `PausePreset::edit` in Rust (the real one uses the agent's time zone).
    const hour = new Date(Date.now() + 3600_000).toISOString();
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    const until = { hour, tomorrow, off: undefined }[preset];
    return this.editPreferences(until ? { edit: "paused_until", until } : { edit: "paused_until" });
  }

  private finishSave() {
    if (this.failSaves) {
      this.setSave({ state: "failed", kind: "offline", message: "the server cannot be reached" });
    } else {
      this.setSave({ state: "saved" });
    }
  }

  async retrySave(): Promise<void> {
    this.setSave({ state: "saving" });
    await new Promise((resolve) => setTimeout(resolve, this.saveDelayMs));
    this.finishSave();
    if (this.save.state === "failed") throw failure(this.save.kind, this.save.message);
  }

  async sendTest(mention?: boolean): Promise<TestNotificationResult> {
    this.requireSession();
    const n = mention
      ? this.push({ kind: "mention", title: "Test mention", body: "A test mention from Herald." })
      : this.push({ kind: "test", title: "Test notification", body: "If you see this, notifications work." });
    return {
      notification: n,
      bell: { state: "stored", live_streams: 1 },
      email: { state: "not_configured" },
      push: { state: "no_devices" },
      apps: [],
    };
  }

  /** The policy's preview of the default preferences (golden JSON): the fake has no Rust to
   * compute it for other preferences. */
  async previewRules(): Promise<RulesPreview> {
    this.requireSession();
    return structuredClone(previewJson as RulesPreview);
  }

  async diagnostics(): Promise<Diagnostics> {
    const golden = diagnosticsJson as Diagnostics;
    return {
      ...structuredClone(golden),
      connection: this.connection,
      ...(this.lastEventAt ? { last_event_at: this.lastEventAt } : {}),
      profile_email: this.agent.email,
    };
  }

  async setDeviceMuted(muted: boolean): Promise<void> {
    this.muted = muted;
  }

  async subscribe(handler: (event: UiEvent) => void): Promise<() => void> {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }
}

const ROWS = ["new_conversation", "assignment", "mention", "reply", "module"] as const;

/** The protocol's `PrefEdit::apply`, for the fake (the real one runs in Rust). */
export function applyEdit(prefs: Preferences, edit: PrefEdit): Preferences {
  const next = structuredClone(prefs);
  switch (edit.edit) {
    case "channel": {
      const row = (ROWS as readonly string[]).includes(edit.kind)
        ? next.events[edit.kind as (typeof ROWS)[number]]
        : next.events.other;
      row[edit.channel] = edit.on;
      break;
    }
    case "push_scope":
      next.push_scope = edit.scope;
      break;
    case "email_mode":
      next.email.mode = edit.mode;
      break;
    case "summary_at":
      next.email.summary_at = edit.at;
      break;
    case "email_time_zone":
      next.email.time_zone = edit.time_zone;
      break;
    case "mentions_always_alert":
      next.mentions_always_alert = edit.on;
      break;
    case "escalation":
      next.escalation = edit.escalation;
      break;
    case "quiet_summary":
      next.quiet_summary = edit.on;
      break;
    case "phone_delay":
      next.phone_delay_secs = edit.secs;
      break;
    case "quiet_hours":
      next.quiet_hours = edit.quiet_hours;
      break;
    case "paused_until":
      if (edit.until) next.paused_until = edit.until;
      else delete next.paused_until;
      break;
    case "sound":
      next.sound = edit.sound;
      break;
    case "unread_badge":
      next.unread_badge = edit.on;
      break;
    case "language":
      next.language = edit.language;
      break;
    case "group_rule": {
      const rules = (next.group_rules ?? []).filter((r) => r.group !== edit.group);
      if (edit.action) rules.push({ group: edit.group, action: edit.action });
      next.group_rules = rules;
      break;
    }
  }
  return next;
}
