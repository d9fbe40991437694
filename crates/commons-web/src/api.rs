//! The REST API under `/api/v1`.

use axum::Router;

use crate::AppState;

/// Routes of the API.
pub fn routes() -> Router<AppState> {
    Router::new()
}
