//! A server with local APNs and FCM stand-ins, a moved clock and Ana signed in: what the
//! phone tests share (`phones.rs`, `phones_sync.rs`).

use std::time::Duration;

use chrono::Utc;
use herald_protocol::*;

use super::apns_service::{self, ApnsService, TOPIC};
use super::fcm_service::{self, FcmService};
use super::TestServer;

pub const TOKEN: &str = "5f0c7e2a9b1d4c3e8f6a7b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e";
pub const ANDROID: &str = "cZ3k9vQ1Tq-8yW:APA91bHf0_xK2mLp4rS6tUv8wXy0zA1bC3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5zA7bC9dE1fG3hI5jK7lM9nO1pQ3rS5";

pub struct Setup {
    pub server: TestServer,
    pub apns: ApnsService,
    pub fcm: FcmService,
    pub clock: ManualClock,
    pub token: String,
}

impl Setup {
    /// The server's clock starts 55 minutes back: APNs (and its stand-in) refuse provider
    /// tokens issued in the future, and the tests move the clock up to 51 minutes.
    pub async fn start() -> Setup {
        Self::start_with(|_| {}).await
    }

    /// The same, with `edit` applied to the server's configuration last.
    pub async fn start_with(edit: impl FnOnce(&mut herald_server::ServerConfig)) -> Setup {
        let apns = ApnsService::start().await;
        let fcm = FcmService::start().await;
        let fcm_config = fcm.config();
        let clock = ManualClock::new(Utc::now() - chrono::Duration::minutes(55));
        let moved = clock.clock();
        let config = apns.config();
        let server = TestServer::start_with(|c| {
            c.clock = moved;
            c.push.apns = Some(config);
            c.push.fcm = Some(fcm_config);
            c.push.poll = Duration::from_millis(50);
            c.push.retry_base = Duration::from_millis(10);
            edit(c);
        })
        .await;
        let token = server.sign_in("ana").await;
        Setup {
            server,
            apns,
            fcm,
            clock,
            token,
        }
    }

    pub async fn register(&self, bearer: &str, token: &str) -> reqwest::Response {
        self.register_on(bearer, PushPlatform::Apns, token).await
    }

    pub async fn register_on(
        &self,
        bearer: &str,
        platform: PushPlatform,
        token: &str,
    ) -> reqwest::Response {
        self.server
            .http
            .post(self.server.api("/push/devices"))
            .bearer_auth(bearer)
            .json(&PhoneDeviceRequest {
                platform,
                token: token.into(),
                app_id: TOPIC.into(),
                device_name: Some("Ana's iPhone".into()),
            })
            .send()
            .await
            .unwrap()
    }

    pub async fn devices(&self) -> Vec<PushDevice> {
        self.server.get(&self.token, "/push/subscriptions").await
    }

    /// Waits until the (one) phone's last outcome passes `check`.
    pub async fn wait_last(&self, what: &str, check: impl Fn(&PushOutcome) -> bool) {
        herald_testkit::wait_for(what, || async {
            let devices = self.devices().await;
            let last = devices.first()?.last.as_ref()?;
            check(&last.outcome).then_some(())
        })
        .await
    }

    /// Says `stream`'s window is in front and waits until the server lists it so.
    pub async fn put_in_front(&self, stream: &mut super::Ws, what: &str) {
        stream
            .send(&ClientMessage::Presence { in_front: true })
            .await;
        herald_testkit::wait_for(what, || async {
            let sessions: Vec<SessionInfo> = self.server.get(&self.token, "/sessions").await;
            sessions
                .iter()
                .any(|x| x.live.as_ref().is_some_and(|l| l.in_front))
                .then_some(())
        })
        .await
    }

    /// Waits until the agent has no phone left.
    pub async fn wait_no_devices(&self) {
        herald_testkit::wait_for("the phone removed", || async {
            self.devices().await.is_empty().then_some(())
        })
        .await
    }

    pub async fn wait_received(&self, n: usize) -> Vec<apns_service::Received> {
        herald_testkit::wait_until(&format!("{n} pushes at APNs"), || {
            self.apns.received().len() >= n
        })
        .await;
        self.apns.received()
    }

    pub async fn wait_fcm(&self, n: usize) -> Vec<fcm_service::Received> {
        herald_testkit::wait_until(&format!("{n} messages at FCM"), || {
            self.fcm.received().len() >= n
        })
        .await;
        self.fcm.received()
    }
}
