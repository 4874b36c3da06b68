//! `herald://` links (read by herald-core's `links`: anything but the exact forms is refused
//! and logged, and opens nothing): from the first start's arguments, a second start's
//! (Linux, Windows: the OS starts the app with the link), and the OS's own delivery
//! (macOS, mobile) through tauri-plugin-deep-link. The scheme is declared for the bundles in
//! `tauri.conf.json`.

use herald_core::accounts::Accounts;
use herald_core::links::{from_args, Link};
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_deep_link::DeepLinkExt;

/// Opens what the first acceptable link among `args` asks for; returns whether one did.
pub fn open<'a, R: Runtime>(app: &AppHandle<R>, args: impl IntoIterator<Item = &'a str>) -> bool {
    let (link, refused) = from_args(args);
    for reason in refused {
        tracing::warn!(reason, "a herald:// link was refused");
    }
    let Some(link) = link else {
        return false;
    };
    crate::window::show(app);
    if let (Link::Item(id), Some(account)) = (link, app.try_state::<Accounts>()) {
        account.focus_item(id);
    }
    true
}

/// Follows the links the OS hands the running app (macOS, iOS, Android).
pub fn follow<R: Runtime>(app: &AppHandle<R>) {
    let handle = app.clone();
    app.deep_link().on_open_url(move |event| {
        let urls: Vec<String> = event.urls().iter().map(ToString::to_string).collect();
        open(&handle, urls.iter().map(String::as_str));
    });
}
