//! Accounts over the API: login and logout with a session cookie,
//! self-registration, the caller's profile, user administration and API tokens.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use commons_node::{ApiToken, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::Json;
use crate::auth::{
    ActorSlot, RequireAdmin, RequireCaller, Via, clear_session_cookie, session_cookie,
    session_secret,
};
use crate::openapi::ProblemDocument;
use crate::ratelimit::ClientAddress;
use crate::{AppState, Problem};

/// A local account.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserWire {
    /// Login name.
    pub name: String,
    /// Node administrator.
    pub admin: bool,
    /// Disabled accounts cannot sign in or act.
    pub disabled: bool,
    /// The account's signing key, hex.
    pub public_key: String,
    /// Creation time, milliseconds since the epoch.
    pub created_ts: i64,
}

/// A name and password.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// Login name.
    pub name: String,
    /// Password, at least 10 characters.
    pub password: String,
}

/// A started session. The secret is in the `commons_session` cookie.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionWire {
    /// The signed-in account.
    pub user: UserWire,
    /// Echo this in `X-CSRF-Token` on every write made with the cookie.
    pub csrf: String,
}

/// A new account, made by an admin.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// Login name.
    pub name: String,
    /// Password, at least 10 characters.
    pub password: String,
    /// Node administrator.
    #[serde(default)]
    pub admin: bool,
}

/// An API token as listed; the secret is shown only at creation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenWire {
    /// Id, used to revoke it.
    pub id: i64,
    /// Label.
    pub name: String,
    /// `read`, `write`, `admin`.
    pub scopes: Vec<String>,
    /// Created, ms.
    pub created_ts: i64,
    /// Last used, ms.
    pub last_used_ts: Option<i64>,
    /// Revoked, ms.
    pub revoked_ts: Option<i64>,
}

/// A token to create.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// Label, 1 to 64 characters.
    pub name: String,
    /// Any of `read`, `write`, `admin` (admins only).
    pub scopes: Vec<String>,
}

/// A created token with its secret, shown this once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedToken {
    /// The token as it will be listed.
    pub details: TokenWire,
    /// The secret to send as `Authorization: Bearer …`.
    pub token: String,
}

impl From<&User> for UserWire {
    fn from(user: &User) -> UserWire {
        UserWire {
            name: user.name.to_string(),
            admin: user.is_admin,
            disabled: user.disabled,
            public_key: user.public_key.to_hex(),
            created_ts: user.created_ts,
        }
    }
}

impl From<&ApiToken> for TokenWire {
    fn from(token: &ApiToken) -> TokenWire {
        TokenWire {
            id: token.id,
            name: token.name.clone(),
            scopes: token.scopes.clone(),
            created_ts: token.created_ts,
            last_used_ts: token.last_used_ts,
            revoked_ts: token.revoked_ts,
        }
    }
}

/// Signs in and sets the session cookie.
#[utoipa::path(
    post, path = "/api/v1/auth/login", tag = "accounts",
    request_body = Credentials,
    responses(
        (status = 200, description = "signed in; the session cookie is set", body = SessionWire),
        (status = 401, description = "wrong name or password", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 429, description = "too many attempts", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    slot: Option<Extension<ActorSlot>>,
    Json(credentials): Json<Credentials>,
) -> Result<Response, Problem> {
    state.limits.check_login(address, &credentials.name)?;
    let user = state
        .node
        .authenticate(&credentials.name, &credentials.password)
        .await?;
    if let Some(Extension(slot)) = slot {
        slot.set(user.name.as_str());
    }
    start_session(&state, &user, StatusCode::OK).await
}

/// Ends the caller's session and clears the cookie.
#[utoipa::path(
    post, path = "/api/v1/auth/logout", tag = "accounts",
    responses(
        (status = 204, description = "signed out"),
        (status = 401, description = "not signed in", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn logout(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    headers: axum::http::HeaderMap,
) -> Result<Response, Problem> {
    if let (Via::Session { .. }, Some(secret)) = (&caller.via, session_secret(&headers)) {
        state.node.end_session(secret).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    set_cookie(&mut response, &clear_session_cookie(&state.config))?;
    Ok(response)
}

/// Creates an account and signs it in, when the node allows registration.
#[utoipa::path(
    post, path = "/api/v1/auth/register", tag = "accounts",
    request_body = Credentials,
    responses(
        (status = 201, description = "registered and signed in", body = SessionWire),
        (status = 400, description = "bad name or password", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, description = "registration is closed", body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, description = "the name is taken", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn register(
    State(state): State<AppState>,
    slot: Option<Extension<ActorSlot>>,
    Json(credentials): Json<Credentials>,
) -> Result<Response, Problem> {
    if !state.config.open_registration {
        return Err(Problem::forbidden(
            "this node does not allow registration; ask its admin for an account",
        ));
    }
    let user = state
        .node
        .create_user(&credentials.name, &credentials.password, false)
        .await?;
    if let Some(Extension(slot)) = slot {
        slot.set(user.name.as_str());
    }
    start_session(&state, &user, StatusCode::CREATED).await
}

/// The caller's account.
#[utoipa::path(
    get, path = "/api/v1/me", tag = "accounts",
    responses(
        (status = 200, body = UserWire),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session" = []))
)]
pub async fn me(RequireCaller(caller): RequireCaller) -> axum::Json<UserWire> {
    axum::Json(UserWire::from(&caller.user))
}

/// Every account (admins only).
#[utoipa::path(
    get, path = "/api/v1/users", tag = "users",
    responses(
        (status = 200, body = Vec<UserWire>),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["admin"]), ("session" = []))
)]
pub async fn list_users(
    State(state): State<AppState>,
    RequireAdmin(_admin): RequireAdmin,
) -> Result<axum::Json<Vec<UserWire>>, Problem> {
    let users = state.node.users().await?;
    Ok(axum::Json(users.iter().map(UserWire::from).collect()))
}

/// Creates an account (admins only).
#[utoipa::path(
    post, path = "/api/v1/users", tag = "users",
    request_body = NewUser,
    responses(
        (status = 201, body = UserWire),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["admin"]), ("session" = []))
)]
pub async fn create_user(
    State(state): State<AppState>,
    RequireAdmin(_admin): RequireAdmin,
    Json(new): Json<NewUser>,
) -> Result<(StatusCode, axum::Json<UserWire>), Problem> {
    let user = state
        .node
        .create_user(&new.name, &new.password, new.admin)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(UserWire::from(&user))))
}

/// Disables an account and ends its sessions (admins only).
#[utoipa::path(
    post, path = "/api/v1/users/{name}/disable", tag = "users",
    params(("name" = String, Path, description = "login name")),
    responses(
        (status = 200, body = UserWire),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["admin"]), ("session" = []))
)]
pub async fn disable_user(
    State(state): State<AppState>,
    RequireAdmin(_admin): RequireAdmin,
    Path(name): Path<String>,
) -> Result<axum::Json<UserWire>, Problem> {
    let user = state.node.set_user_disabled(&name, true).await?;
    Ok(axum::Json(UserWire::from(&user)))
}

/// The caller's API tokens.
#[utoipa::path(
    get, path = "/api/v1/tokens", tag = "tokens",
    responses(
        (status = 200, body = Vec<TokenWire>),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["read"]), ("session" = []))
)]
pub async fn list_tokens(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
) -> Result<axum::Json<Vec<TokenWire>>, Problem> {
    let tokens = state.node.tokens(&caller.user).await?;
    Ok(axum::Json(tokens.iter().map(TokenWire::from).collect()))
}

/// Creates an API token for the caller; its secret is returned only now.
#[utoipa::path(
    post, path = "/api/v1/tokens", tag = "tokens",
    request_body = NewToken,
    responses(
        (status = 201, body = CreatedToken),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["write"]), ("session" = []))
)]
pub async fn create_token(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Json(new): Json<NewToken>,
) -> Result<(StatusCode, axum::Json<CreatedToken>), Problem> {
    let (token, secret) = state
        .node
        .create_token(&caller.user, &new.name, &new.scopes)
        .await?;
    let created = CreatedToken {
        details: TokenWire::from(&token),
        token: secret,
    };
    Ok((StatusCode::CREATED, axum::Json(created)))
}

/// Revokes one of the caller's tokens.
#[utoipa::path(
    delete, path = "/api/v1/tokens/{id}", tag = "tokens",
    params(("id" = i64, Path, description = "token id")),
    responses(
        (status = 204, description = "revoked"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["write"]), ("session" = []))
)]
pub async fn revoke_token(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path(id): Path<i64>,
) -> Result<StatusCode, Problem> {
    state.node.revoke_token(&caller.user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn start_session(
    state: &AppState,
    user: &User,
    status: StatusCode,
) -> Result<Response, Problem> {
    let (secret, session) = state.node.create_session(user).await?;
    let body = SessionWire {
        user: UserWire::from(user),
        csrf: session.csrf,
    };
    let mut response = (status, axum::Json(body)).into_response();
    set_cookie(&mut response, &session_cookie(&secret, &state.config))?;
    Ok(response)
}

fn set_cookie(response: &mut Response, cookie: &str) -> Result<(), Problem> {
    let value = HeaderValue::from_str(cookie).map_err(|error| {
        tracing::error!(%error, "session cookie is not a header value");
        Problem::internal()
    })?;
    response.headers_mut().append(header::SET_COOKIE, value);
    Ok(())
}
