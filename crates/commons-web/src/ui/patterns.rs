//! Pattern pages: browse and search a community's patterns by language,
//! category and property; one pattern with its votes, reviewers and similar
//! patterns; the review queue; and the submission page, which takes the
//! JSON of `commons pattern abstract --community NAME --json` (never code).

use axum::Form;
use axum::extract::rejection::{FormRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use commons_node::patterns::{PatternDetail, PatternSummary};
use commons_node::{CommunityView, NodeError};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::api::patterns::{PatternQuery, list_patterns};
use crate::ui::page::{self, Field, csrf_field, error_summary};
use crate::ui::session::{Visitor, redirect_with_cookies};

const SEVERITIES: [&str; 5] = ["critical", "high", "medium", "low", "info"];
const IMPACTS: [&str; 4] = ["none", "low", "medium", "high"];
const LANGUAGES: [&str; 10] = [
    "python",
    "javascript",
    "typescript",
    "tsx",
    "rust",
    "go",
    "java",
    "c",
    "cpp",
    "csharp",
];

#[derive(Debug, Default, Deserialize)]
pub struct SubmitForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    fingerprint: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    performance: String,
    #[serde(default)]
    security: String,
    #[serde(default)]
    anonymous: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    vote: Option<i64>,
}

/// Errors of the submission form, by field.
#[derive(Debug, Default)]
struct SubmitErrors {
    fingerprint: Option<String>,
    title: Option<String>,
    category: Option<String>,
    other: Vec<String>,
}

pub async fn list(
    State(state): State<AppState>,
    visitor: Visitor,
    community: Result<Path<String>, PathRejection>,
    query: Result<Query<PatternQuery>, QueryRejection>,
) -> Response {
    let (Ok(Path(community)), Ok(Query(query))) = (community, query) else {
        return page::bad_request(&visitor);
    };
    let view = match state.node.community(&community, visitor.user()).await {
        Ok(view) => view,
        Err(error) => return page::node_error(&visitor, error),
    };
    let shown = PatternQuery {
        state: query.state.clone(),
        language: query.language.clone(),
        category: query.category.clone(),
        severity: query.severity.clone(),
        q: query.q.clone(),
    };
    let patterns = match list_patterns(&state, visitor.user(), &view.id.to_hex(), query).await {
        Ok(patterns) => patterns,
        Err(error) => return page::node_error(&visitor, error),
    };
    let id = view.id.to_hex();
    let selected = |value: &Option<String>, option: &str| value.as_deref() == Some(option);
    let body = html! {
        (links(&visitor, &view))
        form.stack.filters method="get" action=(format!("/c/{id}/patterns")) role="search" {
            div.field {
                label for="q" { (visitor.t("patterns-search")) }
                input #q name="q" type="search" value=(shown.q.clone().unwrap_or_default());
            }
            div.field {
                label for="language" { (visitor.t("patterns-language")) }
                select #language name="language" {
                    option value="" { (visitor.t("patterns-any")) }
                    @for language in LANGUAGES {
                        option value=(language) selected[selected(&shown.language, language)] { (language) }
                    }
                }
            }
            div.field {
                label for="category" { (visitor.t("patterns-category")) }
                input #category name="category" type="text" value=(shown.category.clone().unwrap_or_default());
            }
            div.field {
                label for="severity" { (visitor.t("patterns-min-severity")) }
                select #severity name="severity" {
                    option value="" { (visitor.t("patterns-any")) }
                    @for severity in SEVERITIES {
                        option value=(severity) selected[selected(&shown.severity, severity)] { (visitor.t(&format!("severity-{severity}"))) }
                    }
                }
            }
            div.field {
                label for="state" { (visitor.t("patterns-state")) }
                select #state name="state" {
                    option value="" { (visitor.t("patterns-any")) }
                    @for state in ["accepted", "in-review", "submitted", "rejected", "withdrawn"] {
                        option value=(state) selected[selected(&shown.state, state)] { (visitor.t(&format!("state-{state}"))) }
                    }
                }
            }
            button type="submit" { (visitor.t("patterns-filter")) }
        }
        (pattern_table(&visitor, &id, &patterns))
    };
    let title = visitor.t_args("patterns-title", &[("name", view.name.as_str().into())]);
    page::render(&visitor, &title, body)
}

pub async fn queue(
    State(state): State<AppState>,
    visitor: Visitor,
    community: Result<Path<String>, PathRejection>,
) -> Response {
    let Ok(Path(community)) = community else {
        return page::bad_request(&visitor);
    };
    let (view, patterns) = match state.node.review_queue(visitor.user(), &community).await {
        Ok(found) => found,
        Err(error) => return page::node_error(&visitor, error),
    };
    let id = view.id.to_hex();
    let body = html! {
        (links(&visitor, &view))
        p { (visitor.t_args("patterns-queue-policy", &[("count", view.policy.votes_to_accept.into())])) }
        (pattern_table(&visitor, &id, &patterns))
    };
    let title = visitor.t_args(
        "patterns-queue-title",
        &[("name", view.name.as_str().into())],
    );
    page::render(&visitor, &title, body)
}

pub async fn show(
    State(state): State<AppState>,
    visitor: Visitor,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Response {
    let Ok(Path((community, pattern))) = path else {
        return page::not_found(&visitor);
    };
    let (view, detail) = match state
        .node
        .pattern(visitor.user(), &community, &pattern)
        .await
    {
        Ok(found) => found,
        Err(error) => return page::node_error(&visitor, error),
    };
    let body = detail_markup(&visitor, &view, &detail);
    page::render(&visitor, &detail.summary.title, body)
}

fn detail_markup(visitor: &Visitor, view: &CommunityView, detail: &PatternDetail) -> Markup {
    let summary = &detail.summary;
    let id = view.id.to_hex();
    let action = |name: &str| format!("/c/{id}/patterns/{}/{name}", summary.id);
    let open = !summary.state.is_final();
    let member = view.role.is_some();
    html! {
        (links(visitor, view))
        p { span.badge { (visitor.t(&format!("state-{}", summary.state))) } }
        @if !summary.description.is_empty() { p { (summary.description) } }
        section aria-labelledby="properties-title" {
            h2 #properties-title { (visitor.t("pattern-properties")) }
            dl.facts {
                dt { (visitor.t("patterns-severity")) }
                dd { (visitor.t(&format!("severity-{}", summary.properties.severity))) }
                dt { (visitor.t("patterns-category")) }
                dd { code { (summary.properties.category) } }
                dt { (visitor.t("pattern-performance")) }
                dd { (visitor.t(&format!("impact-{}", summary.properties.performance))) }
                dt { (visitor.t("pattern-security")) }
                dd { (visitor.t(&format!("impact-{}", summary.properties.security))) }
                dt { (visitor.t("patterns-language")) }
                dd { (summary.language) }
                dt { (visitor.t("pattern-size")) }
                dd {
                    (visitor.t_args("pattern-tokens", &[("count", summary.token_count.into())]))
                    ", "
                    (visitor.t_args("pattern-hashes", &[("count", summary.hash_count.into())]))
                }
                dt { (visitor.t("pattern-author")) }
                dd { (detail.author_name.clone().unwrap_or_else(|| visitor.t("pattern-anonymous"))) }
                dt { (visitor.t("pattern-id")) }
                dd { code.id { (summary.id) } }
            }
        }
        section aria-labelledby="votes-title" {
            h2 #votes-title { (visitor.t("pattern-votes")) }
            p {
                (visitor.t_args("pattern-votes-for", &[("count", summary.votes_for.into())]))
                " · "
                (visitor.t_args("pattern-votes-against", &[("count", summary.votes_against.into())]))
                " · "
                (visitor.t_args("policy-votes", &[("count", view.policy.votes_to_accept.into())]))
            }
            @if detail.needs_expert {
                p { (visitor.t_args("pattern-needs-expert", &[("count", summary.approvals.into())])) }
            }
            @if !detail.votes.is_empty() {
                ul.plain {
                    @for (vote, name) in &detail.votes {
                        li { (name) " " span.badge { @if vote.vote > 0 { "+1" } @else { "−1" } } }
                    }
                }
            }
            @if !detail.approvals.is_empty() {
                p { (visitor.t("pattern-approved-by")) " " (detail.approvals.iter().map(|(_, name)| name.as_str()).collect::<Vec<_>>().join(", ")) }
            }
            @if open && member {
                div.actions {
                    form.inline method="post" action=(action("vote")) {
                        (csrf_field(visitor))
                        input type="hidden" name="vote" value="1";
                        button type="submit" { (visitor.t("pattern-vote-for")) }
                    }
                    form.inline method="post" action=(action("vote")) {
                        (csrf_field(visitor))
                        input type="hidden" name="vote" value="-1";
                        button type="submit" { (visitor.t("pattern-vote-against")) }
                    }
                    @if view.role.is_some_and(|role| role >= commons_kernel::Role::Expert) {
                        form.inline method="post" action=(action("approve")) {
                            (csrf_field(visitor))
                            button type="submit" { (visitor.t("pattern-approve")) }
                        }
                    }
                    @if summary.author.is_some() && summary.author == visitor.user().map(|user| user.public_key) {
                        form.inline method="post" action=(action("withdraw")) {
                            (csrf_field(visitor))
                            button type="submit" { (visitor.t("pattern-withdraw")) }
                        }
                    }
                }
            }
        }
        section aria-labelledby="reviewers-title" {
            h2 #reviewers-title { (visitor.t("pattern-reviewers")) }
            @if detail.reviewers.is_empty() {
                p { (visitor.t("pattern-no-reviewers")) }
            } @else {
                ul.plain {
                    @for reviewer in &detail.reviewers {
                        li { (reviewer.name) " " span.badge { (visitor.t_args("pattern-points", &[("count", reviewer.points.into())])) } }
                    }
                }
            }
        }
        section aria-labelledby="similar-title" {
            h2 #similar-title { (visitor.t("pattern-similar")) }
            @if detail.similar.is_empty() {
                p { (visitor.t("pattern-no-similar")) }
            } @else {
                ul.plain {
                    @for other in &detail.similar {
                        li { a href=(format!("/c/{id}/patterns/{}", other.id)) { (other.title) } " " span.badge { (visitor.t(&format!("state-{}", other.state))) } }
                    }
                }
            }
        }
        section aria-labelledby="counts-title" {
            h2 #counts-title { (visitor.t("pattern-match-counts")) }
            @if detail.match_counts.reporters == 0 {
                p { (visitor.t("pattern-no-match-counts")) }
            } @else {
                p { (visitor.t_args("pattern-match-total", &[("count", detail.match_counts.total.into())])) " " (visitor.t_args("pattern-match-reporters", &[("count", detail.match_counts.reporters.into())])) }
                ul.plain {
                    @for period in &detail.match_counts.periods {
                        li { (period.period) " · " (visitor.t_args("pattern-match-total", &[("count", period.matches.into())])) " " (visitor.t_args("pattern-match-reporters", &[("count", period.reporters.into())])) }
                    }
                }
            }
        }
        section aria-labelledby="history-title" {
            h2 #history-title { (visitor.t("pattern-history")) }
            ol.plain {
                li { (visitor.t("state-submitted")) " · " (page::time(summary.submitted_ts)) }
                @for transition in &detail.transitions {
                    li { (visitor.t(&format!("state-{}", transition.state))) " · " (transition.reason) " · " (page::time(transition.ts)) }
                }
            }
        }
    }
}

pub async fn act(
    State(state): State<AppState>,
    visitor: Visitor,
    path: Result<Path<(String, String, String)>, PathRejection>,
    form: Result<Form<ActionForm>, FormRejection>,
) -> Response {
    let (Ok(Path((community, pattern, action))), Ok(Form(form))) = (path, form) else {
        return page::bad_request(&visitor);
    };
    let Some(user) = visitor.user() else {
        return redirect_with_cookies("/login", &[]);
    };
    if !visitor.csrf_matches(&form.csrf) {
        return page::csrf_failed(&visitor);
    }
    let outcome = match action.as_str() {
        "vote" => {
            state
                .node
                .vote_pattern(user, &community, &pattern, form.vote.unwrap_or(0))
                .await
        }
        "approve" => state.node.approve_pattern(user, &community, &pattern).await,
        "withdraw" => {
            state
                .node
                .withdraw_pattern(user, &community, &pattern)
                .await
        }
        _ => return page::not_found(&visitor),
    };
    match outcome {
        Ok(summary) => {
            redirect_with_cookies(&format!("/c/{community}/patterns/{}", summary.id), &[])
        }
        Err(error) => page::node_error(&visitor, error),
    }
}

pub async fn new_page(
    State(state): State<AppState>,
    visitor: Visitor,
    community: Result<Path<String>, PathRejection>,
) -> Response {
    let Ok(Path(community)) = community else {
        return page::bad_request(&visitor);
    };
    if visitor.user().is_none() {
        return redirect_with_cookies("/login", &[]);
    }
    let view = match state.node.community(&community, visitor.user()).await {
        Ok(view) => view,
        Err(error) => return page::node_error(&visitor, error),
    };
    submit_page(
        &visitor,
        &view,
        &SubmitForm::default(),
        SubmitErrors::default(),
    )
}

pub async fn submit(
    State(state): State<AppState>,
    visitor: Visitor,
    community: Result<Path<String>, PathRejection>,
    form: Result<Form<SubmitForm>, FormRejection>,
) -> Response {
    let (Ok(Path(community)), Ok(Form(form))) = (community, form) else {
        return page::bad_request(&visitor);
    };
    let Some(user) = visitor.user() else {
        return redirect_with_cookies("/login", &[]);
    };
    if !visitor.csrf_matches(&form.csrf) {
        return page::csrf_failed(&visitor);
    }
    let view = match state.node.community(&community, Some(user)).await {
        Ok(view) => view,
        Err(error) => return page::node_error(&visitor, error),
    };
    let mut errors = SubmitErrors::default();
    let abstracted: Option<Value> = match serde_json::from_str::<Value>(&form.fingerprint) {
        Ok(value) if value.get("fingerprint").is_some() => {
            let expected = format!("community:{}", view.id.to_hex());
            if value["key"].as_str() != Some(expected.as_str()) {
                errors.fingerprint = Some(
                    visitor.t_args("pattern-error-key", &[("name", view.name.as_str().into())]),
                );
                None
            } else {
                Some(value)
            }
        }
        _ => {
            errors.fingerprint = Some(visitor.t("pattern-error-json"));
            None
        }
    };
    let title = if form.title.trim().is_empty() {
        abstracted
            .as_ref()
            .and_then(|value| value["title"].as_str())
            .unwrap_or_default()
            .to_owned()
    } else {
        form.title.clone()
    };
    if let Some(abstracted) = abstracted.filter(|_| errors.fingerprint.is_none()) {
        let body = json!({
            "title": title,
            "description": form.description,
            "language": abstracted["language"],
            "properties": {
                "severity": form.severity,
                "category": form.category,
                "performance": form.performance,
                "security": form.security,
            },
            "fingerprint": abstracted["fingerprint"],
            "anonymous": form.anonymous.is_some(),
        });
        match state
            .node
            .submit_pattern_json(user, &community, &body)
            .await
        {
            Ok(submitted) => {
                return redirect_with_cookies(
                    &format!("/c/{}/patterns/{}", view.id.to_hex(), submitted.pattern.id),
                    &[],
                );
            }
            Err(NodeError::Invalid(findings)) => {
                for finding in findings.0 {
                    let message = format!(
                        "{}: {}",
                        finding.pointer.trim_start_matches("/body/"),
                        finding.message
                    );
                    match finding.pointer.as_str() {
                        "/body/title" => errors.title = Some(message),
                        "/body/properties/category" => errors.category = Some(message),
                        pointer
                            if pointer.starts_with("/body/fingerprint")
                                || pointer == "/body/language" =>
                        {
                            errors.fingerprint = Some(message)
                        }
                        _ => errors.other.push(message),
                    }
                }
            }
            Err(NodeError::Conflict(detail) | NodeError::Forbidden(detail)) => {
                errors.other.push(detail)
            }
            Err(error) => return page::node_error(&visitor, error),
        }
    }
    submit_page(&visitor, &view, &SubmitForm { title, ..form }, errors)
}

fn submit_page(
    visitor: &Visitor,
    view: &CommunityView,
    form: &SubmitForm,
    errors: SubmitErrors,
) -> Response {
    let has_errors = errors.fingerprint.is_some()
        || errors.title.is_some()
        || errors.category.is_some()
        || !errors.other.is_empty();
    let id = view.id.to_hex();
    let choice = |value: &str, default: &'static str| -> String {
        if value.is_empty() {
            default.to_owned()
        } else {
            value.to_owned()
        }
    };
    let severity = choice(&form.severity, "medium");
    let performance = choice(&form.performance, "none");
    let security = choice(&form.security, "none");
    let body = html! {
        (links(visitor, view))
        p { (visitor.t("pattern-submit-intro")) }
        pre { code { "commons pattern abstract FILE:A-B --community " (view.name) " --json" } }
        (error_summary(visitor, has_errors))
        @for message in &errors.other { p.alert role="alert" { (message) } }
        form.stack method="post" action=(format!("/c/{id}/patterns/new")) novalidate {
            (csrf_field(visitor))
            div.field.invalid[errors.fingerprint.is_some()] {
                label for="fingerprint" { (visitor.t("pattern-field-fingerprint")) }
                @if let Some(error) = &errors.fingerprint { p.error #fingerprint-error { (error) } }
                textarea #fingerprint name="fingerprint" rows="8" required
                    aria-describedby=[errors.fingerprint.as_ref().map(|_| "fingerprint-error")] { (form.fingerprint) }
            }
            (Field { name: "title", label: visitor.t("pattern-field-title"), kind: "text", value: &form.title,
                hint: Some(visitor.t("pattern-field-title-hint")), error: errors.title, autocomplete: "off" }.render())
            div.field {
                label for="description" { (visitor.t("pattern-field-description")) }
                textarea #description name="description" rows="4" { (form.description) }
            }
            (Field { name: "category", label: visitor.t("patterns-category"), kind: "text", value: &form.category,
                hint: Some(visitor.t("pattern-field-category-hint")), error: errors.category, autocomplete: "off" }.render())
            (select(visitor, "severity", "patterns-severity", &SEVERITIES, "severity", &severity))
            (select(visitor, "performance", "pattern-performance", &IMPACTS, "impact", &performance))
            (select(visitor, "security", "pattern-security", &IMPACTS, "impact", &security))
            div.field.check {
                input #anonymous type="checkbox" name="anonymous" value="on" checked[form.anonymous.is_some()];
                label for="anonymous" { (visitor.t("pattern-field-anonymous")) }
            }
            button type="submit" { (visitor.t("pattern-submit")) }
        }
    };
    let status = if has_errors {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let title = visitor.t_args(
        "pattern-submit-title",
        &[("name", view.name.as_str().into())],
    );
    page::render_status(visitor, status, &title, body)
}

fn select(
    visitor: &Visitor,
    name: &str,
    label: &str,
    options: &[&str],
    prefix: &str,
    current: &str,
) -> Markup {
    html! {
        div.field {
            label for=(name) { (visitor.t(label)) }
            select #(name) name=(name) {
                @for option in options {
                    option value=(option) selected[*option == current] { (visitor.t(&format!("{prefix}-{option}"))) }
                }
            }
        }
    }
}

/// Navigation between a community's pattern pages.
fn links(visitor: &Visitor, view: &CommunityView) -> Markup {
    let id = view.id.to_hex();
    html! {
        nav.sub aria-label=(visitor.t("patterns-nav")) {
            ul.plain.row {
                li { a href=(format!("/c/{id}")) { (view.name) } }
                li { a href=(format!("/c/{id}/patterns")) { (visitor.t("patterns-browse")) } }
                li { a href=(format!("/c/{id}/patterns/review")) { (visitor.t("patterns-queue")) } }
                @if view.role.is_some() {
                    li { a href=(format!("/c/{id}/patterns/new")) { (visitor.t("patterns-new")) } }
                }
            }
        }
    }
}

fn pattern_table(visitor: &Visitor, community: &str, patterns: &[PatternSummary]) -> Markup {
    html! {
        @if patterns.is_empty() {
            p { (visitor.t("patterns-empty")) }
        } @else {
            div.scroll role="region" aria-labelledby="patterns-caption" tabindex="0" {
                table {
                    caption #patterns-caption .visually-hidden { (visitor.t("patterns-browse")) }
                    thead { tr {
                        th scope="col" { (visitor.t("pattern-field-title")) }
                        th scope="col" { (visitor.t("patterns-severity")) }
                        th scope="col" { (visitor.t("patterns-category")) }
                        th scope="col" { (visitor.t("patterns-language")) }
                        th scope="col" { (visitor.t("patterns-state")) }
                        th scope="col" .num { (visitor.t("pattern-votes")) }
                    } }
                    tbody {
                        @for pattern in patterns {
                            tr {
                                td { a href=(format!("/c/{community}/patterns/{}", pattern.id)) { (pattern.title) } }
                                td { (visitor.t(&format!("severity-{}", pattern.properties.severity))) }
                                td { code { (pattern.properties.category) } }
                                td { (pattern.language) }
                                td { (visitor.t(&format!("state-{}", pattern.state))) }
                                td .num { (i64::from(pattern.votes_for) - i64::from(pattern.votes_against)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The node's security alerts, for its administrators: which accepted
/// security pattern matched where under the registered scan roots.
pub async fn notifications(State(state): State<AppState>, visitor: Visitor) -> Response {
    let Some(user) = visitor.user() else {
        return redirect_with_cookies("/login", &[]);
    };
    if !user.is_admin {
        return page::error_page(
            &visitor,
            StatusCode::FORBIDDEN,
            "error-forbidden-title",
            "error-forbidden-body",
        );
    }
    let (roots, alerts) =
        match tokio::try_join!(state.node.scan_roots(), state.node.notifications(100)) {
            Ok(found) => found,
            Err(error) => return page::node_error(&visitor, error),
        };
    let body = html! {
        section aria-labelledby="roots-title" {
            h2 #roots-title { (visitor.t("alerts-roots")) }
            @if roots.is_empty() {
                p { (visitor.t("alerts-no-roots")) }
            } @else {
                ul.plain { @for root in &roots { li { code { (root.display()) } } } }
            }
        }
        section aria-labelledby="alerts-list-title" {
            h2 #alerts-list-title { (visitor.t("alerts-list")) }
            @if alerts.is_empty() {
                p { (visitor.t("alerts-empty")) }
            }
            @for alert in &alerts {
                article.card {
                    h3 {
                        a href=(format!("/c/{}/patterns/{}", alert.community.to_hex(), alert.pattern)) { (alert.title) }
                        " " span.badge { (visitor.t(&format!("severity-{}", alert.severity))) }
                    }
                    p { (page::time(alert.ts)) }
                    ul.plain {
                        @for place in &alert.places {
                            li { code { (place.file) ":" (place.first_line) "-" (place.last_line) } " " (format!("{:.0}%", place.similarity * 100.0)) }
                        }
                    }
                }
            }
        }
    };
    page::render(&visitor, &visitor.t("alerts-title"), body)
}
