//! Who is calling: a web session (cookie plus CSRF header for writes) or a
//! bearer API token with scopes. Handlers state what they need by the
//! extractor they take: [`MaybeCaller`], [`RequireCaller`] or [`RequireAdmin`].

use std::sync::{Arc, Mutex};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use commons_node::User;
use commons_node::accounts::SESSION_TTL_MS;

use crate::{AppState, Problem, WebConfig};

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "commons_session";

/// The header a session-authenticated write must carry, equal to the
/// session's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The account acting.
    pub user: User,
    /// How it authenticated.
    pub via: Via,
}

/// How a caller authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A web session cookie.
    Session {
        /// The token writes must echo in `X-CSRF-Token`.
        csrf: String,
    },
    /// A bearer API token.
    Token {
        /// What the token may do: `read`, `write`, `admin`.
        scopes: Vec<String>,
    },
}

/// An authenticated caller allowed to make this request: reads need a token
/// with any scope, writes (POST, PUT, PATCH, DELETE) need the `write` or
/// `admin` scope, or a session and its CSRF header. Rejects with 401 or 403.
#[derive(Debug, Clone)]
pub struct RequireCaller(pub Caller);

/// Like [`RequireCaller`], and the caller is a node admin (with the `admin`
/// scope, when using a token).
#[derive(Debug, Clone)]
pub struct RequireAdmin(pub Caller);

/// The caller if credentials were given, checked like [`RequireCaller`];
/// `None` for anonymous requests. Wrong credentials are still a 401.
#[derive(Debug, Clone)]
pub struct MaybeCaller(pub Option<Caller>);

/// Where the audit middleware learns who acted: authentication writes the
/// user name here, the middleware reads it once the response is ready.
#[derive(Debug, Clone, Default)]
pub struct ActorSlot(Arc<Mutex<Option<String>>>);

impl ActorSlot {
    /// Records the acting user's name.
    pub fn set(&self, name: &str) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(name.to_owned());
        }
    }

    /// The acting user's name, if one authenticated.
    pub fn get(&self) -> Option<String> {
        self.0.lock().ok().and_then(|slot| slot.clone())
    }
}

/// The `Set-Cookie` value that starts a session.
pub fn session_cookie(secret: &str, config: &WebConfig) -> String {
    let max_age = SESSION_TTL_MS / 1000;
    let secure = if config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!("{SESSION_COOKIE}={secret}; HttpOnly; SameSite=Lax; Path=/; Max-Age={max_age}{secure}")
}

/// The `Set-Cookie` value that ends a session in the browser.
pub fn clear_session_cookie(config: &WebConfig) -> String {
    let secure = if config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0{secure}")
}

/// The session secret from the request's cookies, if any.
pub fn session_secret(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|cookie| cookie.trim().split_once('='))
        .find(|(name, value)| *name == SESSION_COOKIE && !value.is_empty())
        .map(|(_, value)| value)
}

impl Caller {
    /// Whether a token caller holds `scope`; scopes nest as
    /// `read` < `write` < `admin`. Session callers hold every scope their
    /// account allows.
    pub fn has_scope(&self, scope: &str) -> bool {
        match &self.via {
            Via::Session { .. } => true,
            Via::Token { scopes } => {
                let rank = |scope: &str| match scope {
                    "read" => 1,
                    "write" => 2,
                    "admin" => 3,
                    _ => 0,
                };
                let needed = rank(scope);
                scopes.iter().any(|held| rank(held) >= needed)
            }
        }
    }
}

impl FromRequestParts<AppState> for RequireCaller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let Some(caller) = authenticate(parts, state).await? else {
            return Err(Problem::unauthorized(
                "sign in, or send an API token as `Authorization: Bearer cmn_…`",
            ));
        };
        authorize(&caller, parts)?;
        Ok(RequireCaller(caller))
    }
}

impl FromRequestParts<AppState> for RequireAdmin {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let RequireCaller(caller) = RequireCaller::from_request_parts(parts, state).await?;
        if !caller.user.is_admin {
            return Err(Problem::forbidden("only node admins may do this"));
        }
        if !caller.has_scope("admin") {
            return Err(Problem::forbidden("this API token lacks the admin scope"));
        }
        Ok(RequireAdmin(caller))
    }
}

impl FromRequestParts<AppState> for MaybeCaller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let caller = authenticate(parts, state).await?;
        if let Some(caller) = &caller {
            authorize(caller, parts)?;
        }
        Ok(MaybeCaller(caller))
    }
}

fn is_mutating(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<Option<Caller>, Problem> {
    let caller = if let Some(authorization) = parts.headers.get(header::AUTHORIZATION) {
        let token = authorization
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| {
                Problem::unauthorized("the Authorization header must be `Bearer <token>`")
            })?;
        let (user, scopes) = state.node.authenticate_token(token).await?;
        Caller {
            user,
            via: Via::Token { scopes },
        }
    } else if let Some(secret) = session_secret(&parts.headers) {
        // An expired or unknown session is the same as none: the browser
        // may hold a stale cookie, and reads stay open to anonymous callers.
        match state.node.session(secret).await? {
            Some(session) => Caller {
                user: session.user,
                via: Via::Session { csrf: session.csrf },
            },
            None => return Ok(None),
        }
    } else {
        return Ok(None);
    };
    if let Some(slot) = parts.extensions.get::<ActorSlot>() {
        slot.set(caller.user.name.as_str());
    }
    state.limits.check_user(caller.user.id)?;
    Ok(Some(caller))
}

fn authorize(caller: &Caller, parts: &Parts) -> Result<(), Problem> {
    let mutating = is_mutating(&parts.method);
    match &caller.via {
        Via::Session { csrf } if mutating => {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .map(|value| value.as_bytes())
                .unwrap_or_default();
            if !constant_time_eq(sent, csrf.as_bytes()) {
                return Err(Problem::forbidden(
                    "a write with a session cookie must carry the session's X-CSRF-Token header",
                ));
            }
        }
        Via::Session { .. } => {}
        Via::Token { .. } => {
            let needed = if mutating { "write" } else { "read" };
            if !caller.has_scope(needed) {
                return Err(Problem::forbidden(format!(
                    "this API token lacks the {needed} scope"
                )));
            }
        }
    }
    Ok(())
}

fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    left.len() == right.len()
        && left
            .iter()
            .zip(right)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}
