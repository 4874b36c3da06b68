// Generated from the Rust types of herald-protocol by `crates/protocol/src/ts.rs`.
// Do not edit: run `HERALD_BLESS=1 cargo test -p herald-protocol --test typescript`.

export type EventKind = "new_conversation" | "assignment" | "mention" | "reply" | "module" | "test" | "quiet_summary" | (string & {});

/**
 * Where a notification can be delivered.
 */
export type Channel = "dashboard" | "email" | "push";

/**
 * How serious a module event is.
 */
export type Severity = "info" | "warning" | "critical";

/**
 * The conversation an event is about.
 */
export type ConversationRef = { 
/**
 * The platform's conversation id.
 */
id: string, 
/**
 * The inbox the conversation arrived in, if any.
 */
inbox_id?: string, 
/**
 * The team the conversation belongs to, if any.
 */
team_id?: string, 
/**
 * The subject line (attacker-controlled text).
 */
subject?: string, 
/**
 * The customer's display name (attacker-controlled text).
 */
customer_name?: string, 
/**
 * Where the conversation opens in the platform's dashboard.
 */
url?: string, };

/**
 * The module part of a module event.
 */
export type ModuleInfo = { 
/**
 * The module that raised the event, e.g. "billing".
 */
name: string, 
/**
 * The module's own kind of event, e.g. "invoice_overdue".
 */
kind: string, 
/**
 * How serious it is.
 */
severity: Severity, 
/**
 * A one-line title.
 */
title: string, 
/**
 * A longer text.
 */
body?: string, };

/**
 * Who did the thing an event reports.
 */
export type ActorRef = { 
/**
 * The platform's id of the agent, when the actor is an agent.
 */
agent_id?: string, 
/**
 * The display name (attacker-controlled when the actor is a customer).
 */
name: string, };

/**
 * An event as the platform posts it to `POST /api/v1/events`.
 *
 * Agents are named by the platform's agent ids. Which agents receive the event is decided
 * by the server from these fields (see the server's ingest module).
 */
export type PlatformEvent = { 
/**
 * The platform's idempotency id: the same id posted twice is one event.
 */
id: string, 
/**
 * What happened.
 */
kind: EventKind, 
/**
 * When it happened on the platform.
 */
occurred_at: string, 
/**
 * The conversation it is about (absent for most module events).
 */
conversation?: ConversationRef, 
/**
 * Who did it.
 */
actor?: ActorRef, 
/**
 * The agent the conversation is (now) assigned to.
 */
assignee?: string, 
/**
 * Agents mentioned by the message.
 */
mentioned?: Array<string>, 
/**
 * Agents taking part in the conversation.
 */
participants?: Array<string>, 
/**
 * The message text, if any (attacker-controlled).
 */
text?: string, 
/**
 * The module part, for module events.
 */
module?: ModuleInfo, 
/**
 * Explicit recipients (module events, or any event that names its audience).
 */
recipients?: Array<string>, 
/**
 * Teams the event names (the platform's team ids): each member of the team in Herald
 * (agents in group `team:<id>`) receives it, as directly addressed; for a mention, each
 * member counts as mentioned (a team mention).
 */
teams?: Array<string>, };

export type LocalTime = string;

/**
 * Which channels one kind of event goes to.
 */
export type ChannelSet = { 
/**
 * The bell.
 */
dashboard: boolean, 
/**
 * Email (instant or summary, see [`EmailPreferences`]).
 */
email: boolean, 
/**
 * OS notification / mobile push.
 */
push: boolean, };

/**
 * The event × channel matrix.
 *
 * The test event has no row: it goes to every channel that at least one row uses, so that
 * "save and test" checks exactly the channels the agent relies on.
 */
export type EventMatrix = { 
/**
 * A new conversation in one of the agent's inboxes or teams.
 */
new_conversation: ChannelSet, 
/**
 * A conversation assigned to the agent.
 */
assignment: ChannelSet, 
/**
 * The agent was mentioned.
 */
mention: ChannelSet, 
/**
 * A reply in a conversation the agent is assigned to or takes part in.
 */
reply: ChannelSet, 
/**
 * Events from the platform's modules.
 */
module: ChannelSet, 
/**
 * Kinds this version does not know yet (from a newer platform).
 */
other: ChannelSet, };

/**
 * Which conversations may raise a push.
 */
export type PushScope = "all" | "assigned_to_me";

/**
 * How email is sent.
 */
export type EmailMode = "instant" | "summary";

/**
 * Email delivery settings.
 */
export type EmailPreferences = { 
/**
 * Instant alerts or the end-of-day summary.
 */
mode: EmailMode, 
/**
 * When the summary is sent, in [`EmailPreferences::time_zone`].
 */
summary_at: LocalTime, 
/**
 * IANA time zone name, e.g. "America/Sao_Paulo".
 */
time_zone: string, };

/**
 * A day of the week.
 */
export type Weekday = "mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun";

/**
 * One quiet period, starting on each of `days` at `start` and ending at `end`: on the same
 * day when `end > start`, on the next day otherwise ("22:00" to "07:00" spans midnight).
 */
export type QuietWindow = { 
/**
 * The days the window starts on.
 */
days: Array<Weekday>, 
/**
 * Local start time.
 */
start: LocalTime, 
/**
 * Local end time.
 */
end: LocalTime, };

/**
 * What may interrupt quiet hours.
 */
export type BreakThrough = { 
/**
 * Mentions of the agent still alert.
 */
mentions: boolean, 
/**
 * Assignments to the agent still alert.
 */
assignments: boolean, };

/**
 * A weekly schedule during which push and sound stay silent (the bell still fills up).
 */
export type QuietHours = { 
/**
 * Whether the schedule applies at all.
 */
enabled: boolean, 
/**
 * IANA time zone the windows are read in.
 */
time_zone: string, 
/**
 * The windows; overlapping windows are fine.
 */
windows: Array<QuietWindow>, 
/**
 * What still alerts during quiet hours.
 */
break_through: BreakThrough, };

/**
 * The in-app sound.
 */
export type Tone = "chime" | "ping" | "knock";

/**
 * Sound settings.
 */
export type SoundPreferences = { 
/**
 * Whether a new notification plays a sound.
 */
enabled: boolean, 
/**
 * Which sound.
 */
tone: Tone, 
/**
 * Volume from 0 to 100.
 */
volume: number, };

/**
 * The language of what Herald writes to the agent (emails; the app follows it too).
 */
export type Language = "en" | "pt-BR";

/**
 * Everything an agent can tune. Per agent: one agent's choices never affect another's.
 */
export type Preferences = { 
/**
 * Event × channel.
 */
events: EventMatrix, 
/**
 * Which conversations may push.
 */
push_scope: PushScope, 
/**
 * Email mode and summary time.
 */
email: EmailPreferences, 
/**
 * Mentions alert on the dashboard and by push even when muted, paused, in quiet hours,
 * or when their own row is off.
 */
mentions_always_alert: boolean, 
/**
 * The weekly quiet schedule.
 */
quiet_hours: QuietHours, 
/**
 * Push and sound are paused until this instant (the bell still fills up).
 */
paused_until?: string, 
/**
 * The in-app sound.
 */
sound: SoundPreferences, 
/**
 * Show the unread count on the app icon / tray.
 */
unread_badge: boolean, 
/**
 * Reminders of assignments left unread (absent in preferences saved before it
 * existed: off).
 */
escalation: Escalation, 
/**
 * "While you were quiet": when quiet hours or a pause end, one notification sums up what
 * arrived meanwhile (absent in preferences saved before it existed: on).
 */
quiet_summary: boolean, 
/**
 * While the agent works at a computer, phones wait this many seconds (0 to
 * [`crate::presence::PHONE_DELAY_MAX`]) and get nothing if the item is read by then
 * (absent in preferences saved before it existed: a minute).
 */
phone_delay_secs: number, 
/**
 * The language of emails (absent in preferences saved before it existed: English).
 */
language: Language, 
/**
 * Rules per inbox or team (see `groups` for their precedence).
 */
group_rules?: Array<GroupRule>, 
/**
 * Settings the workspace's admin locked, with their values (set by the server only).
 */
locks?: Array<Lock>, 
/**
 * Who locked them, for "locked by …".
 */
locked_by?: string, };

/**
 * One change to the preferences. Changes are data: a device keeps its unsaved ones and
 * re-applies them on a fresher copy when someone else saved first.
 */
export type PrefEdit = { "edit": "channel", 
/**
 * The kind (its row; unknown kinds share the "other" row; the test event has none).
 */
kind: EventKind, 
/**
 * The channel.
 */
channel: Channel, 
/**
 * On or off.
 */
on: boolean, } | { "edit": "push_scope", 
/**
 * The scope.
 */
scope: PushScope, } | { "edit": "email_mode", 
/**
 * The mode.
 */
mode: EmailMode, } | { "edit": "summary_at", 
/**
 * Local time.
 */
at: LocalTime, } | { "edit": "email_time_zone", 
/**
 * IANA name.
 */
time_zone: string, } | { "edit": "mentions_always_alert", 
/**
 * On or off.
 */
on: boolean, } | { "edit": "quiet_hours", 
/**
 * The schedule.
 */
quiet_hours: QuietHours, } | { "edit": "paused_until", 
/**
 * Until when; absent to resume.
 */
until?: string, } | { "edit": "sound", 
/**
 * The settings.
 */
sound: SoundPreferences, } | { "edit": "phone_delay", 
/**
 * Seconds (0: never wait).
 */
secs: number, } | { "edit": "quiet_summary", 
/**
 * On or off.
 */
on: boolean, } | { "edit": "escalation", 
/**
 * The settings.
 */
escalation: Escalation, } | { "edit": "unread_badge", 
/**
 * On or off.
 */
on: boolean, } | { "edit": "language", 
/**
 * The language.
 */
language: Language, } | { "edit": "group_rule", 
/**
 * `inbox:<id>` or `team:<id>`.
 */
group: string, 
/**
 * What it does.
 */
action?: GroupAction, };

/**
 * One locked setting and the value the admin chose.
 */
export type Lock = { "setting": "channel", 
/**
 * The kind (its row; unknown kinds share the "other" row; not the test event).
 */
kind: EventKind, 
/**
 * The channel.
 */
channel: Channel, 
/**
 * The value.
 */
on: boolean, } | { "setting": "mentions_always_alert", 
/**
 * The value.
 */
on: boolean, };

/**
 * What an inbox or team rule does.
 */
export type GroupAction = "mute" | "push_always";

/**
 * One rule: a group and what it does.
 */
export type GroupRule = { 
/**
 * `inbox:<id>` or `team:<id>`.
 */
group: string, 
/**
 * What it does.
 */
action: GroupAction, };

/**
 * A moment of the agent's day.
 */
export type Situation = "working" | "app_in_front" | "quiet_hours" | "paused";

/**
 * What the channels do in one situation.
 */
export type PreviewCell = { 
/**
 * The situation.
 */
situation: Situation, 
/**
 * The bell.
 */
dashboard: Outcome, 
/**
 * Email (deliver, summary or suppress).
 */
email: Outcome, 
/**
 * The OS notification / push.
 */
push: Outcome, 
/**
 * The sound.
 */
sound: Outcome, };

/**
 * One kind of event across the situations.
 */
export type PreviewRow = { 
/**
 * The kind (`other` stands for kinds from newer platforms).
 */
kind: EventKind, 
/**
 * One cell per situation, in [`Situation::ALL`]'s order.
 */
cells: Array<PreviewCell>, };

/**
 * The preview of the rules.
 */
export type RulesPreview = { 
/**
 * One row per row of the preferences.
 */
rows: Array<PreviewRow>, };

/**
 * The pause choices offered in the preferences and the tray.
 */
export type PausePreset = "hour" | "tomorrow" | "off";

/**
 * Reminders of assignments nobody read.
 */
export type Escalation = { 
/**
 * Remind at all.
 */
enabled: boolean, 
/**
 * Minutes an assignment may stay unread before each reminder
 * ([`ESCALATION_MINUTES`]).
 */
after_minutes: number, 
/**
 * Reminders at most, one every `after_minutes` ([`ESCALATION_REPEAT`]).
 */
repeat: number, };

/**
 * What arrived while the agent was quiet, still unread when the quiet time ended.
 */
export type QuietDigest = { 
/**
 * When the first held item arrived.
 */
since: string, 
/**
 * The items are after this seq …
 */
after_seq: number, 
/**
 * … and up to this one (the bell filtered to them shows exactly these).
 */
up_to_seq: number, 
/**
 * How many.
 */
total: number, 
/**
 * How many of each kind, most first.
 */
kinds: Array<KindCount>, };

/**
 * How many items of one kind.
 */
export type KindCount = { 
/**
 * The kind.
 */
kind: EventKind, 
/**
 * How many.
 */
count: number, };

/**
 * Why an item is back at the top of the bell.
 */
export type Reminder = { "kind": "snoozed" } | { "kind": "unanswered", 
/**
 * This reminder's number (1 for the first).
 */
count: number, 
/**
 * How many the agent's preferences allow.
 */
limit: number, };

/**
 * When a snoozed item comes back.
 */
export type SnoozeUntil = { "choice": "quarter_hour" } | { "choice": "hour" } | { "choice": "tomorrow_morning" } | { "choice": "at", 
/**
 * When.
 */
at: string, };

/**
 * What to snooze.
 */
export type SnoozeTarget = { "scope": "items", 
/**
 * Item ids (at most 500).
 */
ids: Array<string>, } | { "scope": "conversation", 
/**
 * The platform's conversation id.
 */
conversation_id: string, };

/**
 * `POST /api/v1/inbox/snooze`: snooze items until a time, or bring them back now.
 */
export type SnoozeRequest = { 
/**
 * What.
 */
target: SnoozeTarget, 
/**
 * Until when; absent to bring snoozed items back now (unread, without a notification).
 */
until?: SnoozeUntil, };

/**
 * What a snooze request changed.
 */
export type SnoozeResult = { 
/**
 * The items snoozed (or brought back).
 */
ids: Array<string>, 
/**
 * When they come back; absent when they were brought back.
 */
until?: string, 
/**
 * The counter afterwards (snoozed items leave it).
 */
unread: UnreadCount, };

/**
 * `POST /api/v1/preferences/edits`: changes applied by the server, in order, to the
 * current preferences (the web app's saves; no If-Match needed: each edit names one
 * setting, so edits from two devices compose).
 */
export type PrefEdits = { 
/**
 * The changes; a pause preset is computed at the server's time in the agent's zone.
 */
edits: Array<PrefEdit>, 
/**
 * Pause (or resume), applied after the edits.
 */
pause?: PausePreset, };

/**
 * One invalid field, with a message for a person.
 */
export type FieldError = { 
/**
 * Dotted path of the field, e.g. `quiet_hours.windows[0].days`.
 */
field: string, 
/**
 * What is wrong and how to fix it.
 */
message: string, };

/**
 * What the OS says about showing notifications, as far as the caller can tell.
 */
export type OsPermission = "granted" | "denied" | "unknown";

/**
 * Facts about the agent and the moment that the preferences alone do not tell.
 */
export type AgentContext = { 
/**
 * The conversation is assigned to this agent.
 */
assigned_to_me: boolean, 
/**
 * The event mentions this agent (a mention event, or a reply that mentions them).
 */
mentioned: boolean, 
/**
 * The event names this agent as an explicit recipient (module events).
 */
directly_addressed: boolean, 
/**
 * The app's window is focused (client only).
 */
app_focused: boolean, 
/**
 * This device is muted locally (client only).
 */
device_muted: boolean, 
/**
 * What the OS allows (client only).
 */
push_permission: OsPermission, 
/**
 * This device is a phone registered for push: the server's pushes are its
 * notifications, and its app raises none of its own (client only).
 */
pushed_to_this_phone: boolean, 
/**
 * The agent's rule for the conversation's inbox or team, if one applies (the server
 * finds it: `Preferences::group_rule_for`).
 */
group_rule?: GroupAction, 
/**
 * The item is coming back (snoozed until now, or an assignment still unread): decided
 * as a reminder (the server sets it when it brings the item back).
 */
reminder?: Reminder, };

/**
 * What happens on one channel.
 */
export type Outcome = "deliver" | "summary" | "suppress";

/**
 * Why a channel decision came out the way it did. Tagged by `code`; the UI words them.
 */
export type Reason = { "code": "channel_on" } | { "code": "channel_off" } | { "code": "test_requested" } | { "code": "channel_unused" } | { "code": "mentions_always_alert" } | { "code": "not_assigned_to_me" } | { "code": "paused", 
/**
 * Until when.
 */
until: string, } | { "code": "quiet_hours", 
/**
 * Local time the current quiet period ends.
 */
ends_at: LocalTime, } | { "code": "breaks_through_quiet_hours" } | { "code": "in_summary", 
/**
 * Local time of the summary.
 */
at: LocalTime, 
/**
 * Its time zone.
 */
time_zone: string, } | { "code": "app_focused" } | { "code": "device_muted" } | { "code": "permission_denied" } | { "code": "pushed_to_this_phone" } | { "code": "sound_off" } | { "code": "nothing_to_sound_for" } | { "code": "group_muted" } | { "code": "group_push_always" } | { "code": "reminded", 
/**
 * Which.
 */
reminder: Reminder, } | { "code": "quiet_summary" } | { "code": "locked", 
/**
 * Who locked it.
 */
by: string, };

/**
 * One channel's outcome with its reasons (never empty).
 */
export type ChannelDecision = { 
/**
 * Delivered, summarised or suppressed.
 */
outcome: Outcome, 
/**
 * Why, in the order the rules applied.
 */
reasons: Array<Reason>, };

/**
 * The decision for one event and one agent.
 */
export type Decision = { 
/**
 * The bell.
 */
dashboard: ChannelDecision, 
/**
 * Email.
 */
email: ChannelDecision, 
/**
 * OS notification / mobile push.
 */
push: ChannelDecision, 
/**
 * The in-app sound.
 */
sound: ChannelDecision, };

/**
 * One item of an agent's inbox (the bell).
 *
 * `title` and `body` are the event's own text (subject, module title, message excerpt),
 * never composed prose: the UI words the heading ("Ana mentioned you") in the agent's
 * language from `kind` and `actor`. All of it is attacker-controlled: render as text.
 */
export type Notification = { 
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
 * One page of the inbox, newest first.
 */
export type InboxPage = { 
/**
 * The items.
 */
items: Array<Notification>, 
/**
 * Pass as `before` to get the next (older) page; absent on the last page.
 */
next_before?: number, 
/**
 * The unread counter at the time of the page.
 */
unread: UnreadCount, };

/**
 * Unread counters, always absolute numbers from the server.
 */
export type UnreadCount = { 
/**
 * Unread items on the dashboard.
 */
total: number, };

/**
 * Error codes a client branches on. Unknown codes from a newer server read as `unknown`.
 */
export type ErrorCode = "unauthorized" | "forbidden" | "not_found" | "invalid_input" | "conflict" | "precondition_failed" | "precondition_required" | "rate_limited" | "payload_too_large" | "unavailable" | "internal" | "unknown";

/**
 * The error itself.
 */
export type ApiErrorBody = { 
/**
 * What kind of error.
 */
code: ErrorCode, 
/**
 * A message for a person.
 */
message: string, 
/**
 * Invalid fields, for `invalid_input`.
 */
fields?: Array<FieldError>, };

/**
 * Every error response: `{"error": {"code", "message"}}`.
 */
export type ApiError = { 
/**
 * The error.
 */
error: ApiErrorBody, };

/**
 * `POST /api/v1/session`.
 */
export type SignInRequest = { 
/**
 * The agent's email.
 */
email: string, 
/**
 * The agent's password.
 */
password: string, 
/**
 * A name for this device, shown in the session list.
 */
device_name?: string, };

/**
 * Who is signed in.
 */
export type AgentProfile = { 
/**
 * Herald's id of the agent.
 */
id: string, 
/**
 * The platform's id of the agent.
 */
external_id: string, 
/**
 * The profile email (where emails go).
 */
email: string, 
/**
 * Display name.
 */
name: string, 
/**
 * The workspace's name.
 */
workspace: string, 
/**
 * The inboxes and teams the agent belongs to (`inbox:<id>`, `team:<id>`), for their
 * rules in the preferences.
 */
groups?: Array<string>, };

/**
 * A new session. The token is shown once and never again.
 */
export type SessionGrant = { 
/**
 * The bearer token.
 */
token: string, 
/**
 * The session's id (for the session list).
 */
session_id: string, 
/**
 * Who signed in.
 */
agent: AgentProfile, };

/**
 * `POST` and `GET /api/v1/web/session`: the web app's session. The session token itself
 * is in an HttpOnly cookie, never in a body the page's scripts can read; state-changing
 * requests carry `csrf_token` in the `X-Herald-CSRF` header.
 */
export type WebSession = { 
/**
 * The session's id (for the session list).
 */
session_id: string, 
/**
 * Who is signed in.
 */
agent: AgentProfile, 
/**
 * Sent back in `X-Herald-CSRF` on every POST, PUT, PATCH and DELETE.
 */
csrf_token: string, };

/**
 * One of the agent's sessions.
 */
export type SessionInfo = { 
/**
 * Its id.
 */
id: string, 
/**
 * The device name given at sign-in.
 */
device_name?: string, 
/**
 * When it was created.
 */
created_at: string, 
/**
 * When it was last used.
 */
last_seen_at: string, 
/**
 * Whether it is the session making the request.
 */
current: boolean, 
/**
 * Its live streams on this server now (an open Herald app or tab); absent when none.
 */
live?: SessionLive, };

/**
 * A session's live streams now, as the server sees them.
 */
export type SessionLive = { 
/**
 * How many streams it holds open.
 */
streams: number, 
/**
 * What the client said it is (absent for clients that do not say).
 */
kind?: ClientKind, 
/**
 * One of its windows says it is in front of the agent (visible and focused).
 */
in_front: boolean, };

/**
 * Preferences with their version (`ETag` / `If-Match`).
 */
export type VersionedPreferences = { 
/**
 * Increases with every write.
 */
version: number, 
/**
 * The preferences.
 */
preferences: Preferences, };

/**
 * Mark items read or unread, or all of them (optionally in one conversation).
 */
export type MarkRequest = { "scope": "items", 
/**
 * Item ids.
 */
ids: Array<string>, 
/**
 * Read (true) or unread (false).
 */
read: boolean, } | { "scope": "all" } | { "scope": "conversation", 
/**
 * The platform's conversation id.
 */
conversation_id: string, };

/**
 * What a mark request changed.
 */
export type MarkResult = { 
/**
 * How many items changed state.
 */
changed: number, 
/**
 * The counter afterwards.
 */
unread: UnreadCount, };

/**
 * `POST /api/v1/test-notification`: what happened to a test event, per channel, as the
 * server observed it by the time it answers. Never what the policy only decided: the
 * decision and its reasons are in `notification.decision`.
 */
export type TestNotificationResult = { 
/**
 * The item created.
 */
notification: Notification, 
/**
 * The bell.
 */
bell: TestBell, 
/**
 * Email.
 */
email: TestEmail, 
/**
 * Push to browsers and phones.
 */
push: TestPush, 
/**
 * Each Herald desktop app that had the item live: what it did with its OS
 * notification, as the app reported it (`no_answer` when no receipt came in time).
 * Empty when no desktop app is connected.
 */
apps: Array<AppReceipt>, };

/**
 * What happened on the bell.
 */
export type TestBell = { "state": "stored", 
/**
 * Live streams it was handed to.
 */
live_streams: number, } | { "state": "off" };

/**
 * What happened to the email.
 */
export type TestEmail = { "state": "accepted", 
/**
 * The SMTP reply code (250).
 */
code: number, 
/**
 * The relay's words, e.g. "2.0.0 Ok: queued as 4F1".
 */
reply: string, } | { "state": "refused", 
/**
 * What the relay said.
 */
error: string, } | { "state": "retrying", 
/**
 * What went wrong.
 */
error: string, 
/**
 * The next attempt.
 */
retry_at: string, } | { "state": "queued", 
/**
 * When it goes out.
 */
due_at: string, } | { "state": "off" } | { "state": "not_configured" };

/**
 * What happened to push.
 */
export type TestPush = { "state": "sent", 
/**
 * One entry per device.
 */
devices: Array<TestPushDevice>, } | { "state": "no_devices" } | { "state": "off" };

/**
 * "Save and test": one device's part.
 */
export type TestPushDevice = { 
/**
 * The device's id.
 */
device: string, 
/**
 * Its name.
 */
name: string, 
/**
 * What its push service answered (or `pending`).
 */
outcome: PushOutcome, };

/**
 * `GET /api/v1/push/key`: the server's VAPID public key, for `PushManager.subscribe`'s
 * `applicationServerKey`.
 */
export type PushServerKey = { 
/**
 * The uncompressed P-256 point, base64url without padding.
 */
public_key: string, };

/**
 * `POST /api/v1/push/subscriptions`: a browser's subscription as `PushSubscription.toJSON()`
 * gives it, with a name for the agent's device list.
 */
export type PushSubscriptionRequest = { 
/**
 * The push service's URL for this browser (https, on a public address).
 */
endpoint: string, 
/**
 * The browser's keys for message encryption (RFC 8291).
 */
keys: PushSubscriptionKeys, 
/**
 * Shown in the device list, e.g. "Firefox on Linux".
 */
device_name?: string, };

/**
 * A subscription's keys, base64url.
 */
export type PushSubscriptionKeys = { 
/**
 * The browser's P-256 public key (65 bytes, uncompressed).
 */
p256dh: string, 
/**
 * The shared authentication secret (16 bytes).
 */
auth: string, };

/**
 * `DELETE /api/v1/push/subscriptions`: the subscription to forget.
 */
export type PushUnsubscribeRequest = { 
/**
 * The endpoint it was registered with.
 */
endpoint: string, };

/**
 * Where a device's pushes go.
 */
export type PushPlatform = "web" | "apns" | "fcm";

/**
 * `POST /api/v1/push/devices`: a phone app's push token, for the app's session.
 */
export type PhoneDeviceRequest = { 
/**
 * The push service (`apns`, `fcm`).
 */
platform: PushPlatform, 
/**
 * The device token the OS gave the app (APNs: hexadecimal; FCM: the registration
 * token).
 */
token: string, 
/**
 * The app's bundle identifier or Android package (the APNs topic), e.g.
 * `dev.herald.app`.
 */
app_id: string, 
/**
 * Shown in the device list, e.g. "Ana's iPhone".
 */
device_name?: string, };

/**
 * `DELETE /api/v1/push/devices`: a phone's token to forget (sign-out, a new token).
 */
export type PhoneDeviceRemoval = { 
/**
 * The push service.
 */
platform: PushPlatform, 
/**
 * The token it was registered with.
 */
token: string, };

/**
 * A device the server pushes to (`GET /api/v1/push/subscriptions`).
 */
export type PushDevice = { 
/**
 * The device's id.
 */
id: string, 
/**
 * Its name, as registered.
 */
name: string, 
/**
 * A browser or a phone (absent from servers before phones: a browser).
 */
platform: PushPlatform, 
/**
 * The push service's host (e.g. `fcm.googleapis.com`, `updates.push.services.mozilla.com`).
 */
service: string, 
/**
 * When it was registered.
 */
created_at: string, 
/**
 * The last send to it, if any.
 */
last?: PushAttempt, };

/**
 * One send to one device.
 */
export type PushAttempt = { 
/**
 * When the answer came.
 */
at: string, 
/**
 * What the push service answered.
 */
outcome: PushOutcome, };

/**
 * What became of one push to one device.
 */
export type PushOutcome = { "state": "accepted", 
/**
 * The HTTP status.
 */
status: number, } | { "state": "gone", 
/**
 * The HTTP status.
 */
status: number, } | { "state": "retrying", 
/**
 * The HTTP status, if an answer came.
 */
status?: number, 
/**
 * What went wrong.
 */
error: string, 
/**
 * The next attempt.
 */
retry_at: string, } | { "state": "failed", 
/**
 * The HTTP status, if an answer came.
 */
status?: number, 
/**
 * What went wrong.
 */
error: string, } | { "state": "skipped_read", 
/**
 * Set when it was held first because the agent was working at a computer: how
 * many seconds after the item arrived it was read (on any device).
 */
held_read_after_secs?: number, } | { "state": "expired" } | { "state": "in_front" } | { "state": "held", 
/**
 * When it goes.
 */
until: string, } | { "state": "pending" };

/**
 * What kind of Herald client holds a stream.
 */
export type ClientKind = "desktop_app" | "web_app" | "phone_app";

/**
 * Who is at the other end of a stream, sent with `resume`.
 */
export type StreamClient = { 
/**
 * The kind of client.
 */
kind: ClientKind, 
/**
 * A name for the agent's device lists, e.g. "Herald for Linux on ana-laptop".
 */
name: string, };

/**
 * What an app did with one item's OS notification.
 */
export type AppOutcome = { "state": "shown" } | { "state": "folded" } | { "state": "not_shown", 
/**
 * The app's push reasons.
 */
reasons: Array<Reason>, } | { "state": "failed", 
/**
 * What the notifier said.
 */
error: string, } | { "state": "no_answer" };

/**
 * One app's receipt for an item, as the server reports it.
 */
export type AppReceipt = { 
/**
 * The app's name.
 */
name: string, 
/**
 * What it did.
 */
outcome: AppOutcome, 
/**
 * When the receipt came; absent for `no_answer`.
 */
at?: string, };

/**
 * `POST /api/v1/events`: what ingest did.
 */
export type IngestResult = { 
/**
 * The platform's event id.
 */
event_id: string, 
/**
 * Whether this id was seen before (nothing new was written).
 */
duplicate: boolean, 
/**
 * How many agents received it.
 */
recipients: number, 
/**
 * Parts of the event that were not kept, and why: a conversation link that is not
 * `https` to one of the workspace's declared origins (`field` is `conversation.url`).
 * The item was stored without it. Absent when nothing was dropped.
 */
dropped?: Array<FieldError>, };

/**
 * `GET /api/v1/email`: can email reach this agent, and did it lately? For diagnostics
 * ("check spam, your profile email and that the event is enabled").
 */
export type EmailStatus = { 
/**
 * Whether this server has an SMTP relay configured at all.
 */
configured: boolean, 
/**
 * Where the agent's emails go (the profile email).
 */
to: string, 
/**
 * Emails waiting to be sent (delayed alerts, retries).
 */
pending: number, 
/**
 * The last email that could not be delivered, if any.
 */
last_failure?: EmailFailure, };

/**
 * An email the relay refused for good, or after every retry.
 */
export type EmailFailure = { 
/**
 * When it was given up.
 */
at: string, 
/**
 * What the SMTP server said.
 */
error: string, };

/**
 * `POST /api/v1/email/test`: what the SMTP server answered to a test email.
 */
export type TestEmailResult = { 
/**
 * Whether the relay accepted it.
 */
accepted: boolean, 
/**
 * The SMTP reply code (250 on success), 0 when no reply came.
 */
code: number, 
/**
 * The relay's words.
 */
message: string, };

/**
 * `POST /api/v1/events/batch`: many events in one request (at most
 * [`INGEST_BATCH_MAX`]). Each is validated and ingested on its own: one bad event does
 * not fail the others.
 */
export type IngestBatch = { 
/**
 * The events, as JSON values so that a malformed one is reported, not fatal.
 */
events: Array<PlatformEvent>, };

/**
 * The outcome of one event of a batch, in the order sent.
 */
export type IngestItemResult = { "status": "ingested", 
/**
 * The platform's event id.
 */
event_id: string, 
/**
 * Whether this id was seen before (nothing new was written).
 */
duplicate: boolean, 
/**
 * How many agents received it.
 */
recipients: number, 
/**
 * Parts of the event that were not kept, and why: a conversation link that is not
 * `https` to one of the workspace's declared origins (`field` is `conversation.url`).
 * The item was stored without it. Absent when nothing was dropped.
 */
dropped?: Array<FieldError>, } | { "status": "rejected", 
/**
 * The event's id, when it could be read.
 */
event_id?: string, 
/**
 * Why.
 */
error: ApiErrorBody, };

/**
 * The answer to a batch: one result per event, in order.
 */
export type IngestBatchResult = { 
/**
 * One per event.
 */
results: Array<IngestItemResult>, };

/**
 * What one delivery became.
 */
export type WebhookOutcome = { "state": "ingested", 
/**
 * One per event.
 */
events: Array<IngestResult>, 
/**
 * Parts that reached nobody, and why (a mention of a user no Herald agent has).
 */
skipped?: Array<string>, } | { "state": "ignored", 
/**
 * Why.
 */
reason: string, };

/**
 * An agent as the admin API shows it.
 */
export type AdminAgent = { 
/**
 * Herald's id.
 */
id: string, 
/**
 * The platform's id of the agent (a Chatwoot user id for Chatwoot).
 */
external_id: string, 
/**
 * Sign-in and profile email.
 */
email: string, 
/**
 * Display name.
 */
name: string, 
/**
 * Inbox and team memberships: `inbox:<id>`, `team:<id>`.
 */
groups: Array<string>, 
/**
 * Disabled agents cannot sign in and receive nothing.
 */
disabled: boolean, 
/**
 * Whether the agent has a password yet (a new agent without one signs in first through
 * a one-time link).
 */
has_password: boolean, 
/**
 * When it was created.
 */
created_at: string, };

/**
 * `POST /admin/agents`.
 */
export type NewAgentRequest = { 
/**
 * The platform's id of the agent.
 */
external_id: string, 
/**
 * Sign-in and profile email.
 */
email: string, 
/**
 * Display name.
 */
name: string, 
/**
 * `inbox:<id>`, `team:<id>`.
 */
groups?: Array<string>, 
/**
 * A first password (at least 8 characters); without one, the agent gets a one-time
 * link to set it (`POST /admin/agents/{id}/setup-link`).
 */
password?: string, };

/**
 * `PATCH /admin/agents/{id}`: what to change; absent fields stay.
 */
export type AgentUpdate = { 
/**
 * A new display name.
 */
name?: string, 
/**
 * A new email.
 */
email?: string, 
/**
 * The whole new list of groups.
 */
groups?: Array<string>, 
/**
 * Disable (true: sessions revoked, push devices forgotten) or re-enable (false).
 */
disabled?: boolean, };

/**
 * `POST /admin/agents/{id}/setup-link`: a one-time link where the agent sets a password.
 */
export type SetupLink = { 
/**
 * The link (this server's public URL with the one-time token).
 */
url: string, 
/**
 * It works once, until then.
 */
expires_at: string, 
/**
 * It was emailed to the agent (the server has an email relay), accepted by the relay.
 */
emailed: boolean, };

/**
 * `POST /api/v1/password-setup`: the one-time token from the link and the new password.
 */
export type PasswordSetupRequest = { 
/**
 * The token from the link.
 */
token: string, 
/**
 * The new password (at least 8 characters).
 */
password: string, };

/**
 * The answer to a password set-up: who may now sign in.
 */
export type PasswordSetupResult = { 
/**
 * The agent's sign-in email.
 */
email: string, };

/**
 * An ingest key as the admin API shows it (never the key).
 */
export type AdminIngestKey = { 
/**
 * Its id (`X-Herald-Key` for signed events).
 */
id: string, 
/**
 * Its label.
 */
label?: string, 
/**
 * It has a signing secret.
 */
signed: boolean, 
/**
 * It was revoked.
 */
revoked: boolean, 
/**
 * When it was created.
 */
created_at: string, };

/**
 * `POST /admin/ingest-keys`.
 */
export type NewIngestKeyRequest = { 
/**
 * A label to recognise it by.
 */
label?: string, 
/**
 * Also make a signing secret.
 */
signed: boolean, };

/**
 * A new ingest key: the key (and signing secret) are shown this once.
 */
export type CreatedIngestKey = { 
/**
 * Its id.
 */
id: string, 
/**
 * The key, a bearer token for `POST /api/v1/events`.
 */
key: string, 
/**
 * The signing secret, for `POST /api/v1/events/signed`.
 */
signing_secret?: string, };

/**
 * A connector as the admin API shows it (never its secrets).
 */
export type AdminConnector = { 
/**
 * Its id.
 */
id: string, 
/**
 * `chatwoot`.
 */
kind: string, 
/**
 * The helpdesk's account id.
 */
account_id: string, 
/**
 * The helpdesk's address.
 */
base_url: string, 
/**
 * The path of its webhook on this server (`/api/v1/connectors/{id}/webhook`).
 */
webhook_path: string, 
/**
 * Deliveries received so far.
 */
deliveries: number, 
/**
 * It can read the helpdesk's agents (an API token was given).
 */
syncs_agents: boolean, 
/**
 * When its agents were last synced.
 */
synced_at?: string, 
/**
 * Why the last sync failed, if it did.
 */
sync_error?: string, };

/**
 * `POST /admin/connectors`: connect a Chatwoot account.
 */
export type NewChatwootConnector = { 
/**
 * The Chatwoot account id.
 */
account_id: string, 
/**
 * The Chatwoot address, `https://host[:port]`.
 */
url: string, 
/**
 * The webhook's secret, as Chatwoot shows it.
 */
webhook_secret: string, 
/**
 * An access token of a Chatwoot administrator (Profile settings → Access token): Herald
 * then reads the account's agents, inboxes and teams and keeps its agents in step.
 */
api_token?: string, 
/**
 * Where Herald reaches Chatwoot's API, when not at `url` (e.g. an address inside your
 * network; private addresses need the server's `--connectors-allow-private`).
 */
api_url?: string, };

/**
 * `POST /admin/connectors/{id}/sync`: what one agent sync did.
 */
export type SyncReport = { 
/**
 * Agents created (their emails); each gets a one-time set-up link.
 */
created: Array<string>, 
/**
 * Agents whose name, email, groups or state changed.
 */
updated: Array<string>, 
/**
 * Agents disabled: they left the Chatwoot account.
 */
disabled: Array<string>, 
/**
 * Set-up links the email relay accepted.
 */
links_emailed: number, 
/**
 * What was left alone, and why.
 */
skipped?: Array<string>, };

/**
 * `GET` / `PUT /admin/policy`: the preferences new agents start with, and the settings the
 * admin locked for every agent of the workspace.
 */
export type WorkspacePolicy = { 
/**
 * What a new agent starts with (absent: Herald's defaults).
 */
defaults?: Preferences, 
/**
 * Locked settings and their values: agents see them, cannot change them, and the policy
 * applies them.
 */
locks: Array<Lock>, 
/**
 * Shown to agents as "locked by …" (e.g. "Acme support leads").
 */
locked_by?: string, };

/**
 * The answer to a delivery.
 */
export type WebhookResult = { 
/**
 * The helpdesk's delivery id.
 */
delivery_id: string, 
/**
 * The helpdesk's event name.
 */
event: string, 
/**
 * This delivery id was received before: the first outcome, nothing new was done.
 */
duplicate: boolean, 
/**
 * What it became.
 */
outcome: WebhookOutcome, };

/**
 * Why the server closes a stream.
 */
export type CloseReason = "session_revoked" | "agent_disabled" | "slow_consumer" | "server_shutdown" | "too_many_connections" | "heartbeat_timeout" | "protocol_violation";

/**
 * Why the server could not replay.
 */
export type GapReason = "epoch_changed" | "too_far_behind";

/**
 * Client → server.
 */
export type ClientMessage = { "type": "resume", 
/**
 * The last seq the client has.
 */
after_seq: number, 
/**
 * The epoch that seq belongs to.
 */
epoch?: string, 
/**
 * Who is connecting: the desktop app says so, so that the server waits for its
 * receipts in "Save and test" and names it in "Why?".
 */
client?: StreamClient, } | { "type": "presence", 
/**
 * Visible and focused.
 */
in_front: boolean, } | { "type": "receipt", 
/**
 * The item.
 */
id: string, 
/**
 * What the app did.
 */
outcome: AppOutcome, };

/**
 * Server → client.
 */
export type ServerMessage = { "type": "item", 
/**
 * Whether it was missed while away.
 */
replay: boolean, 
/**
 * The item (boxed: it is by far the largest message).
 */
notification: Notification, } | { "type": "live", 
/**
 * The server's epoch: keep it with the seq.
 */
epoch: string, 
/**
 * The newest seq at this point.
 */
latest_seq: number, } | { "type": "gap", 
/**
 * Why.
 */
reason: GapReason, 
/**
 * The server's epoch.
 */
epoch: string, 
/**
 * The newest seq at this point.
 */
latest_seq: number, } | { "type": "unread", 
/**
 * The counters.
 */
unread: UnreadCount, } | { "type": "read_changed", 
/**
 * The items.
 */
ids: Array<string>, 
/**
 * When read; absent when marked unread.
 */
read_at?: string, } | { "type": "all_read", 
/**
 * Up to and including this seq.
 */
up_to_seq: number, 
/**
 * Only this conversation.
 */
conversation_id?: string, } | { "type": "snoozed", 
/**
 * The items.
 */
ids: Array<string>, 
/**
 * When they come back; absent when brought back now.
 */
until?: string, } | { "type": "preferences_changed", 
/**
 * The new preferences.
 */
preferences: VersionedPreferences, } | { "type": "closing", 
/**
 * Why.
 */
reason: CloseReason, 
/**
 * A message for logs and diagnostics.
 */
message: string, };
