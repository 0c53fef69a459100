//! The audit trail: appended by every node, listed newest first by `seq`, swept by age.

use super::SqlStore;
use crate::codec::{from_json, to_json};
use crate::errors::store_error;
use async_trait::async_trait;
use sesame_core::audit::{AuditEvent, AuditQuery};
use sesame_core::store::{AuditStore, StoreError};

#[derive(sqlx::FromRow)]
struct EventRow {
    seq: i64,
    at: i64,
    action: String,
    actor: String,
    address: Option<String>,
    target: Option<String>,
    details: String,
}

impl TryFrom<EventRow> for AuditEvent {
    type Error = StoreError;

    fn try_from(row: EventRow) -> Result<Self, StoreError> {
        Ok(AuditEvent {
            details: from_json("audit details", &row.details)?,
            seq: row.seq,
            at: row.at,
            action: row.action,
            actor: row.actor,
            address: row.address,
            target: row.target,
        })
    }
}

#[async_trait]
impl AuditStore for SqlStore {
    async fn record_audit(&self, events: &[AuditEvent]) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for e in events {
            sqlx::query(
                "INSERT INTO audit_events (at, action, actor, address, target, details) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(e.at)
            .bind(&e.action)
            .bind(&e.actor)
            .bind(&e.address)
            .bind(&e.target)
            .bind(to_json("audit details", &e.details)?)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        }
        tx.commit().await.map_err(store_error)
    }

    async fn list_audit(&self, q: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError> {
        // A noun matches its actions: `client` is `client` or begins with `client.` (compared
        // as text, not LIKE, whose case rules differ between the backends).
        sqlx::query_as::<_, EventRow>(
            "SELECT seq, at, action, actor, address, target, details FROM audit_events \
             WHERE ($1 IS NULL OR action = $1 OR substr(action, 1, length($1) + 1) = $1 || '.') \
             AND ($2 IS NULL OR actor = $2) AND ($3 IS NULL OR target = $3) \
             AND ($4 IS NULL OR at >= $4) AND ($5 IS NULL OR seq < $5) \
             ORDER BY seq DESC LIMIT $6",
        )
        .bind(q.action.as_deref())
        .bind(q.actor.as_deref())
        .bind(q.target.as_deref())
        .bind(q.since)
        .bind(q.before)
        .bind(i64::from(q.limit))
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?
        .into_iter()
        .map(AuditEvent::try_from)
        .collect()
    }

    async fn sweep_audit(&self, before: i64, batch: u32) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "DELETE FROM audit_events WHERE seq IN \
             (SELECT seq FROM audit_events WHERE at < $1 ORDER BY seq LIMIT $2)",
        )
        .bind(before)
        .bind(i64::from(batch))
        .execute(self.writes())
        .await
        .map_err(store_error)?;
        Ok(done.rows_affected())
    }
}
