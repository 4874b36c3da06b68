//! The shell on Tauri's mock runtime: the real builder (plugins, setup, the account wired to
//! its adapters, every command), driven through IPC the way the webview calls it, against a
//! real herald-server on 127.0.0.1:0 (started by the core's test support). No window system,
//! no keychain (an in-memory store).

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use herald_app::{app_builder, Options};
use herald_core::account::AccountConfig;
use herald_core::secret::MemoryStore;
use herald_testkit::DEADLINE;
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{WebviewWindow, WebviewWindowBuilder};

// The core's test support: a real herald-server with agent "ana" and an ingest key.
#[path = "../../crates/core/tests/support/mod.rs"]
mod support;

use support::{reply, TestServer, PASSWORD};

/// Calls a command as the webview does; `Err` is the command's `{kind, message}`.
fn call(
    window: &WebviewWindow<tauri::test::MockRuntime>,
    cmd: &str,
    args: Value,
) -> Result<Value, Value> {
    get_ipc_response(
        window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            // The app's own origin (a local URL: the webview's IPC is allowed only there).
            url: if cfg!(windows) {
                "http://tauri.localhost"
            } else {
                "tauri://localhost"
            }
            .parse()
            .unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().unwrap())
}

/// Calls until `done` holds for the answer (the stream delivers in the background).
fn call_until(
    window: &WebviewWindow<tauri::test::MockRuntime>,
    cmd: &str,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = std::time::Instant::now() + DEADLINE;
    loop {
        let answer = call(window, cmd, json!({})).unwrap();
        if done(&answer) {
            return answer;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting until {what}: {answer}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn the_commands_drive_the_core_through_ipc() {
    let dir = tempfile::tempdir().unwrap();
    let server = tauri::async_runtime::block_on(TestServer::start());
    let url = server.url();

    let mut app = app_builder(
        mock_builder(),
        Options {
            secrets: Arc::new(MemoryStore::default()),
            data_dir: Some(dir.path().join("app")),
            account: AccountConfig::default(),
            tray: false,
            autostart: false,
        },
    )
    .build(mock_context(noop_assets()))
    .unwrap();
    // The mock runtime has no event loop to say "ready": one iteration runs the setup.
    #[allow(deprecated)]
    app.run_iteration(|_, _| {});
    let window = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();

    let session = call_until(&window, "session_state", "the start-up restore ends", |s| {
        s["restoring"] == false
    });
    assert_eq!(session["signed_in"], false, "{session}");

    let wrong = call(
        &window,
        "sign_in",
        json!({"server": url, "email": "ana@acme.test", "password": "nope"}),
    )
    .unwrap_err();
    assert_eq!(
        wrong["kind"], "signed_out",
        "a typed error the UI branches on: {wrong}"
    );

    let agent = call(
        &window,
        "sign_in",
        json!({"server": url, "email": "ana@acme.test", "password": PASSWORD}),
    )
    .unwrap();
    assert_eq!(agent["external_id"], "ana");
    call_until(&window, "bell", "the stream is live", |bell| {
        bell["connection"]["state"] == "live"
    });

    let mut assignment = reply("ipc-1");
    assignment.kind = herald_protocol::EventKind::Assignment;
    tauri::async_runtime::block_on(server.ingest_event(&assignment));
    let bell = call_until(&window, "bell", "the assignment is in the bell", |bell| {
        bell["items"]
            .as_array()
            .is_some_and(|items| items.len() == 1)
    });
    assert_eq!(bell["unread"]["total"], 1, "{bell}");
    let id = bell["items"][0]["id"].clone();
    let trail = call(&window, "why", json!({"id": id})).unwrap();
    assert_eq!(trail["server"]["push"]["outcome"], "deliver", "{trail}");

    let prefs = call(
        &window,
        "edit_preferences",
        json!({"edit": {"edit": "push_scope", "scope": "all"}}),
    )
    .unwrap();
    assert_eq!(prefs["push_scope"], "all");
    let paused = call(&window, "pause", json!({"preset": "hour"})).unwrap();
    assert!(paused["paused_until"].is_string(), "{paused}");
    let refused = call(&window, "pause", json!({"preset": "forever"})).unwrap_err();
    assert!(refused.to_string().contains("forever"), "{refused}");

    let diagnostics = call(&window, "diagnostics", json!({})).unwrap();
    let topics: Vec<&str> = diagnostics["cards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["topic"].as_str().unwrap())
        .collect();
    assert_eq!(topics, ["push", "email", "noise", "save"]);
    let push = &diagnostics["cards"][0];
    assert_eq!(push["verdict"], "problem", "paused: {push}");

    let preview = call(&window, "preview_rules", json!({})).unwrap();
    assert!(preview["rows"].is_array(), "{preview}");

    let snoozed = call(
        &window,
        "snooze",
        json!({"target": {"scope": "items", "ids": [id]}, "until": {"choice": "hour"}}),
    )
    .unwrap();
    assert_eq!(snoozed["unread"]["total"], 0, "{snoozed}");
    let bell = call(&window, "bell", json!({})).unwrap();
    assert!(bell["items"][0]["snoozed_until"].is_string(), "{bell}");
    let back = call(
        &window,
        "snooze",
        json!({"target": {"scope": "items", "ids": [id]}}),
    )
    .unwrap();
    assert_eq!(back["unread"]["total"], 1, "brought back: {back}");

    call(&window, "mark", json!({"ids": [id], "read": true})).unwrap();
    call_until(&window, "bell", "the counter drops", |bell| {
        bell["unread"]["total"] == 0
    });

    // The accounts: this one, shown; the item says whose it is; another id is refused.
    let session = call(&window, "session_state", json!({})).unwrap();
    let shown = session["accounts"]["active"].clone();
    assert_eq!(session["accounts"]["accounts"][0]["id"], shown, "{session}");
    assert_eq!(bell["items"][0]["account"], shown, "{bell}");
    let switched = call(&window, "switch_account", json!({"accountId": shown})).unwrap();
    assert_eq!(switched["active"], shown);
    let unknown = call(&window, "switch_account", json!({"accountId": "0000ffff"})).unwrap_err();
    assert_eq!(unknown["kind"], "not_found", "{unknown}");

    call(&window, "sign_out", json!({})).unwrap();
    let session = call(&window, "session_state", json!({})).unwrap();
    assert_eq!(session["signed_in"], false);
    let after = call(&window, "bell", json!({})).unwrap_err();
    assert_eq!(after["kind"], "signed_out", "{after}");

    let mut server = server;
    tauri::async_runtime::block_on(server.running.take().unwrap().shutdown());
}

/// Every command the shell registers is granted to the main window, and nothing else: the
/// mock runtime above does not check permissions, the real app does (a command missing from
/// `build.rs` or `capabilities/main.json` fails there with "not allowed").
#[test]
fn every_command_is_registered_permitted_and_granted() {
    let root = env!("CARGO_MANIFEST_DIR");
    let read = |path: &str| std::fs::read_to_string(format!("{root}/{path}")).unwrap();
    let lib = read("src/lib.rs");
    let handler = lib
        .split("generate_handler![")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .unwrap();
    let mut registered: Vec<String> = handler
        .split(',')
        .map(|c| c.trim().trim_start_matches("commands::").to_owned())
        .filter(|c| !c.is_empty())
        .collect();
    let build = read("build.rs");
    let list = build
        .split("const COMMANDS: &[&str] = &[")
        .nth(1)
        .and_then(|rest| rest.split("];").next())
        .unwrap();
    let mut permitted: Vec<String> = list
        .split(',')
        .map(|c| c.trim().trim_matches('"').to_owned())
        .filter(|c| !c.is_empty())
        .collect();
    let capability: Value = serde_json::from_str(&read("capabilities/main.json")).unwrap();
    let mut granted: Vec<String> = capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p.as_str()?.strip_prefix("allow-"))
        .map(|p| p.replace('-', "_"))
        .collect();
    registered.sort();
    permitted.sort();
    granted.sort();
    assert_eq!(
        registered, permitted,
        "build.rs lists every registered command"
    );
    assert_eq!(
        registered, granted,
        "the main window is granted every command"
    );
}
