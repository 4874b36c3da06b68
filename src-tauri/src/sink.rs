//! The core's `EventSink` port: every UI event goes to the webview (if a window is open;
//! nothing is queued for a closed one, it reloads the state when it opens) and updates the
//! tray and the badge.

use herald_core::ports::{EventSink, UiEvent};
use tauri::{AppHandle, Emitter, Manager};

use crate::herald::Herald;

/// The event name the UI listens on.
pub const EVENT: &str = "herald://ui";

/// Forwards the core's events.
pub struct Sink {
    app: AppHandle,
}

impl Sink {
    /// A sink for `app`.
    pub fn new(app: AppHandle) -> Sink {
        Sink { app }
    }
}

impl EventSink for Sink {
    fn emit(&self, event: UiEvent) {
        self.app.state::<Herald>().observe(&event);
        if crate::window::main(&self.app).is_some() {
            if let Err(err) = self.app.emit(EVENT, &event) {
                tracing::debug!(error = %err, "the window did not take an event");
            }
        }
    }
}
