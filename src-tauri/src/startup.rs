//! Start-up timings in the log, measured from process start: the benchmark
//! (`ui/app-e2e/bench.mjs`) prints these lines ("set up", "start-up restore done", "first
//! bell for the UI").

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

static STARTED: OnceLock<Instant> = OnceLock::new();
static BELL_SHOWN: AtomicBool = AtomicBool::new(false);

/// Marks the process start (the first call wins).
pub fn begin() {
    STARTED.get_or_init(Instant::now);
}

/// Milliseconds since [`begin`].
pub fn elapsed_ms() -> u128 {
    STARTED.get_or_init(Instant::now).elapsed().as_millis()
}

/// Logs a start-up step.
pub fn step(what: &'static str) {
    tracing::info!(after_ms = elapsed_ms(), "{what}");
}

/// Logs the first time the UI asks for the bell.
pub fn first_bell() {
    if !BELL_SHOWN.swap(true, Ordering::Relaxed) {
        step("first bell for the UI");
    }
}
