//! The local audit trail: one row per mutating request or command.

use sqlx::Row;

use crate::{Store, StoreError};

/// One audited action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    /// Row id, increasing.
    pub id: i64,
    /// When, in milliseconds since the epoch.
    pub ts: i64,
    /// Who: a user name, `cli`, or `anonymous`.
    pub actor: String,
    /// What: method and route, or a command name.
    pub action: String,
    /// On what: a path, community or user.
    pub target: String,
    /// From which address, or `local`.
    pub address: String,
    /// Outcome: the HTTP status or `ok`/`error`.
    pub outcome: String,
    /// The request id, to find the request in the logs.
    pub request_id: String,
}

impl Store {
    /// Appends an audit row; `row.id` is ignored.
    pub async fn audit(&self, row: &AuditRow) -> Result<(), StoreError> {
        self.execute_write(
            sqlx::query(
                "INSERT INTO audit (ts, actor, action, target, address, outcome, request_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(row.ts)
            .bind(&row.actor)
            .bind(&row.action)
            .bind(&row.target)
            .bind(&row.address)
            .bind(&row.outcome)
            .bind(&row.request_id),
        )
        .await?;
        Ok(())
    }

    /// Audit rows older than `before_id` (or the newest, when `None`), newest first.
    pub async fn audit_rows(
        &self,
        before_id: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT audit_id, ts, actor, action, target, address, outcome, request_id FROM audit \
             WHERE audit_id < $1 ORDER BY audit_id DESC LIMIT $2",
        )
        .bind(before_id.unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AuditRow {
                    id: row.try_get("audit_id")?,
                    ts: row.try_get("ts")?,
                    actor: row.try_get("actor")?,
                    action: row.try_get("action")?,
                    target: row.try_get("target")?,
                    address: row.try_get("address")?,
                    outcome: row.try_get("outcome")?,
                    request_id: row.try_get("request_id")?,
                })
            })
            .collect()
    }
}
