//! Running a community from its page: inviting, approving join requests,
//! removing members, changing roles and changing the policy. Each form
//! shows only to members whose role the kind needs; the node checks again,
//! so a forged form gets the node's refusal, never a partial change.

use axum::Form;
use axum::extract::rejection::{FormRejection, PathRejection};
use axum::extract::{Path, State};
use axum::response::Response;
use commons_kernel::{JoinRule, MemberStatus, Policy, Role};
use commons_node::control::MemberAction;
use commons_node::{CommunityView, MemberRow, NodeError, User};
use maud::{Markup, html};
use serde::Deserialize;

use crate::AppState;
use crate::ui::page::{self, csrf_field, role_id};
use crate::ui::session::{Visitor, redirect_with_cookies};

/// The roles offered in role pickers, least first.
const ROLES: [Role; 4] = [Role::Member, Role::Expert, Role::Moderator, Role::Admin];

#[derive(Debug, Deserialize)]
pub struct MemberForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    member: String,
}

#[derive(Debug, Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    member: String,
    #[serde(default)]
    role: String,
}

#[derive(Debug, Deserialize)]
pub struct PolicyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    join: String,
    #[serde(default)]
    votes_to_accept: String,
    #[serde(default)]
    expert_approval: String,
    #[serde(default)]
    invite: String,
}

/// The actions a member row offers the viewer: approve or remove, and a role
/// picker for admins. Empty for members who may do neither.
pub fn member_actions(visitor: &Visitor, community: &CommunityView, member: &MemberRow) -> Markup {
    let Some(viewer_role) = community.role else {
        return html! {};
    };
    let is_self = visitor
        .user()
        .is_some_and(|user| user.public_key == member.key);
    let action = |path: &str| format!("/c/{}/{path}", community.id.to_hex());
    let key = member.key.to_hex();
    html! {
        @if viewer_role >= Role::Moderator && !is_self {
            @if member.status == MemberStatus::Pending {
                form.inline method="post" action=(action("members/approve")) {
                    (csrf_field(visitor))
                    input type="hidden" name="member" value=(key);
                    button type="submit" { (visitor.t("manage-approve")) }
                }
            }
            form.inline method="post" action=(action("members/remove")) {
                (csrf_field(visitor))
                input type="hidden" name="member" value=(key);
                button.secondary type="submit" { (visitor.t("manage-remove")) }
            }
        }
        @if viewer_role == Role::Admin && member.status == MemberStatus::Active && !is_self {
            form.inline method="post" action=(action("role")) {
                (csrf_field(visitor))
                input type="hidden" name="member" value=(key);
                @let select_id = format!("role-{}", &key[..12]);
                label.visually-hidden for=(select_id) {
                    (visitor.t_args("manage-role-for", &[("name", member.name.as_str().into())]))
                }
                select #(select_id) name="role" {
                    @for role in ROLES {
                        option value=(role.to_string()) selected[role == member.role] { (visitor.t(role_id(role))) }
                    }
                }
                button type="submit" { (visitor.t("manage-role-change")) }
            }
        }
    }
}

/// The invite form and, for admins, the policy form.
pub fn section(visitor: &Visitor, community: &CommunityView) -> Markup {
    let Some(viewer_role) = community.role else {
        return html! {};
    };
    let policy = &community.policy;
    let action = |path: &str| format!("/c/{}/{path}", community.id.to_hex());
    let may_invite = viewer_role >= policy.invite;
    if !may_invite && viewer_role != Role::Admin {
        return html! {};
    }
    html! {
        section aria-labelledby="manage-title" {
            h2 #manage-title { (visitor.t("manage-title")) }
            @if may_invite {
                form method="post" action=(action("members/invite")) {
                    (csrf_field(visitor))
                    div.field {
                        label for="invite-member" { (visitor.t("manage-invite-label")) }
                        p.hint #invite-member-hint { (visitor.t("manage-invite-hint")) }
                        input #invite-member name="member" type="text" required
                            autocomplete="off" aria-describedby="invite-member-hint";
                    }
                    button type="submit" { (visitor.t("manage-invite")) }
                }
            }
            @if viewer_role == Role::Admin {
                (policy_form(visitor, policy, &action("policy")))
            }
        }
    }
}

fn policy_form(visitor: &Visitor, policy: &Policy, action: &str) -> Markup {
    let joins = [
        (JoinRule::Open, "open", "policy-join-open"),
        (JoinRule::Approval, "approval", "policy-join-approval"),
        (JoinRule::Invite, "invite", "policy-join-invite"),
    ];
    html! {
        form method="post" action=(action) {
            (csrf_field(visitor))
            fieldset {
                legend { (visitor.t("manage-policy-title")) }
                div.field {
                    label for="policy-join" { (visitor.t("manage-policy-join")) }
                    select #policy-join name="join" {
                        @for (rule, value, label) in joins {
                            option value=(value) selected[rule == policy.join] { (visitor.t(label)) }
                        }
                    }
                }
                div.field {
                    label for="policy-votes" { (visitor.t("manage-policy-votes")) }
                    input #policy-votes name="votes_to_accept" type="number" min="0" max="1000"
                        inputmode="numeric" required value=(policy.votes_to_accept);
                }
                div.field {
                    label for="policy-expert" { (visitor.t("manage-policy-expert")) }
                    p.hint #policy-expert-hint { (visitor.t("manage-policy-expert-hint")) }
                    input #policy-expert name="expert_approval" type="text" autocomplete="off"
                        aria-describedby="policy-expert-hint" value=(policy.expert_approval.join(", "));
                }
                div.field {
                    label for="policy-invite" { (visitor.t("manage-policy-invite")) }
                    select #policy-invite name="invite" {
                        @for role in ROLES {
                            option value=(role.to_string()) selected[role == policy.invite] { (visitor.t(role_id(role))) }
                        }
                    }
                }
            }
            button type="submit" { (visitor.t("manage-policy-save")) }
        }
    }
}

/// Writes the record a member form asks for, named by the path's last
/// segment: an invitation, an approval or a removal of the named member.
pub async fn member(
    State(state): State<AppState>,
    visitor: Visitor,
    path: Result<Path<(String, MemberAction)>, PathRejection>,
    form: Result<Form<MemberForm>, FormRejection>,
) -> Response {
    let Ok(Path((id, action))) = path else {
        return page::bad_request(&visitor);
    };
    let (user, id, form) = match checked(&visitor, Ok(Path(id)), form, |form| &form.csrf) {
        Ok(checked) => checked,
        Err(response) => return *response,
    };
    let member = form.member.trim();
    let result = match action {
        MemberAction::Invite => state.node.invite(&user, &id, member).await,
        MemberAction::Approve => state.node.approve(&user, &id, member).await,
        MemberAction::Remove => state.node.remove_member(&user, &id, member).await,
    };
    back(&state, &visitor, &id, result).await
}

pub async fn role(
    State(state): State<AppState>,
    visitor: Visitor,
    id: Result<Path<String>, PathRejection>,
    form: Result<Form<RoleForm>, FormRejection>,
) -> Response {
    let (user, id, form) = match checked(&visitor, id, form, |form| &form.csrf) {
        Ok(checked) => checked,
        Err(response) => return *response,
    };
    let Ok(role) = form.role.parse::<Role>() else {
        return page::bad_request(&visitor);
    };
    let result = state.node.set_role(&user, &id, &form.member, role).await;
    back(&state, &visitor, &id, result).await
}

pub async fn policy(
    State(state): State<AppState>,
    visitor: Visitor,
    id: Result<Path<String>, PathRejection>,
    form: Result<Form<PolicyForm>, FormRejection>,
) -> Response {
    let (user, id, form) = match checked(&visitor, id, form, |form| &form.csrf) {
        Ok(checked) => checked,
        Err(response) => return *response,
    };
    let Some(policy) = parse_policy(&form) else {
        return page::bad_request(&visitor);
    };
    let result = state.node.set_policy(&user, &id, &policy).await;
    back(&state, &visitor, &id, result).await
}

/// The policy a form describes, or `None` when a field is not one of the
/// choices the form offers (only a hand-made request sends that).
fn parse_policy(form: &PolicyForm) -> Option<Policy> {
    let join = match form.join.as_str() {
        "open" => JoinRule::Open,
        "approval" => JoinRule::Approval,
        "invite" => JoinRule::Invite,
        _ => return None,
    };
    let votes_to_accept = form.votes_to_accept.trim().parse::<u32>().ok()?;
    let expert_approval = form
        .expert_approval
        .split(',')
        .map(str::trim)
        .filter(|kind| !kind.is_empty())
        .map(str::to_owned)
        .collect();
    Some(Policy {
        join,
        votes_to_accept,
        expert_approval,
        invite: form.invite.parse().ok()?,
    })
}

/// The acting user, community and form, once the form is well-formed, the
/// visitor logged in and the CSRF token right.
pub fn checked<F>(
    visitor: &Visitor,
    id: Result<Path<String>, PathRejection>,
    form: Result<Form<F>, FormRejection>,
    csrf: impl Fn(&F) -> &String,
) -> Result<(User, String, F), Box<Response>> {
    let (Ok(Path(id)), Ok(Form(form))) = (id, form) else {
        return Err(Box::new(page::bad_request(visitor)));
    };
    let Some(user) = visitor.user() else {
        return Err(Box::new(redirect_with_cookies("/login", &[])));
    };
    if !visitor.csrf_matches(csrf(&form)) {
        return Err(Box::new(page::csrf_failed(visitor)));
    }
    Ok((user.clone(), id, form))
}

pub async fn back(
    state: &AppState,
    visitor: &Visitor,
    id: &str,
    result: Result<(), NodeError>,
) -> Response {
    if let Err(error) = result {
        return page::node_error(visitor, error);
    }
    match state.node.resolve_community(id).await {
        Ok(community) => redirect_with_cookies(&format!("/c/{}", community.to_hex()), &[]),
        Err(error) => page::node_error(visitor, error),
    }
}
