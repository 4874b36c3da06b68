//! The OpenAPI 3.1 description of `/api/v1`, generated from the code: the schemas come
//! from the protocol's Rust types (schemars), the paths from [`ROUTES`]. The checked-in
//! `docs/openapi.json` is compared against it by a test (regenerate with `HERALD_BLESS=1`),
//! and another test calls every route listed here on a real server, so the table cannot
//! name a route the router lacks.

use herald_protocol::*;
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{json, Map, Value};

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// Anyone.
    Public,
    /// An agent's session token.
    Session,
    /// A workspace's ingest key.
    IngestKey,
    /// A workspace's admin key (the provisioning API).
    AdminKey,
}

/// Writes a type's schema into the generator and returns a reference to it.
pub type SchemaFn = fn(&mut SchemaGenerator) -> schemars::Schema;

/// One documented route.
pub struct Route {
    /// HTTP method, lower case.
    pub method: &'static str,
    /// Path under `/api/v1`.
    pub path: &'static str,
    /// One line.
    pub summary: &'static str,
    /// Who may call it.
    pub auth: Auth,
    /// The request body's schema.
    pub request: Option<SchemaFn>,
    /// Success status and the body's schema.
    pub response: (u16, Option<SchemaFn>),
    /// Error statuses besides 401 (for authenticated routes) and 500.
    pub errors: &'static [u16],
    /// Extra parameters (query, headers) as OpenAPI parameter objects.
    pub parameters: fn() -> Value,
}

fn schema<T: JsonSchema>(g: &mut SchemaGenerator) -> schemars::Schema {
    g.subschema_for::<T>()
}

fn none() -> Value {
    json!([])
}

fn id_param() -> Value {
    json!([{ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } }])
}

fn inbox_params() -> Value {
    json!([
        { "name": "before", "in": "query", "schema": { "type": "integer", "minimum": 0 }, "description": "items older than this seq (the previous page's next_before)" },
        { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 200, "default": 50 } },
        { "name": "unread", "in": "query", "schema": { "type": "boolean", "default": false }, "description": "only unread items" },
        { "name": "all", "in": "query", "schema": { "type": "boolean", "default": false }, "description": "also items that did not go to the bell (to answer \"why didn't I get this?\")" }
    ])
}

fn token_param() -> Value {
    json!([{ "name": "token", "in": "query", "required": true, "schema": { "type": "string" }, "description": "the signed token of the email's link (valid 30 days)" }])
}

fn test_params() -> Value {
    json!([{ "name": "mention", "in": "query", "schema": { "type": "boolean", "default": false }, "description": "a test mention, decided by the rules for mentions (quiet hours, break-through, the mention row), instead of the test event that goes to every channel some event uses" }])
}

fn if_match() -> Value {
    json!([{ "name": "If-Match", "in": "header", "required": true, "schema": { "type": "string" }, "description": "the version being replaced, e.g. \"7\"; missing: 428, stale: 412" }])
}

/// Every route of `/api/v1` but the WebSocket stream, which `docs/stream.md` describes.
pub const ROUTES: &[Route] = &[
    Route { method: "get", path: "/health", summary: "Liveness, version and database epoch", auth: Auth::Public, request: None, response: (200, None), errors: &[], parameters: none },
    Route { method: "get", path: "/ready", summary: "Readiness: 200 when this node should get traffic; 503 with the reason while the database does not answer within 2 s or the node is draining", auth: Auth::Public, request: None, response: (200, None), errors: &[503], parameters: none },
    Route { method: "post", path: "/session", summary: "Sign in with email and password (rate-limited; never tells which emails exist)", auth: Auth::Public, request: Some(schema::<SignInRequest>), response: (200, Some(schema::<SessionGrant>)), errors: &[401, 422, 429], parameters: none },
    Route { method: "delete", path: "/session", summary: "Sign out this session (its streams close with 4001)", auth: Auth::Session, request: None, response: (204, None), errors: &[], parameters: none },
    Route { method: "get", path: "/sessions", summary: "The agent's active sessions, each with its live streams on this server now (kind of client, in front of the agent)", auth: Auth::Session, request: None, response: (200, Some(schema::<Vec<SessionInfo>>)), errors: &[], parameters: none },
    Route { method: "delete", path: "/sessions/{id}", summary: "Revoke one of the agent's sessions", auth: Auth::Session, request: None, response: (204, None), errors: &[404], parameters: id_param },
    Route { method: "get", path: "/web/session", summary: "The web app's session (from its HttpOnly cookie) and the CSRF token its page sends in X-Herald-CSRF", auth: Auth::Session, request: None, response: (200, Some(schema::<WebSession>)), errors: &[], parameters: none },
    Route { method: "post", path: "/web/session", summary: "Sign in the web app: the session token is set as an HttpOnly, SameSite=Strict cookie (Secure over https) and never returned; answers the CSRF token (rate-limited like POST /session; refused from another site's page)", auth: Auth::Public, request: Some(schema::<SignInRequest>), response: (200, Some(schema::<WebSession>)), errors: &[401, 403, 422, 429], parameters: none },
    Route { method: "delete", path: "/web/session", summary: "Sign out the web app: revokes the session (its streams close, its browsers' push subscriptions are removed) and clears the cookie", auth: Auth::Session, request: None, response: (204, None), errors: &[403], parameters: none },
    Route { method: "get", path: "/me", summary: "The signed-in agent", auth: Auth::Session, request: None, response: (200, Some(schema::<AgentProfile>)), errors: &[], parameters: none },
    Route { method: "get", path: "/preferences", summary: "The agent's preferences with their version (also in ETag)", auth: Auth::Session, request: None, response: (200, Some(schema::<VersionedPreferences>)), errors: &[], parameters: none },
    Route { method: "put", path: "/preferences", summary: "Replace the preferences if If-Match names the current version; other devices hear preferences_changed", auth: Auth::Session, request: Some(schema::<Preferences>), response: (200, Some(schema::<VersionedPreferences>)), errors: &[412, 422, 428], parameters: if_match },
    Route { method: "post", path: "/preferences/edits", summary: "Apply edits (and a pause preset, computed in the agent's time zone) to the current preferences; other devices hear preferences_changed", auth: Auth::Session, request: Some(schema::<PrefEdits>), response: (200, Some(schema::<VersionedPreferences>)), errors: &[422], parameters: none },
    Route { method: "get", path: "/preferences/preview", summary: "A preview of the rules: per kind of event and situation (working, Herald in front, quiet hours, paused), which channels would fire under the saved preferences, decided by the policy", auth: Auth::Session, request: None, response: (200, Some(schema::<RulesPreview>)), errors: &[], parameters: none },
    Route { method: "get", path: "/inbox", summary: "A page of the inbox, newest first, with the unread counter", auth: Auth::Session, request: None, response: (200, Some(schema::<InboxPage>)), errors: &[], parameters: inbox_params },
    Route { method: "get", path: "/inbox/unread", summary: "The unread counter", auth: Auth::Session, request: None, response: (200, Some(schema::<UnreadCount>)), errors: &[], parameters: none },
    Route { method: "get", path: "/inbox/{id}", summary: "One item with its decision and reasons", auth: Auth::Session, request: None, response: (200, Some(schema::<Notification>)), errors: &[404], parameters: id_param },
    Route { method: "get", path: "/inbox/{id}/trail", summary: "Why an item reached the agent or not: the server's decision and what each push device's push service answered", auth: Auth::Session, request: None, response: (200, Some(schema::<herald_core::client::Trail>)), errors: &[404], parameters: id_param },
    Route { method: "post", path: "/inbox/snooze", summary: "Snooze items or a conversation until a time (they come back unread with a fresh notification), or bring snoozed items back now", auth: Auth::Session, request: Some(schema::<SnoozeRequest>), response: (200, Some(schema::<SnoozeResult>)), errors: &[404, 422], parameters: none },
    Route { method: "post", path: "/inbox/mark", summary: "Mark items read or unread, everything read, or one conversation read", auth: Auth::Session, request: Some(schema::<MarkRequest>), response: (200, Some(schema::<MarkResult>)), errors: &[422], parameters: none },
    Route { method: "post", path: "/test-notification", summary: "Send a test notification through the whole pipeline; says per channel what was observed (stored and handed to live streams, the email relay's answer, each push service's answer per device, waited for up to 10 s), never only what was decided", auth: Auth::Session, request: None, response: (200, Some(schema::<TestNotificationResult>)), errors: &[503], parameters: test_params },
    Route { method: "get", path: "/email", summary: "Whether email is configured, where the agent's emails go, what is pending, the last failure", auth: Auth::Session, request: None, response: (200, Some(schema::<EmailStatus>)), errors: &[], parameters: none },
    Route { method: "post", path: "/email/test", summary: "Send a test email now and report what the SMTP server answered", auth: Auth::Session, request: None, response: (200, Some(schema::<TestEmailResult>)), errors: &[503], parameters: none },
    Route { method: "get", path: "/push/key", summary: "The server's VAPID public key, for PushManager.subscribe's applicationServerKey", auth: Auth::Session, request: None, response: (200, Some(schema::<PushServerKey>)), errors: &[], parameters: none },
    Route { method: "post", path: "/push/devices", summary: "Register this phone's push token (APNs) for the session", auth: Auth::Session, request: Some(schema::<PhoneDeviceRequest>), response: (201, Some(schema::<PushDevice>)), errors: &[422], parameters: none },
    Route { method: "delete", path: "/push/devices", summary: "Forget this phone's push token", auth: Auth::Session, request: Some(schema::<PhoneDeviceRemoval>), response: (204, None), errors: &[422], parameters: none },
    Route { method: "get", path: "/push/subscriptions", summary: "The agent's push devices (browsers), each with its push service's last answer", auth: Auth::Session, request: None, response: (200, Some(schema::<Vec<PushDevice>>)), errors: &[], parameters: none },
    Route { method: "post", path: "/push/subscriptions", summary: "Register this browser's push subscription for this session (https endpoints on public addresses only); signing out removes it", auth: Auth::Session, request: Some(schema::<PushSubscriptionRequest>), response: (201, Some(schema::<PushDevice>)), errors: &[422], parameters: none },
    Route { method: "delete", path: "/push/subscriptions", summary: "Forget this browser's push subscription (idempotent)", auth: Auth::Session, request: Some(schema::<PushUnsubscribeRequest>), response: (204, None), errors: &[422], parameters: none },
    Route { method: "post", path: "/diagnostics", summary: "The troubleshooting cards for the web app: the browser sends what only it knows (permission, stream, save state, its push endpoint); the verdicts are decided as the desktop app's are", auth: Auth::Session, request: Some(schema::<herald_core::web::WebFacts>), response: (200, Some(schema::<herald_core::diagnostics::Diagnostics>)), errors: &[422], parameters: none },
    Route { method: "get", path: "/unsubscribe", summary: "A signed link from an email: a page that asks to confirm (HTML; nothing changes)", auth: Auth::Public, request: None, response: (200, None), errors: &[], parameters: token_param },
    Route { method: "post", path: "/unsubscribe", summary: "One-click unsubscribe (RFC 8058): every email channel of the link's agent is switched off (HTML)", auth: Auth::Public, request: None, response: (200, None), errors: &[401], parameters: token_param },
    Route { method: "post", path: "/events", summary: "Ingest one platform event (idempotent by its id); answers once it is durable", auth: Auth::IngestKey, request: Some(schema::<PlatformEvent>), response: (200, Some(schema::<IngestResult>)), errors: &[409, 413, 422, 503], parameters: none },
    Route { method: "post", path: "/connectors/{id}/webhook", summary: "A connected helpdesk's webhook (Chatwoot's format): signed with X-Chatwoot-Signature = sha256=HMAC-SHA256(secret, \"{X-Chatwoot-Timestamp}.{body}\"), the timestamp within 5 minutes, X-Chatwoot-Delivery as the idempotency key; mapped to Herald events and ingested; 200 with what it became for every signed delivery (ignored ones too)", auth: Auth::Public, request: None, response: (200, Some(schema::<WebhookResult>)), errors: &[401, 404, 422], parameters: id_param },
    Route { method: "get", path: "/admin/agents", summary: "The workspace's agents", auth: Auth::AdminKey, request: None, response: (200, Some(schema::<Vec<AdminAgent>>)), errors: &[], parameters: none },
    Route { method: "post", path: "/admin/agents", summary: "Create an agent (without a password, it signs in first through a one-time set-up link)", auth: Auth::AdminKey, request: Some(schema::<NewAgentRequest>), response: (201, Some(schema::<AdminAgent>)), errors: &[409, 422], parameters: none },
    Route { method: "get", path: "/admin/agents/{id}", summary: "One agent of the workspace", auth: Auth::AdminKey, request: None, response: (200, Some(schema::<AdminAgent>)), errors: &[404], parameters: id_param },
    Route { method: "patch", path: "/admin/agents/{id}", summary: "Change an agent: name, email, groups, disable (sessions revoked, streams closed with 4003, push devices forgotten) or re-enable", auth: Auth::AdminKey, request: Some(schema::<AgentUpdate>), response: (200, Some(schema::<AdminAgent>)), errors: &[404, 409, 422], parameters: id_param },
    Route { method: "post", path: "/admin/agents/{id}/setup-link", summary: "A one-time link (7 days) where the agent sets a password; emailed when the server has an email relay; an earlier link stops working", auth: Auth::AdminKey, request: None, response: (200, Some(schema::<SetupLink>)), errors: &[404, 503], parameters: id_param },
    Route { method: "get", path: "/admin/ingest-keys", summary: "The workspace's ingest keys (never the keys)", auth: Auth::AdminKey, request: None, response: (200, Some(schema::<Vec<AdminIngestKey>>)), errors: &[], parameters: none },
    Route { method: "post", path: "/admin/ingest-keys", summary: "Create an ingest key (and a signing secret); shown in this answer only", auth: Auth::AdminKey, request: Some(schema::<NewIngestKeyRequest>), response: (201, Some(schema::<CreatedIngestKey>)), errors: &[422], parameters: none },
    Route { method: "delete", path: "/admin/ingest-keys/{id}", summary: "Revoke an ingest key", auth: Auth::AdminKey, request: None, response: (204, None), errors: &[404], parameters: id_param },
    Route { method: "get", path: "/admin/connectors", summary: "The workspace's connectors (never their secrets)", auth: Auth::AdminKey, request: None, response: (200, Some(schema::<Vec<AdminConnector>>)), errors: &[], parameters: none },
    Route { method: "post", path: "/admin/connectors", summary: "Connect a Chatwoot account (webhook secret; an access token to sync its agents)", auth: Auth::AdminKey, request: Some(schema::<NewChatwootConnector>), response: (201, Some(schema::<AdminConnector>)), errors: &[422], parameters: none },
    Route { method: "post", path: "/admin/connectors/{id}/sync", summary: "Read the Chatwoot account's agents, inboxes and teams now: create agents (each gets a one-time set-up link, emailed when the server has a relay), update names, emails and groups, disable the agents this connector made that left the account", auth: Auth::AdminKey, request: None, response: (200, Some(schema::<SyncReport>)), errors: &[404, 422, 503], parameters: id_param },
    Route { method: "delete", path: "/admin/connectors/{id}", summary: "Disconnect: its webhook answers 404 from now on", auth: Auth::AdminKey, request: None, response: (204, None), errors: &[404], parameters: id_param },
    Route { method: "get", path: "/admin/policy", summary: "The workspace's policy: the preferences new agents start with and the settings locked for every agent", auth: Auth::AdminKey, request: None, response: (200, Some(schema::<WorkspacePolicy>)), errors: &[], parameters: none },
    Route { method: "put", path: "/admin/policy", summary: "Set the policy: every agent's preferences go under the locks at once (their devices are told on their streams); agents see locked settings as locked, cannot change them (422 naming the setting), and Why? names the lock when it decided", auth: Auth::AdminKey, request: Some(schema::<WorkspacePolicy>), response: (200, Some(schema::<WorkspacePolicy>)), errors: &[422], parameters: none },
    Route { method: "post", path: "/password-setup", summary: "Set a password with a one-time set-up link's token (works once; the agent's sessions are revoked)", auth: Auth::Public, request: Some(schema::<PasswordSetupRequest>), response: (200, Some(schema::<PasswordSetupResult>)), errors: &[401, 422], parameters: none },
    Route { method: "post", path: "/events/signed", summary: "Ingest one event signed with an ingest key's signing secret instead of a bearer key: X-Herald-Key (the key's id), X-Herald-Timestamp (Unix seconds, within 5 minutes), X-Herald-Signature = sha256=HMAC-SHA256(secret, \"{timestamp}.{body}\"); idempotent by the event id", auth: Auth::Public, request: Some(schema::<PlatformEvent>), response: (200, Some(schema::<IngestResult>)), errors: &[401, 409, 413, 422, 503], parameters: none },
    Route { method: "post", path: "/events/batch", summary: "Ingest up to 500 events; one result per event, in order", auth: Auth::IngestKey, request: Some(schema::<IngestBatch>), response: (200, Some(schema::<IngestBatchResult>)), errors: &[413, 422], parameters: none },
];

fn status_text(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No content",
        401 => "Not signed in, or the token / key is invalid or revoked",
        403 => "Refused: a cookie request from another site's page, or without the CSRF token",
        404 => "Not found (or not the caller's)",
        409 => "The same event id was received with another body",
        412 => "The preferences changed since the version in If-Match",
        413 => "The body is too large",
        422 => "Invalid input; `fields` names each bad field",
        428 => "If-Match is required",
        429 => "Too many attempts; see Retry-After",
        503 => "Unavailable (shutting down, storage full); retry",
        _ => "Error",
    }
}

/// The OpenAPI document.
pub fn document() -> Value {
    let mut generator = SchemaSettings::openapi3().into_generator();
    let error = generator.subschema_for::<ApiError>();
    let mut paths = Map::new();
    for route in ROUTES {
        let mut responses = Map::new();
        let (status, body) = route.response;
        let mut ok = json!({ "description": status_text(status) });
        if let Some(body) = body {
            ok["content"] = json!({ "application/json": { "schema": body(&mut generator) } });
        }
        responses.insert(status.to_string(), ok);
        let mut errors: Vec<u16> = route.errors.to_vec();
        if route.auth != Auth::Public {
            errors.push(401);
        }
        errors.push(500);
        errors.sort_unstable();
        errors.dedup();
        for status in errors {
            responses.insert(
                status.to_string(),
                json!({ "description": status_text(status), "content": { "application/json": { "schema": error.clone() } } }),
            );
        }
        let mut operation = json!({
            "summary": route.summary,
            "parameters": (route.parameters)(),
            "responses": responses,
        });
        match route.auth {
            Auth::Public => operation["security"] = json!([]),
            Auth::Session => {
                operation["security"] = json!([{ "session": [] }, { "webSession": [] }]);
            }
            Auth::IngestKey => operation["security"] = json!([{ "ingestKey": [] }]),
            Auth::AdminKey => operation["security"] = json!([{ "adminKey": [] }]),
        }
        if let Some(body) = route.request {
            operation["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": body(&mut generator) } } });
        }
        let entry = paths
            .entry(format!("/api/v1{}", route.path))
            .or_insert_with(|| json!({}));
        entry[route.method] = operation;
    }
    let schemas: Map<String, Value> = generator.take_definitions(true);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "herald-server",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Herald's notification service. Errors are always {\"error\": {\"code\", \"message\", \"fields\"?}}. The live stream (GET /api/v1/stream, WebSocket) is described in docs/stream.md."
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "session": { "type": "http", "scheme": "bearer", "description": "a session token from POST /api/v1/session" },
                "webSession": { "type": "apiKey", "in": "cookie", "name": "herald_session", "description": "the web app's HttpOnly cookie from POST /api/v1/web/session; only from this server's own origin, and POST, PUT and DELETE need the session's CSRF token in X-Herald-CSRF (403 otherwise)" },
                "ingestKey": { "type": "http", "scheme": "bearer", "description": "a workspace ingest key from `herald-server ingest-key create`" },
                "adminKey": { "type": "http", "scheme": "bearer", "description": "a workspace admin key from `herald-server admin-key create`: every /admin route acts on that workspace only" }
            }
        }
    })
}
