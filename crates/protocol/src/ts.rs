//! TypeScript declarations for the UI, generated from the Rust types.
//!
//! `ui/src/lib/generated/protocol.ts` is produced by [`typescript_module`] and checked in;
//! the test `tests/typescript.rs` fails when it is stale (run it with `HERALD_BLESS=1` to
//! rewrite it). One file, no imports: the UI gets the whole contract in one place.

use ts_rs::TS;

/// Implements [`TS`] for a type whose JSON form is a hand-written TypeScript type
/// (a string newtype, or a string union that stays open to values from newer servers).
macro_rules! ts_alias {
    ($ty:ty, $name:literal, $ts:expr) => {
        impl ::ts_rs::TS for $ty {
            type WithoutGenerics = Self;
            type OptionInnerType = Self;
            fn name() -> String {
                $name.to_owned()
            }
            fn decl() -> String {
                format!("type {} = {};", $name, $ts)
            }
            fn decl_concrete() -> String {
                Self::decl()
            }
            fn inline() -> String {
                $ts.to_owned()
            }
            fn inline_flattened() -> String {
                $ts.to_owned()
            }
        }
    };
}
pub(crate) use ts_alias;

/// One exported declaration: `export type Name = ...;` with its doc comment.
pub fn export<T: TS + ?Sized>() -> String {
    let mut out = String::new();
    if let Some(docs) = T::docs() {
        out.push_str(&docs);
    }
    out.push_str("export ");
    out.push_str(&T::decl());
    out.push('\n');
    out
}

/// The names of the types [`typescript_module`] exports (other generated modules import them).
pub fn exported_names() -> Vec<String> {
    typescript_module()
        .lines()
        .filter_map(|line| line.strip_prefix("export type "))
        .filter_map(|rest| rest.split([' ', '<']).next())
        .map(str::to_owned)
        .collect()
}

/// The whole generated TypeScript module, in a stable order.
pub fn typescript_module() -> String {
    use crate::*;
    let decls = [
        // events
        export::<EventKind>(),
        export::<Channel>(),
        export::<Severity>(),
        export::<ConversationRef>(),
        export::<ModuleInfo>(),
        export::<ActorRef>(),
        export::<PlatformEvent>(),
        // preferences
        export::<LocalTime>(),
        export::<ChannelSet>(),
        export::<EventMatrix>(),
        export::<PushScope>(),
        export::<EmailMode>(),
        export::<EmailPreferences>(),
        export::<Weekday>(),
        export::<QuietWindow>(),
        export::<BreakThrough>(),
        export::<QuietHours>(),
        export::<Tone>(),
        export::<SoundPreferences>(),
        export::<Language>(),
        export::<Preferences>(),
        export::<PrefEdit>(),
        export::<Lock>(),
        export::<GroupAction>(),
        export::<GroupRule>(),
        export::<Situation>(),
        export::<PreviewCell>(),
        export::<PreviewRow>(),
        export::<RulesPreview>(),
        export::<PausePreset>(),
        export::<Escalation>(),
        export::<QuietDigest>(),
        export::<KindCount>(),
        export::<Reminder>(),
        export::<SnoozeUntil>(),
        export::<SnoozeTarget>(),
        export::<SnoozeRequest>(),
        export::<SnoozeResult>(),
        export::<PrefEdits>(),
        export::<FieldError>(),
        // policy
        export::<OsPermission>(),
        export::<AgentContext>(),
        export::<Outcome>(),
        export::<Reason>(),
        export::<ChannelDecision>(),
        export::<Decision>(),
        // inbox
        export::<Notification>(),
        export::<InboxPage>(),
        export::<UnreadCount>(),
        // REST
        export::<ErrorCode>(),
        export::<ApiErrorBody>(),
        export::<ApiError>(),
        export::<SignInRequest>(),
        export::<AgentProfile>(),
        export::<SessionGrant>(),
        export::<WebSession>(),
        export::<SessionInfo>(),
        export::<SessionLive>(),
        export::<VersionedPreferences>(),
        export::<MarkRequest>(),
        export::<MarkResult>(),
        export::<TestNotificationResult>(),
        export::<TestBell>(),
        export::<TestEmail>(),
        export::<TestPush>(),
        export::<TestPushDevice>(),
        // push
        export::<PushServerKey>(),
        export::<PushSubscriptionRequest>(),
        export::<PushSubscriptionKeys>(),
        export::<PushUnsubscribeRequest>(),
        export::<PushPlatform>(),
        export::<PhoneDeviceRequest>(),
        export::<PhoneDeviceRemoval>(),
        export::<PushDevice>(),
        export::<PushAttempt>(),
        export::<PushOutcome>(),
        // receipts
        export::<ClientKind>(),
        export::<StreamClient>(),
        export::<AppOutcome>(),
        export::<AppReceipt>(),
        export::<IngestResult>(),
        export::<EmailStatus>(),
        export::<EmailFailure>(),
        export::<TestEmailResult>(),
        export::<IngestBatch>(),
        export::<IngestItemResult>(),
        export::<IngestBatchResult>(),
        export::<WebhookOutcome>(),
        // provisioning
        export::<AdminAgent>(),
        export::<NewAgentRequest>(),
        export::<AgentUpdate>(),
        export::<SetupLink>(),
        export::<PasswordSetupRequest>(),
        export::<PasswordSetupResult>(),
        export::<AdminIngestKey>(),
        export::<NewIngestKeyRequest>(),
        export::<CreatedIngestKey>(),
        export::<AdminConnector>(),
        export::<NewChatwootConnector>(),
        export::<SyncReport>(),
        export::<WorkspacePolicy>(),
        export::<WebhookResult>(),
        // stream
        export::<CloseReason>(),
        export::<GapReason>(),
        export::<ClientMessage>(),
        export::<ServerMessage>(),
    ];
    let mut out = String::from(
        "// Generated from the Rust types of herald-protocol by `crates/protocol/src/ts.rs`.\n\
         // Do not edit: run `HERALD_BLESS=1 cargo test -p herald-protocol --test typescript`.\n\n",
    );
    out.push_str(&decls.join("\n"));
    out
}
