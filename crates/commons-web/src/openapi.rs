//! The OpenAPI 3.1 document of `/api/v1`, generated from the handlers'
//! `#[utoipa::path]` attributes as the routes are registered.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::openapi::OpenApi as Document;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::auth::SESSION_COOKIE;

/// An `application/problem+json` error (RFC 9457).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemDocument {
    /// Always `about:blank`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short summary of the problem type.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What happened, for a person.
    pub detail: String,
    /// For rejected records: every finding, with a JSON pointer and a message.
    #[schema(value_type = Option<Vec<Object>>)]
    pub findings: Option<Vec<serde_json::Value>>,
    /// For 429: seconds to wait.
    pub retry_after: Option<u64>,
}

/// The document as served.
pub fn document_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        openapi()
            .to_pretty_json()
            .expect("an OpenAPI document built from static attributes serializes")
    })
}

/// The document, built from the router.
pub fn openapi() -> Document {
    crate::api::documented_routes().into_openapi()
}

/// The document's parts that are not routes: info, security schemes.
pub fn base() -> Document {
    ApiDoc::openapi()
}

/// This OpenAPI document.
#[utoipa::path(
    get, path = "/api/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "the OpenAPI 3.1 document of this API", content_type = "application/json"))
)]
pub async fn document() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        document_json(),
    )
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Commons API",
        version = "1",
        description = "The REST API of a Commons node. Errors are application/problem+json."
    ),
    components(schemas(ProblemDocument)),
    modifiers(&SecuritySchemes)
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, document: &mut Document) {
        let components = document.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                SESSION_COOKIE,
                "a web session; writes also need the X-CSRF-Token header",
            ))),
        );
    }
}
