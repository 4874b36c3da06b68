// The one seam between the UI and whatever answers it: the Tauri shell (tauri.ts) in the app,
// an in-memory fake (fake.ts) in the browser tests and component tests.
//
// The shapes mirror the Rust side: protocol types are generated (../generated/protocol.ts);
// the few herald-core types below are written out by hand and checked by the real-app tests.

import type {
  AgentProfile,
  Channel,
  Decision,
  EmailStatus,
  Notification,
  PrefEdit,
  Preferences,
  TestNotificationResult,
  UnreadCount,
  VersionedPreferences,
} from "../generated/protocol";

/** The error every call rejects with: a kind to branch on and words for a person. */
export type ErrorKind =
  | "signed_out"
  | "offline"
  | "server"
  | "invalid_input"
  | "conflict"
  | "rate_limited"
  | "bad_server_url"
  | "keychain"
  | "storage"
  | "not_found";

export type BackendError = {
  kind: ErrorKind;
  message: string;
  fields?: { field: string; message: string }[];
};

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

export type ConnState =
  | { state: "connecting"; attempt: number }
  | { state: "live" }
  | { state: "reconnecting"; attempt: number; retry_in_ms: number }
  | { state: "signed_out"; reason: string }
  | { state: "stopped" };

export type SaveStatus =
  | { state: "saved" }
  | { state: "saving" }
  | { state: "failed"; kind: ErrorKind; message: string };

export type OsOutcome =
  | { os: "shown" }
  | { os: "coalesced"; into: string }
  | { os: "in_summary" }
  | { os: "not_shown" }
  | { os: "history" }
  | { os: "failed"; message: string };

/** "Why did / didn't I get this?": the server's decision, this device's, and what the OS did. */
export type Trail = { server: Decision; local: Decision; os: OsOutcome };

export type SessionState = {
  signed_in: boolean;
  agent?: AgentProfile;
  /** The last server and email, to prefill the sign-in form. */
  server?: string;
  email?: string;
  connection: ConnState;
  device_muted: boolean;
  /** An item to show (its OS notification was clicked while no window was open). */
  focus_item?: string;
  /** The saved session is still being restored: wait for the `restored` event. */
  restoring?: boolean;
};

export type BellSnapshot = {
  items: Notification[];
  unread: UnreadCount;
  connection: ConnState;
  last_event_at?: string;
};

export type PrefsSnapshot = { preferences: Preferences; status: SaveStatus; version?: number };

/** What the OS says about notifications, as far as it can tell. */
export type OsCheck = {
  /** "granted" | "denied" | "unknown" as far as Herald can tell. */
  permission: "granted" | "denied" | "unknown";
  /** How that was found out, for a person. */
  permission_detail: string;
  /** The notification service (Linux: on the session D-Bus). */
  service?: { name: string; vendor: string; version: string; capabilities: string[] };
  service_error?: string;
  platform: string;
};

export type Diagnostics = {
  os: OsCheck;
  connection: ConnState;
  last_event_at?: string;
  server: { url: string; reachable: boolean; detail: string };
  profile_email?: string;
  email?: EmailStatus;
  email_error?: string;
  preferences?: Preferences;
  save: SaveStatus;
  device_muted: boolean;
  window_focused: boolean;
};

export type UiEvent =
  | { type: "item"; notification: Notification; local: Decision }
  | { type: "read_changed" }
  | { type: "reset" }
  | { type: "unread"; unread: UnreadCount }
  | { type: "preferences"; preferences: VersionedPreferences }
  | { type: "connection"; state: ConnState }
  | { type: "save"; status: SaveStatus }
  /** The agent clicked an OS notification of an item without a link: show it. */
  | { type: "focus_item"; id: string }
  | { type: "signed_out"; reason: string }
  /** The start-up restore of the saved session has finished. */
  | { type: "restored" };

export interface Backend {
  sessionState(): Promise<SessionState>;
  signIn(server: string, email: string, password: string): Promise<AgentProfile>;
  signOut(): Promise<void>;
  bell(): Promise<BellSnapshot>;
  /** Loads up to `limit` older items into the bell and resolves to them (oldest last). */
  loadOlder(limit: number): Promise<Notification[]>;
  mark(ids: string[], read: boolean): Promise<void>;
  markAll(): Promise<void>;
  /** Marks read and opens the conversation (only https links of the platform open). */
  openItem(id: string): Promise<void>;
  why(id: string): Promise<Trail | null>;
  preferences(): Promise<PrefsSnapshot>;
  editPreferences(edit: PrefEdit): Promise<Preferences>;
  retrySave(): Promise<void>;
  sendTest(): Promise<TestNotificationResult>;
  diagnostics(): Promise<Diagnostics>;
  setDeviceMuted(muted: boolean): Promise<void>;
  subscribe(handler: (event: UiEvent) => void): Promise<() => void>;
}

export type { Channel };
