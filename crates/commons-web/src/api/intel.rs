//! The intel feed over the API: publish STIX (all or nothing, every finding
//! reported), read the feed with its filters, one indicator with its
//! history, revoke, report sightings and false positives, the confidence
//! settings, and the active indicators a scan loads.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use commons_node::intel::{FeedItem, FeedQuery, IndicatorDetail, SettingsBody, format_us};
use commons_node::{Node, NodeError};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::api::Json;
use crate::auth::{MaybeCaller, RequireCaller};
use crate::openapi::ProblemDocument;
use crate::{AppState, Problem};

/// What a publish stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublishedWire {
    /// Objects stored.
    pub added: usize,
    /// Log entries written.
    pub seqs: Vec<u64>,
    /// `{id, version}` of each object stored.
    #[schema(value_type = Vec<Object>)]
    pub objects: Vec<Value>,
}

/// Feed filters; every one given must hold.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedParams {
    /// STIX types, comma-separated.
    #[serde(rename = "type")]
    pub object_type: Option<String>,
    /// A label the object carries.
    pub label: Option<String>,
    /// Least confidence, 0–100 (only indicators have one).
    pub min_confidence: Option<u8>,
    /// Indicators still valid after this STIX timestamp.
    pub valid_after: Option<String>,
    /// Indicators already valid before this STIX timestamp.
    pub valid_before: Option<String>,
    /// Publisher: a local user name or a hex key.
    pub source: Option<String>,
    /// Only objects added after this STIX timestamp (a `next` value works too).
    pub added_after: Option<String>,
    /// Also revoked, expired and below-threshold indicators.
    pub inactive: Option<bool>,
    /// Most items, 100 by default, at most 1000.
    pub limit: Option<u32>,
}

/// A page of the feed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeedWire {
    /// Newest versions in `date_added` order; indicators carry
    /// `x_commons_confidence` and `x_commons_status`.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Value>,
    /// Pass as `added_after` for the next page; absent on the last page.
    pub next: Option<String>,
}

/// Why an indicator is revoked.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonWire {
    /// In words.
    pub reason: Option<String>,
}

/// Sightings to report: a count and a time window, nothing else.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SightingWire {
    /// Matches seen, at least 1.
    pub count: u32,
    /// First match, STIX timestamp.
    pub first_seen: String,
    /// Last match, STIX timestamp.
    pub last_seen: String,
}

/// Where a record was appended.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SeqWire {
    /// Log sequence number.
    pub seq: u64,
}

/// The community's confidence model.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsWire {
    /// Whole days of half-life per kind: ip, domain, url, file, email,
    /// certificate, other (0: no decay).
    #[schema(value_type = Object)]
    pub half_life_days: Option<std::collections::BTreeMap<String, u32>>,
    /// Scores below this make an indicator inactive, 0–100.
    pub threshold: Option<u8>,
    /// Percent of the gap to certainty each sighting closes.
    pub sighting_boost_percent: Option<u8>,
    /// Percent of the score each false positive removes.
    pub false_positive_penalty_percent: Option<u8>,
}

/// Publishes STIX objects: a bundle, a TAXII envelope or a list. Any
/// invalid object refuses the whole publish with every finding.
#[utoipa::path(
    post, path = "/api/v1/communities/{community}/intel/objects", tag = "intel",
    params(("community" = String, Path, description = "id or name")),
    request_body(content = Object, description = "a STIX 2.1 bundle, an envelope or a list of objects"),
    responses(
        (status = 201, body = PublishedWire),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 413, description = "body over 1 MiB", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, description = "invalid STIX or not a member; every finding listed", body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["write"]), ("session" = []))
)]
pub async fn publish(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path(community): Path<String>,
    Json(input): Json<Value>,
) -> Result<(StatusCode, axum::Json<PublishedWire>), Problem> {
    let objects = commons_node::intel::objects_of(input)?;
    let outcome = state
        .node
        .intel_publish(&caller.user, &community, objects)
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(PublishedWire {
            added: outcome.added.len(),
            seqs: outcome.seqs,
            objects: outcome
                .added
                .iter()
                .map(|(id, version)| json!({ "id": id, "version": version }))
                .collect(),
        }),
    ))
}

/// The feed: newest versions of the community's objects, filtered, with
/// indicators scored now.
#[utoipa::path(
    get, path = "/api/v1/communities/{community}/intel/objects", tag = "intel",
    params(
        ("community" = String, Path, description = "id or name"),
        ("type" = Option<String>, Query, description = "STIX types, comma-separated"),
        ("label" = Option<String>, Query, description = "a label the object carries"),
        ("min_confidence" = Option<u8>, Query, description = "least confidence, 0–100"),
        ("valid_after" = Option<String>, Query, description = "indicators valid after this time"),
        ("valid_before" = Option<String>, Query, description = "indicators valid before this time"),
        ("source" = Option<String>, Query, description = "publisher: user name or hex key"),
        ("added_after" = Option<String>, Query, description = "added after this time (exclusive)"),
        ("inactive" = Option<bool>, Query, description = "include revoked, expired and below-threshold indicators"),
        ("limit" = Option<u32>, Query, description = "most items, 100 by default, at most 1000"),
    ),
    responses(
        (status = 200, body = FeedWire),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn feed(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path(community): Path<String>,
    Query(params): Query<FeedParams>,
) -> Result<axum::Json<FeedWire>, Problem> {
    let viewer = caller.as_ref().map(|caller| &caller.user);
    let query = feed_query(&state.node, &params).await?;
    let (items, next) = state.node.intel_feed(viewer, &community, &query).await?;
    Ok(axum::Json(FeedWire {
        items: items.into_iter().map(feed_item_json).collect(),
        next: next.map(format_us),
    }))
}

/// Turns query parameters into a feed query; shared with the UI.
pub async fn feed_query(node: &Node, params: &FeedParams) -> Result<FeedQuery, Problem> {
    let seconds = |name: &str, text: &Option<String>| -> Result<Option<i64>, Problem> {
        text.as_deref()
            .filter(|text| !text.is_empty())
            .map(|text| {
                commons_node::intel::added_after_us(text)
                    .map(|us| us.div_euclid(1_000_000))
                    .map_err(|_| Problem::bad_request(format!("{name} must be a STIX timestamp")))
            })
            .transpose()
    };
    let source = match params.source.as_deref().filter(|it| !it.is_empty()) {
        None => None,
        Some(key) if key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Some(key.to_ascii_lowercase())
        }
        Some(name) => match node.user(name).await {
            Ok(user) => Some(user.public_key.to_hex()),
            Err(NodeError::NotFound { .. }) => {
                return Err(Problem::bad_request(format!(
                    "source {name:?} is neither a local user nor a hex key"
                )));
            }
            Err(other) => return Err(other.into()),
        },
    };
    let added_after_us = match params.added_after.as_deref().filter(|it| !it.is_empty()) {
        Some(text) => Some(commons_node::intel::added_after_us(text)?),
        None => None,
    };
    if params.min_confidence.is_some_and(|it| it > 100) {
        return Err(Problem::bad_request("min_confidence is between 0 and 100"));
    }
    Ok(FeedQuery {
        types: params
            .object_type
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .filter(|it| !it.is_empty())
            .map(str::to_owned)
            .collect(),
        label: params.label.clone().filter(|it| !it.is_empty()),
        min_confidence: params.min_confidence,
        valid_after_s: seconds("valid_after", &params.valid_after)?,
        valid_before_s: seconds("valid_before", &params.valid_before)?,
        source,
        added_after_us,
        include_inactive: params.inactive.unwrap_or(false),
        limit: params.limit.unwrap_or(100).clamp(1, 1000),
    })
}

/// A feed item as JSON: the object with its score and `date_added`.
pub fn feed_item_json(item: FeedItem) -> Value {
    let mut object = item.object;
    if let Some(score) = item.score {
        object["x_commons_confidence"] = json!(score.confidence);
        object["x_commons_status"] = json!(score.status);
    }
    object["x_commons_date_added"] = json!(format_us(item.added_us));
    object["x_commons_source"] = json!(item.author);
    object
}

/// One indicator: the newest version, its score, sightings, false-positive
/// reports, confidence over time, relationships and versions.
#[utoipa::path(
    get, path = "/api/v1/communities/{community}/intel/indicators/{id}", tag = "intel",
    params(
        ("community" = String, Path, description = "id or name"),
        ("id" = String, Path, description = "STIX id"),
    ),
    responses(
        (status = 200, body = Object),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn indicator(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path((community, id)): Path<(String, String)>,
) -> Result<axum::Json<Value>, Problem> {
    let viewer = caller.as_ref().map(|caller| &caller.user);
    let detail = state.node.intel_indicator(viewer, &community, &id).await?;
    Ok(axum::Json(indicator_json(&detail)))
}

/// An indicator's detail as JSON.
pub fn indicator_json(detail: &IndicatorDetail) -> Value {
    json!({
        "object": detail.object,
        "source": detail.author,
        "kind": detail.kind,
        "confidence": detail.score.confidence,
        "status": detail.score.status,
        "sightings": detail.sightings,
        "false_positives": detail.false_positives,
        "evidence": detail.evidence,
        "history": detail.history.iter().map(|(time, confidence)| json!({ "time": time, "confidence": confidence })).collect::<Vec<_>>(),
        "relationships": detail.relationships,
        "versions": detail.versions,
    })
}

/// Revokes an indicator (its publisher or a moderator).
#[utoipa::path(
    post, path = "/api/v1/communities/{community}/intel/indicators/{id}/revoke", tag = "intel",
    params(("community" = String, Path, description = "id or name"), ("id" = String, Path, description = "STIX id")),
    request_body = ReasonWire,
    responses(
        (status = 201, body = SeqWire),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["write"]), ("session" = []))
)]
pub async fn revoke(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path((community, id)): Path<(String, String)>,
    Json(body): Json<ReasonWire>,
) -> Result<(StatusCode, axum::Json<SeqWire>), Problem> {
    let seq = state
        .node
        .intel_revoke(&caller.user, &community, &id, body.reason)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(SeqWire { seq })))
}

/// Reports sightings of an indicator: a count and a time window only.
#[utoipa::path(
    post, path = "/api/v1/communities/{community}/intel/indicators/{id}/sightings", tag = "intel",
    params(("community" = String, Path, description = "id or name"), ("id" = String, Path, description = "STIX id")),
    request_body = SightingWire,
    responses(
        (status = 201, body = SeqWire),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["write"]), ("session" = []))
)]
pub async fn sighting(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path((community, id)): Path<(String, String)>,
    Json(body): Json<SightingWire>,
) -> Result<(StatusCode, axum::Json<SeqWire>), Problem> {
    let seq = state
        .node
        .intel_sighting(
            &caller.user,
            &community,
            commons_node::intel::SightingBody {
                indicator: id,
                count: body.count,
                first_seen: body.first_seen,
                last_seen: body.last_seen,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, axum::Json(SeqWire { seq })))
}

/// Reports that an indicator matched something benign.
#[utoipa::path(
    post, path = "/api/v1/communities/{community}/intel/indicators/{id}/false-positives", tag = "intel",
    params(("community" = String, Path, description = "id or name"), ("id" = String, Path, description = "STIX id")),
    request_body = ReasonWire,
    responses(
        (status = 201, body = SeqWire),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["write"]), ("session" = []))
)]
pub async fn false_positive(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path((community, id)): Path<(String, String)>,
    Json(body): Json<ReasonWire>,
) -> Result<(StatusCode, axum::Json<SeqWire>), Problem> {
    let seq = state
        .node
        .intel_false_positive(&caller.user, &community, &id, body.reason)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(SeqWire { seq })))
}

/// The community's confidence model.
#[utoipa::path(
    get, path = "/api/v1/communities/{community}/intel/settings", tag = "intel",
    params(("community" = String, Path, description = "id or name")),
    responses(
        (status = 200, body = Object),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn settings(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path(community): Path<String>,
) -> Result<axum::Json<Value>, Problem> {
    let viewer = caller.as_ref().map(|caller| &caller.user);
    let model = state.node.intel_settings(viewer, &community).await?;
    Ok(axum::Json(model_json(&model)))
}

/// Changes the community's confidence model (admins); the fields given
/// replace the current ones.
#[utoipa::path(
    put, path = "/api/v1/communities/{community}/intel/settings", tag = "intel",
    params(("community" = String, Path, description = "id or name")),
    request_body = SettingsWire,
    responses(
        (status = 200, body = Object),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["write"]), ("session" = []))
)]
pub async fn set_settings(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path(community): Path<String>,
    Json(body): Json<SettingsWire>,
) -> Result<axum::Json<Value>, Problem> {
    let settings = SettingsBody {
        half_life_days: body.half_life_days,
        threshold: body.threshold,
        sighting_boost_percent: body.sighting_boost_percent,
        false_positive_penalty_percent: body.false_positive_penalty_percent,
    };
    let model = state
        .node
        .intel_set_settings(&caller.user, &community, settings)
        .await?;
    Ok(axum::Json(model_json(&model)))
}

fn model_json(model: &commons_node::intel::ConfidenceModel) -> Value {
    let names = [
        "ip",
        "domain",
        "url",
        "file",
        "email",
        "certificate",
        "other",
    ];
    json!({
        "half_life_days": names.iter().zip(model.half_life_days).map(|(name, days)| (name.to_string(), json!(days))).collect::<serde_json::Map<_, _>>(),
        "threshold": model.threshold,
        "sighting_boost_percent": (model.sighting_boost * 100.0).round(),
        "false_positive_penalty_percent": (model.false_positive_penalty * 100.0).round(),
    })
}

/// The active indicators of the community as a STIX bundle, `confidence`
/// set to each one's score now.
#[utoipa::path(
    get, path = "/api/v1/communities/{community}/intel/active", tag = "intel",
    params(("community" = String, Path, description = "id or name")),
    responses(
        (status = 200, body = Object),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["read"]), ("session" = []))
)]
pub async fn active(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path(community): Path<String>,
) -> Result<axum::Json<Value>, Problem> {
    let bundle = state
        .node
        .intel_active_bundle(&caller.user, Some(&community))
        .await?;
    Ok(axum::Json(bundle))
}
