//! The frame around every page (landmarks, navigation, language switcher),
//! the friendly error pages, and small formatting helpers shared by pages.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use commons_i18n::{Catalog, Locale};
use commons_kernel::{PublicKey, Role, Visibility};
use commons_node::NodeError;
use maud::{DOCTYPE, Markup, html};

use crate::ui::session::{Visitor, catalog};

/// Renders a full page with status 200.
pub fn render(visitor: &Visitor, title: &str, body: Markup) -> Response {
    render_status(visitor, StatusCode::OK, title, body)
}

/// Renders a full page.
pub fn render_status(visitor: &Visitor, status: StatusCode, title: &str, body: Markup) -> Response {
    respond(visitor, status, document(visitor, title, body))
}

/// The HTML of a full page.
pub fn document(visitor: &Visitor, title: &str, body: Markup) -> String {
    let markup = html! {
        (DOCTYPE)
        html lang=(visitor.locale.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (visitor.t_args("page-title", &[("page", title.into())])) }
                link rel="stylesheet" href="/assets/app.css";
            }
            body {
                a.skip href="#main" { (visitor.t("skip-to-content")) }
                header.site {
                    a.brand href="/" { (visitor.t("app-name")) }
                    (nav(visitor))
                }
                main #main tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
                (footer(visitor))
            }
        }
    };
    markup.into_string()
}

/// A page's HTML as a response, with the headers and cookies every page sets.
pub fn respond(visitor: &Visitor, status: StatusCode, html: String) -> Response {
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'; form-action 'self'"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    visitor.finish(response)
}

fn nav(visitor: &Visitor) -> Markup {
    html! {
        nav aria-label=(visitor.t("nav-label")) {
            ul {
                li { a href="/" { (visitor.t("nav-home")) } }
                li { a href="/communities" { (visitor.t("nav-communities")) } }
                @if let Some(user) = visitor.user() {
                    li { a href="/profile" { (visitor.t("nav-profile")) } }
                    li { a href="/settings" { (visitor.t("nav-settings")) } }
                    @if user.is_admin {
                        li { a href="/admin/audit" { (visitor.t("nav-audit")) } }
                        li { a href="/admin/notifications" { (visitor.t("nav-alerts")) } }
                    }
                    li {
                        form.inline method="post" action="/logout" {
                            (csrf_field(visitor))
                            button.link type="submit"
                                title=(visitor.t_args("signed-in-as", &[("name", user.name.as_str().into())])) {
                                (visitor.t("nav-logout"))
                            }
                        }
                    }
                } @else {
                    li { a href="/login" { (visitor.t("nav-login")) } }
                    li { a href="/register" { (visitor.t("nav-register")) } }
                }
            }
        }
    }
}

fn footer(visitor: &Visitor) -> Markup {
    let current = visitor
        .user()
        .and_then(|user| user.locale.as_deref())
        .and_then(Locale::parse)
        .or(visitor.lang_cookie);
    html! {
        footer.site {
            p { (visitor.t("footer-about")) }
            form.lang method="post" action="/lang" {
                (csrf_field(visitor))
                input type="hidden" name="back" value=(visitor.path);
                label for="lang-select" { (visitor.t("lang-label")) }
                select #lang-select name="locale" {
                    option value="" selected[current.is_none()] { (visitor.t("lang-follow-browser")) }
                    @for (code, native) in Catalog::locales() {
                        option value=(code) lang=(code)
                            selected[current.is_some_and(|locale| locale.code() == *code)] { (native) }
                    }
                }
                button type="submit" { (visitor.t("lang-submit")) }
            }
        }
    }
}

/// The hidden CSRF field every POST form carries.
pub fn csrf_field(visitor: &Visitor) -> Markup {
    html! { input type="hidden" name="csrf" value=(visitor.csrf); }
}

/// A labelled text-like input with an optional hint and inline error.
pub struct Field<'a> {
    /// `name` and `id`.
    pub name: &'a str,
    /// The label text.
    pub label: String,
    /// `text`, `password`…
    pub kind: &'a str,
    /// The value to keep (never for passwords).
    pub value: &'a str,
    /// A hint under the label.
    pub hint: Option<String>,
    /// The error to show, if any.
    pub error: Option<String>,
    /// The `autocomplete` token.
    pub autocomplete: &'a str,
}

impl Field<'_> {
    /// The field's markup.
    pub fn render(&self) -> Markup {
        let hint_id = format!("{}-hint", self.name);
        let error_id = format!("{}-error", self.name);
        let described: Vec<&str> = [
            self.hint.as_ref().map(|_| hint_id.as_str()),
            self.error.as_ref().map(|_| error_id.as_str()),
        ]
        .into_iter()
        .flatten()
        .collect();
        html! {
            div.field.invalid[self.error.is_some()] {
                label for=(self.name) { (self.label) }
                @if let Some(hint) = &self.hint { p.hint #(hint_id) { (hint) } }
                @if let Some(error) = &self.error { p.error #(error_id) { (error) } }
                input #(self.name) name=(self.name) type=(self.kind) value=(self.value)
                    autocomplete=(self.autocomplete) required
                    aria-invalid=[self.error.as_ref().map(|_| "true")]
                    aria-describedby=[(!described.is_empty()).then(|| described.join(" "))];
            }
        }
    }
}

/// The summary above a form that has errors.
pub fn error_summary(visitor: &Visitor, has_errors: bool) -> Markup {
    html! {
        @if has_errors {
            p.alert role="alert" { (visitor.t("form-has-errors")) }
        }
    }
}

/// A 403 page for a form whose CSRF token did not match.
pub fn csrf_failed(visitor: &Visitor) -> Response {
    error_page(
        visitor,
        StatusCode::FORBIDDEN,
        "error-csrf-title",
        "error-csrf-body",
    )
}

/// A page for a malformed form or query.
pub fn bad_request(visitor: &Visitor) -> Response {
    error_page(
        visitor,
        StatusCode::BAD_REQUEST,
        "error-bad-request-title",
        "error-bad-request-body",
    )
}

/// A 404 page.
pub fn not_found(visitor: &Visitor) -> Response {
    error_page(
        visitor,
        StatusCode::NOT_FOUND,
        "error-not-found-title",
        "error-not-found-body",
    )
}

/// The page for a node error the handler did not turn into an inline message.
pub fn node_error(visitor: &Visitor, error: NodeError) -> Response {
    // What the community's rules found is the visitor's to read: it says
    // what to change (for example, which role a change needs).
    let findings = match &error {
        NodeError::Invalid(findings) => findings.0.iter().map(|f| f.message.clone()).collect(),
        _ => Vec::new(),
    };
    let (status, title, body) = match error {
        NodeError::NotFound { .. } => (
            StatusCode::NOT_FOUND,
            "error-not-found-title",
            "error-not-found-body",
        ),
        NodeError::Forbidden(_) | NodeError::Unauthorized(_) => (
            StatusCode::FORBIDDEN,
            "error-forbidden-title",
            "error-forbidden-body",
        ),
        NodeError::BadInput(_) => (
            StatusCode::BAD_REQUEST,
            "error-bad-request-title",
            "error-bad-request-body",
        ),
        NodeError::Invalid(_) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "error-rejected-title",
            "error-rejected-body",
        ),
        NodeError::Queued { .. } => (
            StatusCode::ACCEPTED,
            "write-pending-title",
            "write-pending-body",
        ),
        NodeError::Ambiguous { .. }
        | NodeError::Conflict(_)
        | NodeError::Duplicate(_)
        | NodeError::NotHome(_) => (
            StatusCode::CONFLICT,
            "error-conflict-title",
            "error-conflict-body",
        ),
        other => {
            // The cause goes to the log, never to the page.
            tracing::error!(error = %other, "web UI request failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "error-internal-title",
                "error-internal-body",
            )
        }
    };
    if findings.is_empty() {
        return error_page(visitor, status, title, body);
    }
    let body = html! {
        p { (visitor.t(body)) }
        ul { @for finding in &findings { li { (finding) } } }
        p { a href="/" { (visitor.t("error-back-home")) } }
    };
    render_status(visitor, status, &visitor.t(title), body)
}

/// A friendly error page from two message ids.
pub fn error_page(
    visitor: &Visitor,
    status: StatusCode,
    title_id: &str,
    body_id: &str,
) -> Response {
    let body = html! {
        p { (visitor.t(body_id)) }
        p { a href="/" { (visitor.t("error-back-home")) } }
    };
    render_status(visitor, status, &visitor.t(title_id), body)
}

/// An error page for when not even the visitor is known.
pub fn bare_internal_error(locale: Locale) -> Response {
    let catalog = catalog();
    let title = catalog.text(locale, "error-internal-title");
    let markup = html! {
        (DOCTYPE)
        html lang=(locale.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                link rel="stylesheet" href="/assets/app.css";
            }
            body {
                main #main {
                    h1 { (title) }
                    p { (catalog.text(locale, "error-internal-body")) }
                }
            }
        }
    };
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Html(markup.into_string()),
    )
        .into_response()
}

/// The first characters of a key, enough to tell keys apart by eye.
pub fn short_key(key: &PublicKey) -> String {
    let hex = key.to_hex();
    format!("{}…", &hex[..8])
}

/// The catalog id of a role's name.
pub fn role_id(role: Role) -> &'static str {
    match role {
        Role::Member => "role-member",
        Role::Expert => "role-expert",
        Role::Moderator => "role-moderator",
        Role::Admin => "role-admin",
    }
}

/// The catalog id of a visibility.
pub fn visibility_id(visibility: Visibility) -> &'static str {
    match visibility {
        Visibility::Public => "visibility-public",
        Visibility::Private => "visibility-private",
    }
}

/// A millisecond Unix time as `<time>`, shown in UTC.
pub fn time(millis: i64) -> Markup {
    let (date, clock) = utc(millis);
    html! { time datetime=(format!("{date}T{clock}Z")) { (date) " " (&clock[..5]) " UTC" } }
}

/// `YYYY-MM-DD` and `HH:MM:SS` in UTC, from Howard Hinnant's civil-from-days.
pub(super) fn utc(millis: i64) -> (String, String) {
    let secs = millis.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let of_day = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        format!("{year:04}-{month:02}-{day:02}"),
        format!(
            "{:02}:{:02}:{:02}",
            of_day / 3600,
            of_day % 3600 / 60,
            of_day % 60
        ),
    )
}
