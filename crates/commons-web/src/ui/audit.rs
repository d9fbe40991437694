//! The node's audit trail for its administrators, newest first, a page at
//! a time.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use maud::html;
use serde::Deserialize;

use crate::AppState;
use crate::ui::page;
use crate::ui::session::{Visitor, redirect_with_cookies};

const PAGE_ROWS: u32 = 100;

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    before: Option<i64>,
}

pub async fn audit(
    State(state): State<AppState>,
    visitor: Visitor,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Response {
    let Some(user) = visitor.user() else {
        return redirect_with_cookies("/login", &[]);
    };
    if !user.is_admin {
        return page::error_page(
            &visitor,
            axum::http::StatusCode::FORBIDDEN,
            "error-forbidden-title",
            "error-forbidden-body",
        );
    }
    let Ok(Query(query)) = query else {
        return page::bad_request(&visitor);
    };
    let rows = match state.node.audit_rows(query.before, PAGE_ROWS).await {
        Ok(rows) => rows,
        Err(error) => return page::node_error(&visitor, error),
    };
    let older = (rows.len() == PAGE_ROWS as usize)
        .then(|| rows.last().map(|row| row.id))
        .flatten();
    let body = html! {
        @if rows.is_empty() {
            p { (visitor.t("audit-empty")) }
        } @else {
            div.scroll role="region" aria-labelledby="audit-caption" tabindex="0" {
                table {
                    caption #audit-caption .visually-hidden { (visitor.t("audit-title")) }
                    thead { tr {
                        th scope="col" { (visitor.t("col-time")) }
                        th scope="col" { (visitor.t("col-actor")) }
                        th scope="col" { (visitor.t("col-action")) }
                        th scope="col" { (visitor.t("col-target")) }
                        th scope="col" { (visitor.t("col-outcome")) }
                    } }
                    tbody {
                        @for row in &rows {
                            tr {
                                td { (page::time(row.ts)) }
                                td { (row.actor) }
                                td { code { (row.action) } }
                                td { code.id { (row.target) } }
                                td { (row.outcome) }
                            }
                        }
                    }
                }
            }
            @if let Some(before) = older {
                p { a href=(format!("/admin/audit?before={before}")) { (visitor.t("audit-older")) } }
            }
        }
    };
    page::render(&visitor, &visitor.t("audit-title"), body)
}
