//! What this device does with an item: the local policy decision (OS notification, sound),
//! OS notifications at most once per item, per-conversation bursts folded into one "N more",
//! and one "while you were away" summary for many replayed items.

use herald_protocol::{decide, AppOutcome, Decision, EventKind, Language, Notification, Tone};
use uuid::Uuid;

use super::{Burst, Client, OsOutcome};
use crate::ports::OsNotification;

impl Client {
    /// The policy with this device's context: OS notification and sound.
    pub(super) fn local_decision(&self, n: &Notification) -> Decision {
        let model = self.model();
        let mut ctx = n.context;
        ctx.app_focused = model.device.app_focused;
        ctx.device_muted = model.device.device_muted;
        ctx.push_permission = model.device.push_permission;
        ctx.pushed_to_this_phone = model.device.pushed_to_this_phone;
        if let Some(sync) = &model.prefs {
            return decide(&n.kind, &ctx, &sync.view(), self.inner.config.clock.now());
        }
        match &model.saved.preferences {
            Some(prefs) => decide(
                &n.kind,
                &ctx,
                &prefs.preferences,
                self.inner.config.clock.now(),
            ),
            // No preferences yet (first start, offline): trust the server's decision.
            None => n.decision.clone(),
        }
    }

    /// Shows one OS notification, at most once per item: the position is saved first.
    fn show(&self, id: Uuid, notification: OsNotification, outcome: OsOutcome) {
        if !self.model().notified.insert(id) {
            return;
        }
        self.persist();
        match self.inner.notifier.show(&notification) {
            Ok(()) => {
                self.set_outcome(id, outcome);
                self.receipt(id, AppOutcome::Shown);
            }
            Err(err) => {
                tracing::warn!(error = %err, "the OS notification failed");
                self.receipt(
                    id,
                    AppOutcome::Failed {
                        error: err.message.clone(),
                    },
                );
                self.set_outcome(
                    id,
                    OsOutcome::Failed {
                        message: err.message,
                    },
                );
            }
        }
    }

    /// A live item: shown at once, or folded into its conversation's burst.
    pub(super) fn notify_live(&self, n: &Notification, local: &Decision) {
        if !local.push.delivers() {
            self.receipt(
                n.id,
                AppOutcome::NotShown {
                    reasons: local.push.reasons.clone(),
                },
            );
            return;
        }
        let exempt =
            matches!(n.kind, EventKind::Mention | EventKind::Assignment) || n.context.mentioned;
        let conversation = n.conversation.as_ref().map(|c| c.id.clone());
        let window = self.inner.config.coalesce_window;
        if let (Some(conversation), false, false) = (conversation, exempt, window.is_zero()) {
            let mut model = self.model();
            if let Some(burst) = model.bursts.get_mut(&conversation) {
                burst.folded.push(n.id);
                burst.sound |= local.sound.delivers();
                let into = burst.opened_by;
                drop(model);
                self.set_outcome(n.id, OsOutcome::Coalesced { into });
                self.receipt(n.id, AppOutcome::Folded);
                return;
            }
            model.bursts.insert(
                conversation.clone(),
                Burst {
                    opened_by: n.id,
                    folded: Vec::new(),
                    subject: n.title.clone(),
                    sound: false,
                },
            );
            drop(model);
            let me = self.clone();
            tokio::spawn(async move {
                tokio::time::sleep(window).await;
                me.close_burst(&conversation);
            });
        }
        self.show(
            n.id,
            os_notification(n, self.language(), self.tone_if(local.sound.delivers())),
            OsOutcome::Shown,
        );
    }

    /// The agent's language, for the words of OS notifications.
    pub(super) fn language(&self) -> Language {
        let prefs = self.model().prefs.clone();
        prefs.map(|p| p.view().language).unwrap_or_default()
    }

    /// The agent's tone when a notification plays a sound, `None` when it is silent.
    fn tone_if(&self, sound: bool) -> Option<Tone> {
        if !sound {
            return None;
        }
        let prefs = self.model().prefs.clone();
        Some(prefs.map(|p| p.view().sound.tone).unwrap_or_default())
    }

    /// The end of a burst window: one notification for everything folded into it.
    fn close_burst(&self, conversation: &str) {
        let Some(burst) = self.model().bursts.remove(conversation) else {
            return;
        };
        let Some(last) = burst.folded.last().copied() else {
            return;
        };
        let count = burst.folded.len();
        // Each read of the model in its own statement: the lock is not reentrant.
        let body = self.model().bell.get(last).map(|n| n.body.clone());
        let summary = OsNotification {
            id: last,
            title: more_in(count, &burst.subject, self.language())
                .chars()
                .take(200)
                .collect(),
            body: body.unwrap_or_default(),
            sound: self.tone_if(burst.sound),
            notice: None,
        };
        let into = burst.opened_by;
        for id in &burst.folded {
            self.model().notified.insert(*id);
        }
        self.persist();
        match self.inner.notifier.show(&summary) {
            Ok(()) => {
                for id in burst.folded {
                    self.set_outcome(id, OsOutcome::Coalesced { into });
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "the OS notification failed");
                for id in burst.folded {
                    let error = err.message.clone();
                    self.receipt(id, AppOutcome::Failed { error });
                }
            }
        }
    }

    /// Items missed while away: each of them, or one summary when there are many.
    pub(super) fn notify_replayed(&self, ids: &[Uuid]) {
        let items: Vec<(Notification, Decision)> = {
            let model = self.model();
            ids.iter()
                .filter_map(|id| model.bell.get(*id).cloned())
                .collect::<Vec<_>>()
        }
        .into_iter()
        .map(|n| {
            let d = self.local_decision(&n);
            (n, d)
        })
        .filter(|(_, d)| d.push.delivers())
        .collect();
        let language = self.language();
        if items.len() <= self.inner.config.replay_notify_max {
            for (n, d) in &items {
                let sound = self.tone_if(d.sound.delivers());
                self.show(n.id, os_notification(n, language, sound), OsOutcome::Shown);
            }
            return;
        }
        let fresh: Vec<&(Notification, Decision)> = {
            let mut model = self.model();
            items
                .iter()
                .filter(|(n, _)| model.notified.insert(n.id))
                .collect()
        };
        let Some((newest, d)) = fresh.last() else {
            return;
        };
        self.persist();
        let summary = OsNotification {
            id: newest.id,
            title: while_away(fresh.len(), language),
            body: heading(newest, language),
            sound: self.tone_if(d.sound.delivers()),
            notice: None,
        };
        match self.inner.notifier.show(&summary) {
            Ok(()) => {
                for (n, _) in &fresh {
                    self.set_outcome(n.id, OsOutcome::InSummary);
                    self.receipt(n.id, AppOutcome::Folded);
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "the OS notification failed");
                for (n, _) in &fresh {
                    let error = err.message.clone();
                    self.receipt(n.id, AppOutcome::Failed { error });
                }
            }
        }
    }
}

fn os_notification(n: &Notification, language: Language, sound: Option<Tone>) -> OsNotification {
    OsNotification {
        id: n.id,
        title: heading(n, language),
        body: if n.body.is_empty() {
            n.title.clone()
        } else {
            n.body.clone()
        },
        sound,
        notice: None,
    }
}

/// A plain-text heading for an OS notification, in the agent's language.
pub fn heading(n: &Notification, language: Language) -> String {
    n.headline(language).chars().take(200).collect()
}

/// "N more in <conversation>", folded notifications of a burst.
fn more_in(count: usize, subject: &str, language: Language) -> String {
    match language {
        Language::PtBr => format!("mais {count} em {subject}"),
        Language::En => format!("{count} more in {subject}"),
    }
}

/// "N notifications while you were away".
fn while_away(count: usize, language: Language) -> String {
    match language {
        Language::PtBr => format!("{count} notificações enquanto você estava ausente"),
        Language::En => format!("{count} notifications while you were away"),
    }
}
