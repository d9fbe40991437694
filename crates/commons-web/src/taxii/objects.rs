//! TAXII object endpoints: get (with filters and `next` tokens), add
//! (envelope → status resource), manifest, one object, its versions, delete.
//!
//! A `next` token is the `date_added` (µs) of the last object returned.
//! `date_added` strictly increases per community in commit order, so
//! repeating the query after it loses and repeats nothing while others
//! write, and the token means the same after a restart.

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use commons_node::intel::{ObjectRow, ObjectsPage, ObjectsQuery, VersionMatch, format_us};
use serde_json::{Value, json};

use super::{MAX_PAGE, STIX_JSON, TaxiiCaller, TaxiiError, resolve_collection, taxii_json};
use crate::AppState;

type Pairs = Result<Query<Vec<(String, String)>>, QueryRejection>;

const LIST_FILTERS: &[&str] = &[
    "added_after",
    "limit",
    "next",
    "match[id]",
    "match[type]",
    "match[version]",
    "match[spec_version]",
];
const OBJECT_FILTERS: &[&str] = &[
    "added_after",
    "limit",
    "next",
    "match[version]",
    "match[spec_version]",
];
const VERSION_FILTERS: &[&str] = &["added_after", "limit", "next", "match[spec_version]"];
const DELETE_FILTERS: &[&str] = &["match[version]", "match[spec_version]"];

fn bad(text: impl Into<String>) -> TaxiiError {
    TaxiiError::new(StatusCode::BAD_REQUEST, text)
}

/// Reads the query string into an objects query, refusing parameters the
/// endpoint does not take.
fn filters(pairs: Pairs, allowed: &[&str]) -> Result<ObjectsQuery, TaxiiError> {
    let Query(pairs) = pairs.map_err(|e| bad(e.body_text()))?;
    let mut query = ObjectsQuery {
        limit: MAX_PAGE,
        ..ObjectsQuery::default()
    };
    let mut versions = VersionMatch::default();
    for (name, value) in pairs {
        if !allowed.contains(&name.as_str()) {
            return Err(bad(format!("this endpoint takes no parameter {name:?}")));
        }
        let values = || value.split(',').map(str::trim).filter(|it| !it.is_empty());
        match name.as_str() {
            "added_after" => {
                let us = commons_node::intel::added_after_us(&value)?;
                query.after_us = Some(query.after_us.map_or(us, |it| it.max(us)));
            }
            "next" => {
                let us: i64 = value
                    .parse()
                    .map_err(|_| bad("next must be a token this server returned"))?;
                query.after_us = Some(query.after_us.map_or(us, |it| it.max(us)));
            }
            "limit" => {
                let limit: u32 = value
                    .parse()
                    .map_err(|_| bad("limit must be a positive integer"))?;
                if limit == 0 {
                    return Err(bad("limit must be a positive integer"));
                }
                query.limit = limit.min(MAX_PAGE);
            }
            "match[id]" => query.ids.extend(values().map(str::to_owned)),
            "match[type]" => query.types.extend(values().map(str::to_owned)),
            "match[spec_version]" => query.spec_versions.extend(values().map(str::to_owned)),
            _ => {
                for version in values() {
                    match version {
                        "last" => versions.last = true,
                        "first" => versions.first = true,
                        "all" => versions.all = true,
                        at => versions.at.push(commons_node::intel::version_ns(at)?),
                    }
                }
            }
        }
    }
    query.versions = versions;
    Ok(query)
}

fn with_date_headers(mut response: Response, rows: &[ObjectRow]) -> Response {
    if let (Some(first), Some(last)) = (rows.first(), rows.last()) {
        for (name, row) in [
            ("x-taxii-date-added-first", first),
            ("x-taxii-date-added-last", last),
        ] {
            if let Ok(value) = HeaderValue::from_str(&format_us(row.added_us)) {
                response.headers_mut().insert(name, value);
            }
        }
    }
    response
}

fn envelope(page: &ObjectsPage, items: Vec<Value>, key: &str) -> Value {
    let mut body = json!({ "more": page.more });
    if page.more
        && let Some(last) = page.rows.last()
    {
        body["next"] = json!(last.added_us.to_string());
    }
    if !items.is_empty() {
        body[key] = Value::Array(items);
    }
    body
}

/// The envelope of an objects page, written by splicing the stored JSON
/// texts rather than parsing and re-serializing each object: a page of a
/// thousand indicators is a third of a megabyte.
fn objects_envelope(page: &ObjectsPage) -> String {
    let capacity = page
        .rows
        .iter()
        .map(|row| row.object.len() + 1)
        .sum::<usize>()
        + 64;
    let mut body = String::with_capacity(capacity);
    body.push_str(if page.more {
        "{\"more\":true"
    } else {
        "{\"more\":false"
    });
    if page.more
        && let Some(last) = page.rows.last()
    {
        body.push_str(&format!(",\"next\":\"{}\"", last.added_us));
    }
    if !page.rows.is_empty() {
        body.push_str(",\"objects\":[");
        for (idx, row) in page.rows.iter().enumerate() {
            if idx > 0 {
                body.push(',');
            }
            body.push_str(&row.object);
        }
        body.push(']');
    }
    body.push('}');
    body
}

fn taxii_text(body: String) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(super::TAXII_JSON),
        )],
        body,
    )
        .into_response()
}

async fn page(
    state: &AppState,
    caller: &TaxiiCaller,
    collection: &str,
    query: &ObjectsQuery,
) -> Result<ObjectsPage, TaxiiError> {
    let view = resolve_collection(state, caller, collection).await?;
    Ok(state
        .node
        .intel_objects(Some(&caller.user), &view.id.to_hex(), query)
        .await?)
}

/// `GET …/objects/`.
pub async fn get_objects(
    State(state): State<AppState>,
    caller: TaxiiCaller,
    Path(collection): Path<String>,
    pairs: Pairs,
) -> Result<Response, TaxiiError> {
    let query = filters(pairs, LIST_FILTERS)?;
    let page = page(&state, &caller, &collection, &query).await?;
    Ok(with_date_headers(
        taxii_text(objects_envelope(&page)),
        &page.rows,
    ))
}

/// `GET …/manifest/`.
pub async fn manifest(
    State(state): State<AppState>,
    caller: TaxiiCaller,
    Path(collection): Path<String>,
    pairs: Pairs,
) -> Result<Response, TaxiiError> {
    let query = filters(pairs, LIST_FILTERS)?;
    let page = page(&state, &caller, &collection, &query).await?;
    let items = page
        .rows
        .iter()
        .map(|row| {
            json!({
                "id": row.object_id,
                "date_added": format_us(row.added_us),
                "version": row.version,
                "media_type": STIX_JSON,
            })
        })
        .collect();
    let body = envelope(&page, items, "objects");
    Ok(with_date_headers(taxii_json(&body), &page.rows))
}

/// `GET …/objects/{id}/`.
pub async fn get_object(
    State(state): State<AppState>,
    caller: TaxiiCaller,
    Path((collection, object)): Path<(String, String)>,
    pairs: Pairs,
) -> Result<Response, TaxiiError> {
    let mut query = filters(pairs, OBJECT_FILTERS)?;
    query.ids = vec![object.clone()];
    let page = page(&state, &caller, &collection, &query).await?;
    if page.rows.is_empty() && query.after_us.is_none() {
        ensure_exists(&state, &caller, &collection, &object).await?;
    }
    Ok(with_date_headers(
        taxii_text(objects_envelope(&page)),
        &page.rows,
    ))
}

async fn ensure_exists(
    state: &AppState,
    caller: &TaxiiCaller,
    collection: &str,
    object: &str,
) -> Result<(), TaxiiError> {
    let any = ObjectsQuery {
        limit: 1,
        ids: vec![object.to_owned()],
        versions: VersionMatch {
            all: true,
            ..VersionMatch::default()
        },
        ..ObjectsQuery::default()
    };
    if page(state, caller, collection, &any).await?.rows.is_empty() {
        return Err(TaxiiError::new(
            StatusCode::NOT_FOUND,
            format!("there is no object {object} in collection {collection}"),
        ));
    }
    Ok(())
}

/// `GET …/objects/{id}/versions/`.
pub async fn versions(
    State(state): State<AppState>,
    caller: TaxiiCaller,
    Path((collection, object)): Path<(String, String)>,
    pairs: Pairs,
) -> Result<Response, TaxiiError> {
    let mut query = filters(pairs, VERSION_FILTERS)?;
    query.ids = vec![object.clone()];
    query.versions.all = true;
    let page = page(&state, &caller, &collection, &query).await?;
    if page.rows.is_empty() && query.after_us.is_none() {
        ensure_exists(&state, &caller, &collection, &object).await?;
    }
    let items = page.rows.iter().map(|row| json!(row.version)).collect();
    let body = envelope(&page, items, "versions");
    Ok(with_date_headers(taxii_json(&body), &page.rows))
}

/// `DELETE …/objects/{id}/`.
pub async fn delete_object(
    State(state): State<AppState>,
    caller: TaxiiCaller,
    Path((collection, object)): Path<(String, String)>,
    pairs: Pairs,
) -> Result<Response, TaxiiError> {
    let mut query = filters(pairs, DELETE_FILTERS)?;
    let view = resolve_collection(&state, &caller, &collection).await?;
    if !caller.may_write {
        return Err(TaxiiError::new(
            StatusCode::FORBIDDEN,
            "these credentials may not write",
        ));
    }
    ensure_exists(&state, &caller, &collection, &object).await?;
    let everything = query.versions == VersionMatch::default()
        || query.versions.all && query.spec_versions.is_empty();
    let versions = if everything {
        None
    } else {
        query.ids = vec![object.clone()];
        query.limit = u32::MAX;
        let page = page(&state, &caller, &collection, &query).await?;
        if page.rows.is_empty() {
            return Err(TaxiiError::new(
                StatusCode::NOT_FOUND,
                "no version of the object matches",
            ));
        }
        Some(page.rows.into_iter().map(|row| row.version).collect())
    };
    state
        .node
        .intel_delete(&caller.user, &view.id.to_hex(), &object, versions)
        .await?;
    Ok(StatusCode::OK.into_response())
}

/// `POST …/objects/`: adds an envelope's objects; 202 with a status
/// resource that lists each object as a success or a failure.
pub async fn add_objects(
    State(state): State<AppState>,
    caller: TaxiiCaller,
    Path(collection): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, TaxiiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase()
        .replace(' ', "");
    if content_type != "application/taxii+json;version=2.1"
        && content_type != "application/taxii+json"
    {
        return Err(TaxiiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("send the envelope as {}", super::TAXII_JSON),
        ));
    }
    let view = resolve_collection(&state, &caller, &collection).await?;
    if !(caller.may_write && view.role.is_some()) {
        return Err(TaxiiError::new(
            StatusCode::FORBIDDEN,
            "only members of the community, with credentials that may write, can add objects",
        ));
    }
    let mut envelope: Value =
        serde_json::from_slice(&body).map_err(|e| bad(format!("the body is not JSON: {e}")))?;
    let objects = envelope
        .as_object_mut()
        .and_then(|envelope| envelope.remove("objects"));
    let Some(Value::Array(objects)) = objects else {
        return Err(bad("expected an envelope: {\"objects\": [ … ]}"));
    };
    if objects.is_empty() {
        return Err(TaxiiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the envelope holds no objects",
        ));
    }
    let requested = commons_node::now();
    let total = objects.len();
    let outcome = state.node.intel_add(&caller.user, view.id, objects).await?;
    let detail = |id: &str, version: &str, message: Option<&str>| {
        let mut it = json!({ "id": id, "version": version });
        if let Some(message) = message {
            it["message"] = json!(message);
        }
        it
    };
    let successes: Vec<Value> = outcome
        .added
        .iter()
        .map(|(id, version)| detail(id, version, None))
        .collect();
    let failures: Vec<Value> = outcome
        .failures
        .iter()
        .map(|failure| {
            detail(
                failure.id.as_deref().unwrap_or_default(),
                failure.version.as_deref().unwrap_or_default(),
                Some(&failure.message),
            )
        })
        .collect();
    let status_id = uuid_v4();
    let mut status = json!({
        "id": status_id,
        "status": "complete",
        "request_timestamp": format_us(requested.0.saturating_mul(1000)),
        "total_count": total,
        "success_count": successes.len(),
        "failure_count": failures.len(),
        "pending_count": 0,
    });
    if !successes.is_empty() {
        status["successes"] = Value::Array(successes);
    }
    if !failures.is_empty() {
        status["failures"] = Value::Array(failures);
    }
    state
        .node
        .intel_save_status(&status_id, view.id, &status)
        .await?;
    Ok((StatusCode::ACCEPTED, taxii_json(&status)).into_response())
}

fn uuid_v4() -> String {
    let mut bytes: [u8; 16] = rand::random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}
