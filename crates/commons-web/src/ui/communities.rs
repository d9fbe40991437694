//! Community pages: the list with its create form, one community with its
//! members and recent log, and joining and leaving.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Form;
use axum::extract::rejection::{FormRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use commons_kernel::community::TEMPLATES;
use commons_kernel::{Handle, JoinRule, MemberStatus, Visibility};
use commons_node::{CommunityView, NodeError};
use maud::{Markup, html};
use serde::Deserialize;

use crate::AppState;
use crate::ui::cache::{CSRF_MARK, PageKey};
use crate::ui::manage;
use crate::ui::page::{self, Field, csrf_field, error_summary, role_id, short_key, visibility_id};
use crate::ui::session::{Visitor, redirect_with_cookies};

/// How many log entries a community page shows.
const RECENT_ENTRIES: u32 = 20;

#[derive(Debug, Default, Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    private: Option<String>,
    #[serde(default)]
    template: String,
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

#[derive(Debug, Default)]
struct CreateErrors {
    name: Option<String>,
    template: Option<String>,
}

pub async fn list(State(state): State<AppState>, visitor: Visitor) -> Response {
    list_page(
        &state,
        &visitor,
        &CreateForm::default(),
        CreateErrors::default(),
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    visitor: Visitor,
    form: Result<Form<CreateForm>, FormRejection>,
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
    let mut errors = CreateErrors {
        name: Handle::parse(&form.name)
            .err()
            .map(|_| visitor.t("error-name-invalid")),
        template: None,
    };
    if !TEMPLATES.iter().any(|(name, _)| *name == form.template) {
        errors.template = Some(visitor.t("error-template-unknown"));
    }
    if errors.name.is_some() || errors.template.is_some() {
        return list_page(&state, &visitor, &form, errors).await;
    }
    let visibility = if form.private.is_some() {
        Visibility::Private
    } else {
        Visibility::Public
    };
    match state
        .node
        .create_community(user, &form.name, visibility, &form.template)
        .await
    {
        Ok(view) => redirect_with_cookies(&format!("/c/{}", view.id.to_hex()), &[]),
        Err(NodeError::Conflict(_)) => {
            errors.name = Some(visitor.t_args(
                "error-community-exists",
                &[("name", form.name.as_str().into())],
            ));
            list_page(&state, &visitor, &form, errors).await
        }
        Err(error) => page::node_error(&visitor, error),
    }
}

async fn list_page(
    state: &AppState,
    visitor: &Visitor,
    form: &CreateForm,
    errors: CreateErrors,
) -> Response {
    let communities = match state.node.communities(visitor.user()).await {
        Ok(communities) => communities,
        Err(error) => return page::node_error(visitor, error),
    };
    // Names are unique per home node only: where two share a name, each
    // says which home node it lives on.
    let mut seen = std::collections::HashSet::new();
    let shared_names: std::collections::HashSet<&str> = communities
        .iter()
        .map(|community| community.name.as_str())
        .filter(|name| !seen.insert(*name))
        .collect();
    let has_errors = errors.name.is_some() || errors.template.is_some();
    let status = if has_errors {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let body = html! {
        p { a href="/discover" { (visitor.t("discover-title")) } }
        @if communities.is_empty() {
            p { (visitor.t("communities-empty")) }
        } @else {
            div.scroll role="region" aria-labelledby="communities-caption" tabindex="0" {
                table {
                    caption #communities-caption .visually-hidden { (visitor.t("communities-title")) }
                    thead { tr {
                        th scope="col" { (visitor.t("col-name")) }
                        th scope="col" { (visitor.t("community-home-node")) }
                        th scope="col" { (visitor.t("col-visibility")) }
                        th scope="col" .num { (visitor.t("col-members")) }
                        th scope="col" { (visitor.t("col-your-role")) }
                    } }
                    tbody {
                        @for community in &communities {
                            tr {
                                td {
                                    a href=(format!("/c/{}", community.id.to_hex())) { (community.name) }
                                    @if shared_names.contains(community.name.as_str()) {
                                        " " span.badge { (visitor.t_args("community-home-of", &[("home", short_key(&community.home).into())])) }
                                    }
                                }
                                td {
                                    @if community.is_home { (visitor.t("community-home-here")) }
                                    @else { code title=(community.home.to_hex()) { (short_key(&community.home)) } }
                                }
                                td { (visitor.t(visibility_id(community.visibility))) }
                                td .num { (community.members) }
                                td { (your_role(visitor, community)) }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="create-title" {
            h2 #create-title { (visitor.t("create-title")) }
            @if visitor.user().is_some() {
                (create_form(visitor, form, errors, has_errors))
            } @else {
                p { a href="/login" { (visitor.t("communities-login-to-create")) } }
            }
        }
    };
    page::render_status(visitor, status, &visitor.t("communities-title"), body)
}

fn create_form(
    visitor: &Visitor,
    form: &CreateForm,
    errors: CreateErrors,
    has_errors: bool,
) -> Markup {
    let template = if form.template.is_empty() {
        "open"
    } else {
        form.template.as_str()
    };
    html! {
        (error_summary(visitor, has_errors))
        form.stack method="post" action="/communities" novalidate {
            (csrf_field(visitor))
            (Field { name: "name", label: visitor.t("field-community-name"), kind: "text", value: &form.name,
                hint: Some(visitor.t("field-name-hint")), error: errors.name, autocomplete: "off" }.render())
            div.field.check {
                input #private type="checkbox" name="private" value="on" checked[form.private.is_some()];
                label for="private" { (visitor.t("field-private")) }
            }
            div.field.invalid[errors.template.is_some()] {
                label for="template" { (visitor.t("field-template")) }
                @if let Some(error) = &errors.template { p.error #template-error { (error) } }
                select #template name="template"
                    aria-describedby=[errors.template.as_ref().map(|_| "template-error")] {
                    @for (name, _) in TEMPLATES {
                        option value=(name) selected[*name == template] { (visitor.t(&format!("template-{name}"))) }
                    }
                }
            }
            button type="submit" { (visitor.t("create-submit")) }
        }
    }
}

fn your_role(visitor: &Visitor, community: &CommunityView) -> String {
    match community.role {
        Some(role) => visitor.t(role_id(role)),
        None if community.pending => visitor.t("role-pending"),
        None => visitor.t("role-none"),
    }
}

pub async fn show(
    State(state): State<AppState>,
    visitor: Visitor,
    id_or_name: Result<Path<String>, PathRejection>,
) -> Response {
    let Ok(Path(id_or_name)) = id_or_name else {
        return page::not_found(&visitor);
    };
    // Read before the data, so a page is never kept under a newer
    // generation than what it shows.
    let generation = state.node.generation();
    let key = PageKey::of(&visitor);
    if let Some(html) = key
        .as_ref()
        .and_then(|key| state.pages.get(generation, key))
    {
        let html = html.replace(CSRF_MARK, &visitor.csrf);
        return page::respond(&visitor, StatusCode::OK, html);
    }
    let viewer = visitor.user();
    let community = match state.node.community(&id_or_name, viewer).await {
        Ok(community) => community,
        Err(error) => return page::node_error(&visitor, error),
    };
    let id = community.id.to_hex();
    let members = match state.node.members(&id, viewer).await {
        Ok(members) => members,
        Err(error) => return page::node_error(&visitor, error),
    };
    let entries = match state.node.recent_log(&id, viewer, RECENT_ENTRIES).await {
        Ok(entries) => entries,
        Err(error) => return page::node_error(&visitor, error),
    };
    let pending = match state.node.pending_writes(Some(community.id)).await {
        Ok(pending) => pending,
        Err(error) => return page::node_error(&visitor, error),
    };
    let names: HashMap<_, _> = members
        .iter()
        .map(|member| (member.key, member.name.clone()))
        .collect();
    let policy = &community.policy;
    let join_id = match policy.join {
        JoinRule::Open => "policy-join-open",
        JoinRule::Approval => "policy-join-approval",
        JoinRule::Invite => "policy-join-invite",
    };
    let active: Vec<_> = members
        .iter()
        .filter(|member| member.status == MemberStatus::Active)
        .collect();
    let body = html! {
        (membership(&visitor, &community))
        p { a href=(format!("/c/{id}/patterns")) { (visitor.t("patterns-browse")) } }
        section aria-labelledby="facts-title" {
            h2 #facts-title { (visitor.t("community-facts")) }
            dl.facts {
                dt { (visitor.t("community-visibility")) }
                dd { (visitor.t(visibility_id(community.visibility))) }
                dt { (visitor.t("community-home-node")) }
                dd { code title=(community.home.to_hex()) { (short_key(&community.home)) } }
                dt { (visitor.t("community-id")) }
                dd { code.id { (id) } }
                dt { (visitor.t("community-policy")) }
                dd {
                    ul.plain {
                        li { (visitor.t(join_id)) }
                        li { (visitor.t_args("policy-votes", &[("count", policy.votes_to_accept.into())])) }
                        @if !policy.expert_approval.is_empty() {
                            li { (visitor.t_args("policy-expert", &[("kinds", policy.expert_approval.join(", ").into())])) }
                        }
                        li { (visitor.t_args("policy-invite", &[("role", visitor.t(role_id(policy.invite)).into())])) }
                    }
                }
            }
            @if !community.is_home {
                p.note { (visitor.t("community-replica")) }
            }
        }
        section aria-labelledby="members-title" {
            h2 #members-title { (visitor.t_args("community-members", &[("count", active.len().into())])) }
            ul.members {
                @for member in &members {
                    li {
                        span.name { (member.name) }
                        " "
                        span.badge {
                            @if member.status == MemberStatus::Active { (visitor.t(role_id(member.role))) }
                            @else { (visitor.t("role-pending")) }
                        }
                        (manage::member_actions(&visitor, &community, member))
                    }
                }
            }
        }
        (manage::section(&visitor, &community))
        section aria-labelledby="log-title" {
            h2 #log-title { (visitor.t("community-log")) }
            @if entries.is_empty() {
                p { (visitor.t("community-log-empty")) }
            } @else {
                div.scroll role="region" aria-labelledby="log-title" tabindex="0" {
                    table {
                        thead { tr {
                            th scope="col" .num { (visitor.t("col-seq")) }
                            th scope="col" { (visitor.t("col-kind")) }
                            th scope="col" { (visitor.t("col-author")) }
                            th scope="col" { (visitor.t("col-time")) }
                        } }
                        tbody {
                            @for entry in &entries {
                                tr {
                                    td .num { (entry.seq) }
                                    td { code { (entry.kind) } }
                                    td {
                                        @match names.get(&entry.author) {
                                            Some(name) => { (name) },
                                            None => { code title=(entry.author.to_hex()) { (short_key(&entry.author)) } },
                                        }
                                    }
                                    td { (page::time(entry.appended_ts.0)) }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if !pending.is_empty() {
            section #pending aria-labelledby="pending-title" {
                h2 #pending-title { (visitor.t_args("community-pending-writes", &[("count", pending.len().into())])) }
                p { (visitor.t("community-pending-writes-help")) }
                ul.pending {
                    @for write in &pending {
                        li {
                            code { (write.record.record().kind.as_str()) }
                            " "
                            @match names.get(&write.record.record().author) {
                                Some(name) => { (name) },
                                None => { code title=(write.record.record().author.to_hex()) { (short_key(&write.record.record().author)) } },
                            }
                            " "
                            span.badge { (visitor.t("write-pending")) }
                            " "
                            (page::time(write.queued_ts))
                        }
                    }
                }
            }
        }
    };
    let Some(key) = key else {
        return page::render(&visitor, community.name.as_str(), body);
    };
    // Rendered once with a mark where the token goes, then served to every
    // anonymous visitor with theirs.
    let mut marked = visitor;
    let csrf = std::mem::replace(&mut marked.csrf, CSRF_MARK.to_owned());
    let html: Arc<str> = page::document(&marked, community.name.as_str(), body).into();
    marked.csrf = csrf;
    state.pages.put(generation, key, Arc::clone(&html));
    page::respond(
        &marked,
        StatusCode::OK,
        html.replace(CSRF_MARK, &marked.csrf),
    )
}

/// The visitor's standing and the join or leave button.
fn membership(visitor: &Visitor, community: &CommunityView) -> Markup {
    let id = community.id.to_hex();
    let button = |action: &str, label_id: &str| {
        html! {
            form.inline method="post" action=(format!("/c/{id}/{action}")) {
                (csrf_field(visitor))
                button type="submit" { (visitor.t(label_id)) }
            }
        }
    };
    html! {
        div.membership {
            @if visitor.user().is_none() {
                p { a href="/login" { (visitor.t("community-login-to-join")) } }
            } @else if let Some(role) = community.role {
                p { (visitor.t_args("community-your-role", &[("role", visitor.t(role_id(role)).into())])) }
                (button("leave", "community-leave"))
            } @else if community.pending {
                p { (visitor.t("community-pending")) }
                (button("leave", "community-withdraw"))
            } @else if community.policy.join == JoinRule::Open {
                (button("join", "community-join"))
            } @else {
                (button("join", "community-request-join"))
            }
        }
    }
}

pub async fn join(
    State(state): State<AppState>,
    visitor: Visitor,
    id: Result<Path<String>, PathRejection>,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response {
    let (user, id, _) = match manage::checked(&visitor, id, form, |form| &form.csrf) {
        Ok(checked) => checked,
        Err(response) => return *response,
    };
    let result = state.node.join(&user, &id).await.map(|_| ());
    manage::back(&state, &visitor, &id, result).await
}

pub async fn leave(
    State(state): State<AppState>,
    visitor: Visitor,
    id: Result<Path<String>, PathRejection>,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response {
    let (user, id, _) = match manage::checked(&visitor, id, form, |form| &form.csrf) {
        Ok(checked) => checked,
        Err(response) => return *response,
    };
    let result = state.node.leave(&user, &id).await;
    manage::back(&state, &visitor, &id, result).await
}
