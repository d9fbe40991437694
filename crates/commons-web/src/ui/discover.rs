//! The discovery page: one search over every community this node holds,
//! optionally with the public communities it only follows, each result
//! saying where it comes from (this node, joined, or followed and on which
//! home node).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use commons_node::discover::Origin;
use maud::html;
use serde::Deserialize;

use crate::AppState;
use crate::ui::page::{self, short_key};
use crate::ui::session::Visitor;

#[derive(Debug, Default, Deserialize)]
pub struct DiscoverQuery {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    followed: Option<String>,
}

pub async fn discover(
    State(state): State<AppState>,
    visitor: Visitor,
    query: Result<Query<DiscoverQuery>, QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        return page::bad_request(&visitor);
    };
    let q = query.q.unwrap_or_default();
    let followed = query.followed.is_some();
    let found = if q.trim().is_empty() {
        None
    } else {
        match state.node.discover(visitor.user(), &q, followed).await {
            Ok(found) => Some(found),
            Err(error) => return page::node_error(&visitor, error),
        }
    };
    let body = html! {
        form.stack.filters method="get" action="/discover" role="search" {
            div.field {
                label for="q" { (visitor.t("discover-query")) }
                input #q name="q" type="search" value=(q);
            }
            div.field {
                label {
                    input name="followed" type="checkbox" value="1" checked[followed];
                    " " (visitor.t("discover-followed"))
                }
            }
            button type="submit" { (visitor.t("discover-submit")) }
        }
        @if let Some(found) = &found {
            @if found.is_empty() {
                p { (visitor.t("discover-none")) }
            }
            ul.results {
                @for result in found {
                    li {
                        a href=(format!("/c/{}", result.community.id.to_hex())) { (result.community.name) }
                        " "
                        span.badge {
                            @match result.origin {
                                Origin::Home => { (visitor.t("discover-from-here")) },
                                Origin::Joined => { (visitor.t_args("discover-from-joined", &[("home", short_key(&result.community.home).into())])) },
                                Origin::Followed => { (visitor.t_args("discover-from-followed", &[("home", short_key(&result.community.home).into())])) },
                            }
                        }
                        @if !result.patterns.is_empty() {
                            ul {
                                @for pattern in &result.patterns {
                                    li {
                                        a href=(format!("/c/{}/patterns/{}", result.community.id.to_hex(), pattern.id)) { (pattern.title) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    page::render(&visitor, &visitor.t("discover-title"), body)
}
