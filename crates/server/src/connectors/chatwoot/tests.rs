//! The mapping on Chatwoot-shaped payloads (`tests/fixtures/chatwoot/`, built from
//! Chatwoot's webhook payloads: `conversation.webhook_data` and `message.webhook_data`).

use super::*;

macro_rules! fixture {
    ($name:literal) => {
        serde_json::from_str::<Value>(include_str!(concat!(
            "../../../tests/fixtures/chatwoot/",
            $name,
            ".json"
        )))
        .expect("a fixture")
    };
}

fn account() -> Account {
    Account {
        id: "1".into(),
        base_url: "https://chat.acme.example".into(),
    }
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_000_500, 0).expect("a time")
}

fn one(payload: &Value) -> PlatformEvent {
    match map(payload, "d-1", &account(), now()) {
        Mapped::Events(mut events) if events.len() == 1 => events.remove(0),
        other => panic!("expected one event, got {other:?}"),
    }
}

fn ignored(payload: &Value) -> String {
    match map(payload, "d-1", &account(), now()) {
        Mapped::Ignored(reason) => reason,
        other => panic!("expected it ignored, got {other:?}"),
    }
}

#[test]
fn a_new_conversation_goes_to_its_inbox_and_its_assignee() {
    let e = one(&fixture!("conversation_created"));
    assert_eq!(e.id, "chatwoot-d-1");
    assert_eq!(e.kind, EventKind::NewConversation);
    assert_eq!(e.assignee.as_deref(), Some("5"));
    assert_eq!(e.occurred_at.timestamp(), 1_767_000_000);
    let c = e.conversation.expect("a conversation");
    assert_eq!(c.id, "1042");
    assert_eq!(c.inbox_id.as_deref(), Some("3"));
    assert_eq!(c.team_id, None);
    assert_eq!(
        c.url.as_deref(),
        Some("https://chat.acme.example/app/accounts/1/conversations/1042")
    );
    // Text stays text: the notification shows it as given.
    assert_eq!(c.customer_name.as_deref(), Some("Maria <b>Souza</b>"));
    assert_eq!(
        e.text.as_deref(),
        Some("My order <script>alert(1)</script> never arrived")
    );
}

#[test]
fn an_assignee_change_is_an_assignment_of_the_new_assignee() {
    let e = one(&fixture!("conversation_assigned"));
    assert_eq!(e.kind, EventKind::Assignment);
    assert_eq!(e.assignee.as_deref(), Some("6"));
    let c = e.conversation.expect("a conversation");
    assert_eq!(c.subject.as_deref(), Some("Refund for order 5521"));
    assert_eq!(c.team_id.as_deref(), Some("2"));
    // Unassigned: nobody to tell.
    let mut unassigned = fixture!("conversation_assigned");
    unassigned["changed_attributes"][0]["assignee_id"]["current_value"] = Value::Null;
    assert_eq!(ignored(&unassigned), "the conversation was unassigned");
    // Changed to a bot: not an agent.
    let mut bot = fixture!("conversation_assigned");
    bot["meta"]["assignee_type"] = "AgentBot".into();
    assert_eq!(
        one(&bot).assignee.as_deref(),
        Some("6"),
        "the change names the user id"
    );
}

#[test]
fn a_team_change_is_an_assignment_to_the_teams_members() {
    let e = one(&fixture!("conversation_team"));
    assert_eq!(e.kind, EventKind::Assignment);
    assert_eq!(e.assignee, None);
    assert_eq!(e.teams, ["2"]);
    let c = e.conversation.expect("a conversation");
    assert_eq!(c.subject.as_deref(), Some("João (#1043)"));
}

#[test]
fn a_private_note_mentions_users_and_teams() {
    let e = one(&fixture!("note_mention"));
    assert_eq!(e.kind, EventKind::Mention);
    assert_eq!(e.mentioned, ["5", "999"]);
    assert_eq!(e.teams, ["2"]);
    let actor = e.actor.expect("an actor");
    assert_eq!(actor.agent_id.as_deref(), Some("6"));
    assert_eq!(actor.name, "Bruno Lima");
    assert_eq!(
        e.text.as_deref(),
        Some("@Ana Souza and @billing can you check? cc @Nobody Known")
    );
    // A note without mentions notifies nobody.
    let mut plain = fixture!("note_mention");
    plain["content"] = "internal: waiting for the warehouse".into();
    assert_eq!(ignored(&plain), "a private note that mentions nobody");
}

#[test]
fn customer_messages_and_agent_replies_are_replies() {
    let incoming = one(&fixture!("message_incoming"));
    assert_eq!(incoming.kind, EventKind::Reply);
    assert_eq!(incoming.assignee.as_deref(), Some("6"));
    let actor = incoming.actor.expect("the customer");
    assert_eq!(actor.agent_id, None, "a contact is not an agent");
    assert_eq!(actor.name, "Maria Souza");
    let outgoing = one(&fixture!("message_outgoing"));
    assert_eq!(outgoing.kind, EventKind::Reply);
    assert_eq!(
        outgoing.actor.and_then(|a| a.agent_id).as_deref(),
        Some("6"),
        "the agent who wrote is the actor (never notified of their own reply)"
    );
    let mut by_bot = fixture!("message_outgoing");
    by_bot["sender"]["type"] = "agent_bot".into();
    assert_eq!(ignored(&by_bot), "a message sent by a bot or an automation");
    let mut activity = fixture!("message_incoming");
    activity["message_type"] = "activity".into();
    assert_eq!(ignored(&activity), "an activity message");
}

#[test]
fn a_status_change_tells_the_assignee() {
    let e = one(&fixture!("conversation_resolved"));
    assert_eq!(e.kind, EventKind::Module);
    assert_eq!(e.recipients, ["6"]);
    let module = e.module.expect("a module part");
    assert_eq!(module.kind, "conversation_resolved");
    assert_eq!(module.title, "Conversation #1042 is now resolved");
    let mut hostile = fixture!("conversation_resolved");
    hostile["status"] = "<img src=x>".into();
    assert_eq!(
        one(&hostile).module.expect("module").kind,
        "conversation_changed"
    );
}

#[test]
fn other_events_and_other_accounts_are_ignored_with_a_reason() {
    assert_eq!(
        ignored(&fixture!("contact_created")),
        "Herald does not notify about \"contact_created\" events"
    );
    let mut elsewhere = fixture!("message_incoming");
    elsewhere["account"]["id"] = 2.into();
    assert_eq!(
        ignored(&elsewhere),
        "sent for Chatwoot account 2, but this connector is for account 1"
    );
    assert_eq!(
        ignored(&serde_json::json!({})),
        "the delivery names no event"
    );
}

#[test]
fn mention_markup_is_read_strictly() {
    assert_eq!(
        mentions("[@A](mention://user/12/A) [@A again](mention://user/12/A) [@T](mention://team/3/T) mention://other/4 mention://user/x"),
        (vec!["12".to_owned()], vec!["3".to_owned()])
    );
    assert_eq!(plain_text("no markup [@ here"), "no markup [@ here");
    assert_eq!(
        plain_text("[@x](https://evil.example)"),
        "[@x](https://evil.example)"
    );
    assert_eq!(plain_text("ok [@Zé](mention://user/1/Z%C3%A9)!"), "ok @Zé!");
}

#[test]
fn an_automation_rules_webhook_event_tells_the_assignee_or_the_team() {
    let mut rule = fixture!("conversation_resolved");
    rule["event"] = "automation_event.first_response_sla <b>".into();
    let e = one(&rule);
    assert_eq!(e.kind, EventKind::Module);
    assert_eq!(e.recipients, ["6"]);
    let module = e.module.expect("a module part");
    assert_eq!(module.kind, "automation.first_response_slab");
    assert_eq!(module.severity, Severity::Warning);
    assert_eq!(
        module.title,
        "Chatwoot rule \"first_response_slab\" on conversation #1042"
    );
    let mut team = fixture!("conversation_team");
    team["event"] = "automation_event.sla".into();
    let e = one(&team);
    assert!(e.recipients.is_empty());
    assert_eq!(e.teams, ["2"]);
    let mut nobody = fixture!("conversation_team");
    nobody["event"] = "automation_event.sla".into();
    nobody["meta"]["team"] = Value::Null;
    assert!(ignored(&nobody).contains("no assignee or team"));
}
