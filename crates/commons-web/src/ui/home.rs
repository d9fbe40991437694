//! The home page: what Commons is and where to go next.

use axum::response::Response;
use maud::html;

use crate::ui::page;
use crate::ui::session::Visitor;

pub async fn home(visitor: Visitor) -> Response {
    let body = html! {
        @if let Some(user) = visitor.user() {
            p.notice { (visitor.t_args("home-welcome", &[("name", user.name.as_str().into())])) }
        }
        p.lead { (visitor.t("home-intro")) }
        p { (visitor.t("home-privacy")) }
        ul.actions {
            li { a.button href="/communities" { (visitor.t("home-browse")) } }
            @if visitor.user().is_none() {
                li { a.button.secondary href="/register" { (visitor.t("home-register")) } }
                li { a.button.secondary href="/login" { (visitor.t("home-login")) } }
            }
        }
    };
    page::render(&visitor, &visitor.t("home-title"), body)
}
