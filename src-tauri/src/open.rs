//! Opening an item's conversation: the account marks it read and hands back its https link
//! (the only kind it ever hands back); the OS opens it with tauri-plugin-opener.

use herald_core::accounts::Accounts;
use herald_core::client::NotificationAction;
use herald_core::error::{CoreError, ErrorKind, Result};
use tauri::{AppHandle, Runtime};
use tauri_plugin_opener::OpenerExt;
use uuid::Uuid;

/// Acts on an item from the bell or its OS notification. `Ok(false)`: there was no link
/// to open.
pub async fn act<R: Runtime>(
    app: &AppHandle<R>,
    account: &Accounts,
    id: Uuid,
    action: NotificationAction,
) -> Result<bool> {
    let Some(link) = account.act(id, action).await? else {
        return Ok(false);
    };
    app.opener()
        .open_url(link, None::<&str>)
        .map_err(|e| CoreError::new(ErrorKind::Os, format!("the link could not be opened: {e}")))?;
    Ok(true)
}
