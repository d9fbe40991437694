//! Pages that start and end sessions: register, log in, log out, and the
//! one-time setup link that sets a first password.

use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use commons_kernel::Handle;
use commons_node::accounts::MIN_PASSWORD_LEN;
use commons_node::{NodeError, User};
use maud::html;
use serde::Deserialize;

use crate::AppState;
use crate::ratelimit::ClientAddress;
use crate::ui::page::{self, Field, csrf_field, error_summary};
use crate::ui::session::{Visitor, redirect_with_cookies};

/// Where a new session lands.
const AFTER_LOGIN: &str = "/communities";

const MAX_PASSWORD_BYTES: usize = 1024;

#[derive(Debug, Default, Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

#[derive(Debug, Deserialize)]
pub struct SetupQuery {
    #[serde(default)]
    token: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

/// Inline errors of a form with two password fields.
#[derive(Debug, Default)]
struct PasswordErrors {
    password: Option<String>,
    confirm: Option<String>,
}

pub async fn register_page(State(state): State<AppState>, visitor: Visitor) -> Response {
    if !state.config.open_registration {
        return closed(&visitor);
    }
    register_form(
        &visitor,
        &RegisterForm::default(),
        None,
        PasswordErrors::default(),
    )
}

pub async fn register(
    State(state): State<AppState>,
    visitor: Visitor,
    form: Result<Form<RegisterForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return page::bad_request(&visitor);
    };
    if !visitor.csrf_matches(&form.csrf) {
        return page::csrf_failed(&visitor);
    }
    if !state.config.open_registration {
        return closed(&visitor);
    }
    let name_error = Handle::parse(&form.name)
        .err()
        .map(|_| visitor.t("error-name-invalid"));
    let password_errors = check_new_password(&visitor, &form.password, &form.confirm);
    if name_error.is_some()
        || password_errors.password.is_some()
        || password_errors.confirm.is_some()
    {
        return register_form(&visitor, &form, name_error, password_errors);
    }
    match state
        .node
        .create_user(&form.name, &form.password, false)
        .await
    {
        Ok(user) => start_session(&state, &visitor, &user).await,
        Err(NodeError::Conflict(_)) => {
            let taken = visitor.t_args("error-name-taken", &[("name", form.name.as_str().into())]);
            register_form(&visitor, &form, Some(taken), PasswordErrors::default())
        }
        Err(NodeError::BadInput(_)) => {
            let invalid = visitor.t("error-name-invalid");
            register_form(&visitor, &form, Some(invalid), PasswordErrors::default())
        }
        Err(error) => page::node_error(&visitor, error),
    }
}

fn closed(visitor: &Visitor) -> Response {
    let body = html! { p { (visitor.t("register-closed")) } };
    page::render_status(
        visitor,
        StatusCode::FORBIDDEN,
        &visitor.t("register-title"),
        body,
    )
}

fn register_form(
    visitor: &Visitor,
    form: &RegisterForm,
    name_error: Option<String>,
    errors: PasswordErrors,
) -> Response {
    let has_errors = name_error.is_some() || errors.password.is_some() || errors.confirm.is_some();
    let status = if has_errors {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let body = html! {
        (error_summary(visitor, has_errors))
        form.stack method="post" action="/register" novalidate {
            (csrf_field(visitor))
            (Field { name: "name", label: visitor.t("field-name"), kind: "text", value: &form.name,
                hint: Some(visitor.t("field-name-hint")), error: name_error, autocomplete: "username" }.render())
            (password_fields(visitor, errors))
            button type="submit" { (visitor.t("register-submit")) }
        }
        p { a href="/login" { (visitor.t("register-have-account")) } }
    };
    page::render_status(visitor, status, &visitor.t("register-title"), body)
}

fn password_fields(visitor: &Visitor, errors: PasswordErrors) -> maud::Markup {
    let hint = visitor.t_args("field-password-hint", &[("min", MIN_PASSWORD_LEN.into())]);
    html! {
        (Field { name: "password", label: visitor.t("field-password"), kind: "password", value: "",
            hint: Some(hint), error: errors.password, autocomplete: "new-password" }.render())
        (Field { name: "confirm", label: visitor.t("field-password-confirm"), kind: "password", value: "",
            hint: None, error: errors.confirm, autocomplete: "new-password" }.render())
    }
}

/// Checks a new password the way the node will, so the answer is inline and
/// in the visitor's language.
fn check_new_password(visitor: &Visitor, password: &str, confirm: &str) -> PasswordErrors {
    let mut errors = PasswordErrors::default();
    if password.chars().count() < MIN_PASSWORD_LEN {
        errors.password =
            Some(visitor.t_args("error-password-short", &[("min", MIN_PASSWORD_LEN.into())]));
    } else if password.len() > MAX_PASSWORD_BYTES {
        errors.password = Some(visitor.t("error-password-long"));
    } else if password != confirm {
        errors.confirm = Some(visitor.t("error-password-mismatch"));
    }
    errors
}

pub async fn login_page(visitor: Visitor) -> Response {
    login_form(&visitor, StatusCode::OK, "", None)
}

pub async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    visitor: Visitor,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return page::bad_request(&visitor);
    };
    if !visitor.csrf_matches(&form.csrf) {
        return page::csrf_failed(&visitor);
    }
    if state.limits.check_login(address, &form.name).is_err() {
        let error = visitor.t("error-too-many-logins");
        return login_form(
            &visitor,
            StatusCode::TOO_MANY_REQUESTS,
            &form.name,
            Some(error),
        );
    }
    match state.node.authenticate(&form.name, &form.password).await {
        Ok(user) => start_session(&state, &visitor, &user).await,
        Err(NodeError::Unauthorized(_)) => {
            let error = visitor.t("error-wrong-login");
            login_form(&visitor, StatusCode::UNAUTHORIZED, &form.name, Some(error))
        }
        Err(NodeError::Forbidden(_)) => {
            let error = visitor.t("error-account-disabled");
            login_form(&visitor, StatusCode::FORBIDDEN, &form.name, Some(error))
        }
        Err(error) => page::node_error(&visitor, error),
    }
}

fn login_form(
    visitor: &Visitor,
    status: StatusCode,
    name: &str,
    error: Option<String>,
) -> Response {
    let body = html! {
        @if let Some(error) = &error {
            p.alert role="alert" { (error) }
        }
        form.stack method="post" action="/login" {
            (csrf_field(visitor))
            (Field { name: "name", label: visitor.t("field-name"), kind: "text", value: name,
                hint: None, error: None, autocomplete: "username" }.render())
            (Field { name: "password", label: visitor.t("field-password"), kind: "password", value: "",
                hint: None, error: None, autocomplete: "current-password" }.render())
            button type="submit" { (visitor.t("login-submit")) }
        }
        p { a href="/register" { (visitor.t("login-no-account")) } }
    };
    page::render_status(visitor, status, &visitor.t("login-title"), body)
}

pub async fn logout(
    State(state): State<AppState>,
    visitor: Visitor,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return page::bad_request(&visitor);
    };
    let Some(secret) = &visitor.session_secret else {
        return redirect_with_cookies("/", &[]);
    };
    if visitor.session.is_some() {
        if !visitor.csrf_matches(&form.csrf) {
            return page::csrf_failed(&visitor);
        }
        if let Err(error) = state.node.end_session(secret).await {
            return page::node_error(&visitor, error);
        }
    }
    redirect_with_cookies("/", &[visitor.clear_session_cookie()])
}

pub async fn setup_page(
    visitor: Visitor,
    query: Result<Query<SetupQuery>, QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        return page::bad_request(&visitor);
    };
    setup_form(&visitor, &query.token, None, PasswordErrors::default())
}

pub async fn setup(
    State(state): State<AppState>,
    visitor: Visitor,
    form: Result<Form<SetupForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return page::bad_request(&visitor);
    };
    if !visitor.csrf_matches(&form.csrf) {
        return page::csrf_failed(&visitor);
    }
    let errors = check_new_password(&visitor, &form.password, &form.confirm);
    if errors.password.is_some() || errors.confirm.is_some() {
        return setup_form(&visitor, &form.token, None, errors);
    }
    match state.node.complete_setup(&form.token, &form.password).await {
        Ok(user) => start_session(&state, &visitor, &user).await,
        Err(NodeError::Unauthorized(_)) => setup_form(
            &visitor,
            &form.token,
            Some(visitor.t("error-setup-invalid")),
            PasswordErrors::default(),
        ),
        Err(error) => page::node_error(&visitor, error),
    }
}

fn setup_form(
    visitor: &Visitor,
    token: &str,
    error: Option<String>,
    errors: PasswordErrors,
) -> Response {
    let has_errors = error.is_some() || errors.password.is_some() || errors.confirm.is_some();
    let status = if has_errors {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let body = html! {
        @if let Some(error) = &error {
            p.alert role="alert" { (error) }
        } @else {
            (error_summary(visitor, has_errors))
        }
        p { (visitor.t("setup-intro")) }
        form.stack method="post" action="/setup" novalidate {
            (csrf_field(visitor))
            input type="hidden" name="token" value=(token);
            (password_fields(visitor, errors))
            button type="submit" { (visitor.t("setup-submit")) }
        }
    };
    page::render_status(visitor, status, &visitor.t("setup-title"), body)
}

async fn start_session(state: &AppState, visitor: &Visitor, user: &User) -> Response {
    if let Some(slot) = &visitor.actor_slot {
        slot.set(user.name.as_str());
    }
    match state.node.create_session(user).await {
        Ok((secret, _)) => redirect_with_cookies(AFTER_LOGIN, &[visitor.session_cookie(&secret)]),
        Err(error) => page::node_error(visitor, error),
    }
}
