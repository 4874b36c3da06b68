//! Golden JSON for every wire type: the contract cannot drift silently.
//!
//! Each sample serialises to exactly `tests/golden/<name>.json` and that file parses back to
//! the sample. To change the wire format on purpose: `HERALD_BLESS=1 cargo test -p
//! herald-protocol --test golden`, then review the diff of the golden files.

use std::fmt::Debug;
use std::path::PathBuf;

use chrono::{DateTime, TimeZone, Utc};
use herald_protocol::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, h, m, 0)
        .single()
        .expect("valid instant")
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0000 + n)
}

fn conversation() -> ConversationRef {
    ConversationRef {
        id: "c-1042".into(),
        inbox_id: Some("inbox-support".into()),
        team_id: Some("team-billing".into()),
        subject: Some("Refund for order #88 <b>urgent</b>".into()),
        customer_name: Some("Zoë \"Z\" O'Brien".into()),
        url: Some("https://acme.example.com/conversations/c-1042".into()),
    }
}

fn notification() -> Notification {
    let prefs = Preferences::default();
    let ctx = AgentContext {
        assigned_to_me: true,
        ..AgentContext::default()
    };
    Notification {
        id: id(1),
        seq: 42,
        event_id: "evt-77".into(),
        kind: EventKind::Assignment,
        title: "Refund for order #88 <b>urgent</b>".into(),
        body: "Hi, I still have not received my refund.".into(),
        conversation: Some(conversation()),
        withheld_link: None,
        actor: Some(ActorRef {
            agent_id: Some("agent-2".into()),
            name: "Ana Souza".into(),
        }),
        severity: None,
        occurred_at: at(14, 59),
        created_at: at(15, 0),
        read_at: None,
        snoozed_until: None,
        digest: None,
        decision: decide(&EventKind::Assignment, &ctx, &prefs, at(15, 0)),
        context: ctx,
    }
}

/// A named sample and the check of it against its golden file.
type Sample = (&'static str, Box<dyn Fn() -> Result<(), String>>);

fn samples() -> Vec<Sample> {
    fn entry<T>(name: &'static str, value: T) -> Sample
    where
        T: Serialize + DeserializeOwned + PartialEq + Debug + 'static,
    {
        (name, Box::new(move || check(name, &value)))
    }
    let mut quiet = Preferences {
        language: Language::PtBr,
        ..Preferences::default()
    };
    quiet.quiet_hours.enabled = true;
    quiet.paused_until = Some(at(16, 0));
    let quiet_decision = decide(
        &EventKind::Reply,
        &AgentContext::default(),
        &quiet,
        at(15, 0),
    );
    vec![
        entry(
            "platform_event_reply",
            PlatformEvent {
                id: "evt-77".into(),
                kind: EventKind::Reply,
                occurred_at: at(14, 59),
                conversation: Some(conversation()),
                actor: Some(ActorRef {
                    agent_id: None,
                    name: "Zoë O'Brien".into(),
                }),
                assignee: Some("agent-1".into()),
                mentioned: vec!["agent-3".into()],
                participants: vec!["agent-1".into(), "agent-2".into()],
                text: Some("<script>alert(1)</script> still waiting".into()),
                module: None,
                recipients: vec![],
                teams: vec![],
            },
        ),
        entry(
            "platform_event_module",
            PlatformEvent {
                id: "evt-78".into(),
                kind: EventKind::Module,
                occurred_at: at(15, 1),
                conversation: None,
                actor: None,
                assignee: None,
                mentioned: vec![],
                participants: vec![],
                text: None,
                module: Some(ModuleInfo {
                    name: "billing".into(),
                    kind: "invoice_overdue".into(),
                    severity: Severity::Critical,
                    title: "Invoice 2026-11 is overdue".into(),
                    body: Some("Pay before Friday".into()),
                }),
                recipients: vec!["agent-1".into()],
                teams: vec![],
            },
        ),
        entry(
            "platform_event_unknown_kind",
            PlatformEvent {
                id: "evt-79".into(),
                kind: EventKind::parse("sla_breach"),
                occurred_at: at(15, 2),
                conversation: None,
                actor: None,
                assignee: None,
                mentioned: vec![],
                participants: vec![],
                text: Some("SLA breached".into()),
                module: None,
                recipients: vec!["agent-1".into()],
                teams: vec![],
            },
        ),
        entry("preferences_default", Preferences::default()),
        entry("preferences_quiet_paused", quiet.clone()),
        entry(
            "versioned_preferences",
            VersionedPreferences {
                version: 7,
                preferences: Preferences::default(),
            },
        ),
        entry(
            "pref_edits",
            vec![
                PrefEdit::Channel {
                    kind: EventKind::Reply,
                    channel: Channel::Email,
                    on: true,
                },
                PrefEdit::PushScope {
                    scope: PushScope::All,
                },
                PrefEdit::SummaryAt {
                    at: LocalTime::new(18, 30).expect("valid"),
                },
                PrefEdit::PausedUntil {
                    until: Some(at(16, 0)),
                },
                PrefEdit::PausedUntil { until: None },
            ],
        ),
        entry(
            "field_error",
            FieldError {
                field: "sound.volume".into(),
                message: "volume goes from 0 to 100".into(),
            },
        ),
        entry(
            "agent_context",
            AgentContext {
                mentioned: true,
                push_permission: OsPermission::Denied,
                ..AgentContext::default()
            },
        ),
        entry("decision_quiet_paused", quiet_decision),
        entry("notification", notification()),
        entry(
            "notification_read_module",
            Notification {
                kind: EventKind::Module,
                severity: Some(Severity::Warning),
                conversation: None,
                actor: None,
                read_at: Some(at(15, 5)),
                ..notification()
            },
        ),
        entry(
            "inbox_page",
            InboxPage {
                items: vec![notification()],
                next_before: Some(42),
                unread: UnreadCount { total: 3 },
            },
        ),
        entry("unread_count", UnreadCount { total: 12 }),
        entry(
            "api_error",
            ApiError::new(
                ErrorCode::PreconditionFailed,
                "preferences changed since version 6",
            ),
        ),
        entry(
            "api_error_fields",
            ApiError {
                error: ApiErrorBody {
                    code: ErrorCode::InvalidInput,
                    message: "some preferences are invalid".into(),
                    fields: vec![FieldError {
                        field: "email.time_zone".into(),
                        message: "\"Mars\" is not a time zone we know".into(),
                    }],
                },
            },
        ),
        entry(
            "sign_in_request",
            SignInRequest {
                email: "ana@acme.example".into(),
                password: "correct horse".into(),
                device_name: Some("Ana's laptop".into()),
            },
        ),
        entry(
            "session_grant",
            SessionGrant {
                token: "hrld_0123456789abcdef0123456789abcdef".into(),
                session_id: id(2),
                agent: AgentProfile {
                    id: id(3),
                    external_id: "agent-1".into(),
                    email: "ana@acme.example".into(),
                    name: "Ana Souza".into(),
                    workspace: "Acme Support".into(),
                    groups: vec!["inbox:support".into()],
                },
            },
        ),
        entry(
            "session_info",
            SessionInfo {
                id: id(2),
                device_name: Some("Ana's laptop".into()),
                created_at: at(9, 0),
                last_seen_at: at(15, 0),
                current: true,
                live: Some(SessionLive {
                    streams: 1,
                    kind: Some(ClientKind::DesktopApp),
                    in_front: false,
                }),
            },
        ),
        entry(
            "mark_items",
            MarkRequest::Items {
                ids: vec![id(1)],
                read: true,
            },
        ),
        entry("mark_all", MarkRequest::All),
        entry(
            "mark_conversation",
            MarkRequest::Conversation {
                conversation_id: "c-1042".into(),
            },
        ),
        entry(
            "mark_result",
            MarkResult {
                changed: 2,
                unread: UnreadCount { total: 1 },
            },
        ),
        entry(
            "test_notification_result",
            TestNotificationResult {
                notification: Notification {
                    kind: EventKind::Test,
                    ..notification()
                },
                bell: TestBell::Stored { live_streams: 2 },
                email: TestEmail::Accepted {
                    code: 250,
                    reply: "2.0.0 Ok: queued as 4F1C2".into(),
                },
                push: TestPush::Sent {
                    devices: vec![
                        TestPushDevice {
                            device: Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_00a1),
                            name: "Firefox on Linux".into(),
                            outcome: PushOutcome::Accepted { status: 201 },
                        },
                        TestPushDevice {
                            device: Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_00a2),
                            name: "Chrome on Windows".into(),
                            outcome: PushOutcome::Retrying {
                                status: Some(429),
                                error: "the push service is rate limiting (429)".into(),
                                retry_at: at(15, 1),
                            },
                        },
                    ],
                },
                apps: vec![
                    AppReceipt {
                        name: "Herald for Linux on ana-laptop".into(),
                        outcome: AppOutcome::Shown,
                        at: Some(at(15, 0)),
                    },
                    AppReceipt {
                        name: "Herald for Windows on desk-7".into(),
                        outcome: AppOutcome::NoAnswer,
                        at: None,
                    },
                ],
            },
        ),
        entry(
            "web_session",
            WebSession {
                session_id: Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0051),
                agent: AgentProfile {
                    id: Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_00a9),
                    external_id: "agent-1".into(),
                    email: "ana@acme.example".into(),
                    name: "Ana Souza".into(),
                    workspace: "Acme Support".into(),
                    groups: vec!["inbox:support".into()],
                },
                csrf_token: "9f2c4d6e8a0b1c3d5e7f9a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d".into(),
            },
        ),
        entry(
            "push_subscription_request",
            PushSubscriptionRequest {
                endpoint: "https://updates.push.services.mozilla.com/wpush/v2/gAAAAA".into(),
                keys: PushSubscriptionKeys {
                    p256dh: "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM".into(),
                    auth: "tBHItJI5svbpez7KI4CCXg".into(),
                },
                device_name: Some("Firefox on Linux".into()),
            },
        ),
        entry(
            "push_device",
            PushDevice {
                id: Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_00a1),
                name: "Firefox on Linux".into(),
                platform: PushPlatform::Web,
                service: "updates.push.services.mozilla.com".into(),
                created_at: at(9, 0),
                last: Some(PushAttempt {
                    at: at(15, 0),
                    outcome: PushOutcome::Gone { status: 410 },
                }),
            },
        ),
        entry(
            "push_outcomes",
            vec![
                PushOutcome::Failed {
                    status: Some(400),
                    error: "the push service refused the message (400)".into(),
                },
                PushOutcome::SkippedRead {
                    held_read_after_secs: None,
                },
                PushOutcome::SkippedRead {
                    held_read_after_secs: Some(40),
                },
                PushOutcome::Expired,
                PushOutcome::InFront,
                PushOutcome::Pending,
            ],
        ),
        entry(
            "test_notification_result_quiet",
            TestNotificationResult {
                notification: Notification {
                    kind: EventKind::Test,
                    ..notification()
                },
                bell: TestBell::Off,
                email: TestEmail::NotConfigured,
                push: TestPush::Off,
                apps: vec![],
            },
        ),
        entry(
            "ingest_batch_result",
            IngestBatchResult {
                results: vec![
                    IngestItemResult::Ingested {
                        result: IngestResult {
                            event_id: "evt-80".into(),
                            duplicate: false,
                            recipients: 2,
                            dropped: vec![],
                        },
                    },
                    IngestItemResult::Rejected {
                        event_id: Some("evt-81".into()),
                        error: ApiErrorBody {
                            code: ErrorCode::InvalidInput,
                            message: "a module event names its recipients".into(),
                            fields: vec![],
                        },
                    },
                ],
            },
        ),
        entry(
            "email_status",
            EmailStatus {
                configured: true,
                to: "ana@acme.example".into(),
                pending: 2,
                last_failure: Some(EmailFailure {
                    at: at(15, 10),
                    error: "550 5.1.1 mailbox unavailable".into(),
                }),
            },
        ),
        entry(
            "test_email_result",
            TestEmailResult {
                accepted: true,
                code: 250,
                message: "OK queued".into(),
            },
        ),
        entry(
            "ingest_result",
            IngestResult {
                event_id: "evt-77".into(),
                duplicate: false,
                recipients: 3,
                dropped: vec![],
            },
        ),
        entry(
            "ingest_result_link_dropped",
            IngestResult {
                event_id: "evt-78".into(),
                duplicate: false,
                recipients: 1,
                dropped: vec![FieldError {
                    field: "conversation.url".into(),
                    message: "only https links are kept, not javascript:".into(),
                }],
            },
        ),
        entry(
            "admin_agent",
            AdminAgent {
                id: Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_00b1),
                external_id: "5".into(),
                email: "ana@acme.example".into(),
                name: "Ana Souza".into(),
                groups: vec!["inbox:3".into(), "team:2".into()],
                disabled: false,
                has_password: false,
                created_at: at(9, 0),
            },
        ),
        entry(
            "setup_link",
            SetupLink {
                url: "https://herald.acme.example/#setup=hrld_p_5f1c".into(),
                expires_at: at(9, 0),
                emailed: true,
            },
        ),
        entry(
            "created_ingest_key",
            CreatedIngestKey {
                id: Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_00b2),
                key: "hrld_i_0f3a".into(),
                signing_secret: Some("hrld_h_9c2e".into()),
            },
        ),
        entry(
            "admin_connector",
            AdminConnector {
                id: Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_00b3),
                kind: "chatwoot".into(),
                account_id: "1".into(),
                base_url: "https://chat.acme.example".into(),
                webhook_path: "/api/v1/connectors/01930000-0000-7000-8000-0000000000b3/webhook"
                    .into(),
                deliveries: 42,
                syncs_agents: true,
                synced_at: Some(at(9, 0)),
                sync_error: None,
            },
        ),
        entry(
            "sync_report",
            SyncReport {
                created: vec!["dora@acme.example".into()],
                updated: vec!["ana@acme.example".into()],
                disabled: vec!["old@acme.example".into()],
                links_emailed: 1,
                skipped: vec![
                    "Chatwoot user 9 (eve@acme.example): another workspace has an agent with that email".into(),
                ],
            },
        ),
        entry("rules_preview", preview(&Preferences::default())),
        entry(
            "webhook_result",
            WebhookResult {
                delivery_id: "6a1f0c2e-3b7d-4d0e-9c55-1f2a3b4c5d6e".into(),
                event: "message_created".into(),
                duplicate: false,
                outcome: WebhookOutcome::Ingested {
                    events: vec![IngestResult {
                        event_id: "chatwoot-6a1f0c2e-3b7d-4d0e-9c55-1f2a3b4c5d6e".into(),
                        duplicate: false,
                        recipients: 3,
                        dropped: vec![],
                    }],
                    skipped: vec![
                        "a mention of Chatwoot user 999: no Herald agent has that id".into(),
                    ],
                },
            },
        ),
        entry(
            "webhook_result_ignored",
            WebhookResult {
                delivery_id: "0b6e".into(),
                event: "contact_created".into(),
                duplicate: true,
                outcome: WebhookOutcome::Ignored {
                    reason: "Herald does not notify about \"contact_created\" events".into(),
                },
            },
        ),
        entry(
            "client_resume",
            ClientMessage::Resume {
                after_seq: 41,
                epoch: Some("e-5f1c".into()),
                client: Some(StreamClient {
                    kind: ClientKind::DesktopApp,
                    name: "Herald for Linux on ana-laptop".into(),
                }),
            },
        ),
        entry(
            "client_receipt_shown",
            ClientMessage::Receipt {
                id: Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0001),
                outcome: AppOutcome::Shown,
            },
        ),
        entry(
            "client_receipt_not_shown",
            ClientMessage::Receipt {
                id: Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0001),
                outcome: AppOutcome::NotShown {
                    reasons: vec![Reason::ChannelOn, Reason::AppFocused],
                },
            },
        ),
        entry(
            "client_presence",
            ClientMessage::Presence { in_front: true },
        ),
        entry(
            "client_resume_first",
            ClientMessage::Resume {
                after_seq: 0,
                epoch: None,
                client: None,
            },
        ),
        entry(
            "server_item",
            ServerMessage::Item {
                replay: true,
                notification: Box::new(notification()),
            },
        ),
        entry(
            "server_live",
            ServerMessage::Live {
                epoch: "e-5f1c".into(),
                latest_seq: 42,
            },
        ),
        entry(
            "server_gap",
            ServerMessage::Gap {
                reason: GapReason::TooFarBehind,
                epoch: "e-5f1c".into(),
                latest_seq: 9000,
            },
        ),
        entry(
            "server_unread",
            ServerMessage::Unread {
                unread: UnreadCount { total: 3 },
            },
        ),
        entry("server_snoozed", ServerMessage::Snoozed {
            ids: vec![id(1)],
            until: Some(at(16, 0)),
        }),
        entry("server_item_reminder", {
            let mut n = notification();
            n.seq = 57;
            n.context.reminder = Some(Reminder::Unanswered { count: 1, limit: 2 });
            n.decision = decide(&n.kind, &n.context, &Preferences::default(), at(15, 15));
            ServerMessage::Item {
                replay: false,
                notification: Box::new(n),
            }
        }),
        entry("server_item_quiet_summary", {
            let digest = QuietDigest {
                since: at(1, 10),
                after_seq: 40,
                up_to_seq: 48,
                total: 7,
                kinds: vec![
                    KindCount { kind: EventKind::Reply, count: 4 },
                    KindCount { kind: EventKind::Assignment, count: 2 },
                    KindCount { kind: EventKind::Mention, count: 1 },
                ],
            };
            let prefs = Preferences::default();
            let mut n = notification();
            n.seq = 49;
            n.kind = EventKind::QuietSummary;
            n.title = digest.headline(Language::En);
            n.body = String::new();
            n.conversation = None;
            n.actor = None;
            n.read_at = Some(at(7, 0));
            n.context = AgentContext::default();
            n.decision = decide(&n.kind, &n.context, &prefs, at(7, 0));
            n.digest = Some(digest);
            ServerMessage::Item {
                replay: false,
                notification: Box::new(n),
            }
        }),
        entry("phone_device_request", PhoneDeviceRequest {
            platform: PushPlatform::Apns,
            token: "5f0c7e2a9b1d4c3e8f6a7b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e".into(),
            app_id: "dev.herald.app".into(),
            device_name: Some("Ana's iPhone".into()),
        }),
        entry("snooze_request", SnoozeRequest {
            target: SnoozeTarget::Conversation {
                conversation_id: "c-1042".into(),
            },
            until: Some(SnoozeUntil::TomorrowMorning),
        }),
        entry("snooze_request_at", SnoozeRequest {
            target: SnoozeTarget::Items { ids: vec![id(1)] },
            until: Some(SnoozeUntil::At { at: at(17, 30) }),
        }),
        entry("unsnooze_request", SnoozeRequest {
            target: SnoozeTarget::Items { ids: vec![id(1)] },
            until: None,
        }),
        entry("snooze_result", SnoozeResult {
            ids: vec![id(1)],
            until: Some(at(16, 0)),
            unread: UnreadCount { total: 11 },
        }),
        entry("preferences_escalation", {
            let mut p = Preferences::default();
            p.apply(&PrefEdit::Escalation {
                escalation: Escalation { enabled: true, after_minutes: 10, repeat: 3 },
            });
            p
        }),
        entry(
            "server_read_changed",
            ServerMessage::ReadChanged {
                ids: vec![id(1)],
                read_at: Some(at(15, 5)),
            },
        ),
        entry(
            "server_all_read",
            ServerMessage::AllRead {
                up_to_seq: 42,
                conversation_id: Some("c-1042".into()),
            },
        ),
        entry(
            "server_preferences_changed",
            ServerMessage::PreferencesChanged {
                preferences: VersionedPreferences {
                    version: 8,
                    preferences: quiet,
                },
            },
        ),
        entry(
            "server_closing",
            ServerMessage::Closing {
                reason: CloseReason::SessionRevoked,
                message: "signed out on another device".into(),
            },
        ),
    ]
}

fn golden_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.json"))
}

fn check<T>(name: &str, value: &T) -> Result<(), String>
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let path = golden_path(name);
    let json = serde_json::to_string_pretty(value).map_err(|e| format!("{name}: {e}"))? + "\n";
    if std::env::var_os("HERALD_BLESS").is_some() {
        std::fs::write(&path, &json).map_err(|e| format!("{name}: {e}"))?;
    }
    let golden = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "{name}: no golden file {} ({e}); run with HERALD_BLESS=1",
            path.display()
        )
    })?;
    if golden != json {
        return Err(format!(
            "{name}: serialises differently from {}:\n{json}",
            path.display()
        ));
    }
    let parsed: T =
        serde_json::from_str(&golden).map_err(|e| format!("{name}: golden does not parse: {e}"))?;
    if &parsed != value {
        return Err(format!(
            "{name}: golden parses to {parsed:?}, not the sample"
        ));
    }
    Ok(())
}

#[test]
fn every_wire_type_matches_its_golden_file() {
    let failures: Vec<String> = samples().iter().filter_map(|(_, f)| f().err()).collect();
    assert!(
        failures.is_empty(),
        "{} golden mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn no_golden_file_is_orphaned() {
    let names: Vec<&str> = samples().iter().map(|(n, _)| *n).collect();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    for entry in std::fs::read_dir(dir).expect("golden dir") {
        let file = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        let stem = file.trim_end_matches(".json");
        assert!(
            names.contains(&stem),
            "golden file {file} has no sample: delete it or add one"
        );
    }
}

/// A newer server or platform may add fields and codes; this version must still read them.
#[test]
fn newer_peers_are_read_not_rejected() {
    let err: ApiError =
        serde_json::from_str(r#"{"error":{"code":"quota_exceeded","message":"x","hint":"y"}}"#)
            .expect("unknown code and field are tolerated");
    assert_eq!(err.error.code, ErrorCode::Unknown);
    let event: PlatformEvent = serde_json::from_str(
        r#"{"id":"e1","kind":"sla_breach","occurred_at":"2026-11-24T15:00:00Z","priority":"high"}"#,
    )
    .expect("unknown kind and field are tolerated");
    assert_eq!(event.kind, EventKind::Unknown("sla_breach".into()));
}

/// Preferences stored before `language` existed still read (as English).
#[test]
fn preferences_without_a_language_read_as_english() {
    let mut json = serde_json::to_value(Preferences::default()).expect("json");
    json.as_object_mut().expect("object").remove("language");
    let prefs: Preferences = serde_json::from_value(json).expect("older preferences parse");
    assert_eq!(prefs.language, Language::En);
}

#[test]
fn malformed_input_is_rejected_with_a_reason() {
    let cases = [
        (
            r#"{"id":"e1","kind":"","occurred_at":"2026-11-24T15:00:00Z"}"#,
            "event kind must be",
        ),
        (
            r#"{"id":"e1","kind":"reply","occurred_at":"yesterday"}"#,
            "input contains invalid characters",
        ),
        (
            r#"{"kind":"reply","occurred_at":"2026-11-24T15:00:00Z"}"#,
            "missing field `id`",
        ),
    ];
    for (json, why) in cases {
        let err = serde_json::from_str::<PlatformEvent>(json)
            .expect_err(json)
            .to_string();
        assert!(err.contains(why), "{json}: {err} should mention {why:?}");
    }
    let bad_time = serde_json::from_str::<LocalTime>(r#""25:00""#)
        .expect_err("25:00")
        .to_string();
    assert!(bad_time.contains("is not a time of day"), "{bad_time}");
}

#[test]
fn secrets_never_show_in_debug_output() {
    let req = SignInRequest {
        email: "a@b.c".into(),
        password: "hunter2".into(),
        device_name: None,
    };
    assert!(!format!("{req:?}").contains("hunter2"));
    let grant = SessionGrant {
        token: "hrld_secret".into(),
        session_id: id(1),
        agent: AgentProfile {
            id: id(2),
            external_id: "x".into(),
            email: "a@b.c".into(),
            name: "A".into(),
            workspace: "W".into(),
            groups: vec![],
        },
    };
    assert!(!format!("{grant:?}").contains("hrld_secret"));
}
