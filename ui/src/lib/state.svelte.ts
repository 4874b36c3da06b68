// The UI's state, fed by the backend's snapshots and events. Components read it; actions go
// through the backend and come back as events (the Rust side is the source of truth).
import type {
  AgentProfile,
  PrefEdit,
  Preferences,
  SnoozeTarget,
  SnoozeUntil,
} from "./generated/protocol";
import { setLanguage } from "./i18n.svelte";
import { play } from "./sound";
import {
  asBackendError,
  type AccountsView,
  type Backend,
  type BellItem,
  type BackendError,
  type ConnState,
  type PausePreset,
  type SaveStatus,
  type SessionView,
  type UiEvent,
} from "./backend/types";

export type Phase = "loading" | "signed_out" | "signed_in";

export class AppState {
  phase = $state<Phase>("loading");
  agent = $state<AgentProfile | undefined>();
  /** Prefill for the sign-in form. */
  lastServer = $state("https://");
  lastEmail = $state("");
  signedOutReason = $state<string | undefined>();
  /** Rust says the stream has been down for a while (the banner shows while true). */
  offline = $state(false);
  /** The bell's items, newest first, each with its account where the app follows several.
   * Replaced, never mutated (thousands of items). */
  items = $state.raw<BellItem[]>([]);
  /** The desktop app's accounts and the one shown (undefined in the web app). */
  accounts = $state.raw<AccountsView | undefined>();
  /** The sign-in form is open to add one more account. */
  addingAccount = $state(false);
  unread = $state(0);
  connection = $state<ConnState>({ state: "stopped" });
  lastEventAt = $state<string | undefined>();
  prefs = $state.raw<Preferences | undefined>();
  save = $state<SaveStatus>({ state: "saved" });
  deviceMuted = $state(false);
  /** An item to scroll to and highlight (a click on its OS notification). */
  focusId = $state<string | undefined>();
  error = $state<BackendError | undefined>();

  private unsubscribe: (() => void) | undefined;
  /** Counts the live updates of the connection and the counter: a snapshot asked for before
   * the latest one is older than it (events and answers travel separately). */
  private updates = 0;
  private refetch: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly backend: Backend) {}

  async start(): Promise<void> {
    // Both at once (one round trip less at start-up). A `restored` event sent before the
    // subscription was in place is covered by asking again once it is.
    const [unsubscribe, session] = await Promise.all([
      this.backend.subscribe((event) => this.apply(event)),
      this.backend.sessionState(),
    ]);
    this.unsubscribe = unsubscribe;
    if (session.restoring) await this.checkSession();
    else await this.enterSession(session);
  }

  /** Signed in or not, once the saved session (if any) has been restored. */
  private async checkSession(): Promise<void> {
    await this.enterSession(await this.backend.sessionState());
  }

  private async enterSession(session: SessionView): Promise<void> {
    if (session.restoring) return; // the `restored` event calls checkSession again
    if (session.server) this.lastServer = session.server;
    if (session.email) this.lastEmail = session.email;
    this.deviceMuted = session.device_muted;
    this.focusId = session.focus_item;
    this.connection = session.connection;
    this.accounts = session.accounts;
    if (session.signed_in) {
      this.agent = session.agent;
      await this.enter();
    } else {
      this.phase = "signed_out";
    }
  }

  stop(): void {
    this.unsubscribe?.();
  }

  async signIn(server: string, email: string, password: string): Promise<void> {
    this.agent = await this.backend.signIn(server, email, password);
    this.lastServer = server;
    this.lastEmail = email;
    this.signedOutReason = undefined;
    this.addingAccount = false;
    await this.enter();
  }

  /** Signs out of the shown account (or `accountId`); where others run, they stay. */
  async signOut(accountId?: string): Promise<void> {
    await this.backend.signOut(accountId);
    const session = await this.backend.sessionState();
    if (session.signed_in) {
      await this.enterSession(session);
      return;
    }
    this.accounts = session.accounts;
    this.phase = "signed_out";
    this.items = [];
    this.unread = 0;
    this.prefs = undefined;
  }

  /** Shows another account: its preferences, diagnostics and connection. */
  async switchAccount(accountId: string): Promise<void> {
    if (!this.backend.switchAccount) return;
    this.accounts = await this.backend.switchAccount(accountId);
    await this.enterSession(await this.backend.sessionState());
  }

  /** Opens the sign-in form for one more account (or again for one that ended). */
  addAccount(server?: string, email?: string): void {
    if (server) this.lastServer = server;
    if (email) this.lastEmail = email;
    this.addingAccount = true;
  }

  /** The label of an item's account, where the app follows several. */
  accountLabel(item: BellItem): string | undefined {
    const accounts = this.accounts?.accounts ?? [];
    if (accounts.length < 2) return undefined;
    return accounts.find((a) => a.id === item.account)?.label;
  }

  private async enter(): Promise<void> {
    await Promise.all([this.loadBell(), this.loadPrefs()]);
    this.phase = "signed_in";
  }

  async loadBell(): Promise<void> {
    const asked = this.updates;
    const bell = await this.backend.bell();
    this.items = bell.items;
    this.lastEventAt = bell.last_event_at;
    if (asked === this.updates) {
      this.unread = bell.unread.total;
      this.connection = bell.connection;
    }
  }

  /** Appends a page of older items (the bell is never fetched whole for this). */
  async loadOlder(limit: number): Promise<number> {
    const older = await this.backend.loadOlder(limit);
    const known = new Set(this.items.map((n) => n.id));
    const fresh = older.filter((n) => !known.has(n.id));
    if (fresh.length) this.items = [...this.items, ...fresh];
    return fresh.length;
  }

  async loadPrefs(): Promise<void> {
    const snapshot = await this.backend.preferences();
    this.prefs = snapshot.preferences;
    this.save = snapshot.status;
    setLanguage(snapshot.preferences.language);
  }

  /** Runs an action; a failure lands in `error` for the UI to show. */
  async run(action: () => Promise<unknown>): Promise<void> {
    try {
      this.error = undefined;
      await action();
    } catch (error) {
      this.error = asBackendError(error);
      if (this.error.kind === "signed_out") this.phase = "signed_out";
    }
  }

  mark(ids: string[], read: boolean) {
    return this.run(() => this.backend.mark(ids, read));
  }

  markAll() {
    return this.run(() => this.backend.markAll());
  }

  snooze(target: SnoozeTarget, until?: SnoozeUntil, accountId?: string) {
    return this.run(() => this.backend.snooze(target, until, accountId));
  }

  open(id: string) {
    return this.run(() => this.backend.openItem(id));
  }

  async edit(edit: PrefEdit): Promise<void> {
    await this.run(async () => {
      this.prefs = await this.backend.editPreferences(edit);
      if (edit.edit === "language") setLanguage(edit.language);
    });
  }

  async pause(preset: PausePreset): Promise<void> {
    await this.run(async () => {
      this.prefs = await this.backend.pause(preset);
    });
  }

  setDeviceMuted(muted: boolean) {
    this.deviceMuted = muted;
    return this.run(() => this.backend.setDeviceMuted(muted));
  }

  apply(event: UiEvent): void {
    switch (event.type) {
      case "item": {
        const n: BellItem = event.account ? { ...event.notification, account: event.account } : event.notification;
        // An item held already comes back (a snooze ended, a reminder): to the top.
        this.items = [n, ...this.items.filter((item) => item.id !== n.id)];
        this.lastEventAt = new Date().toISOString();
        // The local decision already weighed sound on/off, the device mute, quiet hours and
        // "mentions always alert": the UI plays what it says, and decides nothing itself.
        if (event.local.sound.outcome === "deliver") {
          const sound = this.prefs?.sound;
          play(sound?.tone ?? "chime", sound?.volume ?? 70);
        }
        break;
      }
      case "read_changed":
      case "reset":
        this.scheduleRefetch();
        break;
      case "unread":
        this.updates += 1;
        this.unread = event.unread.total;
        break;
      case "preferences":
        this.prefs = event.preferences.preferences;
        setLanguage(event.preferences.preferences.language);
        break;
      case "connection":
        this.updates += 1;
        this.connection = event.state;
        if (event.state.state === "signed_out") {
          this.signedOutReason = event.state.reason;
          this.phase = "signed_out";
        }
        break;
      case "save":
        this.save = event.status;
        break;
      case "focus_item":
        this.focusId = event.id;
        break;
      case "offline":
        this.offline = event.offline;
        break;
      case "signed_out":
        this.signedOutReason = event.reason;
        this.phase = "signed_out";
        break;
      case "restored":
        if (this.phase === "loading") void this.run(() => this.checkSession());
        break;
      case "accounts": {
        const shown = this.accounts?.active;
        this.accounts = event.accounts;
        // Another account is shown now (the one shown ended, or was signed out of
        // elsewhere): its session, preferences and bell.
        if (this.phase === "signed_in" && event.accounts.active !== shown) {
          void this.run(async () => this.enterSession(await this.backend.sessionState()));
        }
        break;
      }
      default: {
        // Every event Rust sends is handled: a new variant fails the type check here.
        const unhandled: never = event;
        return unhandled;
      }
    }
  }

  /** Read changes arrive in bursts (mark all, another device): fetch once per burst. */
  private scheduleRefetch() {
    clearTimeout(this.refetch);
    this.refetch = setTimeout(() => {
      if (this.phase === "signed_in") void this.run(() => this.loadBell());
    }, 30);
  }
}
