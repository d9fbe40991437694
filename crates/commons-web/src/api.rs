//! The REST API under `/api/v1`: JSON in and out, every error a problem
//! document. Routes are registered through `utoipa_axum` together with their
//! OpenAPI descriptions, so the document cannot drift from the router.

pub mod accounts;
pub mod audit;
pub mod communities;
pub mod intel;
pub mod logs;
pub mod patterns;

use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::{AppState, Problem};

/// A JSON request body whose every rejection is a problem document: 415
/// without a JSON content type, 400 for malformed JSON or invalid UTF-8, 422
/// for JSON of the wrong shape, 413 over the body limit.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

/// Routes of the API, `/api/v1/openapi.json` among them.
pub fn routes() -> Router<AppState> {
    documented_routes().split_for_parts().0
}

/// The API routes with their OpenAPI description, before it is served.
pub fn documented_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(crate::openapi::base())
        .routes(routes!(accounts::login))
        .routes(routes!(accounts::logout))
        .routes(routes!(accounts::register))
        .routes(routes!(accounts::me))
        .routes(routes!(accounts::list_users, accounts::create_user))
        .routes(routes!(accounts::disable_user))
        .routes(routes!(accounts::list_tokens, accounts::create_token))
        .routes(routes!(accounts::revoke_token))
        .routes(routes!(communities::list, communities::create))
        .routes(routes!(communities::show))
        .routes(routes!(communities::members))
        .routes(routes!(communities::join))
        .routes(routes!(communities::leave))
        .routes(routes!(communities::invite))
        .routes(routes!(communities::approve))
        .routes(routes!(communities::remove))
        .routes(routes!(communities::set_role))
        .routes(routes!(communities::set_policy))
        .routes(routes!(communities::follow))
        .routes(routes!(logs::log))
        .routes(routes!(logs::submit))
        .routes(routes!(logs::verify))
        .routes(routes!(audit::list))
        .routes(routes!(patterns::list, patterns::submit))
        .routes(routes!(patterns::key))
        .routes(routes!(patterns::library))
        .routes(routes!(patterns::show))
        .routes(routes!(patterns::vote))
        .routes(routes!(patterns::approve))
        .routes(routes!(patterns::withdraw))
        .routes(routes!(patterns::author))
        .routes(routes!(patterns::rotate_key))
        .routes(routes!(crate::openapi::document))
        .routes(routes!(intel::feed, intel::publish))
        .routes(routes!(intel::indicator))
        .routes(routes!(intel::revoke))
        .routes(routes!(intel::sighting))
        .routes(routes!(intel::false_positive))
        .routes(routes!(intel::settings, intel::set_settings))
        .routes(routes!(intel::active))
}

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Problem> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(rejection) => Err(json_problem(&rejection)),
        }
    }
}

fn json_problem(rejection: &JsonRejection) -> Problem {
    let title = match rejection {
        JsonRejection::MissingJsonContentType(_) => "Unsupported media type",
        JsonRejection::JsonSyntaxError(_) => "Malformed JSON",
        JsonRejection::JsonDataError(_) => "Invalid body",
        _ if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => "Body too large",
        _ => "Unreadable body",
    };
    Problem::new(rejection.status(), title, rejection.body_text())
}
