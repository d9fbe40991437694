//! The server-rendered web UI.

use axum::Router;

use crate::AppState;

/// Routes of the UI.
pub fn routes() -> Router<AppState> {
    Router::new()
}
