//! The control socket: the CLI's way to a running node. One route, `POST
//! /control`, takes a `commons_node::control::Command` and answers its JSON
//! reply. Access is by file permissions on the socket, so there is no other
//! authentication here.

use std::future::Future;

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use commons_node::control::Command;
use serde_json::Value;

use crate::api::Json;
use crate::{AppState, Problem};

/// The control application.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/control", post(execute))
        .layer(axum::extract::DefaultBodyLimit::max(
            crate::serve::BODY_LIMIT,
        ))
        .with_state(state)
}

/// Serves the control socket until `shutdown` completes.
pub async fn serve_control(
    listener: tokio::net::UnixListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

async fn execute(
    State(state): State<AppState>,
    Json(command): Json<Command>,
) -> Result<axum::Json<Value>, Problem> {
    tracing::info!(command = command.name(), "control command");
    Ok(axum::Json(state.node.execute(command).await?))
}
