//! The visitor's own pages: profile, settings (language and password) and
//! the language switcher every page's footer carries.

use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use commons_i18n::{Catalog, Locale};
use commons_node::NodeError;
use commons_node::accounts::MIN_PASSWORD_LEN;
use maud::{Markup, html};
use serde::Deserialize;

use crate::AppState;
use crate::ui::page::{self, Field, csrf_field, error_summary, role_id};
use crate::ui::session::{Visitor, redirect_with_cookies};

const MAX_PASSWORD_BYTES: usize = 1024;

#[derive(Debug, Deserialize)]
pub struct LangForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    locale: String,
    #[serde(default)]
    back: String,
}

#[derive(Debug, Deserialize)]
pub struct SettingsQuery {
    #[serde(default)]
    saved: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    locale: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

#[derive(Debug, Default)]
struct PasswordErrors {
    current: Option<String>,
    new: Option<String>,
    confirm: Option<String>,
}

pub async fn profile(State(state): State<AppState>, visitor: Visitor) -> Response {
    let Some(user) = visitor.user() else {
        return redirect_with_cookies("/login", &[]);
    };
    let communities = match state.node.communities(Some(user)).await {
        Ok(communities) => communities,
        Err(error) => return page::node_error(&visitor, error),
    };
    let mine: Vec<_> = communities
        .iter()
        .filter(|community| community.role.is_some() || community.pending)
        .collect();
    let body = html! {
        dl.facts {
            dt { (visitor.t("profile-name")) }
            dd { (user.name) }
            dt { (visitor.t("profile-key")) }
            dd { code.id { (user.public_key.to_hex()) } }
        }
        @if user.is_admin { p.note { (visitor.t("profile-admin")) } }
        section aria-labelledby="mine-title" {
            h2 #mine-title { (visitor.t("profile-communities")) }
            @if mine.is_empty() {
                p { (visitor.t("profile-no-communities")) }
            } @else {
                ul.members {
                    @for community in &mine {
                        li {
                            a href=(format!("/c/{}", community.id.to_hex())) { (community.name) }
                            " "
                            span.badge {
                                @match community.role {
                                    Some(role) => { (visitor.t(role_id(role))) },
                                    None => { (visitor.t("role-pending")) },
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    page::render(&visitor, &visitor.t("profile-title"), body)
}

pub async fn settings_page(
    visitor: Visitor,
    query: Result<Query<SettingsQuery>, QueryRejection>,
) -> Response {
    if visitor.user().is_none() {
        return redirect_with_cookies("/login", &[]);
    }
    let saved = query.ok().and_then(|Query(query)| query.saved);
    let notice = match saved.as_deref() {
        Some("language") => Some(visitor.t("settings-language-saved")),
        Some("password") => Some(visitor.t("settings-password-changed")),
        _ => None,
    };
    settings_view(&visitor, notice, PasswordErrors::default())
}

pub async fn settings(
    State(state): State<AppState>,
    visitor: Visitor,
    form: Result<Form<SettingsForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return page::bad_request(&visitor);
    };
    let Some(user) = visitor.user() else {
        return redirect_with_cookies("/login", &[]);
    };
    if !visitor.csrf_matches(&form.csrf) {
        return page::csrf_failed(&visitor);
    }
    match form.action.as_str() {
        "language" => {
            let locale = match chosen_locale(&form.locale) {
                Ok(locale) => locale,
                Err(()) => return page::bad_request(&visitor),
            };
            if let Err(error) = state.node.set_locale(user, locale.map(Locale::code)).await {
                return page::node_error(&visitor, error);
            }
            // The cookie follows too, so the choice holds after logging out.
            redirect_with_cookies(
                "/settings?saved=language",
                &[visitor.lang_cookie_value(locale)],
            )
        }
        "password" => {
            let mut errors = PasswordErrors::default();
            if form.new.chars().count() < MIN_PASSWORD_LEN {
                errors.new = Some(
                    visitor.t_args("error-password-short", &[("min", MIN_PASSWORD_LEN.into())]),
                );
            } else if form.new.len() > MAX_PASSWORD_BYTES {
                errors.new = Some(visitor.t("error-password-long"));
            } else if form.new != form.confirm {
                errors.confirm = Some(visitor.t("error-password-mismatch"));
            }
            if errors.new.is_none() && errors.confirm.is_none() {
                match state
                    .node
                    .change_password(user, &form.current, &form.new)
                    .await
                {
                    Ok(()) => return redirect_with_cookies("/settings?saved=password", &[]),
                    Err(NodeError::Unauthorized(_)) => {
                        errors.current = Some(visitor.t("error-current-password"))
                    }
                    Err(error) => return page::node_error(&visitor, error),
                }
            }
            settings_view(&visitor, None, errors)
        }
        _ => page::bad_request(&visitor),
    }
}

fn settings_view(visitor: &Visitor, notice: Option<String>, errors: PasswordErrors) -> Response {
    let current = visitor
        .user()
        .and_then(|user| user.locale.as_deref())
        .and_then(Locale::parse);
    let has_errors = errors.current.is_some() || errors.new.is_some() || errors.confirm.is_some();
    let status = if has_errors {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let body = html! {
        @if let Some(notice) = &notice {
            p.notice role="status" { (notice) }
        }
        section aria-labelledby="language-title" {
            h2 #language-title { (visitor.t("settings-language")) }
            form.stack method="post" action="/settings" {
                (csrf_field(visitor))
                input type="hidden" name="action" value="language";
                fieldset {
                    legend { (visitor.t("settings-language")) }
                    p.hint { (visitor.t("settings-language-hint")) }
                    (locale_choice("", &visitor.t("lang-follow-browser"), None, current.is_none()))
                    @for (code, native) in Catalog::locales() {
                        (locale_choice(code, native, Some(code),
                            current.is_some_and(|locale| locale.code() == *code)))
                    }
                }
                button type="submit" { (visitor.t("settings-language-submit")) }
            }
        }
        section aria-labelledby="password-title" {
            h2 #password-title { (visitor.t("settings-password")) }
            (error_summary(visitor, has_errors))
            form.stack method="post" action="/settings" novalidate {
                (csrf_field(visitor))
                input type="hidden" name="action" value="password";
                (Field { name: "current", label: visitor.t("field-current-password"), kind: "password", value: "",
                    hint: None, error: errors.current, autocomplete: "current-password" }.render())
                (Field { name: "new", label: visitor.t("field-new-password"), kind: "password", value: "",
                    hint: Some(visitor.t_args("field-password-hint", &[("min", MIN_PASSWORD_LEN.into())])),
                    error: errors.new, autocomplete: "new-password" }.render())
                (Field { name: "confirm", label: visitor.t("field-password-confirm"), kind: "password", value: "",
                    hint: None, error: errors.confirm, autocomplete: "new-password" }.render())
                button type="submit" { (visitor.t("settings-password-submit")) }
            }
        }
    };
    page::render_status(visitor, status, &visitor.t("settings-title"), body)
}

fn locale_choice(code: &str, label: &str, lang: Option<&str>, checked: bool) -> Markup {
    let id = if code.is_empty() {
        "locale-browser".to_owned()
    } else {
        format!("locale-{code}")
    };
    html! {
        div.field.check {
            input #(id) type="radio" name="locale" value=(code) checked[checked];
            label for=(id) lang=[lang] { (label) }
        }
    }
}

/// `""` follows the browser; anything else must be a supported locale.
fn chosen_locale(code: &str) -> Result<Option<Locale>, ()> {
    if code.is_empty() {
        return Ok(None);
    }
    Locale::parse(code).map(Some).ok_or(())
}

pub async fn lang(
    State(state): State<AppState>,
    visitor: Visitor,
    form: Result<Form<LangForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return page::bad_request(&visitor);
    };
    if !visitor.csrf_matches(&form.csrf) {
        return page::csrf_failed(&visitor);
    }
    let Ok(locale) = chosen_locale(&form.locale) else {
        return page::bad_request(&visitor);
    };
    // A logged-in user's setting outranks the cookie, so it must change too.
    if let Some(user) = visitor.user()
        && let Err(error) = state.node.set_locale(user, locale.map(Locale::code)).await
    {
        return page::node_error(&visitor, error);
    }
    redirect_with_cookies(local_path(&form.back), &[visitor.lang_cookie_value(locale)])
}

/// Only a path on this site, so the switcher cannot become an open redirect.
fn local_path(back: &str) -> &str {
    let safe = back.starts_with('/')
        && !back.starts_with("//")
        && !back.contains('\\')
        && back.chars().all(|c| c.is_ascii_graphic());
    if safe { back } else { "/" }
}
