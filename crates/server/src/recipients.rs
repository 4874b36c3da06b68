//! Who receives an event: pure rules over the event and what earlier events said about its
//! conversation. The writer turns the plan into agents (looking up inbox / team members).
//!
//! - assignment: the assignee;
//! - mention: the mentioned agents;
//! - reply: the conversation's assignee and participants (from this and earlier events),
//!   and anyone it mentions;
//! - new conversation: the agents of its inbox or team, or every agent of the workspace
//!   when nobody is registered for either;
//! - module event: its explicit recipients or teams (one of them required);
//! - an unknown kind: its explicit recipients, else the assignee, participants and mentioned;
//! - any event: plus its explicit recipients and the members of the teams it names (for a
//!   mention, each of them counts as mentioned); never the agent who caused it.

use std::collections::BTreeSet;

use herald_protocol::{AgentContext, EventKind, PlatformEvent};

/// What is known about a conversation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConversationState {
    /// Its assignee (the platform's agent id).
    pub assignee: Option<String>,
    /// Agents taking part.
    pub participants: BTreeSet<String>,
    /// Its inbox.
    pub inbox_id: Option<String>,
    /// Its team.
    pub team_id: Option<String>,
}

impl ConversationState {
    /// The state after `event`: a new assignee replaces the old one; participants add up
    /// (an agent who acts in a conversation takes part in it).
    pub fn after(mut self, event: &PlatformEvent) -> ConversationState {
        if let Some(assignee) = &event.assignee {
            self.assignee = Some(assignee.clone());
        }
        self.participants.extend(event.participants.iter().cloned());
        if let Some(actor) = event.actor.as_ref().and_then(|a| a.agent_id.clone()) {
            if event.kind == EventKind::Reply {
                self.participants.insert(actor);
            }
        }
        if let Some(conversation) = &event.conversation {
            if conversation.inbox_id.is_some() {
                self.inbox_id.clone_from(&conversation.inbox_id);
            }
            if conversation.team_id.is_some() {
                self.team_id.clone_from(&conversation.team_id);
            }
        }
        self
    }
}

/// Who gets an event, before group lookups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Agents named directly (platform ids), in a stable order.
    pub named: BTreeSet<String>,
    /// Inbox / team group keys whose members also get it (new conversations only).
    pub groups: Vec<String>,
    /// Nobody is registered for those groups: the whole workspace gets it.
    pub whole_workspace_if_groups_empty: bool,
    /// The agent who caused it, who never gets it.
    pub actor: Option<String>,
}

/// The recipients' plan for `event`, given the conversation state after it.
pub fn plan(event: &PlatformEvent, conversation: &ConversationState) -> Plan {
    let mut named: BTreeSet<String> = event.recipients.iter().cloned().collect();
    let mut groups = Vec::new();
    match &event.kind {
        EventKind::Assignment => named.extend(event.assignee.iter().cloned()),
        EventKind::Mention => named.extend(event.mentioned.iter().cloned()),
        EventKind::Reply => {
            named.extend(conversation.assignee.iter().cloned());
            named.extend(conversation.participants.iter().cloned());
            named.extend(event.mentioned.iter().cloned());
        }
        EventKind::NewConversation => {
            groups.extend(conversation.inbox_id.iter().map(|i| format!("inbox:{i}")));
            groups.extend(conversation.team_id.iter().map(|t| format!("team:{t}")));
            named.extend(event.assignee.iter().cloned());
        }
        EventKind::Module | EventKind::Test | EventKind::QuietSummary => {}
        EventKind::Unknown(_) => {
            if event.recipients.is_empty() {
                named.extend(conversation.assignee.iter().cloned());
                named.extend(conversation.participants.iter().cloned());
                named.extend(event.mentioned.iter().cloned());
            }
        }
    }
    groups.extend(event.teams.iter().map(|t| format!("team:{t}")));
    let actor = event.actor.as_ref().and_then(|a| a.agent_id.clone());
    if let Some(actor) = &actor {
        named.remove(actor);
    }
    Plan {
        named,
        whole_workspace_if_groups_empty: event.kind == EventKind::NewConversation,
        groups,
        actor,
    }
}

/// The policy context of one recipient; `in_named_team` when the agent is a member of a
/// team the event names.
pub fn context_for(
    external_id: &str,
    event: &PlatformEvent,
    conversation: &ConversationState,
    in_named_team: bool,
) -> AgentContext {
    let team_mention = in_named_team && event.kind == EventKind::Mention;
    AgentContext {
        assigned_to_me: conversation.assignee.as_deref() == Some(external_id),
        mentioned: event.mentioned.iter().any(|m| m == external_id) || team_mention,
        directly_addressed: event.recipients.iter().any(|r| r == external_id) || in_named_team,
        ..AgentContext::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use herald_protocol::{ActorRef, ConversationRef};

    fn event(kind: EventKind) -> PlatformEvent {
        PlatformEvent {
            id: "e".into(),
            kind,
            occurred_at: Utc::now(),
            conversation: Some(ConversationRef {
                id: "c1".into(),
                inbox_id: Some("support".into()),
                team_id: None,
                subject: None,
                customer_name: None,
                url: None,
            }),
            actor: None,
            assignee: None,
            mentioned: vec![],
            participants: vec![],
            text: None,
            module: None,
            recipients: vec![],
            teams: vec![],
        }
    }

    fn names(plan: &Plan) -> Vec<&str> {
        plan.named.iter().map(String::as_str).collect()
    }

    #[test]
    fn replies_reach_assignee_and_participants_never_the_author() {
        let prior = ConversationState {
            assignee: Some("ana".into()),
            participants: ["bruno".to_string()].into(),
            ..Default::default()
        };
        let mut reply = event(EventKind::Reply);
        reply.actor = Some(ActorRef {
            agent_id: Some("bruno".into()),
            name: "Bruno".into(),
        });
        reply.mentioned = vec!["carla".into()];
        let state = prior.after(&reply);
        let plan = plan(&reply, &state);
        assert_eq!(
            names(&plan),
            ["ana", "carla"],
            "the author bruno is left out"
        );
        assert!(context_for("carla", &reply, &state, false).mentioned);
        assert!(context_for("ana", &reply, &state, false).assigned_to_me);
    }

    #[test]
    fn assignment_goes_to_the_assignee_and_updates_the_state() {
        let mut assign = event(EventKind::Assignment);
        assign.assignee = Some("carla".into());
        assign.actor = Some(ActorRef {
            agent_id: Some("ana".into()),
            name: "Ana".into(),
        });
        let state = ConversationState {
            assignee: Some("ana".into()),
            ..Default::default()
        }
        .after(&assign);
        assert_eq!(state.assignee.as_deref(), Some("carla"));
        assert_eq!(names(&plan(&assign, &state)), ["carla"]);
        // Assigning oneself notifies nobody.
        assign.assignee = Some("ana".into());
        assert!(plan(&assign, &ConversationState::default().after(&assign))
            .named
            .is_empty());
    }

    #[test]
    fn new_conversations_go_to_their_inbox_or_everyone() {
        let new = event(EventKind::NewConversation);
        let plan = plan(&new, &ConversationState::default().after(&new));
        assert_eq!(plan.groups, ["inbox:support"]);
        assert!(plan.whole_workspace_if_groups_empty);
    }

    #[test]
    fn module_events_go_to_explicit_recipients_only() {
        let mut module = event(EventKind::Module);
        module.conversation = None;
        module.recipients = vec!["ana".into(), "bruno".into()];
        module.mentioned = vec!["carla".into()];
        let plan = plan(&module, &ConversationState::default());
        assert_eq!(names(&plan), ["ana", "bruno"]);
        assert!(!plan.whole_workspace_if_groups_empty);
        assert!(
            context_for("ana", &module, &ConversationState::default(), false).directly_addressed
        );
    }

    #[test]
    fn a_team_mention_reaches_the_team_and_counts_as_a_mention() {
        let mut mention = event(EventKind::Mention);
        mention.teams = vec!["7".into()];
        mention.mentioned = vec!["ana".into()];
        let plan = plan(&mention, &ConversationState::default());
        assert_eq!(names(&plan), ["ana"]);
        assert_eq!(plan.groups, ["team:7"]);
        assert!(
            !plan.whole_workspace_if_groups_empty,
            "an empty team is nobody"
        );
        let ctx = context_for("bruno", &mention, &ConversationState::default(), true);
        assert!(ctx.mentioned && ctx.directly_addressed);
        let mut reply = event(EventKind::Reply);
        reply.teams = vec!["7".into()];
        let ctx = context_for("bruno", &reply, &ConversationState::default(), true);
        assert!(
            !ctx.mentioned && ctx.directly_addressed,
            "only a mention mentions"
        );
    }

    #[test]
    fn unknown_kinds_fall_back_to_the_conversation() {
        let mut unknown = event(EventKind::parse("sla_breach"));
        let state = ConversationState {
            assignee: Some("ana".into()),
            ..Default::default()
        };
        assert_eq!(names(&plan(&unknown, &state)), ["ana"]);
        unknown.recipients = vec!["lead".into()];
        assert_eq!(
            names(&plan(&unknown, &state)),
            ["lead"],
            "explicit recipients win"
        );
    }
}
