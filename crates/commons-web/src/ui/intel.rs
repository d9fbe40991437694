//! Intel pages of a community: the feed with its filters, one indicator
//! (confidence over time, sightings, false-positive reports, relationships,
//! versions), the publish form for a STIX bundle, and the local scan
//! results kept by `commons intel scan --save`.

use axum::Form;
use axum::extract::rejection::{FormRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use commons_node::NodeError;
use commons_node::intel::IndicatorStatus;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

use crate::AppState;
use crate::api::intel::{FeedParams, feed_query};
use crate::ui::page::{self, csrf_field};
use crate::ui::session::{Visitor, redirect_with_cookies};

/// The feed's filter form; every field may be empty.
#[derive(Debug, Default, Deserialize)]
pub struct FilterForm {
    #[serde(default, rename = "type")]
    object_type: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    min_confidence: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    inactive: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct PublishForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    bundle: String,
}

fn status_id(status: IndicatorStatus) -> &'static str {
    match status {
        IndicatorStatus::Active => "intel-status-active",
        IndicatorStatus::Revoked => "intel-status-revoked",
        IndicatorStatus::Expired => "intel-status-expired",
        IndicatorStatus::BelowThreshold => "intel-status-below-threshold",
    }
}

fn text<'a>(object: &'a Value, name: &str) -> &'a str {
    object.get(name).and_then(Value::as_str).unwrap_or_default()
}

pub async fn feed(
    State(state): State<AppState>,
    visitor: Visitor,
    id: Result<Path<String>, PathRejection>,
    filters: Result<Query<FilterForm>, QueryRejection>,
) -> Response {
    let (Ok(Path(id)), Ok(Query(filters))) = (id, filters) else {
        return page::bad_request(&visitor);
    };
    let community = match state.node.community(&id, visitor.user()).await {
        Ok(community) => community,
        Err(error) => return page::node_error(&visitor, error),
    };
    let min_confidence = match filters.min_confidence.trim() {
        "" => None,
        text => match text.parse::<u8>() {
            Ok(value) if value <= 100 => Some(value),
            _ => return page::bad_request(&visitor),
        },
    };
    let params = FeedParams {
        object_type: Some(filters.object_type.clone()),
        label: Some(filters.label.clone()),
        min_confidence,
        source: Some(filters.source.clone()),
        inactive: Some(filters.inactive.is_some()),
        limit: Some(200),
        ..FeedParams::default()
    };
    let query = match feed_query(&state.node, &params).await {
        Ok(query) => query,
        Err(_) => return page::bad_request(&visitor),
    };
    let hex = community.id.to_hex();
    let (items, _) = match state.node.intel_feed(visitor.user(), &hex, &query).await {
        Ok(page) => page,
        Err(error) => return page::node_error(&visitor, error),
    };
    let base = format!("/c/{hex}/intel");
    let body = html! {
        p { a href=(format!("/c/{hex}")) { (community.name) } " · " a href=(format!("{base}/publish")) { (visitor.t("intel-publish-title")) } " · " a href="/intel/scans" { (visitor.t("intel-scans-title")) } }
        form.filters method="get" action=(base) {
            div.field {
                label for="type" { (visitor.t("intel-filter-type")) }
                input #type name="type" value=(filters.object_type) placeholder="indicator";
            }
            div.field {
                label for="label" { (visitor.t("intel-filter-label")) }
                input #label name="label" value=(filters.label);
            }
            div.field {
                label for="min_confidence" { (visitor.t("intel-filter-confidence")) }
                input #min_confidence name="min_confidence" inputmode="numeric" value=(filters.min_confidence);
            }
            div.field {
                label for="source" { (visitor.t("intel-filter-source")) }
                input #source name="source" value=(filters.source);
            }
            div.field {
                label { input type="checkbox" name="inactive" checked[filters.inactive.is_some()]; " " (visitor.t("intel-filter-inactive")) }
            }
            button type="submit" { (visitor.t("intel-filter-submit")) }
        }
        @if items.is_empty() {
            p { (visitor.t("intel-feed-empty")) }
        } @else {
            div.scroll role="region" aria-labelledby="feed-caption" tabindex="0" {
                table {
                    caption #feed-caption .visually-hidden { (visitor.t("intel-feed-title")) }
                    thead { tr {
                        th scope="col" { (visitor.t("intel-col-type")) }
                        th scope="col" { (visitor.t("intel-col-name")) }
                        th scope="col" .num { (visitor.t("intel-col-confidence")) }
                        th scope="col" { (visitor.t("intel-col-status")) }
                        th scope="col" { (visitor.t("intel-col-added")) }
                    } }
                    tbody {
                        @for item in &items {
                            @let id = text(&item.object, "id");
                            @let name = match text(&item.object, "name") { "" => text(&item.object, "pattern"), name => name };
                            tr {
                                td { (text(&item.object, "type")) }
                                td {
                                    @if text(&item.object, "type") == "indicator" {
                                        a href=(format!("{base}/indicators/{id}")) { (name) }
                                    } @else {
                                        (name)
                                    }
                                }
                                td .num { @if let Some(score) = item.score { (score.confidence) } }
                                td { @if let Some(score) = item.score { (visitor.t(status_id(score.status))) } }
                                td { (page::time(item.added_us.div_euclid(1000))) }
                            }
                        }
                    }
                }
            }
        }
    };
    page::render(&visitor, &visitor.t("intel-feed-title"), body)
}

pub async fn indicator(
    State(state): State<AppState>,
    visitor: Visitor,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Response {
    let Ok(Path((id, object_id))) = path else {
        return page::not_found(&visitor);
    };
    let detail = match state
        .node
        .intel_indicator(visitor.user(), &id, &object_id)
        .await
    {
        Ok(detail) => detail,
        Err(error) => return page::node_error(&visitor, error),
    };
    let object = &detail.object;
    let body = html! {
        p { a href=(format!("/c/{id}/intel")) { (visitor.t("intel-feed-title")) } }
        dl.facts {
            dt { (visitor.t("intel-col-name")) } dd { (text(object, "name")) }
            dt { (visitor.t("intel-pattern")) } dd { code { (text(object, "pattern")) } }
            dt { (visitor.t("intel-col-confidence")) } dd { (detail.score.confidence) }
            dt { (visitor.t("intel-col-status")) } dd { (visitor.t(status_id(detail.score.status))) }
            dt { (visitor.t("intel-sightings")) } dd { (detail.sightings) }
            dt { (visitor.t("intel-false-positives")) } dd { (detail.false_positives) }
            dt { (visitor.t("intel-valid-from")) } dd { (text(object, "valid_from")) }
            dt { (visitor.t("intel-valid-until")) } dd { (text(object, "valid_until")) }
        }
        section aria-labelledby="history-title" {
            h2 #history-title { (visitor.t("intel-history")) }
            (history(&visitor, &detail.history))
        }
        section aria-labelledby="evidence-title" {
            h2 #evidence-title { (visitor.t("intel-evidence")) }
            @if detail.evidence.is_empty() {
                p { (visitor.t("intel-evidence-empty")) }
            } @else {
                ul {
                    @for it in &detail.evidence {
                        li {
                            (page::time(it.ts_ms)) " · " (it.evidence)
                            @if it.evidence == "sighting" { " ×" (it.count) }
                            @if !it.note.is_empty() { " · " (it.note) }
                        }
                    }
                }
            }
        }
        section aria-labelledby="relationships-title" {
            h2 #relationships-title { (visitor.t("intel-relationships")) }
            @if detail.relationships.is_empty() {
                p { (visitor.t("intel-relationships-empty")) }
            } @else {
                ul {
                    @for it in &detail.relationships {
                        li { code { (text(it, "source_ref")) } " " (text(it, "relationship_type")) " " code { (text(it, "target_ref")) } }
                    }
                }
            }
        }
        section aria-labelledby="versions-title" {
            h2 #versions-title { (visitor.t("intel-versions")) }
            ul { @for version in &detail.versions { li { (version) } } }
        }
    };
    let title = match text(object, "name") {
        "" => object_id.clone(),
        name => name.to_owned(),
    };
    page::render(&visitor, &title, body)
}

/// Confidence over time as a table with a bar per row (no script needed).
fn history(visitor: &Visitor, points: &[(i64, u8)]) -> Markup {
    html! {
        table {
            thead { tr {
                th scope="col" { (visitor.t("intel-col-time")) }
                th scope="col" .num { (visitor.t("intel-col-confidence")) }
            } }
            tbody {
                @for (time, confidence) in points {
                    tr {
                        td { (page::time(time.saturating_mul(1000))) }
                        td .num { meter min="0" max="100" value=(confidence) { (confidence) } " " (confidence) }
                    }
                }
            }
        }
    }
}

pub async fn publish_page(
    State(state): State<AppState>,
    visitor: Visitor,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let Ok(Path(id)) = id else {
        return page::not_found(&visitor);
    };
    if visitor.user().is_none() {
        return redirect_with_cookies("/login", &[]);
    }
    publish_form(&state, &visitor, &id, "", &[]).await
}

async fn publish_form(
    state: &AppState,
    visitor: &Visitor,
    id: &str,
    bundle: &str,
    errors: &[String],
) -> Response {
    let community = match state.node.community(id, visitor.user()).await {
        Ok(community) => community,
        Err(error) => return page::node_error(visitor, error),
    };
    let hex = community.id.to_hex();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = html! {
        p { a href=(format!("/c/{hex}/intel")) { (visitor.t("intel-feed-title")) } }
        @if !errors.is_empty() {
            div.error-summary role="alert" {
                p { (visitor.t("intel-publish-invalid")) }
                ul { @for error in errors { li { (error) } } }
            }
        }
        form method="post" action=(format!("/c/{hex}/intel/publish")) {
            (csrf_field(visitor))
            div.field {
                label for="bundle" { (visitor.t("intel-publish-bundle")) }
                textarea #bundle name="bundle" rows="16" { (bundle) }
            }
            button type="submit" { (visitor.t("intel-publish-submit")) }
        }
    };
    page::render_status(visitor, status, &visitor.t("intel-publish-title"), body)
}

pub async fn publish(
    State(state): State<AppState>,
    visitor: Visitor,
    id: Result<Path<String>, PathRejection>,
    form: Result<Form<PublishForm>, FormRejection>,
) -> Response {
    let (Ok(Path(id)), Ok(Form(form))) = (id, form) else {
        return page::bad_request(&visitor);
    };
    let Some(user) = visitor.user() else {
        return redirect_with_cookies("/login", &[]);
    };
    if !visitor.csrf_matches(&form.csrf) {
        return page::csrf_failed(&visitor);
    }
    let input: Value = match serde_json::from_str(&form.bundle) {
        Ok(input) => input,
        Err(error) => {
            let message = format!("{}: {error}", visitor.t("intel-publish-not-json"));
            return publish_form(&state, &visitor, &id, &form.bundle, &[message]).await;
        }
    };
    let outcome = match commons_node::intel::objects_of(input) {
        Ok(objects) => state.node.intel_publish(user, &id, objects).await,
        Err(error) => Err(error),
    };
    match outcome {
        Ok(_) => {
            let community = match state.node.community(&id, Some(user)).await {
                Ok(community) => community,
                Err(error) => return page::node_error(&visitor, error),
            };
            redirect_with_cookies(&format!("/c/{}/intel", community.id.to_hex()), &[])
        }
        Err(NodeError::Invalid(findings)) => {
            let errors: Vec<String> = findings
                .0
                .iter()
                .map(|finding| format!("{}: {}", finding.pointer, finding.message))
                .collect();
            publish_form(&state, &visitor, &id, &form.bundle, &errors).await
        }
        Err(NodeError::BadInput(message)) => {
            publish_form(&state, &visitor, &id, &form.bundle, &[message]).await
        }
        Err(error) => page::node_error(&visitor, error),
    }
}

/// `/intel/scans`: the scan runs kept on this node (`commons intel scan
/// --save`) that the visitor may see, newest first.
pub async fn scan_runs(State(state): State<AppState>, visitor: Visitor) -> Response {
    let Some(user) = visitor.user() else {
        return redirect_with_cookies("/login", &[]);
    };
    let runs = match state.node.scan_runs(user) {
        Ok(runs) => runs,
        Err(error) => return page::node_error(&visitor, error),
    };
    let body = html! {
        p { (visitor.t("intel-scans-local")) }
        @if runs.is_empty() {
            p { (visitor.t("intel-scans-empty")) }
            pre { code { "commons intel scan capture.pcap --community security --save" } }
        } @else {
            div.scroll role="region" aria-labelledby="scans-caption" tabindex="0" {
                table {
                    caption #scans-caption .visually-hidden { (visitor.t("intel-scans-title")) }
                    thead { tr {
                        th scope="col" { (visitor.t("intel-col-time")) }
                        th scope="col" { (visitor.t("intel-scans-inputs")) }
                        th scope="col" { (visitor.t("intel-scans-indicators")) }
                        th scope="col" .num { (visitor.t("intel-scans-alerts")) }
                        th scope="col" { (visitor.t("intel-scans-user")) }
                    } }
                    tbody {
                        @for run in &runs {
                            tr {
                                td { a href=(format!("/intel/scans/{}", run.id)) { (page::time(run.ts_ms)) } }
                                td { @for (idx, input) in run.inputs.iter().enumerate() { @if idx > 0 { ", " } code { (input.path) } } }
                                td { (sources(run)) }
                                td .num { (run.alerts_total) }
                                td { (run.user) }
                            }
                        }
                    }
                }
            }
        }
    };
    page::render(&visitor, &visitor.t("intel-scans-title"), body)
}

fn sources(run: &commons_node::scans::ScanRun) -> String {
    run.communities
        .iter()
        .chain(&run.indicator_files)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ")
}

/// `/intel/scans/{run}`: one run, its inputs and its alerts.
pub async fn scan_run(
    State(state): State<AppState>,
    visitor: Visitor,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    let Ok(Path(id)) = path else {
        return page::not_found(&visitor);
    };
    let Some(user) = visitor.user() else {
        return redirect_with_cookies("/login", &[]);
    };
    let run = match state.node.scan_run(user, &id) {
        Ok(run) => run,
        Err(error) => return page::node_error(&visitor, error),
    };
    let body = html! {
        p { a href="/intel/scans" { (visitor.t("intel-scans-title")) } }
        dl.facts {
            dt { (visitor.t("intel-col-time")) } dd { (page::time(run.ts_ms)) }
            dt { (visitor.t("intel-scans-user")) } dd { (run.user) }
            dt { (visitor.t("intel-scans-indicators")) } dd { (sources(&run)) }
            dt { (visitor.t("intel-scans-alerts")) } dd { (run.alerts_total) }
        }
        section aria-labelledby="inputs-title" {
            h2 #inputs-title { (visitor.t("intel-scans-inputs")) }
            ul {
                @for input in &run.inputs {
                    li {
                        code { (input.path) }
                        @if let Some(format) = &input.format { " · " (format) }
                        " · " (visitor.t_args("intel-scans-records", &[("records", input.records.into()), ("skipped", input.skipped.into())]))
                        @if let Some(error) = &input.error { " · " strong { (error) } }
                    }
                }
            }
        }
        section aria-labelledby="alerts-title" {
            h2 #alerts-title { (visitor.t("intel-scans-alerts")) }
            @if run.alerts.is_empty() {
                p { (visitor.t("intel-scans-no-alerts")) }
            } @else {
                @if (run.alerts.len() as u64) < run.alerts_total {
                    p { (visitor.t_args("intel-scans-cut", &[("kept", run.alerts.len().into()), ("total", run.alerts_total.into())])) }
                }
                div.scroll role="region" aria-labelledby="alerts-title" tabindex="0" {
                    table {
                        thead { tr {
                            th scope="col" { (visitor.t("intel-scans-indicator")) }
                            th scope="col" { (visitor.t("intel-scans-matched")) }
                            th scope="col" { (visitor.t("intel-scans-flow")) }
                            th scope="col" { (visitor.t("intel-scans-seen")) }
                            th scope="col" .num { (visitor.t("intel-col-confidence")) }
                            th scope="col" .num { (visitor.t("intel-scans-threat")) }
                        } }
                        tbody {
                            @for alert in &run.alerts {
                                @let label = alert.name.clone().unwrap_or_else(|| alert.indicator.clone());
                                tr {
                                    td {
                                        @if let Some(community) = &alert.community {
                                            a href=(format!("/c/{community}/intel/indicators/{}", alert.indicator)) { (label) }
                                        } @else {
                                            (label)
                                        }
                                    }
                                    td { (alert.observable) " " code { (alert.value) } }
                                    td { code { (alert.flow) } }
                                    td { (alert.first_seen) " – " (alert.last_seen) " ×" (alert.count) }
                                    td .num { (alert.confidence) }
                                    td .num { (alert.threat_score) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    page::render(&visitor, &visitor.t("intel-scans-run-title"), body)
}
