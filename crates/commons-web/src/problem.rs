//! `application/problem+json` (RFC 9457) for every error the edge returns.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use commons_node::NodeError;
use serde_json::{Value, json};

/// The media type of problem documents.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An HTTP problem document. An `extra` member `retry_after` (seconds) also
/// sets the `Retry-After` header; a 401 carries `WWW-Authenticate: Bearer`.
#[derive(Debug, Clone)]
pub struct Problem {
    /// The status code.
    pub status: StatusCode,
    /// A short, stable summary of the problem type.
    pub title: String,
    /// What happened in this case, for a person.
    pub detail: String,
    /// Extra members, e.g. `findings` or `retry_after`.
    pub extra: Option<Value>,
}

impl Problem {
    /// A problem with a status, title and detail.
    pub fn new(status: StatusCode, title: &str, detail: impl Into<String>) -> Problem {
        Problem {
            status,
            title: title.to_owned(),
            detail: detail.into(),
            extra: None,
        }
    }

    /// 400 Bad Request.
    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, "Bad request", detail)
    }

    /// 401 Unauthorized.
    pub fn unauthorized(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::UNAUTHORIZED, "Unauthorized", detail)
    }

    /// 403 Forbidden.
    pub fn forbidden(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::FORBIDDEN, "Forbidden", detail)
    }

    /// 404 Not Found.
    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "Not found", detail)
    }

    /// 500 Internal Server Error, with nothing about the cause.
    pub fn internal() -> Problem {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal error",
            "the node failed; see its log",
        )
    }

    /// A problem for a status alone, titled by the status's reason phrase.
    pub fn from_status(status: StatusCode, detail: impl Into<String>) -> Problem {
        Problem::new(status, status.canonical_reason().unwrap_or("Error"), detail)
    }
}

impl From<NodeError> for Problem {
    fn from(error: NodeError) -> Problem {
        let detail = error.to_string();
        match error {
            NodeError::NotFound { .. } => Problem::not_found(detail),
            NodeError::Ambiguous { .. }
            | NodeError::Conflict(_)
            | NodeError::Duplicate(_)
            | NodeError::NotHome(_) => Problem::new(StatusCode::CONFLICT, "Conflict", detail),
            NodeError::Unauthorized(_) => Problem::unauthorized(detail),
            NodeError::Forbidden(_) => Problem::forbidden(detail),
            NodeError::BadInput(_) => Problem::bad_request(detail),
            error @ NodeError::Queued { .. } => Problem {
                status: StatusCode::ACCEPTED,
                title: "Pending".into(),
                detail,
                extra: commons_node::away::queued_json(&error),
            },
            NodeError::Invalid(findings) => Problem {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                title: "Record rejected".into(),
                detail,
                extra: Some(json!({ "findings": findings })),
            },
            other => {
                // The cause goes to the log, never to the client.
                tracing::error!(error = %other, "internal error");
                Problem::internal()
            }
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        if self.status.is_success() {
            // Not a problem: a write made away from the community's home
            // node, accepted and pending (see `NodeError::Queued`).
            let body = self.extra.unwrap_or(Value::Null);
            let mut response = (self.status, body.to_string()).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            return response;
        }
        let retry_after = self
            .extra
            .as_ref()
            .and_then(|extra| extra.get("retry_after"))
            .and_then(Value::as_u64);
        let mut body = json!({
            "type": "about:blank",
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        if let (Some(Value::Object(extra)), Value::Object(map)) = (self.extra, &mut body) {
            map.extend(extra);
        }
        let mut response = (self.status, body.to_string()).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
