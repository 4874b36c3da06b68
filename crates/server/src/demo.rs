//! The embedded demo: a seeded workspace and a simulator that posts realistic traffic
//! through the real ingest API, so Herald runs end to end on a fresh machine.

use std::time::Duration;

use chrono::Utc;
use herald_protocol::{ActorRef, ConversationRef, EventKind, ModuleInfo, PlatformEvent, Severity};
use rand_core::{OsRng, RngCore};
use tokio_util::sync::CancellationToken;

use crate::admin::{self, NewAgent};
use crate::db::Db;
use crate::error::AppError;

/// The demo workspace.
pub const WORKSPACE: &str = "Demo Support";
/// Where the demo's conversations link to (declared for the workspace, so links are kept).
pub const LINK_ORIGIN: &str = "https://demo.herald.test";
/// The demo agents' password (a demo, on loopback: printed on start).
pub const PASSWORD: &str = "herald-demo";

/// The demo agents: (platform id, name, email, groups).
pub const AGENTS: [(&str, &str, &str, &str); 3] = [
    ("ana", "Ana Souza", "ana@demo.herald.test", "inbox:support"),
    (
        "bruno",
        "Bruno Lima",
        "bruno@demo.herald.test",
        "inbox:support",
    ),
    (
        "carla",
        "Carla Mendes",
        "carla@demo.herald.test",
        "team:billing",
    ),
];

/// Seeds the demo workspace if it is empty; returns a fresh ingest key for the simulator.
pub async fn seed(db: &Db) -> Result<String, AppError> {
    if admin::list_agents(db, Some(WORKSPACE)).await?.is_empty() {
        for (external_id, name, email, group) in AGENTS {
            admin::add_agent(
                db,
                &NewAgent {
                    workspace: WORKSPACE.into(),
                    external_id: external_id.into(),
                    email: email.into(),
                    name: name.into(),
                    password: PASSWORD.into(),
                    groups: vec![group.into()],
                },
            )
            .await?;
        }
    }
    admin::set_link_origins(db, WORKSPACE, &[LINK_ORIGIN.into()]).await?;
    let (_, key) = admin::create_ingest_key(db, WORKSPACE, Some("demo simulator")).await?;
    Ok(key)
}

const CUSTOMERS: [&str; 6] = [
    "Marina Costa",
    "João Pereira",
    "Lucía Fernández",
    "Tom O'Reilly",
    "Zoë <b>Bold</b>",
    "李雷",
];
const SUBJECTS: [&str; 7] = [
    "Pedido #4821 não chegou",
    "Refund for a double charge",
    "Não consigo acessar minha conta",
    "Invoice address is wrong",
    "<img src=x onerror=alert(1)> hello",
    "Integração com WhatsApp parou",
    "Cancel my subscription, please",
];
const MESSAGES: [&str; 5] = [
    "Olá, alguma novidade sobre o meu pedido?",
    "I have been waiting for three days now.",
    "Segue o comprovante em anexo.",
    "<script>alert('x')</script> can someone help?",
    "Thanks, that fixed it! 🎉",
];

/// A small random source (the OS's), for picking demo data.
fn pick<T: Copy>(items: &[T]) -> T {
    items[(OsRng.next_u32() as usize) % items.len()]
}

/// One realistic event; `n` numbers it.
pub fn event(n: u64) -> PlatformEvent {
    let agents: Vec<&str> = AGENTS.iter().map(|a| a.0).collect();
    let conversation_number = 1000 + u64::from(OsRng.next_u32() % 12);
    let conversation = ConversationRef {
        id: format!("c-{conversation_number}"),
        inbox_id: Some("support".into()),
        team_id: None,
        subject: Some(pick(&SUBJECTS).into()),
        customer_name: Some(pick(&CUSTOMERS).into()),
        url: Some(format!(
            "{LINK_ORIGIN}/conversations/c-{conversation_number}"
        )),
    };
    let customer = ActorRef {
        agent_id: None,
        name: conversation.customer_name.clone().unwrap_or_default(),
    };
    let agent = pick(&agents);
    let other = agents
        .iter()
        .copied()
        .find(|a| *a != agent)
        .unwrap_or(agent);
    let agent_actor = |id: &str| ActorRef {
        agent_id: Some(id.into()),
        name: AGENTS.iter().find(|a| a.0 == id).map_or(id, |a| a.1).into(),
    };
    let base = PlatformEvent {
        id: format!("demo-{}-{n}", Utc::now().timestamp_millis()),
        kind: EventKind::Reply,
        occurred_at: Utc::now(),
        conversation: Some(conversation),
        actor: None,
        assignee: None,
        mentioned: vec![],
        participants: vec![],
        text: Some(pick(&MESSAGES).into()),
        module: None,
        recipients: vec![],
        teams: vec![],
    };
    match OsRng.next_u32() % 10 {
        0 | 1 => PlatformEvent {
            kind: EventKind::NewConversation,
            actor: Some(customer),
            ..base
        },
        2 | 3 => PlatformEvent {
            kind: EventKind::Assignment,
            actor: Some(agent_actor(other)),
            assignee: Some(agent.into()),
            text: None,
            ..base
        },
        4 | 5 => PlatformEvent {
            kind: EventKind::Mention,
            actor: Some(agent_actor(other)),
            mentioned: vec![agent.into()],
            text: Some(format!("@{agent} can you take a look at this one?")),
            ..base
        },
        6 | 7 => PlatformEvent {
            kind: EventKind::Reply,
            actor: Some(customer),
            assignee: Some(agent.into()),
            ..base
        },
        8 => PlatformEvent {
            kind: EventKind::Module,
            conversation: None,
            text: None,
            module: Some(ModuleInfo {
                name: "billing".into(),
                kind: "invoice_overdue".into(),
                severity: pick(&[Severity::Info, Severity::Warning, Severity::Critical]),
                title: "Invoice 2026-11 is overdue".into(),
                body: Some("The customer's card was declined twice.".into()),
            }),
            recipients: vec![agent.into()],
            ..base
        },
        _ => PlatformEvent {
            kind: EventKind::parse("sla_breach"),
            actor: None,
            recipients: vec![agent.into()],
            text: Some("First-response SLA breached".into()),
            ..base
        },
    }
}

/// Posts events to `url`'s ingest API at `per_second` until cancelled.
pub async fn simulate(url: String, key: String, per_second: f64, stop: CancellationToken) {
    let client = reqwest::Client::new();
    let period = Duration::from_secs_f64(1.0 / per_second.clamp(0.01, 1000.0));
    let mut ticks = tokio::time::interval(period);
    let mut n = 0u64;
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = ticks.tick() => {}
        }
        n += 1;
        let event = event(n);
        let sent = client
            .post(format!("{url}/api/v1/events"))
            .bearer_auth(&key)
            .json(&event)
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => {
                tracing::debug!(kind = %event.kind, "demo event ingested")
            }
            Ok(r) => tracing::warn!(status = %r.status(), "demo event refused"),
            Err(e) => tracing::warn!(error = %e, "demo event not sent"),
        }
    }
}
