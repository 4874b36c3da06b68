//! # herald-testkit
//!
//! Test support shared by the crates' tests (a dev-dependency only).
//!
//! # Layout
//!
//! - [`wait_until`] / [`wait_for`]: poll for the state a test means, and fail with what was
//!   awaited when it does not come within [`DEADLINE`]. A wait loop that ends without failing
//!   is how a test passes without checking anything; use these instead.
//! - [`runs_with`]: a test that needs a tool the machine may lack fails unless the
//!   environment opts out explicitly, and then says loudly that it did not run.

use std::future::Future;
use std::time::Duration;

/// How long a wait may take before the test fails. Generous: the machines are shared and
/// noisy, and a wait only costs time when something is wrong.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// How often a wait looks again.
const POLL: Duration = Duration::from_millis(20);

/// Waits until `check` holds; panics with `what` after [`DEADLINE`].
pub async fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    wait_for(what, || std::future::ready(check().then_some(()))).await
}

/// Waits until `check` yields a value and returns it; panics with `what` after [`DEADLINE`].
pub async fn wait_for<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {DEADLINE:?} waiting until {what}"
        );
        tokio::time::sleep(POLL).await;
    }
}

/// For a test that needs something outside the project (an SMTP server from Python, the OS
/// keychain): `true` (run) if `present`; if not, panics with `missing` unless the environment
/// variable `opt_out` is set, in which case it prints a loud `SKIPPED` line and returns
/// `false` so the test can return. CI never sets the opt-outs.
#[must_use = "a test that is told not to run must return"]
pub fn runs_with(present: bool, opt_out: &str, missing: &str) -> bool {
    if present {
        return true;
    }
    assert!(
        std::env::var_os(opt_out).is_some(),
        "{missing} (scripts/test.sh installs what the tests need; set {opt_out}=1 to skip these tests on purpose)"
    );
    eprintln!("SKIPPED ({opt_out} is set): {missing}");
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_wait_returns_once_the_state_holds() {
        let mut calls = 0;
        wait_until("the third look", || {
            calls += 1;
            calls == 3
        })
        .await;
        assert_eq!(calls, 3, "it looked until the state held, and no more");
    }

    #[tokio::test(start_paused = true)]
    #[should_panic(expected = "waiting until a state that never comes")]
    async fn a_wait_that_never_ends_fails_with_what_it_awaited() {
        wait_until("a state that never comes", || false).await;
    }

    #[test]
    #[should_panic(expected = "set HERALD_TESTKIT_NEVER_SET=1 to skip")]
    fn a_missing_tool_fails_unless_opted_out() {
        let _ = runs_with(false, "HERALD_TESTKIT_NEVER_SET", "no such tool");
    }
}
