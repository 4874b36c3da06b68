// Generated from the Rust types of herald-core by `crates/core/src/ts.rs`.
// Do not edit: run `HERALD_BLESS=1 cargo test -p herald-core --test typescript`.

import type { EventKind, Severity, ConversationRef, ActorRef, LocalTime, Preferences, QuietDigest, FieldError, OsPermission, AgentContext, Decision, Notification, UnreadCount, AgentProfile, VersionedPreferences, TestPushDevice, PushPlatform, AppReceipt, EmailStatus } from "./protocol";

/**
 * What kind of failure, for the UI to branch on (`{"kind": …, "message": …}`).
 */
export type ErrorKind = "signed_out" | "offline" | "server" | "invalid_input" | "conflict" | "rate_limited" | "bad_server_url" | "keychain" | "storage" | "not_found" | "os";

/**
 * An error with its kind and a message for a person. Never carries a token.
 */
export type CoreError = { 
/**
 * What kind.
 */
kind: ErrorKind, 
/**
 * For a person.
 */
message: string, 
/**
 * Invalid fields, for `invalid_input`.
 */
fields?: Array<FieldError>, };

/**
 * The connection as the UI shows it.
 */
export type ConnState = { "state": "connecting", 
/**
 * Attempts since the last stable connection.
 */
attempt: number, } | { "state": "live" } | { "state": "reconnecting", 
/**
 * Attempts since the last stable connection.
 */
attempt: number, 
/**
 * Milliseconds until the next try.
 */
retry_in_ms: number, } | { "state": "signed_out", 
/**
 * Why, for a person.
 */
reason: string, } | { "state": "stopped" };

/**
 * What the preferences screen shows.
 */
export type SaveStatus = { "state": "saved" } | { "state": "saving" } | { "state": "failed", 
/**
 * Why (offline, signed out, …).
 */
kind: ErrorKind, 
/**
 * For a person.
 */
message: string, };

/**
 * What happened to an item's OS notification.
 */
export type OsOutcome = { "os": "shown" } | { "os": "coalesced", 
/**
 * The notification that opened the burst.
 */
into: string, } | { "os": "in_summary" } | { "os": "not_shown" } | { "os": "history" } | { "os": "sent_as_push" } | { "os": "failed", 
/**
 * What the notifier said.
 */
message: string, };

/**
 * The decision trail of one item: "why did / didn't I get this?".
 */
export type Trail = { 
/**
 * The server's decision (bell, email, mobile push), with reasons.
 */
server: Decision, 
/**
 * This device's decision (OS notification, sound), with reasons.
 */
local: Decision, 
/**
 * What happened to the OS notification.
 */
os: OsOutcome, 
/**
 * Per push device (browsers), what its push service answered for this item.
 */
devices: Array<TestPushDevice>, 
/**
 * Per Herald desktop app (the web app asks the server), what it reported doing with
 * its OS notification for this item.
 */
apps: Array<AppReceipt>, };

/**
 * Something the UI should know: every event the Rust side pushes to the UI.
 */
export type UiEvent = { "type": "item", 
/**
 * The item.
 */
notification: Notification, 
/**
 * The client's decision for OS notification and sound.
 */
local: Decision, 
/**
 * Which of the app's accounts it came from ([`crate::views::AccountSummary::id`]);
 * absent from a lone account (the web app, `herald-watch`).
 */
account?: string, } | { "type": "read_changed" } | { "type": "reset" } | { "type": "unread", 
/**
 * The counter.
 */
unread: UnreadCount, } | { "type": "preferences", 
/**
 * The new preferences.
 */
preferences: VersionedPreferences, } | { "type": "connection", 
/**
 * The new state.
 */
state: ConnState, } | { "type": "save", 
/**
 * Saved, saving or failed.
 */
status: SaveStatus, } | { "type": "offline", 
/**
 * Offline now.
 */
offline: boolean, } | { "type": "focus_item", 
/**
 * The item.
 */
id: string, } | { "type": "signed_out", 
/**
 * Why, for a person.
 */
reason: string, } | { "type": "restored" } | { "type": "accounts", 
/**
 * Every account and which one is shown.
 */
accounts: AccountsView, };

/**
 * One account of the app: a server and an agent on it.
 */
export type AccountSummary = { 
/**
 * This device's name for it (stable across restarts; not a secret).
 */
id: string, 
/**
 * How the bell labels its items: the workspace, else the server's host.
 */
label: string, 
/**
 * Its server.
 */
server: string, 
/**
 * The agent's email.
 */
email: string, 
/**
 * A session runs (it may be reconnecting).
 */
signed_in: boolean, 
/**
 * Its stream.
 */
connection: ConnState, 
/**
 * Its unread counter.
 */
unread: number, 
/**
 * It has been without a stream longer than the client waits before saying so.
 */
offline: boolean, 
/**
 * Why the server ended its session (revoked, expired, agent disabled), until the agent
 * signs in to it again or removes it.
 */
ended?: string, };

/**
 * The accounts the app follows, and the one whose preferences and diagnostics are shown.
 */
export type AccountsView = { 
/**
 * The account shown ([`AccountSummary::id`]); none before the first sign-in.
 */
active?: string, 
/**
 * In the order they were added.
 */
accounts: Array<AccountSummary>, };

/**
 * What the UI shows before anything else.
 */
export type SessionView = { 
/**
 * Someone is signed in.
 */
signed_in: boolean, 
/**
 * Who (absent when restored offline and not yet confirmed).
 */
agent?: AgentProfile, 
/**
 * The last server, to prefill the form.
 */
server?: string, 
/**
 * The last email, to prefill the form.
 */
email?: string, 
/**
 * The connection.
 */
connection: ConnState, 
/**
 * This device is muted.
 */
device_muted: boolean, 
/**
 * The session kept in the keychain is still being restored (the UI waits for the
 * `restored` event instead of showing the sign-in form).
 */
restoring: boolean, 
/**
 * An item to show: its OS notification was clicked while no window was open.
 */
focus_item?: string, 
/**
 * The app's accounts, where it follows more than one place (the desktop app).
 */
accounts?: AccountsView, };

/**
 * One item of the bell and, where the app follows several accounts, whose it is.
 */
export type BellItem = { 
/**
 * Its account ([`AccountSummary::id`]).
 */
account?: string, 
/**
 * Stable id.
 */
id: string, 
/**
 * Per-agent, strictly increasing position in the inbox.
 */
seq: number, 
/**
 * The platform event it came from.
 */
event_id: string, 
/**
 * What happened.
 */
kind: EventKind, 
/**
 * Subject or module title.
 */
title: string, 
/**
 * Message excerpt or module text; may be empty.
 */
body: string, 
/**
 * The conversation, with its link (only an `https` link to one of the workspace's
 * declared origins is kept).
 */
conversation?: ConversationRef, 
/**
 * A link the platform sent that was not kept, as text for "Why?": never a link,
 * never to be opened.
 */
withheld_link?: string, 
/**
 * Who did it.
 */
actor?: ActorRef, 
/**
 * For module events: how serious.
 */
severity?: Severity, 
/**
 * When it happened on the platform.
 */
occurred_at: string, 
/**
 * When Herald received it.
 */
created_at: string, 
/**
 * When the agent read it; absent while unread.
 */
read_at?: string, 
/**
 * Snoozed: it comes back unread, with a fresh notification, at this time (while
 * snoozed it is out of the unread counter and the unread view).
 */
snoozed_until?: string, 
/**
 * For a quiet summary (`kind` = `quiet_summary`): what arrived while the agent was
 * quiet; its click opens the bell filtered to those items.
 */
digest?: QuietDigest, 
/**
 * The server's decision, with reasons ("why did / didn't I get this?").
 */
decision: Decision, 
/**
 * The agent's relation to the event (assigned, mentioned, addressed), so a client can
 * run the same policy with its device's context added.
 */
context: AgentContext, };

/**
 * The bell as the UI shows it.
 */
export type BellView = { 
/**
 * Newest first.
 */
items: Array<BellItem>, 
/**
 * The counter (from the server, absolute).
 */
unread: UnreadCount, 
/**
 * The connection.
 */
connection: ConnState, 
/**
 * When the last item arrived.
 */
last_event_at?: string, };

/**
 * The preferences as the UI shows them.
 */
export type PrefsView = { 
/**
 * With unsaved edits.
 */
preferences: Preferences, 
/**
 * Saved, saving or failed.
 */
status: SaveStatus, };

/**
 * The notification service that answered (Linux: on the session D-Bus).
 */
export type NotificationService = { 
/**
 * Its product name (dunst, GNOME Shell, Plasma…).
 */
name: string, 
/**
 * Its vendor.
 */
vendor: string, 
/**
 * Its version.
 */
version: string, 
/**
 * What it can do ("actions", "body", "body-markup", "sound"…).
 */
capabilities: Array<string>, };

/**
 * What the OS says about notifications, as far as the shell can tell.
 */
export type OsCheck = { 
/**
 * As far as Herald can tell.
 */
permission: OsPermission, 
/**
 * How that was found out, for a person.
 */
permission_detail: string, 
/**
 * The service, when one answered.
 */
service?: NotificationService, 
/**
 * Why none answered.
 */
service_error?: string, 
/**
 * The OS ("linux", "macos", "windows"…).
 */
platform: string, };

/**
 * The server as the diagnostics see it.
 */
export type ServerCheck = { 
/**
 * Its address.
 */
url: string, 
/**
 * It answered.
 */
reachable: boolean, 
/**
 * What it said, or why not.
 */
detail: string, };

/**
 * A row of the preferences' event matrix (named as the matrix's fields are).
 */
export type Row = "assignment" | "mention" | "new_conversation" | "reply" | "module" | "other";

/**
 * The rows of the event matrix switched on, per channel.
 */
export type EventsOn = { 
/**
 * In the bell.
 */
dashboard: Array<Row>, 
/**
 * By email.
 */
email: Array<Row>, 
/**
 * As push.
 */
push: Array<Row>, };

/**
 * Which troubleshooting line a card answers.
 */
export type Topic = "push" | "email" | "noise" | "save";

/**
 * A card's verdict.
 */
export type Verdict = "ok" | "problem" | "info";

/**
 * One thing found, for the UI to word with what to do about it.
 */
export type Finding = { "finding": "permission_denied" } | { "finding": "permission_unknown" } | { "finding": "no_notification_service" } | { "finding": "stream_not_live" } | { "finding": "device_muted" } | { "finding": "paused", 
/**
 * Until when.
 */
until: string, } | { "finding": "quiet_hours", 
/**
 * When they end (the schedule's local time).
 */
until: LocalTime, 
/**
 * Mentions still alert.
 */
mentions_break_through: boolean, 
/**
 * Assignments still alert.
 */
assignments_break_through: boolean, } | { "finding": "push_only_assigned" } | { "finding": "no_push_events" } | { "finding": "window_focused" } | { "finding": "no_push_subscription" } | { "finding": "phone_not_registered", 
/**
 * Why, when known (the OS refused a push token, the server refused it).
 */
error?: string, } | { "finding": "push_failing", 
/**
 * The device's name.
 */
device: string, 
/**
 * A browser or a phone (what to do about it differs).
 */
platform: PushPlatform, 
/**
 * What its push service answered.
 */
error: string, } | { "finding": "email_not_configured" } | { "finding": "email_failed", 
/**
 * When it was given up.
 */
at: string, 
/**
 * What the relay said.
 */
error: string, } | { "finding": "email_unknown", 
/**
 * Why.
 */
error: string, } | { "finding": "no_email_events" } | { "finding": "email_summary", 
/**
 * At this local time.
 */
at: LocalTime, } | { "finding": "switches_on", 
/**
 * On.
 */
on: number, 
/**
 * Of.
 */
of: number, } | { "finding": "everything_on" } | { "finding": "saving" } | { "finding": "save_failed", 
/**
 * Why.
 */
message: string, };

/**
 * The verdict on one troubleshooting line.
 */
export type Card = { 
/**
 * Which line.
 */
topic: Topic, 
/**
 * The verdict.
 */
verdict: Verdict, 
/**
 * What was found, most important first.
 */
findings: Array<Finding>, };

/**
 * Everything the troubleshooting section asks about, in one answer.
 */
export type Diagnostics = { 
/**
 * One card per troubleshooting line: push, email, noise, save.
 */
cards: Array<Card>, 
/**
 * Notification permission and service.
 */
os: OsCheck, 
/**
 * The stream.
 */
connection: ConnState, 
/**
 * When the last item arrived.
 */
last_event_at?: string, 
/**
 * The server.
 */
server: ServerCheck, 
/**
 * The agent's profile email.
 */
profile_email?: string, 
/**
 * Where email goes and whether the server sends it.
 */
email?: EmailStatus, 
/**
 * The event kinds on per channel (empty when signed out).
 */
events_on: EventsOn, };

/**
 * What the browser tells the server for its diagnostics (`POST /api/v1/diagnostics`).
 */
export type WebFacts = { 
/**
 * `Notification.permission`: `default` is `unknown` (not asked yet).
 */
permission: OsPermission, 
/**
 * The browser, for a person ("Chrome on Linux").
 */
browser: string, 
/**
 * The browser can show notifications and receive push (Notification, service
 * workers and PushManager exist).
 */
push_supported: boolean, 
/**
 * This browser's push subscription endpoint, when it has one.
 */
endpoint?: string, 
/**
 * The tab's stream.
 */
connection: ConnState, 
/**
 * When the last item arrived in this tab.
 */
last_event_at?: string, 
/**
 * The tab's save state.
 */
save: SaveStatus, 
/**
 * The agent muted this browser.
 */
device_muted: boolean, 
/**
 * The tab is in front.
 */
window_focused: boolean, };
