//! The application with its middleware stack, and serving it on a TCP
//! listener with graceful shutdown.

use std::any::Any;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::problem::PROBLEM_JSON;
use crate::{AppState, Problem};

/// The header carrying the request id, taken from the client or made here.
pub const REQUEST_ID: &str = "x-request-id";

/// The largest request body accepted.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// How long a request may take before it is answered with 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// [`crate::router`] with every layer: request ids, tracing, metrics,
/// problem documents for bare errors, audit, rate limits, timeout, panic
/// isolation and the body limit.
pub fn app(state: AppState) -> Router {
    let request_id = HeaderName::from_static(REQUEST_ID);
    let layers = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(request_id.clone(), NextRequestId::new()))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request| {
            let id = request
                .headers()
                .get(REQUEST_ID)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default();
            tracing::info_span!("request", method = %request.method(), uri = %request.uri(), request_id = %id)
        }))
        .layer(PropagateRequestIdLayer::new(request_id))
        .layer(middleware::from_fn_with_state(state.clone(), crate::metrics::record))
        .layer(middleware::from_fn(problem_for_bare_errors))
        .layer(middleware::from_fn_with_state(state.clone(), crate::audit::record))
        .layer(middleware::from_fn_with_state(state.clone(), crate::ratelimit::limit_by_address))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .layer(CatchPanicLayer::custom(panic_problem))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(DefaultBodyLimit::max(BODY_LIMIT));
    crate::router(state).layer(layers)
}

/// Serves the application until `shutdown` completes, then finishes the
/// requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Request ids unique within the process and unpredictable across restarts:
/// a random prefix chosen at start and a counter.
#[derive(Debug, Clone)]
struct NextRequestId {
    prefix: u32,
}

impl NextRequestId {
    fn new() -> NextRequestId {
        NextRequestId {
            prefix: rand::random(),
        }
    }
}

impl MakeRequestId for NextRequestId {
    fn make_request_id<B>(&mut self, _request: &axum::http::Request<B>) -> Option<RequestId> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let id = format!("{:08x}-{n:012x}", self.prefix);
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

/// Turns error responses that are not problem documents or pages (axum's
/// plain-text rejections, empty 404, 405, 408 and 413 from layers) into
/// problem documents. Server errors keep their cause to the log.
async fn problem_for_bare_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if !(content_type.is_empty() || content_type.starts_with("text/plain")) {
        return response;
    }
    let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
    let allow = response.headers().get(header::ALLOW).cloned();
    let body = axum::body::to_bytes(response.into_body(), 4096)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&body).trim().to_owned();
    let detail = if status.is_server_error() || text.is_empty() {
        default_detail(status)
    } else {
        text
    };
    let mut problem = Problem::from_status(status, detail).into_response();
    for (name, value) in [(header::RETRY_AFTER, retry_after), (header::ALLOW, allow)] {
        if let Some(value) = value {
            problem.headers_mut().insert(name, value);
        }
    }
    debug_assert_eq!(
        problem
            .headers()
            .get(header::CONTENT_TYPE)
            .map(HeaderValue::as_bytes),
        Some(PROBLEM_JSON.as_bytes())
    );
    problem
}

fn default_detail(status: StatusCode) -> String {
    match status {
        StatusCode::NOT_FOUND => "no such resource".to_owned(),
        StatusCode::METHOD_NOT_ALLOWED => "this resource does not answer that method".to_owned(),
        StatusCode::REQUEST_TIMEOUT => {
            format!(
                "the request took longer than {} s",
                REQUEST_TIMEOUT.as_secs()
            )
        }
        StatusCode::PAYLOAD_TOO_LARGE => {
            format!("the body is larger than {BODY_LIMIT} bytes")
        }
        _ if status.is_server_error() => "the node failed; see its log".to_owned(),
        _ => status.canonical_reason().unwrap_or("error").to_owned(),
    }
}

fn panic_problem(panic: Box<dyn Any + Send + 'static>) -> Response<Body> {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("non-string panic");
    tracing::error!(panic = message, "a request handler panicked");
    Problem::internal().into_response()
}
