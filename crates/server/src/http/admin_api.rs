//! `/admin/…`: the provisioning API, with a workspace's admin key as a bearer token
//! (`herald-server admin-key create`). Every route acts on the key's workspace only; another
//! workspace's agents, keys and connectors are "not found".

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use herald_protocol::{
    AdminAgent, AdminConnector, AdminIngestKey, AgentUpdate, CloseReason, CreatedIngestKey,
    NewAgentRequest, NewChatwootConnector, NewIngestKeyRequest, PasswordSetupRequest,
    PasswordSetupResult, ServerMessage, SetupLink, SyncReport, WorkspacePolicy,
};
use uuid::Uuid;

use super::extract::bearer;
use super::{ApiJson, AppState};
use crate::error::AppError;
use crate::{connectors, provisioning, setup_links};

/// A caller with a valid admin key: the workspace it may administer.
#[derive(Debug, Clone, Copy)]
pub struct AdminCaller {
    /// The key's workspace.
    pub workspace_id: Uuid,
}

impl FromRequestParts<AppState> for AdminCaller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let key = bearer(parts)
            .filter(|k| k.starts_with(crate::token::ADMIN_PREFIX))
            .ok_or(AppError::Unauthorized(
                "the admin API needs Authorization: Bearer <admin key> (herald-server admin-key create)",
            ))?;
        let workspace_id = provisioning::admin_workspace(&state.db, key)
            .await?
            .ok_or(AppError::Unauthorized("unknown or revoked admin key"))?;
        Ok(AdminCaller { workspace_id })
    }
}

/// `GET /admin/agents`.
pub async fn list_agents(
    State(state): State<AppState>,
    admin: AdminCaller,
) -> Result<Json<Vec<AdminAgent>>, AppError> {
    Ok(Json(
        provisioning::list_agents(&state.db, admin.workspace_id).await?,
    ))
}

/// `POST /admin/agents`.
pub async fn create_agent(
    State(state): State<AppState>,
    admin: AdminCaller,
    ApiJson(req): ApiJson<NewAgentRequest>,
) -> Result<(StatusCode, Json<AdminAgent>), AppError> {
    let agent =
        provisioning::create_agent(&state.db, admin.workspace_id, &req, state.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(agent)))
}

/// `GET /admin/agents/{id}`.
pub async fn get_agent(
    State(state): State<AppState>,
    admin: AdminCaller,
    Path(id): Path<Uuid>,
) -> Result<Json<AdminAgent>, AppError> {
    Ok(Json(
        provisioning::get_agent(&state.db, admin.workspace_id, id).await?,
    ))
}

/// `PATCH /admin/agents/{id}`: a disabled agent's live streams close at once.
pub async fn update_agent(
    State(state): State<AppState>,
    admin: AdminCaller,
    Path(id): Path<Uuid>,
    ApiJson(update): ApiJson<AgentUpdate>,
) -> Result<Json<AdminAgent>, AppError> {
    let agent = provisioning::update_agent(
        &state.db,
        admin.workspace_id,
        id,
        &update,
        state.clock.now(),
    )
    .await?;
    if update.disabled == Some(true) {
        state
            .fanout
            .close_agent(id, CloseReason::AgentDisabled)
            .await;
    }
    Ok(Json(agent))
}

/// `POST /admin/agents/{id}/setup-link`: a one-time link to set a password, emailed when the
/// server has a relay.
pub async fn setup_link(
    State(state): State<AppState>,
    admin: AdminCaller,
    Path(id): Path<Uuid>,
) -> Result<Json<SetupLink>, AppError> {
    let base = state
        .web
        .public_url
        .as_deref()
        .ok_or(AppError::Unavailable(
            "this server has no public URL for links: start it with --public-url",
        ))?;
    Ok(Json(
        setup_links::create(
            &state.db,
            state.mailer.as_ref(),
            admin.workspace_id,
            id,
            base,
            state.clock.now(),
        )
        .await?,
    ))
}

/// `POST /password-setup`: the agent's side of the link (no session: the token is the
/// proof).
pub async fn password_setup(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<PasswordSetupRequest>,
) -> Result<Json<PasswordSetupResult>, AppError> {
    Ok(Json(
        setup_links::redeem(&state.db, &req, state.clock.now()).await?,
    ))
}

/// `GET /admin/ingest-keys`.
pub async fn list_ingest_keys(
    State(state): State<AppState>,
    admin: AdminCaller,
) -> Result<Json<Vec<AdminIngestKey>>, AppError> {
    Ok(Json(
        provisioning::list_ingest_keys(&state.db, admin.workspace_id).await?,
    ))
}

/// `POST /admin/ingest-keys`: the key (and signing secret) are in this answer only.
pub async fn create_ingest_key(
    State(state): State<AppState>,
    admin: AdminCaller,
    ApiJson(req): ApiJson<NewIngestKeyRequest>,
) -> Result<(StatusCode, Json<CreatedIngestKey>), AppError> {
    let created =
        provisioning::create_ingest_key(&state.db, admin.workspace_id, &req, state.clock.now())
            .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// `DELETE /admin/ingest-keys/{id}`.
pub async fn revoke_ingest_key(
    State(state): State<AppState>,
    admin: AdminCaller,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, AppError> {
    provisioning::revoke_ingest_key(&state.db, admin.workspace_id, id, state.clock.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /admin/connectors`.
pub async fn list_connectors(
    State(state): State<AppState>,
    admin: AdminCaller,
) -> Result<Json<Vec<AdminConnector>>, AppError> {
    Ok(Json(
        provisioning::list_connectors(&state.db, admin.workspace_id).await?,
    ))
}

/// `POST /admin/connectors`: connect a Chatwoot account to the key's workspace.
pub async fn create_connector(
    State(state): State<AppState>,
    admin: AdminCaller,
    ApiJson(req): ApiJson<NewChatwootConnector>,
) -> Result<(StatusCode, Json<AdminConnector>), AppError> {
    let id = connectors::add_chatwoot_to(
        &state.db,
        admin.workspace_id,
        &req,
        state.clock.now(),
        state.syncer.settings.allow_private,
    )
    .await?;
    let created = provisioning::list_connectors(&state.db, admin.workspace_id)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or(AppError::NotFound("the connector vanished"))?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// `POST /admin/connectors/{id}/sync`: reads the Chatwoot account's agents now.
pub async fn sync_connector(
    State(state): State<AppState>,
    admin: AdminCaller,
    Path(id): Path<Uuid>,
) -> Result<Json<SyncReport>, AppError> {
    let theirs = provisioning::list_connectors(&state.db, admin.workspace_id)
        .await?
        .iter()
        .any(|c| c.id == id);
    if !theirs {
        return Err(AppError::NotFound("no such connector in this workspace"));
    }
    Ok(Json(
        state.syncer.sync(&state.db, id, state.clock.now()).await?,
    ))
}

/// `DELETE /admin/connectors/{id}`.
pub async fn remove_connector(
    State(state): State<AppState>,
    admin: AdminCaller,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, AppError> {
    provisioning::remove_connector(&state.db, admin.workspace_id, id, state.clock.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /admin/policy`: the workspace's starting preferences and locks.
pub async fn get_policy(
    State(state): State<AppState>,
    admin: AdminCaller,
) -> Result<Json<WorkspacePolicy>, AppError> {
    let mut conn = state.db.reader.acquire().await?;
    Ok(Json(
        crate::workspace_policy::get(&mut conn, admin.workspace_id).await?,
    ))
}

/// `PUT /admin/policy`: sets them; every agent's preferences go under the locks at once, and
/// their devices hear of it on their streams.
pub async fn put_policy(
    State(state): State<AppState>,
    admin: AdminCaller,
    ApiJson(policy): ApiJson<WorkspacePolicy>,
) -> Result<Json<WorkspacePolicy>, AppError> {
    let changed =
        crate::workspace_policy::set(&state.db, admin.workspace_id, &policy, state.clock.now())
            .await?;
    for (agent, preferences) in changed {
        state
            .hub
            .publish(agent, &ServerMessage::PreferencesChanged { preferences });
    }
    let mut conn = state.db.reader.acquire().await?;
    Ok(Json(
        crate::workspace_policy::get(&mut conn, admin.workspace_id).await?,
    ))
}
