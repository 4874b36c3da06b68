//! The core's `EventSink` port: every UI event goes to the webview, if a window is open.
//! Nothing is queued for a closed one: a new window asks for the state when it opens. The
//! tray and the badge follow the core's indicators instead (`indicators.rs`).

use herald_core::ports::{EventSink, UiEvent};
use tauri::{AppHandle, Emitter, Runtime};

/// The event name the UI listens on.
pub const EVENT: &str = "herald://ui";

/// Forwards the core's events to the window.
pub struct Sink<R: Runtime> {
    app: AppHandle<R>,
}

impl<R: Runtime> Sink<R> {
    /// A sink for `app`.
    pub fn new(app: AppHandle<R>) -> Sink<R> {
        Sink { app }
    }
}

impl<R: Runtime> EventSink for Sink<R> {
    fn emit(&self, event: UiEvent) {
        if crate::window::main(&self.app).is_some() {
            if let Err(err) = self.app.emit(EVENT, &event) {
                tracing::debug!(error = %err, "the window did not take an event");
            }
        }
    }
}
