//! Community logs over the API: reading entries, submitting records signed
//! elsewhere, and verifying a log's chain.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::api::Json;
use crate::auth::{MaybeCaller, RequireCaller};
use crate::openapi::ProblemDocument;
use crate::{AppState, Problem};

/// Which entries to read.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogQuery {
    /// First sequence number, 0 by default.
    pub from: Option<u64>,
    /// Most entries, 100 by default, at most 1000.
    pub limit: Option<u32>,
}

/// A page of log entries, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LogPage {
    /// Entries with their records and both signatures.
    #[schema(value_type = Vec<Object>)]
    pub entries: Vec<Value>,
}

/// A record signed by its author elsewhere, in wire form.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedRecordWire {
    /// The record: kind, community, author, ts, body, refs.
    #[schema(value_type = Object)]
    pub record: Value,
    /// The author's Ed25519 signature over the canonical encoding, hex.
    pub signature: String,
}

/// Where a record was appended.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppendedWire {
    /// The community.
    pub community: String,
    /// The entry's sequence number.
    pub seq: u64,
    /// The entry hash, hex.
    pub hash: String,
    /// The record id, hex.
    pub record_id: String,
}

/// The outcome of checking a log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VerifyWire {
    /// The community.
    pub community: String,
    /// Entries checked.
    pub entries: u64,
    /// Whether the whole chain holds.
    pub ok: bool,
    /// The first bad entry, if any.
    pub error: Option<ChainErrorWire>,
}

/// The first entry that breaks a log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChainErrorWire {
    /// Its sequence number.
    pub seq: u64,
    /// What is wrong with it.
    pub reason: String,
}

/// Log entries from `from` on.
#[utoipa::path(
    get, path = "/api/v1/communities/{community}/log", tag = "logs",
    params(
        ("community" = String, Path, description = "id or name"),
        ("from" = Option<u64>, Query, description = "first sequence number, 0 by default"),
        ("limit" = Option<u32>, Query, description = "most entries, 100 by default, at most 1000"),
    ),
    responses(
        (status = 200, body = LogPage),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn log(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path(community): Path<String>,
    Query(query): Query<LogQuery>,
) -> Result<axum::Json<LogPage>, Problem> {
    let viewer = caller.as_ref().map(|caller| &caller.user);
    let rows = state
        .node
        .log(
            &community,
            viewer,
            query.from.unwrap_or(0),
            query.limit.unwrap_or(100),
        )
        .await?;
    let entries = rows
        .iter()
        .map(commons_node::control::log_row_json)
        .collect();
    Ok(axum::Json(LogPage { entries }))
}

/// Appends a record signed elsewhere to its community's log.
#[utoipa::path(
    post, path = "/api/v1/records", tag = "logs",
    request_body = SignedRecordWire,
    responses(
        (status = 201, body = AppendedWire),
        (status = 400, description = "malformed record or bad signature", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "unknown community", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, description = "already in the log, or not hosted here", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, description = "rejected by the community's rules; see findings", body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["write"]), ("session" = []))
)]
pub async fn submit(
    State(state): State<AppState>,
    RequireCaller(_caller): RequireCaller,
    Json(signed): Json<SignedRecordWire>,
) -> Result<(StatusCode, axum::Json<AppendedWire>), Problem> {
    let wire = json!({ "record": signed.record, "signature": signed.signature });
    let entry = state.node.submit_signed(&wire).await?;
    let header = entry.header();
    let appended = AppendedWire {
        community: header.community.to_hex(),
        seq: header.seq,
        hash: entry.hash().to_hex(),
        record_id: header.record.to_hex(),
    };
    Ok((StatusCode::CREATED, axum::Json(appended)))
}

/// Checks a community's log: hashes, chain and signatures.
#[utoipa::path(
    get, path = "/api/v1/communities/{community}/verify", tag = "logs",
    params(("community" = String, Path, description = "id or name")),
    responses(
        (status = 200, body = VerifyWire),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn verify(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path(community): Path<String>,
) -> Result<axum::Json<VerifyWire>, Problem> {
    // Visibility first, so verifying does not reveal a private community.
    let viewer = caller.as_ref().map(|caller| &caller.user);
    let view = state.node.community(&community, viewer).await?;
    let report = state
        .node
        .verify(Some(&view.id.to_hex()))
        .await?
        .pop()
        .ok_or_else(|| Problem::not_found(format!("community {community} has no log")))?;
    Ok(axum::Json(VerifyWire {
        community: report.community.to_hex(),
        entries: report.entries,
        ok: report.error.is_none(),
        error: report.error.map(|error| ChainErrorWire {
            seq: error.seq,
            reason: error.reason.to_string(),
        }),
    }))
}
