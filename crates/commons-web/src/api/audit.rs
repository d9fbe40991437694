//! The audit trail over the API, for node admins.

use axum::extract::{Query, State};
use commons_node::audit::AuditRow;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::RequireAdmin;
use crate::openapi::ProblemDocument;
use crate::{AppState, Problem};

/// Which rows to read.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Only rows with a smaller id (for paging back).
    pub before: Option<i64>,
    /// Most rows, 100 by default, at most 1000.
    pub limit: Option<u32>,
}

/// One audited action.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditWire {
    /// Row id, increasing.
    pub id: i64,
    /// When, ms since the epoch.
    pub ts: i64,
    /// A user name, `cli` or `anonymous`.
    pub actor: String,
    /// Method and route, or a command name.
    pub action: String,
    /// Path, community or user acted on.
    pub target: String,
    /// Client address, or `local`.
    pub address: String,
    /// HTTP status, or `ok`/`error`.
    pub outcome: String,
    /// The request id, to find the request in the logs.
    pub request_id: String,
}

impl From<AuditRow> for AuditWire {
    fn from(row: AuditRow) -> AuditWire {
        AuditWire {
            id: row.id,
            ts: row.ts,
            actor: row.actor,
            action: row.action,
            target: row.target,
            address: row.address,
            outcome: row.outcome,
            request_id: row.request_id,
        }
    }
}

/// Audit rows, newest first.
#[utoipa::path(
    get, path = "/api/v1/audit", tag = "audit",
    params(
        ("before" = Option<i64>, Query, description = "only rows with a smaller id, for paging back"),
        ("limit" = Option<u32>, Query, description = "most rows, 100 by default, at most 1000"),
    ),
    responses(
        (status = 200, body = Vec<AuditWire>),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["admin"]), ("session" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    RequireAdmin(_admin): RequireAdmin,
    Query(query): Query<AuditQuery>,
) -> Result<axum::Json<Vec<AuditWire>>, Problem> {
    let rows = state
        .node
        .audit_rows(query.before, query.limit.unwrap_or(100))
        .await?;
    Ok(axum::Json(rows.into_iter().map(AuditWire::from).collect()))
}
