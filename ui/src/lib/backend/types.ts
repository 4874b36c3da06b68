// The one seam between the UI and whatever answers it: the Tauri shell (tauri.ts) in the app,
// an in-memory fake (fake.ts) in the browser tests and component tests.
//
// Every shape that crosses it is generated from Rust: the protocol's types
// (../generated/protocol.ts) and the core's views, events, errors and diagnostics
// (../generated/core.ts). Only what is truly UI-side is written here: the seam itself and
// how a rejection becomes a typed error.

import type {
  AccountsView,
  BellItem,
  BellView,
  CoreError,
  Diagnostics,
  PrefsView,
  SessionView,
  Trail,
  UiEvent,
} from "../generated/core";
import type {
  PausePreset,
  AgentProfile,
  PrefEdit,
  Preferences,
  RulesPreview,
  SnoozeResult,
  SnoozeTarget,
  SnoozeUntil,
  TestNotificationResult,
} from "../generated/protocol";

export type {
  AccountSummary,
  AccountsView,
  BellItem,
  BellView,
  Card,
  ConnState,
  CoreError,
  Diagnostics,
  ErrorKind,
  Finding,
  OsOutcome,
  PrefsView,
  Row,
  SaveStatus,
  SessionView,
  Topic,
  Trail,
  UiEvent,
  Verdict,
} from "../generated/core";
export type { PausePreset } from "../generated/protocol";

/** The error every call rejects with: a kind to branch on and words for a person. */
export type BackendError = CoreError;

export function isBackendError(value: unknown): value is BackendError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { kind?: unknown }).kind === "string" &&
    typeof (value as { message?: unknown }).message === "string"
  );
}

/** Any rejection as a BackendError (a bug or a broken bridge becomes a `server` error). */
export function asBackendError(value: unknown): BackendError {
  if (isBackendError(value)) return value;
  return { kind: "server", message: value instanceof Error ? value.message : String(value) };
}

/** Browser notifications in the web app (see web/push.ts). */
export type BrowserPush =
  | { state: "unsupported" }
  | { state: "not_asked" }
  | { state: "blocked" }
  | { state: "allowed"; registered: boolean };

export interface Backend {
  /** Set where the server is the page's own (the web app): the sign-in form asks for no
   * address. */
  readonly fixedServer?: string;
  /** The desktop app only: whether Herald starts at login, and the switch. */
  autostart?(): Promise<boolean>;
  setAutostart?(on: boolean): Promise<void>;
  /** The web app only: this browser's notification state, and enabling it from a click. */
  browserPush?(): Promise<BrowserPush>;
  enableBrowserPush?(): Promise<BrowserPush>;
  /** The web app only: sets the password with a one-time set-up link's token; resolves to
   * the email to sign in with. */
  setPassword?(token: string, password: string): Promise<string>;
  sessionState(): Promise<SessionView>;
  /** Signs in; in the desktop app, to one more account (the others keep running). */
  signIn(server: string, email: string, password: string): Promise<AgentProfile>;
  /** Signs out of the shown account, or of `accountId`. */
  signOut(accountId?: string): Promise<void>;
  /** The desktop app only: shows another of its accounts (preferences, diagnostics). */
  switchAccount?(accountId: string): Promise<AccountsView>;
  bell(): Promise<BellView>;
  /** Loads up to `limit` older items into the bell and resolves to them (oldest last). */
  loadOlder(limit: number): Promise<BellItem[]>;
  mark(ids: string[], read: boolean): Promise<void>;
  markAll(): Promise<void>;
  /** Snoozes items or a conversation until a time (the server works it out; they come back
   * unread with a fresh notification), or brings snoozed items back (no `until`); a
   * conversation in `accountId`, where the app follows several. */
  snooze(target: SnoozeTarget, until?: SnoozeUntil, accountId?: string): Promise<SnoozeResult>;
  /** Marks read and opens the conversation (only https links of the platform open). */
  openItem(id: string): Promise<void>;
  why(id: string): Promise<Trail | null>;
  preferences(): Promise<PrefsView>;
  /** Which channels would fire per kind of event and situation, as the preferences stand
   * (decided by the policy in Rust). */
  previewRules(): Promise<RulesPreview>;
  editPreferences(edit: PrefEdit): Promise<Preferences>;
  /** Pauses for one of the offered spans (computed in Rust, in the agent's time zone). */
  pause(preset: PausePreset): Promise<Preferences>;
  retrySave(): Promise<void>;
  /** A test notification through the server's whole pipeline; with `mention`, a test
   * mention decided by the rules for mentions. */
  sendTest(mention?: boolean): Promise<TestNotificationResult>;
  /** The troubleshooting facts, with a verdict per card decided in Rust. */
  diagnostics(): Promise<Diagnostics>;
  setDeviceMuted(muted: boolean): Promise<void>;
  subscribe(handler: (event: UiEvent) => void): Promise<() => void>;
}
