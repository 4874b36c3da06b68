//! Workspace defaults and locked settings against a real server: an admin's locks reach
//! every agent's preferences (and their live streams) at once, a save that changes a locked
//! setting is refused naming it, the policy applies the locked value and "Why?" names the
//! lock, new agents start from the workspace's defaults, other workspaces are untouched; an
//! agent's own inbox and team rules (mute one, always push one) apply on the server.

#![allow(clippy::unwrap_used)]

mod common;

use chrono::Utc;
use common::*;
use herald_protocol::*;
use herald_server::{admin, provisioning};
use reqwest::StatusCode;
use serde_json::json;

async fn admin_key(server: &TestServer, workspace: &str) -> String {
    let db = &server.running().db;
    let ws = admin::ensure_workspace(db, workspace).await.unwrap();
    provisioning::create_admin_key(db, ws, None, Utc::now())
        .await
        .unwrap()
        .1
}

async fn put_policy(
    server: &TestServer,
    key: &str,
    policy: serde_json::Value,
) -> reqwest::Response {
    server
        .http
        .put(server.api("/admin/policy"))
        .bearer_auth(key)
        .json(&policy)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn locked_settings_hold_on_the_server_and_say_who_locked_them() {
    let server = TestServer::start().await;
    let key = admin_key(&server, WORKSPACE).await;
    let ana = server.sign_in("ana").await;
    let mut ws = server.connect(&ana).await;
    ws.resume(0, None).await;
    ws.until_live().await;
    // Ana had switched assignment push off.
    server
        .edit_prefs(&ana, |p| p.events.assignment.push = false)
        .await;

    let mut defaults = Preferences::default();
    defaults.events.reply.push = false;
    defaults.language = Language::PtBr;
    let policy = json!({
        "defaults": defaults,
        "locks": [
            {"setting": "channel", "kind": "assignment", "channel": "push", "on": true},
            {"setting": "mentions_always_alert", "on": true},
        ],
        "locked_by": "Acme leads",
    });
    let response = put_policy(&server, &key, policy).await;
    assert_eq!(response.status(), StatusCode::OK);

    // Her devices hear of it on the stream, and her preferences say it.
    // (Her own edit above was announced first.)
    let changed = loop {
        if let ServerMessage::PreferencesChanged { preferences } = ws.next().await.unwrap() {
            if !preferences.preferences.locks.is_empty() {
                break preferences;
            }
        }
    };
    assert!(changed.preferences.events.assignment.push);
    assert_eq!(changed.preferences.locked_by.as_deref(), Some("Acme leads"));
    assert_eq!(changed.preferences.locks.len(), 2);
    let current: VersionedPreferences = server.get(&ana, "/preferences").await;
    assert_eq!(current, changed);

    // Switching the locked cell off is refused, naming it; a free setting saves.
    let mut attempt = current.preferences.clone();
    attempt.events.assignment.push = false;
    attempt.events.reply.email = true;
    let refused = server
        .http
        .put(server.api("/preferences"))
        .bearer_auth(&ana)
        .header("If-Match", current.version.to_string())
        .json(&attempt)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(
        body["error"]["fields"][0]["field"],
        "events.assignment.push"
    );
    assert_eq!(
        body["error"]["fields"][0]["message"],
        "locked by Acme leads"
    );
    let edits = server
        .http
        .post(server.api("/preferences/edits"))
        .bearer_auth(&ana)
        .json(&json!({"edits": [{"edit": "mentions_always_alert", "on": false}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(edits.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let saved = server
        .edit_prefs(&ana, |p| p.events.reply.email = true)
        .await;
    assert!(saved.preferences.events.reply.email && saved.preferences.events.assignment.push);
    // Sending the lock list back changed cannot unlock anything.
    let mut sneaky = saved.preferences.clone();
    sneaky.locks.clear();
    sneaky.locked_by = None;
    let sneaked = server
        .http
        .put(server.api("/preferences"))
        .bearer_auth(&ana)
        .header("If-Match", saved.version.to_string())
        .json(&sneaky)
        .send()
        .await
        .unwrap();
    assert_eq!(sneaked.status(), StatusCode::OK);
    let after: VersionedPreferences = sneaked.json().await.unwrap();
    assert_eq!(
        after.preferences.locks.len(),
        2,
        "the workspace's locks come back"
    );

    // The policy applies the locked value, and Why? names the lock.
    server
        .ingest_ok(&assignment("e-1", "c-1", "Locked on"))
        .await;
    let item = server.all_items(&ana).await.pop().unwrap();
    assert!(item.decision.push.delivers());
    assert_eq!(
        item.decision.push.reasons[0],
        Reason::Locked {
            by: "Acme leads".into()
        }
    );

    // New agents start from the workspace's defaults, under its locks.
    let created: AdminAgent = server
        .http
        .post(server.api("/admin/agents"))
        .bearer_auth(&key)
        .json(&json!({"external_id": "dora", "email": "dora@acme.test", "name": "Dora", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(created.email, "dora@acme.test");
    let dora = server.sign_in("dora").await;
    let hers: VersionedPreferences = server.get(&dora, "/preferences").await;
    assert!(
        !hers.preferences.events.reply.push,
        "the workspace's default"
    );
    assert_eq!(hers.preferences.language, Language::PtBr);
    assert_eq!(hers.preferences.locked_by.as_deref(), Some("Acme leads"));

    // Another workspace is untouched.
    let zed = server.sign_in("zed").await;
    let theirs: VersionedPreferences = server.get(&zed, "/preferences").await;
    assert!(theirs.preferences.locks.is_empty());

    // Unlocked: the values stay, the agent may change them again.
    let response = put_policy(&server, &key, json!({"locks": []})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let free = server
        .edit_prefs(&ana, |p| p.events.assignment.push = false)
        .await;
    assert!(!free.preferences.events.assignment.push);
    assert!(free.preferences.locks.is_empty() && free.preferences.locked_by.is_none());
}

#[tokio::test]
async fn a_bad_policy_is_refused_with_each_problem() {
    let server = TestServer::start().await;
    let key = admin_key(&server, WORKSPACE).await;
    let mut defaults = Preferences::default();
    defaults.email.time_zone = "Mars/Olympus".into();
    let response = put_policy(
        &server,
        &key,
        json!({
            "defaults": defaults,
            "locks": [
                {"setting": "channel", "kind": "test", "channel": "push", "on": true},
                {"setting": "mentions_always_alert", "on": true},
                {"setting": "mentions_always_alert", "on": false},
            ],
        }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = response.json().await.unwrap();
    let fields: Vec<&str> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["locks[0].kind", "locks[2]", "defaults.email.time_zone"]
    );
    // Nothing was stored.
    let policy: WorkspacePolicy = server
        .http
        .get(server.api("/admin/policy"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(policy, WorkspacePolicy::default());
}

#[tokio::test]
async fn an_agents_inbox_and_team_rules_apply_on_the_server() {
    let server = TestServer::start().await;
    let ana = server.sign_in("ana").await;
    let me: AgentProfile = server.get(&ana, "/me").await;
    assert_eq!(
        me.groups,
        ["inbox:support"],
        "her groups, for the rules' list"
    );
    let edit = |group: &str, action: Option<&str>| json!({"edits": [{"edit": "group_rule", "group": group, "action": action}]});
    let muted: VersionedPreferences = server
        .post_json(
            &ana,
            "/preferences/edits",
            &edit("inbox:support", Some("mute")),
        )
        .await;
    assert_eq!(
        muted.preferences.group_rules,
        [GroupRule {
            group: "inbox:support".into(),
            action: GroupAction::Mute
        }]
    );
    // A reply in her inbox: on the bell, no push, and Why? says the inbox is muted.
    server.ingest_ok(&reply("e-1", "c-1", "ana")).await;
    let item = server.all_items(&ana).await.pop().unwrap();
    assert_eq!(item.context.group_rule, Some(GroupAction::Mute));
    assert!(item.decision.dashboard.delivers() && !item.decision.push.delivers());
    assert!(item.decision.push.reasons.contains(&Reason::GroupMuted));
    // A mention there still alerts (mentions always alert is on).
    let mut mention = common::mention("e-2", "ana", "bruno");
    if let Some(c) = mention.conversation.as_mut() {
        c.inbox_id = Some("support".into());
    }
    server.ingest_ok(&mention).await;
    let item = server.all_items(&ana).await.pop().unwrap();
    assert!(item.decision.push.delivers());

    // Carla takes billing's push although she only takes push for her own conversations.
    let carla = server.sign_in("carla").await;
    server
        .edit_prefs(&carla, |p| p.events.new_conversation.push = true)
        .await;
    let _: VersionedPreferences = server
        .post_json(
            &carla,
            "/preferences/edits",
            &edit("team:billing", Some("push_always")),
        )
        .await;
    let mut new = reply("e-3", "c-9", "nobody");
    new.kind = EventKind::NewConversation;
    new.assignee = None;
    if let Some(c) = new.conversation.as_mut() {
        c.inbox_id = None;
        c.team_id = Some("billing".into());
    }
    server.ingest_ok(&new).await;
    let item = server.all_items(&carla).await.pop().unwrap();
    assert!(item.decision.push.delivers(), "{:?}", item.decision.push);
    assert!(item
        .decision
        .push
        .reasons
        .contains(&Reason::GroupPushAlways));

    // A rule for something that is not an inbox or team is refused.
    let bad = server
        .http
        .post(server.api("/preferences/edits"))
        .bearer_auth(&ana)
        .json(&edit("admins", Some("mute")))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Removed: her inbox interrupts again.
    let cleared: VersionedPreferences = server
        .post_json(&ana, "/preferences/edits", &edit("inbox:support", None))
        .await;
    assert!(cleared.preferences.group_rules.is_empty());
}
