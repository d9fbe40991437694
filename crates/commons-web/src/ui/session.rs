//! Who is asking: the session cookie, the language choice and the CSRF token
//! of a UI request, gathered once by the [`Visitor`] extractor.
//!
//! Logged-in forms echo the session's CSRF token. Logged-out forms (login,
//! register, setup, language) use a double-submit cookie: the token is set
//! as `commons_csrf` and repeated in a hidden field; another site can make
//! the browser send the cookie but cannot read it to fill in the field.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use commons_i18n::{Catalog, FluentValue, Locale};
use commons_node::Session;

use crate::auth::{ActorSlot, clear_session_cookie, session_cookie, session_secret};
use crate::ui::page;
use crate::{AppState, WebConfig};

/// The logged-out CSRF cookie.
pub const CSRF_COOKIE: &str = "commons_csrf";
/// The language chosen while logged out.
pub const LANG_COOKIE: &str = "commons_lang";

const LANG_MAX_AGE_S: i64 = 365 * 24 * 3600;

/// The person behind a UI request.
pub struct Visitor {
    /// The live session, if logged in.
    pub session: Option<Session>,
    /// The session cookie's secret, to end the session on logout.
    pub session_secret: Option<String>,
    /// The negotiated language.
    pub locale: Locale,
    /// The language cookie, if any (for the switcher's current value).
    pub lang_cookie: Option<Locale>,
    /// The token forms must echo.
    pub csrf: String,
    /// A fresh logged-out CSRF token to set with the response.
    pub new_csrf_cookie: bool,
    /// Edge settings, for cookie attributes.
    pub config: WebConfig,
    /// The request path, for the language switcher to come back to.
    pub path: String,
    /// Where the audit middleware reads who acted, when it runs.
    pub actor_slot: Option<ActorSlot>,
}

impl<S> FromRequestParts<S> for Visitor
where
    AppState: axum::extract::FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Visitor, Response> {
        let state: AppState = axum::extract::FromRef::from_ref(state);
        let session_secret = session_secret(&parts.headers).map(str::to_owned);
        let session = match &session_secret {
            Some(secret) => match state.node.session(secret).await {
                Ok(session) => session,
                Err(error) => {
                    tracing::error!(%error, "cannot look up a web session");
                    let locale = catalog().negotiate(None, accept_language(&parts.headers));
                    return Err(page::bare_internal_error(locale));
                }
            },
            None => None,
        };
        // The audit middleware records who acted.
        if let (Some(session), Some(slot)) = (&session, parts.extensions.get::<ActorSlot>()) {
            slot.set(session.user.name.as_str());
        }
        let lang_cookie = cookie(&parts.headers, LANG_COOKIE).and_then(|code| Locale::parse(&code));
        let user_setting = session
            .as_ref()
            .and_then(|session| session.user.locale.clone())
            .or_else(|| lang_cookie.map(|locale| locale.code().to_owned()));
        let locale = catalog().negotiate(user_setting.as_deref(), accept_language(&parts.headers));
        let (csrf, new_csrf_cookie) = match (&session, cookie(&parts.headers, CSRF_COOKIE)) {
            (Some(session), _) => (session.csrf.clone(), false),
            (None, Some(token)) if is_token(&token) => (token, false),
            (None, _) => (commons_node::secrets::new_token("csrf"), true),
        };
        Ok(Visitor {
            session,
            session_secret,
            locale,
            lang_cookie,
            csrf,
            new_csrf_cookie,
            config: state.config.clone(),
            path: parts.uri.path().to_owned(),
            actor_slot: parts.extensions.get::<ActorSlot>().cloned(),
        })
    }
}

impl Visitor {
    /// A message without arguments in the visitor's language.
    pub fn t(&self, id: &str) -> String {
        catalog().text(self.locale, id)
    }

    /// A message with arguments in the visitor's language.
    pub fn t_args(&self, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        catalog().message(self.locale, id, args)
    }

    /// The logged-in user, if any.
    pub fn user(&self) -> Option<&commons_node::User> {
        self.session.as_ref().map(|session| &session.user)
    }

    /// Whether the CSRF token a form echoed is the expected one.
    pub fn csrf_matches(&self, echoed: &str) -> bool {
        // A freshly minted token was not in the request, so nothing the
        // form sent can match it.
        !self.new_csrf_cookie && constant_time_eq(echoed.as_bytes(), self.csrf.as_bytes())
    }

    /// Adds the cookies this visitor needs to a response.
    pub fn finish(&self, mut response: Response) -> Response {
        if self.new_csrf_cookie {
            let value = set_cookie(CSRF_COOKIE, &self.csrf, None, self.config.secure_cookies);
            append(response.headers_mut(), &value);
        }
        response
    }

    /// A `Set-Cookie` value starting a session.
    pub fn session_cookie(&self, secret: &str) -> String {
        session_cookie(secret, &self.config)
    }

    /// A `Set-Cookie` value ending the session.
    pub fn clear_session_cookie(&self) -> String {
        clear_session_cookie(&self.config)
    }

    /// A `Set-Cookie` value for the language cookie; `None` clears it.
    pub fn lang_cookie_value(&self, locale: Option<Locale>) -> String {
        match locale {
            Some(locale) => set_cookie(
                LANG_COOKIE,
                locale.code(),
                Some(LANG_MAX_AGE_S),
                self.config.secure_cookies,
            ),
            None => set_cookie(LANG_COOKIE, "", Some(0), self.config.secure_cookies),
        }
    }
}

/// The shared message catalog, parsed on first use.
pub fn catalog() -> &'static Catalog {
    static CATALOG: std::sync::OnceLock<Catalog> = std::sync::OnceLock::new();
    CATALOG.get_or_init(Catalog::new)
}

/// A 303 redirect carrying extra `Set-Cookie` values.
pub fn redirect_with_cookies(to: &str, cookies: &[String]) -> Response {
    let mut response = axum::response::Redirect::to(to).into_response();
    for value in cookies {
        append(response.headers_mut(), value);
    }
    response
}

fn append(headers: &mut HeaderMap, value: &str) {
    match HeaderValue::from_str(value) {
        Ok(value) => {
            headers.append(header::SET_COOKIE, value);
        }
        // Cookie values are tokens and locale codes we made; this is a bug.
        Err(_) => tracing::error!("refusing a malformed Set-Cookie value"),
    }
}

fn set_cookie(name: &str, value: &str, max_age_s: Option<i64>, secure: bool) -> String {
    let mut cookie = format!("{name}={value}; HttpOnly; SameSite=Lax; Path=/");
    if let Some(max_age) = max_age_s {
        cookie.push_str(&format!("; Max-Age={max_age}"));
    }
    if secure {
        cookie.push_str("; Secure");
    }
    cookie
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

fn accept_language(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
}

fn is_token(text: &str) -> bool {
    (16..=128).contains(&text.len())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
