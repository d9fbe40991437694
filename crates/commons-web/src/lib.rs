//! The HTTP edge of a Commons node: the REST API under `/api/v1` with its
//! OpenAPI document, the server-rendered web UI, health and metrics
//! endpoints, and the local control socket the CLI talks to while the node
//! runs. Only this crate knows HTTP, JSON bodies and HTML; it talks to the
//! node through `commons_node::Node` alone.

pub mod api;
pub mod audit;
pub mod auth;
pub mod control;
pub mod metrics;
pub mod openapi;
pub mod problem;
pub mod ratelimit;
pub mod serve;
pub mod state;
pub mod taxii;
pub mod ui;

use axum::Router;

pub use control::serve_control;
pub use problem::Problem;
pub use serve::{app, serve};
pub use state::{AppState, RateLimitConfig, WebConfig};

/// The whole HTTP application for a node, without middleware (see [`app`]).
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(api::routes())
        .merge(ui::routes())
        .merge(metrics::routes())
        .merge(taxii::routes())
        .with_state(state)
}
