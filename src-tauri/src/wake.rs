//! Reconnecting at once when the computer wakes up or the network comes back, instead of
//! waiting for the heartbeat or the backoff: what the OS says goes to [`Accounts::wake`].
//!
//! - Linux: the login manager's `PrepareForSleep(false)` and NetworkManager's
//!   `StateChanged(70)` ("connected, global") on the system bus. `HERALD_WAKE_BUS=session`
//!   listens on the session bus instead, where the end-to-end test sends them.
//! - Everywhere: herald-core's clock watch (`Accounts::watch_sleep`) sees a sleep by the
//!   wall clock running ahead of the monotonic one.
//!
//! Windows and macOS have no listener of their own here yet (their power and network
//! notifications need a window procedure and an `NSWorkspace` observer): the clock watch
//! covers sleep there, network changes wait for the heartbeat.

use herald_core::accounts::Accounts;
use tokio_util::sync::CancellationToken;

/// Starts the watches; they end with `stop`.
pub fn follow(account: Accounts, stop: CancellationToken) {
    let clocks = account.clone();
    let token = stop.clone();
    tauri::async_runtime::spawn(async move { clocks.watch_sleep(token).await });
    #[cfg(target_os = "linux")]
    tauri::async_runtime::spawn(async move {
        if let Err(err) = linux::listen(account, stop).await {
            tracing::info!(error = %err, "no wake-up signals from D-Bus; the clock watch remains");
        }
    });
    #[cfg(not(target_os = "linux"))]
    drop((account, stop));
}

#[cfg(target_os = "linux")]
mod linux {
    use futures_util::StreamExt;
    use herald_core::accounts::Accounts;
    use tokio_util::sync::CancellationToken;
    use zbus::message::Type;
    use zbus::{Connection, MatchRule, MessageStream};

    /// NetworkManager's `NM_STATE_CONNECTED_GLOBAL`.
    const CONNECTED: u32 = 70;

    /// A signal of `interface` named `member`, from whoever sends it (a forged one only
    /// makes the app reconnect).
    async fn signals(
        bus: &Connection,
        interface: &'static str,
        member: &'static str,
    ) -> zbus::Result<MessageStream> {
        let rule = MatchRule::builder()
            .msg_type(Type::Signal)
            .interface(interface)?
            .member(member)?
            .build();
        MessageStream::for_match_rule(rule, bus, Some(16)).await
    }

    pub(super) async fn listen(account: Accounts, stop: CancellationToken) -> zbus::Result<()> {
        let bus = match std::env::var("HERALD_WAKE_BUS").as_deref() {
            Ok("session") => Connection::session().await?,
            _ => Connection::system().await?,
        };
        let mut sleeps = signals(&bus, "org.freedesktop.login1.Manager", "PrepareForSleep").await?;
        let mut network = signals(&bus, "org.freedesktop.NetworkManager", "StateChanged").await?;
        tracing::debug!("following sleep and network signals on D-Bus");
        loop {
            let woke = tokio::select! {
                () = stop.cancelled() => return Ok(()),
                Some(Ok(message)) = sleeps.next() => {
                    // true: about to sleep; false: awake again.
                    message.body().deserialize::<bool>().is_ok_and(|going| !going)
                }
                Some(Ok(message)) = network.next() => {
                    message.body().deserialize::<u32>().is_ok_and(|state| state == CONNECTED)
                }
                else => return Ok(()),
            };
            if woke {
                account.wake();
            }
        }
    }
}
