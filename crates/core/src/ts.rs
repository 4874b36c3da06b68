//! TypeScript declarations for the UI, generated from the core's types: everything the shell
//! sends to the UI (views, [`UiEvent`], errors, diagnostics) and what the UI sends back.
//!
//! `ui/src/lib/generated/core.ts` is produced by [`typescript_module`] and checked in; the
//! test `tests/typescript.rs` fails when it is stale (`HERALD_BLESS=1` rewrites it). It
//! imports the protocol's types from the sibling `protocol.ts`.

use herald_protocol::ts::{export, exported_names};

use crate::client::{OsOutcome, Trail};
use crate::diagnostics::{
    Card, Diagnostics, EventsOn, Finding, NotificationService, OsCheck, Row, ServerCheck, Topic,
    Verdict,
};
use crate::error::{CoreError, ErrorKind};
use crate::ports::{ConnState, UiEvent};
use crate::prefsync::SaveStatus;
use crate::views::{AccountSummary, AccountsView, BellItem, BellView, PrefsView, SessionView};
use crate::web::WebFacts;

/// The whole generated TypeScript module, in a stable order.
pub fn typescript_module() -> String {
    let decls = [
        // errors
        export::<ErrorKind>(),
        export::<CoreError>(),
        // state pushed and asked for
        export::<ConnState>(),
        export::<SaveStatus>(),
        export::<OsOutcome>(),
        export::<Trail>(),
        export::<UiEvent>(),
        export::<AccountSummary>(),
        export::<AccountsView>(),
        export::<SessionView>(),
        export::<BellItem>(),
        export::<BellView>(),
        export::<PrefsView>(),
        // diagnostics
        export::<NotificationService>(),
        export::<OsCheck>(),
        export::<ServerCheck>(),
        export::<Row>(),
        export::<EventsOn>(),
        export::<Topic>(),
        export::<Verdict>(),
        export::<Finding>(),
        export::<Card>(),
        export::<Diagnostics>(),
        export::<WebFacts>(),
    ];
    let body = decls.join("\n");
    let imported: Vec<String> = exported_names()
        .into_iter()
        .filter(|name| mentions(&body, name))
        .collect();
    let mut out = String::from(
        "// Generated from the Rust types of herald-core by `crates/core/src/ts.rs`.\n\
         // Do not edit: run `HERALD_BLESS=1 cargo test -p herald-core --test typescript`.\n\n",
    );
    out.push_str(&format!(
        "import type {{ {} }} from \"./protocol\";\n\n",
        imported.join(", ")
    ));
    out.push_str(&body);
    out
}

/// Whether `name` stands in `text` as a whole word.
fn mentions(text: &str, name: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}
