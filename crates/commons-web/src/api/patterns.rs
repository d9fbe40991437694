//! Code patterns over the API: browse and search a community's patterns,
//! submit a keyed fingerprint, vote, approve, withdraw, and (for members) the
//! community's pattern key and accepted library. No endpoint takes code.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use commons_node::patterns::{
    PatternDetail, PatternKey, PatternSummary, Submitted, detail_json, filter, key_json,
    library_json, submitted_json, summary_json,
};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::api::Json;
use crate::auth::{MaybeCaller, RequireCaller};
use crate::openapi::ProblemDocument;
use crate::{AppState, Problem};

/// Which patterns to list.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternQuery {
    /// `submitted`, `in-review`, `accepted`, `rejected`, `withdrawn`, or
    /// `open` for the review queue.
    pub state: Option<String>,
    /// A language name (`python`, `c`, …).
    pub language: Option<String>,
    /// A category slug.
    pub category: Option<String>,
    /// This severity or worse.
    pub severity: Option<String>,
    /// Words that must all appear in the title, description or category.
    pub q: Option<String>,
}

/// A vote.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoteRequest {
    /// 1 (for) or -1 (against).
    pub vote: i64,
}

/// A pattern as listed: id, state, properties, vote counts.
#[derive(Debug, Clone, ToSchema)]
pub struct PatternWire {
    /// The pattern.
    #[schema(value_type = Object)]
    pub pattern: Value,
}

/// A submission: `title`, `description`, `language`, `properties`
/// (`severity`, `category`, `performance`, `security`), `fingerprint` (the
/// keyed hash set from `commons pattern abstract --community`), `anonymous`.
#[derive(Debug, Clone, ToSchema)]
pub struct SubmissionWire {
    /// The submission.
    #[schema(value_type = Object)]
    pub submission: Value,
}

/// Patterns of a community, newest first (the review queue oldest first).
#[utoipa::path(
    get, path = "/api/v1/communities/{community}/patterns", tag = "patterns",
    params(
        ("community" = String, Path, description = "id or name"),
        ("state" = Option<String>, Query, description = "submitted, in-review, accepted, rejected, withdrawn, or open (the review queue)"),
        ("language" = Option<String>, Query, description = "a language name"),
        ("category" = Option<String>, Query, description = "a category slug"),
        ("severity" = Option<String>, Query, description = "this severity or worse"),
        ("q" = Option<String>, Query, description = "words to search for"),
    ),
    responses(
        (status = 200, body = Vec<PatternWire>),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path(community): Path<String>,
    Query(query): Query<PatternQuery>,
) -> Result<axum::Json<Vec<Value>>, Problem> {
    let viewer = caller.as_ref().map(|caller| &caller.user);
    let patterns = list_patterns(&state, viewer, &community, query).await?;
    Ok(axum::Json(patterns.iter().map(summary_json).collect()))
}

/// The list behind [`list`] and the browse page.
pub async fn list_patterns(
    state: &AppState,
    viewer: Option<&commons_node::User>,
    community: &str,
    query: PatternQuery,
) -> Result<Vec<PatternSummary>, commons_node::NodeError> {
    if query.state.as_deref() == Some("open") {
        return Ok(state.node.review_queue(viewer, community).await?.1);
    }
    let filter = filter(
        query.state.as_deref().filter(|s| !s.is_empty()),
        query.language.filter(|s| !s.is_empty()),
        query.category.filter(|s| !s.is_empty()),
        query.severity.as_deref().filter(|s| !s.is_empty()),
        query.q,
    )?;
    Ok(state.node.patterns(viewer, community, &filter).await?.1)
}

/// Submits a pattern. Exact duplicates are refused (409); near-duplicates
/// are linked and listed in `similar`.
#[utoipa::path(
    post, path = "/api/v1/communities/{community}/patterns", tag = "patterns",
    params(("community" = String, Path, description = "id or name")),
    request_body = SubmissionWire,
    responses(
        (status = 201, body = PatternWire),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, description = "the same pattern exists", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, description = "findings name each bad field", body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["write"]), ("session" = []))
)]
pub async fn submit(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path(community): Path<String>,
    Json(body): Json<Value>,
) -> Result<(StatusCode, axum::Json<Value>), Problem> {
    let submitted: Submitted = state
        .node
        .submit_pattern_json(&caller.user, &community, &body)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(submitted_json(&submitted))))
}

/// One pattern: properties, votes, approvals, history, near-duplicates,
/// suggested reviewers.
#[utoipa::path(
    get, path = "/api/v1/communities/{community}/patterns/{pattern}", tag = "patterns",
    params(
        ("community" = String, Path, description = "id or name"),
        ("pattern" = String, Path, description = "pattern id or unique prefix"),
    ),
    responses(
        (status = 200, body = PatternWire),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path((community, pattern)): Path<(String, String)>,
) -> Result<axum::Json<Value>, Problem> {
    let viewer = caller.as_ref().map(|caller| &caller.user);
    let (_, detail): (_, PatternDetail) = state.node.pattern(viewer, &community, &pattern).await?;
    Ok(axum::Json(detail_json(&detail)))
}

/// Votes for or against a pattern; a later vote replaces an earlier one.
#[utoipa::path(
    post, path = "/api/v1/communities/{community}/patterns/{pattern}/vote", tag = "patterns",
    params(
        ("community" = String, Path, description = "id or name"),
        ("pattern" = String, Path, description = "pattern id or unique prefix"),
    ),
    request_body = VoteRequest,
    responses(
        (status = 200, body = PatternWire),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, description = "review closed", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, description = "not a member", body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["write"]), ("session" = []))
)]
pub async fn vote(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path((community, pattern)): Path<(String, String)>,
    Json(request): Json<VoteRequest>,
) -> Result<axum::Json<Value>, Problem> {
    let summary = state
        .node
        .vote_pattern(&caller.user, &community, &pattern, request.vote)
        .await?;
    Ok(axum::Json(summary_json(&summary)))
}

/// An expert approves a pattern.
#[utoipa::path(
    post, path = "/api/v1/communities/{community}/patterns/{pattern}/approve", tag = "patterns",
    params(
        ("community" = String, Path, description = "id or name"),
        ("pattern" = String, Path, description = "pattern id or unique prefix"),
    ),
    responses(
        (status = 200, body = PatternWire),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["write"]), ("session" = []))
)]
pub async fn approve(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path((community, pattern)): Path<(String, String)>,
) -> Result<axum::Json<Value>, Problem> {
    let summary = state
        .node
        .approve_pattern(&caller.user, &community, &pattern)
        .await?;
    Ok(axum::Json(summary_json(&summary)))
}

/// The submitter withdraws a pattern.
#[utoipa::path(
    post, path = "/api/v1/communities/{community}/patterns/{pattern}/withdraw", tag = "patterns",
    params(
        ("community" = String, Path, description = "id or name"),
        ("pattern" = String, Path, description = "pattern id or unique prefix"),
    ),
    responses(
        (status = 200, body = PatternWire),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["write"]), ("session" = []))
)]
pub async fn withdraw(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path((community, pattern)): Path<(String, String)>,
) -> Result<axum::Json<Value>, Problem> {
    let summary = state
        .node
        .withdraw_pattern(&caller.user, &community, &pattern)
        .await?;
    Ok(axum::Json(summary_json(&summary)))
}

/// The community's pattern key (members only): `key` (64 hex digits) and
/// `epoch`. Members hash their code locally with it.
#[utoipa::path(
    get, path = "/api/v1/communities/{community}/patterns/key", tag = "patterns",
    params(("community" = String, Path, description = "id or name")),
    responses(
        (status = 200, body = PatternWire),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["read"]), ("session" = []))
)]
pub async fn key(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path(community): Path<String>,
) -> Result<axum::Json<Value>, Problem> {
    let (view, key): (_, PatternKey) = state.node.pattern_key(&caller.user, &community).await?;
    Ok(axum::Json(key_json(&view, &key)))
}

/// The accepted patterns with their fingerprints and the key (members
/// only): what a member's scan matches against.
#[utoipa::path(
    get, path = "/api/v1/communities/{community}/patterns/library", tag = "patterns",
    params(("community" = String, Path, description = "id or name")),
    responses(
        (status = 200, body = PatternWire),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["read"]), ("session" = []))
)]
pub async fn library(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path(community): Path<String>,
) -> Result<axum::Json<Value>, Problem> {
    let (view, library) = state.node.pattern_library(&caller.user, &community).await?;
    Ok(axum::Json(library_json(&view, &library)))
}

/// Who submitted an anonymous pattern: moderators of the community, on its
/// home node only. Every lookup is audited. `author` is null when the
/// pattern was not submitted anonymously.
#[utoipa::path(
    get, path = "/api/v1/communities/{community}/patterns/{pattern}/author", tag = "patterns",
    params(
        ("community" = String, Path, description = "id or name"),
        ("pattern" = String, Path, description = "pattern id or unique prefix"),
    ),
    responses(
        (status = 200, body = PatternWire),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["read"]), ("session" = []))
)]
pub async fn author(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path((community, pattern)): Path<(String, String)>,
) -> Result<axum::Json<Value>, Problem> {
    let author = state
        .node
        .anonymous_author(&caller.user, &community, &pattern)
        .await?;
    Ok(axum::Json(serde_json::json!({
        "pattern": pattern,
        "anonymous": author.is_some(),
        "author": author,
    })))
}

/// Starts the next epoch of the community's pattern key (admins of the
/// community). New submissions must use the new key; accepted patterns keep
/// matching under theirs.
#[utoipa::path(
    post, path = "/api/v1/communities/{community}/patterns/key/rotate", tag = "patterns",
    params(("community" = String, Path, description = "id or name")),
    responses(
        (status = 200, body = PatternWire),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["write"]), ("session" = []))
)]
pub async fn rotate_key(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path(community): Path<String>,
) -> Result<axum::Json<Value>, Problem> {
    let (view, key) = state
        .node
        .rotate_pattern_key(&caller.user, &community)
        .await?;
    Ok(axum::Json(serde_json::json!({
        "community": view.id,
        "name": view.name,
        "epoch": key.epoch,
    })))
}
