//! The audit middleware: every mutating request (POST, PUT, PATCH, DELETE)
//! leaves a row saying who did what to which path, from where, with which
//! outcome and request id.

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use commons_node::audit::AuditRow;

use crate::AppState;
use crate::auth::ActorSlot;
use crate::ratelimit::client_address;
use crate::serve::REQUEST_ID;

/// Middleware writing one audit row per mutating request, after it is answered.
pub async fn record(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let method = request.method().clone();
    if matches!(method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(request).await;
    }
    let actor = ActorSlot::default();
    request.extensions_mut().insert(actor.clone());
    let target = request.uri().path().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_else(|| target.clone());
    let address = client_address(request.extensions());
    let request_id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let response = next.run(request).await;
    let row = AuditRow {
        id: 0,
        ts: commons_node::now().0,
        actor: actor.get().unwrap_or_else(|| "anonymous".to_owned()),
        action: format!("{method} {route}"),
        target,
        address: address.to_string(),
        outcome: response.status().as_u16().to_string(),
        request_id,
    };
    // The request already happened; a failed audit write is an operator
    // alarm, not the client's error.
    if let Err(error) = state.node.record_audit(&row).await {
        tracing::error!(%error, action = %row.action, "cannot write audit row");
    }
    response
}
