//! The server-rendered web UI: HTML pages built with maud, every word from
//! the `commons-i18n` catalog, forms protected by CSRF tokens, and one
//! stylesheet. Pages work without JavaScript.

mod accounts;
mod audit;
pub(crate) mod cache;
mod communities;
mod discover;
mod home;
mod intel;
mod manage;
mod page;
mod patterns;
mod session;
mod settings;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::AppState;

const APP_CSS: &str = include_str!("../assets/app.css");

/// Routes of the UI.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route(
            "/register",
            get(accounts::register_page).post(accounts::register),
        )
        .route("/login", get(accounts::login_page).post(accounts::login))
        .route("/logout", post(accounts::logout))
        .route("/setup", get(accounts::setup_page).post(accounts::setup))
        .route(
            "/communities",
            get(communities::list).post(communities::create),
        )
        .route("/c/{id}", get(communities::show))
        .route("/c/{id}/join", post(communities::join))
        .route("/c/{id}/leave", post(communities::leave))
        .route("/c/{id}/members/{action}", post(manage::member))
        .route("/c/{id}/role", post(manage::role))
        .route("/c/{id}/policy", post(manage::policy))
        .route("/c/{id}/patterns", get(patterns::list))
        .route("/c/{id}/patterns/review", get(patterns::queue))
        .route(
            "/c/{id}/patterns/new",
            get(patterns::new_page).post(patterns::submit),
        )
        .route("/c/{id}/patterns/{pattern}", get(patterns::show))
        .route("/c/{id}/patterns/{pattern}/{action}", post(patterns::act))
        .route("/profile", get(settings::profile))
        .route(
            "/settings",
            get(settings::settings_page).post(settings::settings),
        )
        .route("/lang", post(settings::lang))
        .route("/admin/audit", get(audit::audit))
        .route("/assets/app.css", get(app_css))
        .route("/c/{id}/intel", get(intel::feed))
        .route(
            "/c/{id}/intel/publish",
            get(intel::publish_page).post(intel::publish),
        )
        .route("/c/{id}/intel/indicators/{object}", get(intel::indicator))
        .route("/intel/scans", get(intel::scan_runs))
        .route("/intel/scans/{run}", get(intel::scan_run))
        .route("/admin/notifications", get(patterns::notifications))
        .route("/discover", get(discover::discover))
}

async fn app_css() -> Response {
    let mut response = APP_CSS.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    // Not immutable: the URL carries no hash, so a new release must show up
    // within the hour.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

#[cfg(test)]
mod tests;
