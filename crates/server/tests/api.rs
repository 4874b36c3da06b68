//! The REST API against a real server: auth, ingest, inbox, preferences, isolation, hostile
//! input.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use herald_protocol::*;
use reqwest::StatusCode;
use serde_json::json;

async fn error_of(response: reqwest::Response) -> (StatusCode, ApiError) {
    let status = response.status();
    let body = response.text().await.unwrap();
    let error: ApiError =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("not the error shape ({e}): {body}"));
    (status, error)
}

#[tokio::test]
async fn sign_in_does_not_tell_which_emails_exist_and_is_rate_limited() {
    let server = TestServer::start_with(|c| c.sign_in_limits = (3, 100)).await;
    let attempt = |email: &str, password: &str| {
        server
            .http
            .post(server.api("/session"))
            .json(&json!({"email": email, "password": password}))
            .send()
    };
    let (status, wrong_password) = error_of(attempt("ana@acme.test", "nope").await.unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, unknown_email) = error_of(attempt("nobody@acme.test", "nope").await.unwrap()).await;
    assert_eq!(
        wrong_password, unknown_email,
        "same answer for an unknown email and a wrong password"
    );
    attempt("ana@acme.test", "nope").await.unwrap();
    attempt("ana@acme.test", "nope").await.unwrap();
    let limited = attempt("ana@acme.test", PASSWORD).await.unwrap();
    assert_eq!(
        limited.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    assert!(limited.headers().contains_key("retry-after"));
    let (_, error) = error_of(limited).await;
    assert_eq!(error.error.code, ErrorCode::RateLimited);
    // Other agents are not locked out by ana's attempts.
    let ok = attempt("BRUNO@acme.test ", PASSWORD).await.unwrap();
    assert_eq!(
        ok.status(),
        StatusCode::OK,
        "emails are case- and space-insensitive"
    );
    let grant: SessionGrant = ok.json().await.unwrap();
    assert!(grant.token.starts_with("hrld_s_") && grant.token.len() >= 32);
    assert_eq!(grant.agent.external_id, "bruno");
    assert_eq!(grant.agent.workspace, WORKSPACE);
}

#[tokio::test]
async fn sessions_are_listed_and_revocable_one_by_one() {
    let server = TestServer::start().await;
    let laptop = server.sign_in("ana").await;
    let phone = server.sign_in("ana").await;
    let sessions: Vec<SessionInfo> = server.get(&laptop, "/sessions").await;
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions.iter().filter(|s| s.current).count(), 1);
    let other = sessions.iter().find(|s| !s.current).unwrap().id;
    let revoked = server
        .http
        .delete(server.api(&format!("/sessions/{other}")))
        .bearer_auth(&laptop)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let me = server
        .http
        .get(server.api("/me"))
        .bearer_auth(&phone)
        .send()
        .await
        .unwrap();
    assert_eq!(
        me.status(),
        StatusCode::UNAUTHORIZED,
        "the phone's session is gone"
    );
    let me: AgentProfile = server.get(&laptop, "/me").await;
    assert_eq!(me.email, "ana@acme.test");
    // Another agent cannot revoke ana's session.
    let bruno = server.sign_in("bruno").await;
    let sessions: Vec<SessionInfo> = server.get(&laptop, "/sessions").await;
    let theirs = server
        .http
        .delete(server.api(&format!("/sessions/{}", sessions[0].id)))
        .bearer_auth(&bruno)
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status(), StatusCode::NOT_FOUND);
}

/// The (method, path) of every route the OpenAPI table lists with `auth`.
fn routes_of(auth: herald_server::openapi::Auth) -> Vec<(String, String)> {
    herald_server::openapi::ROUTES
        .iter()
        .filter(|r| r.auth == auth)
        .map(|r| {
            let path = r
                .path
                .replace("{id}", "0193e3f0-0000-7000-8000-000000000000");
            (r.method.to_uppercase(), path)
        })
        .collect()
}

/// Asserts that each route answers 401 `unauthorized` to each of `tokens`.
async fn refuse_all(server: &TestServer, routes: &[(String, String)], tokens: &[Option<&str>]) {
    for (method, path) in routes {
        for token in tokens {
            let mut request = server
                .http
                .request(method.parse().unwrap(), server.api(path));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let (status, error) = error_of(request.send().await.unwrap()).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} with {token:?}"
            );
            assert_eq!(error.error.code, ErrorCode::Unauthorized);
        }
    }
}

#[tokio::test]
async fn every_authenticated_route_refuses_missing_or_bad_tokens() {
    let server = TestServer::start().await;
    let session = server.sign_in("ana").await;
    // Every route the OpenAPI table says needs a session (the table is checked against the
    // router by tests/openapi.rs), and every admin route, which takes a valid admin key only.
    let session_routes = routes_of(herald_server::openapi::Auth::Session);
    assert!(
        session_routes.len() >= 20,
        "the table lists the session routes"
    );
    refuse_all(
        &server,
        &session_routes,
        &[None, Some("hrld_s_0000"), Some(&server.key)],
    )
    .await;
    let admin_routes = routes_of(herald_server::openapi::Auth::AdminKey);
    assert!(admin_routes.len() >= 10, "the table lists the admin routes");
    let wrong = [
        None,
        Some("hrld_a_0000"),
        Some(server.key.as_str()),
        Some(&session),
    ];
    refuse_all(&server, &admin_routes, &wrong).await;
    // Ingest refuses session tokens and revoked keys.
    let ana = server.sign_in("ana").await;
    let as_agent = server
        .http
        .post(server.api("/events"))
        .bearer_auth(&ana)
        .json(&reply("x", "c", "ana"))
        .send()
        .await
        .unwrap();
    assert_eq!(as_agent.status(), StatusCode::UNAUTHORIZED);
    let keys = herald_server::admin::list_ingest_keys(&server.running().db)
        .await
        .unwrap();
    herald_server::admin::revoke_ingest_key(&server.running().db, keys[0].0.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(
        server.ingest(&reply("y", "c", "ana")).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn ingest_is_idempotent_by_event_id() {
    let server = TestServer::start().await;
    let event = reply("dup-1", "c-1", "ana");
    let first = server.ingest_ok(&event).await;
    assert!(!first.duplicate);
    let second = server.ingest_ok(&event).await;
    assert!(second.duplicate, "the same event twice is one event");
    assert_eq!(second.recipients, first.recipients);
    let mut changed = event.clone();
    changed.text = Some("another body".into());
    let (status, error) = error_of(server.ingest(&changed).await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error.error.code, ErrorCode::Conflict);
    let ana = server.sign_in("ana").await;
    let items = server.all_items(&ana).await;
    assert_eq!(items.len(), 1, "one inbox row for the duplicate");
}

#[tokio::test]
async fn recipients_follow_the_conversation_and_never_include_the_author() {
    let server = TestServer::start().await;
    // bruno assigns c-9 to ana; then bruno replies (participant); then the customer replies.
    let mut assign = reply("r1", "c-9", "ana");
    assign.kind = EventKind::Assignment;
    assign.actor = Some(ActorRef {
        agent_id: Some("bruno".into()),
        name: "Bruno".into(),
    });
    assert_eq!(server.ingest_ok(&assign).await.recipients, 1);
    let mut by_bruno = reply("r2", "c-9", "ana");
    by_bruno.assignee = None;
    by_bruno.actor = Some(ActorRef {
        agent_id: Some("bruno".into()),
        name: "Bruno".into(),
    });
    assert_eq!(
        server.ingest_ok(&by_bruno).await.recipients,
        1,
        "ana only: bruno wrote it"
    );
    let mut by_customer = reply("r3", "c-9", "ana");
    by_customer.assignee = None;
    assert_eq!(
        server.ingest_ok(&by_customer).await.recipients,
        2,
        "ana (assignee) and bruno (participant)"
    );

    // A new conversation in inbox support goes to its members (ana, bruno), not carla.
    let mut new = reply("n1", "c-10", "ana");
    new.kind = EventKind::NewConversation;
    new.assignee = None;
    assert_eq!(server.ingest_ok(&new).await.recipients, 2);
    // In an inbox nobody is registered for: the whole workspace (not the other workspace).
    new.id = "n2".into();
    new.conversation.as_mut().unwrap().inbox_id = Some("sales".into());
    assert_eq!(server.ingest_ok(&new).await.recipients, 3);

    // Module events name their recipients; unknown platform ids are skipped.
    let module = PlatformEvent {
        kind: EventKind::Module,
        conversation: None,
        module: Some(ModuleInfo {
            name: "billing".into(),
            kind: "overdue".into(),
            severity: Severity::Critical,
            title: "Overdue".into(),
            body: None,
        }),
        recipients: vec!["carla".into(), "ghost".into(), "zed".into()],
        ..reply("m1", "c", "ana")
    };
    assert_eq!(
        server.ingest_ok(&module).await.recipients,
        1,
        "carla only: ghost is unknown, zed is another workspace"
    );
    let carla = server.sign_in("carla").await;
    let items = server.all_items(&carla).await;
    let item = items.iter().find(|n| n.event_id == "m1").unwrap();
    assert_eq!(item.severity, Some(Severity::Critical));
    assert_eq!(item.title, "Overdue");
}

#[tokio::test]
async fn malformed_and_hostile_events_get_clear_errors_and_lose_nothing() {
    let server = TestServer::start().await;
    let post_raw = |body: String| {
        server
            .http
            .post(server.api("/events"))
            .bearer_auth(&server.key)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let (status, error) = error_of(post_raw("{not json".into()).await.unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error.error.code, ErrorCode::InvalidInput);
    assert!(!error.error.message.is_empty());

    let (status, error) = error_of(
        post_raw(json!({"id": "x", "kind": "reply"}).to_string())
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error.error.message.contains("occurred_at"),
        "{}",
        error.error.message
    );

    let mut module = reply("bad-module", "c", "ana");
    module.kind = EventKind::Module;
    let (_, error) = error_of(server.ingest(&module).await).await;
    let fields: Vec<&str> = error
        .error
        .fields
        .iter()
        .map(|f| f.field.as_str())
        .collect();
    assert_eq!(fields, ["module", "recipients"]);

    let mut test = reply("fake-test", "c", "ana");
    test.kind = EventKind::Test;
    assert_eq!(
        server.ingest(&test).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );

    let huge = json!({"id": "big", "kind": "reply", "occurred_at": "2026-11-24T15:00:00Z", "text": "z".repeat(300 * 1024)});
    let (status, error) = error_of(post_raw(huge.to_string()).await.unwrap()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error.error.code, ErrorCode::PayloadTooLarge);

    // Hostile and odd text is stored and returned as data, byte for byte.
    let hostile_subject = "<img src=x onerror=alert(1)>\u{202e}evil\u{0000}";
    let hostile_text = "<script>alert('x')</script> \u{1F469}\u{200D}\u{1F469}\u{200D}\u{1F467} Ωmega \r\nBcc: x@y";
    let mut event = reply("hostile", "c-<b>", "ana");
    event.conversation.as_mut().unwrap().subject = Some(hostile_subject.into());
    event.conversation.as_mut().unwrap().customer_name =
        Some("\"Robert'); DROP TABLE agents;--".into());
    event.text = Some(hostile_text.into());
    event.kind = EventKind::parse("brand_new_kind");
    event.recipients = vec!["ana".into()];
    server.ingest_ok(&event).await;
    let ana = server.sign_in("ana").await;
    let page: InboxPage = server.get(&ana, "/inbox").await;
    let item = &page.items[0];
    assert_eq!(item.title, hostile_subject);
    assert_eq!(item.body, hostile_text);
    assert_eq!(
        item.kind,
        EventKind::Unknown("brand_new_kind".into()),
        "unknown kinds are kept"
    );
    assert!(item.decision.dashboard.delivers(), "and shown on the bell");
    let agents = herald_server::admin::list_agents(&server.running().db, None)
        .await
        .unwrap();
    assert_eq!(agents.len(), 4, "the agents table is fine");
}

#[tokio::test]
async fn the_inbox_pages_counts_and_marks() {
    let server = TestServer::start().await;
    let ana = server.sign_in("ana").await;
    for n in 0..7 {
        server
            .ingest_ok(&reply(
                &format!("p{n}"),
                if n < 4 { "c-a" } else { "c-b" },
                "ana",
            ))
            .await;
    }
    let page: InboxPage = server.get(&ana, "/inbox?limit=3").await;
    assert_eq!(
        page.items.iter().map(|n| n.seq).collect::<Vec<_>>(),
        [7, 6, 5],
        "newest first"
    );
    assert_eq!(page.next_before, Some(5));
    assert_eq!(page.unread.total, 7);
    let next: InboxPage = server.get(&ana, "/inbox?limit=3&before=5").await;
    assert_eq!(
        next.items.iter().map(|n| n.seq).collect::<Vec<_>>(),
        [4, 3, 2]
    );

    let mark = |body: MarkRequest| {
        server
            .http
            .post(server.api("/inbox/mark"))
            .bearer_auth(&ana)
            .json(&body)
            .send()
    };
    let first = page.items[0].id;
    let result: MarkResult = mark(MarkRequest::Items {
        ids: vec![first],
        read: true,
    })
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!((result.changed, result.unread.total), (1, 6));
    let again: MarkResult = mark(MarkRequest::Items {
        ids: vec![first],
        read: true,
    })
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(again.changed, 0, "marking twice changes nothing");
    let one: Notification = server.get(&ana, &format!("/inbox/{first}")).await;
    assert!(one.read_at.is_some());
    let unread_only: InboxPage = server.get(&ana, "/inbox?unread=true&limit=50").await;
    assert_eq!(unread_only.items.len(), 6);
    let back: MarkResult = mark(MarkRequest::Items {
        ids: vec![first],
        read: false,
    })
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(back.unread.total, 7);
    let conv: MarkResult = mark(MarkRequest::Conversation {
        conversation_id: "c-a".into(),
    })
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!((conv.changed, conv.unread.total), (4, 3));
    let all: MarkResult = mark(MarkRequest::All).await.unwrap().json().await.unwrap();
    assert_eq!((all.changed, all.unread.total), (3, 0));
    let counter: UnreadCount = server.get(&ana, "/inbox/unread").await;
    assert_eq!(counter.total, 0);
}

#[tokio::test]
async fn items_off_the_bell_are_kept_for_why_but_not_counted() {
    let server = TestServer::start().await;
    let ana = server.sign_in("ana").await;
    // New conversations are bell-only by default; switch the bell off for them.
    server
        .edit_prefs(&ana, |p| p.events.new_conversation = ChannelSet::NONE)
        .await;
    let mut new = reply("quiet-new", "c-n", "ana");
    new.kind = EventKind::NewConversation;
    new.assignee = None;
    server.ingest_ok(&new).await;
    let bell: InboxPage = server.get(&ana, "/inbox").await;
    assert!(bell.items.is_empty(), "not on the bell");
    assert_eq!(bell.unread.total, 0, "not counted");
    let all: InboxPage = server.get(&ana, "/inbox?all=true").await;
    assert_eq!(all.items.len(), 1, "but kept, to answer why");
    assert_eq!(
        all.items[0].decision.dashboard.reasons,
        [Reason::ChannelOff]
    );
}

#[tokio::test]
async fn preferences_are_versioned_validated_and_per_agent() {
    let server = TestServer::start().await;
    let ana = server.sign_in("ana").await;
    let response = server
        .http
        .get(server.api("/preferences"))
        .bearer_auth(&ana)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers().get("etag").unwrap(), "\"1\"");
    let current: VersionedPreferences = response.json().await.unwrap();
    assert_eq!(
        current.preferences,
        Preferences::default(),
        "new agents start with the spec's defaults"
    );

    let put = |version: Option<&str>, prefs: &Preferences| {
        let mut request = server
            .http
            .put(server.api("/preferences"))
            .bearer_auth(&ana)
            .json(prefs);
        if let Some(v) = version {
            request = request.header("If-Match", v);
        }
        request.send()
    };
    let mut prefs = current.preferences.clone();
    prefs.push_scope = PushScope::All;
    let (status, error) = error_of(put(None, &prefs).await.unwrap()).await;
    assert_eq!(
        (status, error.error.code),
        (
            StatusCode::PRECONDITION_REQUIRED,
            ErrorCode::PreconditionRequired
        )
    );
    let ok = put(Some("\"1\""), &prefs).await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.headers().get("etag").unwrap(), "\"2\"");
    let (status, error) = error_of(put(Some("\"1\""), &prefs).await.unwrap()).await;
    assert_eq!(
        (status, error.error.code),
        (
            StatusCode::PRECONDITION_FAILED,
            ErrorCode::PreconditionFailed
        )
    );
    assert!(
        error.error.message.contains("now 2"),
        "{}",
        error.error.message
    );

    let mut bad = prefs.clone();
    bad.email.time_zone = "Mars/Olympus".into();
    bad.sound.volume = 150;
    let (status, error) = error_of(put(Some("2"), &bad).await.unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = error
        .error
        .fields
        .iter()
        .map(|f| f.field.as_str())
        .collect();
    assert_eq!(fields, ["email.time_zone", "sound.volume"]);
    let (_, error) = error_of(
        server
            .http
            .put(server.api("/preferences"))
            .bearer_auth(&ana)
            .header("If-Match", "2")
            .header("content-type", "application/json")
            .body("{\"events\": 3}")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(error.error.code, ErrorCode::InvalidInput);

    let bruno = server.sign_in("bruno").await;
    let theirs: VersionedPreferences = server.get(&bruno, "/preferences").await;
    assert_eq!(theirs.version, 1, "ana's change did not touch bruno");
    assert_eq!(theirs.preferences.push_scope, PushScope::AssignedToMe);
}

#[tokio::test]
async fn the_test_notification_runs_the_whole_pipeline() {
    let server = TestServer::start().await;
    let ana = server.sign_in("ana").await;
    let send_test = || server.post::<TestNotificationResult>(&ana, "/test-notification");
    // No live stream yet, no SMTP relay on this server: said as such, not "delivered".
    let result = send_test().await;
    assert_eq!(result.notification.kind, EventKind::Test);
    assert_eq!(result.bell, TestBell::Stored { live_streams: 0 });
    assert_eq!(result.email, TestEmail::NotConfigured);
    assert_eq!(
        result.push,
        TestPush::NoDevices,
        "the policy would push; no browser or phone is registered for it"
    );
    let unread: UnreadCount = server.get(&ana, "/inbox/unread").await;
    assert_eq!(unread.total, 1, "it is a real inbox item");

    // Two live streams: the item was handed to both, and they get it.
    let mut first = server.connect(&ana).await;
    first.resume(1, None).await;
    first.until_live().await;
    let mut second = server.connect(&ana).await;
    second.resume(1, None).await;
    second.until_live().await;
    let result = send_test().await;
    assert_eq!(result.bell, TestBell::Stored { live_streams: 2 });
    for ws in [&mut first, &mut second] {
        assert_eq!(ws.next_item().await.id, result.notification.id);
    }

    // With push and email unused by every event, the test says so.
    server
        .edit_prefs(&ana, |p| {
            p.events.assignment.email = false;
            p.events.mention.email = false;
            for row in [
                &mut p.events.new_conversation,
                &mut p.events.assignment,
                &mut p.events.mention,
                &mut p.events.reply,
                &mut p.events.module,
                &mut p.events.other,
            ] {
                row.push = false;
            }
        })
        .await;
    let result = send_test().await;
    assert_eq!(result.push, TestPush::Off);
    assert_eq!(
        result.notification.decision.email.reasons,
        [Reason::ChannelUnused]
    );
}

#[tokio::test]
async fn one_agent_can_never_reach_another_agents_items() {
    let server = TestServer::start().await;
    server.ingest_ok(&reply("secret", "c-s", "ana")).await;
    let ana = server.sign_in("ana").await;
    let bruno = server.sign_in("bruno").await;
    let zed = server.sign_in("zed").await;
    let anas: InboxPage = server.get(&ana, "/inbox").await;
    let id = anas.items[0].id;
    for intruder in [&bruno, &zed] {
        let page: InboxPage = server.get(intruder, "/inbox?all=true").await;
        assert!(
            page.items.is_empty(),
            "another agent's inbox is empty of ana's items"
        );
        let one = server
            .http
            .get(server.api(&format!("/inbox/{id}")))
            .bearer_auth(intruder)
            .send()
            .await
            .unwrap();
        assert_eq!(one.status(), StatusCode::NOT_FOUND);
        for body in [
            MarkRequest::Items {
                ids: vec![id],
                read: true,
            },
            MarkRequest::All,
            MarkRequest::Conversation {
                conversation_id: "c-s".into(),
            },
        ] {
            let result: MarkResult = server
                .http
                .post(server.api("/inbox/mark"))
                .bearer_auth(intruder)
                .json(&body)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(result.changed, 0, "{body:?} touched nothing of ana's");
        }
        let unread: UnreadCount = server.get(intruder, "/inbox/unread").await;
        assert_eq!(unread.total, 0);
        let mut ws = server.connect(intruder).await;
        ws.resume(0, None).await;
        assert!(
            items(&ws.until_live().await).is_empty(),
            "nothing of ana's replays on another stream"
        );
    }
    let still: InboxPage = server.get(&ana, "/inbox?unread=true").await;
    assert_eq!(still.items.len(), 1, "ana's item is still unread");
}

#[tokio::test]
async fn unknown_routes_answer_in_the_error_shape() {
    let server = TestServer::start().await;
    let (status, error) =
        error_of(server.http.get(server.api("/nope")).send().await.unwrap()).await;
    assert_eq!(
        (status, error.error.code),
        (StatusCode::NOT_FOUND, ErrorCode::NotFound)
    );
    let health: serde_json::Value = server
        .http
        .get(server.api("/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
}

#[tokio::test]
async fn a_batch_stores_the_good_events_and_reports_each_bad_one() {
    let server = TestServer::start().await;
    let mut bad_module = reply("b-module", "c", "ana");
    bad_module.kind = EventKind::Module;
    let b1 = serde_json::to_value(reply("b1", "c-1", "ana")).unwrap();
    let events = vec![
        b1.clone(),
        json!({"id": "b-broken", "kind": "reply"}),
        serde_json::to_value(&bad_module).unwrap(),
        serde_json::to_value(reply("b2", "c-1", "ana")).unwrap(),
        b1, // the same event again: a duplicate, not a conflict
        json!(42),
    ];
    let response = server.ingest_batch(&events).await;
    assert_eq!(response.status(), StatusCode::OK);
    let batch: IngestBatchResult = response.json().await.unwrap();
    let summary: Vec<String> = batch
        .results
        .iter()
        .map(|r| match r {
            IngestItemResult::Ingested { result } => {
                format!("ok {} dup={}", result.event_id, result.duplicate)
            }
            IngestItemResult::Rejected { event_id, error } => {
                format!("rejected {event_id:?} {:?}", error.code)
            }
        })
        .collect();
    assert_eq!(
        summary,
        [
            "ok b1 dup=false",
            "rejected Some(\"b-broken\") InvalidInput",
            "rejected Some(\"b-module\") InvalidInput",
            "ok b2 dup=false",
            "ok b1 dup=true",
            "rejected None InvalidInput",
        ]
    );
    let ana = server.sign_in("ana").await;
    let stored: Vec<String> = server
        .all_items(&ana)
        .await
        .into_iter()
        .map(|n| n.event_id)
        .collect();
    assert_eq!(
        stored,
        ["b1", "b2"],
        "the good events are stored once, in order"
    );

    let too_many: Vec<serde_json::Value> =
        (0..501).map(|n| json!({"id": format!("x{n}")})).collect();
    let (status, _) = error_of(server.ingest_batch(&too_many).await).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn a_revoked_ingest_key_stops_working_within_the_cache_time() {
    let server =
        TestServer::start_with(|c| c.ingest_key_ttl = std::time::Duration::from_millis(300)).await;
    server.ingest_ok(&reply("k1", "c-1", "ana")).await; // the key is now cached
    let keys = herald_server::admin::list_ingest_keys(&server.running().db)
        .await
        .unwrap();
    herald_server::admin::revoke_ingest_key(&server.running().db, keys[0].0.parse().unwrap())
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let (status, error) = error_of(server.ingest(&reply("k2", "c-1", "ana")).await).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "revoked from another process: refused after the cache time"
    );
    assert_eq!(error.error.code, ErrorCode::Unauthorized);
}

#[tokio::test]
async fn a_test_mention_follows_the_rules_for_mentions() {
    let server = TestServer::start().await;
    let ana = server.sign_in("ana").await;
    // Mentions do not push and do not always alert; assignments still push.
    server
        .edit_prefs(&ana, |p| {
            p.events.mention.push = false;
            p.mentions_always_alert = false;
        })
        .await;
    let mention: TestNotificationResult =
        server.post(&ana, "/test-notification?mention=true").await;
    assert_eq!(mention.notification.kind, EventKind::Mention);
    assert!(mention.notification.context.mentioned);
    assert_eq!(mention.push, TestPush::Off, "the mention row's push is off");
    assert!(
        mention
            .notification
            .decision
            .push
            .reasons
            .iter()
            .any(|r| matches!(r, Reason::ChannelOff)),
        "{:?}",
        mention.notification.decision.push
    );
    assert_eq!(mention.bell, TestBell::Stored { live_streams: 0 });
    // The plain test goes to every channel some event uses: push is in use (assignments).
    let plain: TestNotificationResult = server.post(&ana, "/test-notification").await;
    assert_eq!(plain.notification.kind, EventKind::Test);
    assert_eq!(plain.push, TestPush::NoDevices);
}
