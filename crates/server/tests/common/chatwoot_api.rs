//! A stand-in for Chatwoot's application API (the one boundary faked: no Chatwoot runs
//! here), as strict as the real one where Herald depends on it: every request needs the
//! `api_access_token` header with the account's token (401 otherwise, as Chatwoot answers),
//! only GET, only this account's paths. It serves the shapes Chatwoot's API documents:
//! `agents` and `teams` as arrays, `inboxes` and `inbox_members/{id}` as `{"payload": [...]}`,
//! `teams/{id}/team_members` as an array.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// One Chatwoot user.
#[derive(Debug, Clone)]
pub struct User {
    pub id: u64,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Default)]
struct Account {
    users: Vec<User>,
    /// Inbox id → member user ids.
    inboxes: BTreeMap<u64, Vec<u64>>,
    /// Team id → member user ids.
    teams: BTreeMap<u64, Vec<u64>>,
    /// Requests without the right token.
    refused: usize,
}

/// The stand-in, for account 1.
#[derive(Clone)]
pub struct ChatwootApi {
    pub url: String,
    pub token: String,
    account: Arc<Mutex<Account>>,
}

impl ChatwootApi {
    pub async fn start(token: &str) -> ChatwootApi {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let api = ChatwootApi {
            url,
            token: token.to_owned(),
            account: Arc::default(),
        };
        let app = axum::Router::new()
            .route(
                "/api/v1/accounts/{account}/{*rest}",
                axum::routing::get(serve),
            )
            .with_state(api.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        api
    }

    pub fn set_users(&self, users: &[(u64, &str, &str)]) {
        self.account.lock().unwrap().users = users
            .iter()
            .map(|(id, name, email)| User {
                id: *id,
                name: (*name).to_owned(),
                email: (*email).to_owned(),
            })
            .collect();
    }

    pub fn set_inbox(&self, inbox: u64, members: &[u64]) {
        self.account
            .lock()
            .unwrap()
            .inboxes
            .insert(inbox, members.to_vec());
    }

    pub fn set_team(&self, team: u64, members: &[u64]) {
        self.account
            .lock()
            .unwrap()
            .teams
            .insert(team, members.to_vec());
    }

    /// Requests refused for a missing or wrong token.
    pub fn refused(&self) -> usize {
        self.account.lock().unwrap().refused
    }
}

fn agent_json(user: &User) -> serde_json::Value {
    json!({
        "id": user.id,
        "account_id": 1,
        "availability_status": "online",
        "auto_offline": true,
        "confirmed": true,
        "email": user.email,
        "available_name": user.name,
        "name": user.name,
        "role": "agent",
        "thumbnail": "",
    })
}

async fn serve(
    State(api): State<ChatwootApi>,
    Path((account, rest)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let mut state = api.account.lock().unwrap();
    let token = headers
        .get("api_access_token")
        .and_then(|v| v.to_str().ok());
    if token != Some(api.token.as_str()) {
        state.refused += 1;
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "You need to sign in or sign up before continuing."})),
        )
            .into_response();
    }
    if account != "1" {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "Resource could not be found"})),
        )
            .into_response();
    }
    let members = |ids: &[u64]| -> Vec<serde_json::Value> {
        state
            .users
            .iter()
            .filter(|u| ids.contains(&u.id))
            .map(agent_json)
            .collect()
    };
    let parts: Vec<&str> = rest.split('/').collect();
    let body = match parts.as_slice() {
        ["agents"] => json!(state.users.iter().map(agent_json).collect::<Vec<_>>()),
        ["inboxes"] => json!({"payload": state.inboxes.keys().map(|id| json!({"id": id, "name": format!("Inbox {id}"), "channel_type": "Channel::WebWidget"})).collect::<Vec<_>>()}),
        ["inbox_members", id] => match id.parse::<u64>().ok().and_then(|id| state.inboxes.get(&id)) {
            Some(ids) => json!({"payload": members(ids)}),
            None => return StatusCode::NOT_FOUND.into_response(),
        },
        ["teams"] => json!(state.teams.keys().map(|id| json!({"id": id, "name": format!("team {id}"), "allow_auto_assign": true, "account_id": 1, "is_member": false})).collect::<Vec<_>>()),
        ["teams", id, "team_members"] => match id.parse::<u64>().ok().and_then(|id| state.teams.get(&id)) {
            Some(ids) => json!(members(ids)),
            None => return StatusCode::NOT_FOUND.into_response(),
        },
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    Json(body).into_response()
}
