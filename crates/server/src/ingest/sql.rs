//! The batch written with multi-row statements (SQLite allows 32 766 bound values per
//! statement), and the unread counters read back inside the same transaction.

use std::collections::{BTreeSet, HashMap};

use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use uuid::Uuid;

use super::*;

impl Batch {
    /// Writes everything with multi-row statements.
    pub(super) async fn flush(&self, tx: &mut SqliteConnection) -> Result<(), sqlx::Error> {
        for chunk in self.rows.chunks(CHUNK) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO notifications (id, agent_id, seq, event_id, kind, conversation_id, on_bell, created_at, data) ",
            );
            let mut encoded = Vec::with_capacity(chunk.len());
            for row in chunk {
                encoded.push(
                    serde_json::to_string(&row.notification)
                        .map_err(|e| sqlx::Error::Encode(e.into()))?,
                );
            }
            q.push_values(chunk.iter().zip(encoded), |mut b, (row, data)| {
                let n = &row.notification;
                b.push_bind(n.id.to_string())
                    .push_bind(row.agent_id.to_string())
                    .push_bind(i64::try_from(n.seq).unwrap_or(i64::MAX))
                    .push_bind(n.event_id.clone())
                    .push_bind(n.kind.as_str().to_owned())
                    .push_bind(n.conversation.as_ref().map(|c| c.id.clone()))
                    .push_bind(row.on_bell)
                    .push_bind(n.created_at)
                    .push_bind(data);
            });
            q.build().execute(&mut *tx).await?;
        }
        let now = self.now;
        for chunk in self.alerts.chunks(CHUNK) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO outbox (id, agent_id, kind, dedupe_key, notification_id, conversation_id, status, not_before, created_at) ",
            );
            q.push_values(chunk, |mut b, alert| {
                b.push_bind(Uuid::now_v7().to_string())
                    .push_bind(alert.agent_id.to_string())
                    .push_bind("alert")
                    .push_bind(format!("alert:{}", alert.item))
                    .push_bind(alert.item.to_string())
                    .push_bind(alert.conversation.clone())
                    .push_bind("pending")
                    .push_bind(alert.due)
                    .push_bind(now);
            });
            q.build().execute(&mut *tx).await?;
        }
        for chunk in self.events.chunks(CHUNK) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO events (workspace_id, event_id, body_hash, kind, recipients, received_at) ",
            );
            q.push_values(chunk, |mut b, event| {
                b.push_bind(event.workspace_id.to_string())
                    .push_bind(event.event_id.clone())
                    .push_bind(event.body_hash.clone())
                    .push_bind(event.kind.clone())
                    .push_bind(event.recipients)
                    .push_bind(now);
            });
            q.build().execute(&mut *tx).await?;
        }
        let conversations: Vec<_> = self.conversations.iter().collect();
        for chunk in conversations.chunks(CHUNK) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO conversations (workspace_id, conversation_id, assignee, participants, inbox_id, team_id, updated_at) ",
            );
            let mut encoded = Vec::with_capacity(chunk.len());
            for (_, state) in chunk {
                encoded.push(
                    serde_json::to_string(&state.participants)
                        .map_err(|e| sqlx::Error::Encode(e.into()))?,
                );
            }
            q.push_values(
                chunk.iter().zip(encoded),
                |mut b, (((ws, id), state), participants)| {
                    b.push_bind(ws.to_string())
                        .push_bind(id.clone())
                        .push_bind(state.assignee.clone())
                        .push_bind(participants)
                        .push_bind(state.inbox_id.clone())
                        .push_bind(state.team_id.clone())
                        .push_bind(now);
                },
            );
            q.push(
                " ON CONFLICT (workspace_id, conversation_id) DO UPDATE SET \
                 assignee = excluded.assignee, participants = excluded.participants, \
                 inbox_id = excluded.inbox_id, team_id = excluded.team_id, updated_at = excluded.updated_at",
            );
            q.build().execute(&mut *tx).await?;
        }
        let seqs: Vec<(Uuid, i64)> = self
            .touched
            .iter()
            .filter_map(|id| self.agents.get(id).map(|a| (*id, a.last_seq)))
            .collect();
        for chunk in seqs.chunks(CHUNK) {
            let mut q =
                QueryBuilder::<Sqlite>::new("UPDATE agents SET last_seq = v.column2 FROM (VALUES ");
            push_pairs(&mut q, chunk.iter().map(|(id, seq)| (id.to_string(), *seq)));
            q.push(") AS v WHERE agents.id = v.column1");
            q.build().execute(&mut *tx).await?;
        }
        Ok(())
    }
}

/// Appends `(a1, b1), (a2, b2), …` as bound values: the rows of a `VALUES` list.
pub(super) fn push_pairs<'q, B>(
    q: &mut QueryBuilder<'q, Sqlite>,
    pairs: impl IntoIterator<Item = (String, B)>,
) where
    B: 'q + sqlx::Encode<'q, Sqlite> + sqlx::Type<Sqlite> + Send,
{
    let mut list = q.separated(", ");
    for (a, b) in pairs {
        list.push("(");
        list.push_bind_unseparated(a);
        list.push_unseparated(", ");
        list.push_bind_unseparated(b);
        list.push_unseparated(")");
    }
}

/// Unread counters of the agents a batch touched, in one grouped query per chunk.
pub(super) async fn unread_counts(
    tx: &mut SqliteConnection,
    agents: &BTreeSet<Uuid>,
) -> Result<Vec<(Uuid, herald_protocol::UnreadCount)>, sqlx::Error> {
    let agents: Vec<Uuid> = agents.iter().copied().collect();
    let mut out: HashMap<Uuid, u32> = agents.iter().map(|a| (*a, 0)).collect();
    for chunk in agents.chunks(CHUNK) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT agent_id, COUNT(*) AS n FROM notifications WHERE on_bell = 1 AND read_at IS NULL AND agent_id IN (",
        );
        let mut list = q.separated(", ");
        for id in chunk {
            list.push_bind(id.to_string());
        }
        q.push(") GROUP BY agent_id");
        for row in q.build().fetch_all(&mut *tx).await? {
            let n: i64 = row.try_get("n")?;
            out.insert(
                parse_uuid(&row, "agent_id")?,
                u32::try_from(n).unwrap_or(u32::MAX),
            );
        }
    }
    Ok(out
        .into_iter()
        .map(|(a, total)| (a, herald_protocol::UnreadCount { total }))
        .collect())
}

pub(super) fn parse_uuid(row: &sqlx::sqlite::SqliteRow, column: &str) -> Result<Uuid, sqlx::Error> {
    let text: String = row.try_get(column)?;
    Uuid::parse_str(&text).map_err(|e| sqlx::Error::Decode(e.into()))
}
