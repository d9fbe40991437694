//! TAXII 2.1 under `/taxii2/`: discovery, one API root (`/taxii2/commons/`),
//! a collection per community the caller may read (its id is the community
//! id written as a UUID, its alias the community name), objects with keyset
//! pagination, manifest, versions, delete, and status resources.
//!
//! Every response is `application/taxii+json;version=2.1`, errors included
//! (TAXII error bodies, not problem documents). Callers authenticate with
//! HTTP Basic (a user name and its password, or any name and an API token
//! as the password) or a bearer API token; writes need a token with the
//! `write` scope or a password, and an active membership.

pub mod objects;

use axum::Router;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use commons_node::{CommunityView, NodeError, User};
use serde_json::{Value, json};

use crate::AppState;

/// The TAXII media type this server speaks.
pub const TAXII_JSON: &str = "application/taxii+json;version=2.1";

/// The STIX media type collections hold.
pub const STIX_JSON: &str = "application/stix+json;version=2.1";

/// The one API root's path.
pub const API_ROOT: &str = "/taxii2/commons/";

/// The largest page a request may ask for; larger limits get this many.
pub const MAX_PAGE: u32 = 1000;

/// Routes under `/taxii2/`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/taxii2/", get(discovery))
        .route("/taxii2/commons/", get(api_root))
        .route("/taxii2/commons/status/{status}/", get(status))
        .route("/taxii2/commons/collections/", get(collections))
        .route("/taxii2/commons/collections/{collection}/", get(collection))
        .route(
            "/taxii2/commons/collections/{collection}/objects/",
            get(objects::get_objects).post(objects::add_objects),
        )
        .route(
            "/taxii2/commons/collections/{collection}/manifest/",
            get(objects::manifest),
        )
        .route(
            "/taxii2/commons/collections/{collection}/objects/{object}/",
            get(objects::get_object).delete(objects::delete_object),
        )
        .route(
            "/taxii2/commons/collections/{collection}/objects/{object}/versions/",
            get(objects::versions),
        )
}

/// A TAXII error: a status and a TAXII error body.
#[derive(Debug, Clone)]
pub struct TaxiiError {
    /// The status.
    pub status: StatusCode,
    /// Short title.
    pub title: String,
    /// What happened.
    pub description: String,
}

impl TaxiiError {
    /// An error with a status and description, titled by the status.
    pub fn new(status: StatusCode, description: impl Into<String>) -> TaxiiError {
        TaxiiError {
            status,
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            description: description.into(),
        }
    }
}

impl From<NodeError> for TaxiiError {
    fn from(error: NodeError) -> TaxiiError {
        let description = error.to_string();
        let status = match error {
            NodeError::NotFound { .. } => StatusCode::NOT_FOUND,
            NodeError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            NodeError::Forbidden(_) => StatusCode::FORBIDDEN,
            NodeError::BadInput(_) => StatusCode::BAD_REQUEST,
            NodeError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            NodeError::Ambiguous { .. }
            | NodeError::Conflict(_)
            | NodeError::Duplicate(_)
            | NodeError::NotHome(_) => StatusCode::CONFLICT,
            // Written away from the collection's home node: queued for it.
            NodeError::Queued { .. } => StatusCode::ACCEPTED,
            other => {
                tracing::error!(error = %other, "internal error");
                return TaxiiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the node failed; see its log",
                );
            }
        };
        TaxiiError::new(status, description)
    }
}

impl IntoResponse for TaxiiError {
    fn into_response(self) -> Response {
        let body = json!({
            "title": self.title,
            "description": self.description,
            "http_status": self.status.as_u16().to_string(),
        });
        let mut response = (self.status, taxii_json(&body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"commons\", Bearer"),
            );
        }
        response
    }
}

/// A body as TAXII JSON.
pub fn taxii_json(body: &Value) -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(TAXII_JSON))],
        body.to_string(),
    )
        .into_response()
}

/// An authenticated TAXII caller whose `Accept` header allows TAXII JSON.
#[derive(Debug, Clone)]
pub struct TaxiiCaller {
    /// The account.
    pub user: User,
    /// Whether the credentials allow writes (a password, or a token with
    /// the `write` scope).
    pub may_write: bool,
}

impl FromRequestParts<AppState> for TaxiiCaller {
    type Rejection = TaxiiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, TaxiiError> {
        check_accept(&parts.headers)?;
        let unauthorized = |text: &str| TaxiiError::new(StatusCode::UNAUTHORIZED, text);
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(unauthorized(
                "send HTTP Basic credentials or `Authorization: Bearer <API token>`",
            ));
        };
        let value = value
            .to_str()
            .map_err(|_| unauthorized("the Authorization header is not ASCII"))?;
        let (user, may_write) = if let Some(token) = value.strip_prefix("Bearer ") {
            token_caller(state, token.trim()).await?
        } else if let Some(encoded) = value.strip_prefix("Basic ") {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| {
                    unauthorized("the Basic credentials are not base64 of name:password")
                })?;
            let (name, password) = decoded
                .split_once(':')
                .ok_or_else(|| unauthorized("the Basic credentials are not name:password"))?;
            if password.starts_with("cmn_") {
                token_caller(state, password).await?
            } else {
                (state.node.authenticate(name, password).await?, true)
            }
        } else {
            return Err(unauthorized(
                "the Authorization header must be Basic or Bearer",
            ));
        };
        state
            .limits
            .check_user(user.id)
            .map_err(|problem| TaxiiError::new(problem.status, problem.detail))?;
        if let Some(slot) = parts.extensions.get::<crate::auth::ActorSlot>() {
            slot.set(user.name.as_str());
        }
        Ok(TaxiiCaller { user, may_write })
    }
}

async fn token_caller(state: &AppState, token: &str) -> Result<(User, bool), TaxiiError> {
    let (user, scopes) = state.node.authenticate_token(token).await?;
    let may_write = scopes
        .iter()
        .any(|scope| scope == "write" || scope == "admin");
    Ok((user, may_write))
}

/// 406 unless `Accept` allows TAXII JSON 2.1 (no header allows anything).
fn check_accept(headers: &HeaderMap) -> Result<(), TaxiiError> {
    let Some(accept) = headers.get(header::ACCEPT) else {
        return Ok(());
    };
    let accept = accept.to_str().unwrap_or_default().to_ascii_lowercase();
    let acceptable = accept.split(',').any(|range| {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default();
        let version_ok = parts.all(|param| {
            param
                .strip_prefix("version=")
                .is_none_or(|version| version == "2.1")
        });
        version_ok && matches!(media, "application/taxii+json" | "*/*" | "application/*")
    });
    if acceptable {
        Ok(())
    } else {
        Err(TaxiiError::new(
            StatusCode::NOT_ACCEPTABLE,
            format!("this server answers with {TAXII_JSON}; the Accept header does not allow it"),
        ))
    }
}

/// The community a collection id names: the community id written as a
/// UUID (or plain), or its name, as the caller may see it.
pub async fn resolve_collection(
    state: &AppState,
    caller: &TaxiiCaller,
    collection: &str,
) -> Result<CommunityView, TaxiiError> {
    let plain: String = collection.chars().filter(|c| *c != '-').collect();
    let key = if plain.len() == 32 && plain.bytes().all(|b| b.is_ascii_hexdigit()) {
        plain.to_ascii_lowercase()
    } else {
        collection.to_owned()
    };
    state
        .node
        .community(&key, Some(&caller.user))
        .await
        .map_err(|error| match error {
            NodeError::NotFound { .. } | NodeError::BadInput(_) | NodeError::Ambiguous { .. } => {
                TaxiiError::new(
                    StatusCode::NOT_FOUND,
                    format!("there is no collection {collection}"),
                )
            }
            other => other.into(),
        })
}

/// A community id as a collection id (UUID form).
pub fn collection_id(view: &CommunityView) -> String {
    let hex = view.id.to_hex();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn collection_json(view: &CommunityView, caller: &TaxiiCaller) -> Value {
    json!({
        "id": collection_id(view),
        "title": view.name.as_str(),
        "description": format!("STIX objects shared in the {} community", view.name),
        "alias": view.name.as_str(),
        "can_read": true,
        "can_write": caller.may_write && view.role.is_some() && view.is_home,
        "media_types": [STIX_JSON],
    })
}

async fn discovery(
    State(state): State<AppState>,
    caller: TaxiiCaller,
    headers: HeaderMap,
) -> Response {
    let _ = caller;
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if state.config.secure_cookies {
        "https"
    } else {
        "http"
    };
    let root = format!("{scheme}://{host}{API_ROOT}");
    taxii_json(&json!({
        "title": "Commons TAXII server",
        "description": "Each collection is a community's intel feed",
        "default": root,
        "api_roots": [root],
    }))
}

async fn api_root(caller: TaxiiCaller) -> Response {
    let _ = caller;
    taxii_json(&json!({
        "title": "Commons",
        "description": "Communities' STIX 2.1 feeds",
        "versions": [TAXII_JSON],
        "max_content_length": crate::serve::BODY_LIMIT,
    }))
}

async fn collections(
    State(state): State<AppState>,
    caller: TaxiiCaller,
) -> Result<Response, TaxiiError> {
    let views = state.node.communities(Some(&caller.user)).await?;
    let list: Vec<Value> = views
        .iter()
        .map(|view| collection_json(view, &caller))
        .collect();
    Ok(taxii_json(&json!({ "collections": list })))
}

async fn collection(
    State(state): State<AppState>,
    caller: TaxiiCaller,
    Path(collection): Path<String>,
) -> Result<Response, TaxiiError> {
    let view = resolve_collection(&state, &caller, &collection).await?;
    Ok(taxii_json(&collection_json(&view, &caller)))
}

async fn status(
    State(state): State<AppState>,
    caller: TaxiiCaller,
    Path(status): Path<String>,
) -> Result<Response, TaxiiError> {
    let status = state.node.intel_status(Some(&caller.user), &status).await?;
    Ok(taxii_json(&status))
}
