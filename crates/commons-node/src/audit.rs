//! The local audit trail as the edges see it: recording one row per mutating
//! request and reading rows back for administrators.

pub use commons_store::audit::AuditRow;

use crate::{Node, NodeError};

impl Node {
    /// Appends an audit row; `row.id` is ignored.
    pub async fn record_audit(&self, row: &AuditRow) -> Result<(), NodeError> {
        Ok(self.store().audit(row).await?)
    }

    /// Audit rows older than `before` (or the newest, when `None`), newest first.
    pub async fn audit_rows(
        &self,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditRow>, NodeError> {
        Ok(self.store().audit_rows(before, limit.min(1000)).await?)
    }
}
