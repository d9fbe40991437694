//! Communities over the API: list, create, show, membership and its
//! administration (invite, approve, remove, roles, policy), and following a
//! public community hosted elsewhere.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use commons_kernel::community::{MemberStatus, Policy};
use commons_kernel::{Role, Visibility};
use commons_node::CommunityView;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::Json;
use crate::auth::{MaybeCaller, RequireCaller};
use crate::openapi::ProblemDocument;
use crate::{AppState, Problem};

/// A community as the caller sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommunityWire {
    /// Id, 32 hex characters.
    pub id: String,
    /// Name.
    pub name: String,
    /// The home node's key, hex.
    pub home: String,
    /// Whether this node is its home (and so accepts writes for it).
    pub is_home: bool,
    /// `public` or `private`.
    #[schema(value_type = String)]
    pub visibility: Visibility,
    /// The rules it runs by.
    #[schema(value_type = Object)]
    pub policy: Policy,
    /// Active members.
    pub members: u64,
    /// Log length.
    pub entries: u64,
    /// The caller's role, if a member: `member`, `expert`, `moderator`, `admin`.
    #[schema(value_type = Option<String>)]
    pub role: Option<Role>,
    /// Whether the caller's join request waits for approval.
    pub pending: bool,
}

/// A member or a pending join request.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberWire {
    /// The member's key, hex.
    pub key: String,
    /// The name they joined with.
    pub name: String,
    /// Their role.
    #[schema(value_type = String)]
    pub role: Role,
    /// `active` or `pending`.
    #[schema(value_type = String)]
    pub status: MemberStatus,
    /// The log entry that made them what they are.
    pub since_seq: u64,
}

/// A community to create.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCommunity {
    /// Name: lowercase letters, digits and dashes.
    pub name: String,
    /// `public` (default) or `private`.
    #[serde(default = "public")]
    #[schema(value_type = String)]
    pub visibility: Visibility,
    /// Policy template: `open` (default), `moderated`, …
    #[serde(default = "open_template")]
    pub template: String,
}

/// A member named by local user name or hex key.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberRequest {
    /// User name or hex public key.
    pub member: String,
}

/// A role to give.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleRequest {
    /// `member`, `expert`, `moderator` or `admin`.
    #[schema(value_type = String)]
    pub role: Role,
}

/// A policy replacing the current one.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyRequest {
    /// The whole new policy.
    #[schema(value_type = Object)]
    pub policy: Policy,
}

/// A community followed as a read-only replica.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FollowWire {
    /// Its id.
    pub following: String,
}

impl From<&CommunityView> for CommunityWire {
    fn from(view: &CommunityView) -> CommunityWire {
        CommunityWire {
            id: view.id.to_hex(),
            name: view.name.to_string(),
            home: view.home.to_hex(),
            is_home: view.is_home,
            visibility: view.visibility,
            policy: view.policy.clone(),
            members: view.members,
            entries: view.entries,
            role: view.role,
            pending: view.pending,
        }
    }
}

fn public() -> Visibility {
    Visibility::Public
}

fn open_template() -> String {
    "open".to_owned()
}

/// Communities the caller may see: public ones, and private ones they belong to.
#[utoipa::path(
    get, path = "/api/v1/communities", tag = "communities",
    responses((status = 200, body = Vec<CommunityWire>))
)]
pub async fn list(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
) -> Result<axum::Json<Vec<CommunityWire>>, Problem> {
    let viewer = caller.as_ref().map(|caller| &caller.user);
    let views = state.node.communities(viewer).await?;
    Ok(axum::Json(views.iter().map(CommunityWire::from).collect()))
}

/// Creates a community with the caller as its first admin.
#[utoipa::path(
    post, path = "/api/v1/communities", tag = "communities",
    request_body = NewCommunity,
    responses(
        (status = 201, body = CommunityWire),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["write"]), ("session" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Json(new): Json<NewCommunity>,
) -> Result<(StatusCode, axum::Json<CommunityWire>), Problem> {
    let view = state
        .node
        .create_community(&caller.user, &new.name, new.visibility, &new.template)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(CommunityWire::from(&view))))
}

/// One community; a private one is not found for non-members.
#[utoipa::path(
    get, path = "/api/v1/communities/{community}", tag = "communities",
    params(("community" = String, Path, description = "id or name")),
    responses(
        (status = 200, body = CommunityWire),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path(community): Path<String>,
) -> Result<axum::Json<CommunityWire>, Problem> {
    let viewer = caller.as_ref().map(|caller| &caller.user);
    let view = state.node.community(&community, viewer).await?;
    Ok(axum::Json(CommunityWire::from(&view)))
}

/// Members and pending join requests.
#[utoipa::path(
    get, path = "/api/v1/communities/{community}/members", tag = "communities",
    params(("community" = String, Path, description = "id or name")),
    responses(
        (status = 200, body = Vec<MemberWire>),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn members(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path(community): Path<String>,
) -> Result<axum::Json<Vec<MemberWire>>, Problem> {
    let viewer = caller.as_ref().map(|caller| &caller.user);
    let rows = state.node.members(&community, viewer).await?;
    let members = rows
        .into_iter()
        .map(|row| MemberWire {
            key: row.key.to_hex(),
            name: row.name,
            role: row.role,
            status: row.status,
            since_seq: row.since_seq,
        })
        .collect();
    Ok(axum::Json(members))
}

/// Joins, or asks to join, under the community's join rule.
#[utoipa::path(
    post, path = "/api/v1/communities/{community}/join", tag = "communities",
    params(("community" = String, Path, description = "id or name")),
    responses(
        (status = 200, body = CommunityWire),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, description = "the join rule does not allow it", body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["write"]), ("session" = []))
)]
pub async fn join(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path(community): Path<String>,
) -> Result<axum::Json<CommunityWire>, Problem> {
    let view = state.node.join(&caller.user, &community).await?;
    Ok(axum::Json(CommunityWire::from(&view)))
}

/// Leaves, or withdraws a join request.
#[utoipa::path(
    post, path = "/api/v1/communities/{community}/leave", tag = "communities",
    params(("community" = String, Path, description = "id or name")),
    responses(
        (status = 204, description = "left"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["write"]), ("session" = []))
)]
pub async fn leave(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path(community): Path<String>,
) -> Result<StatusCode, Problem> {
    state.node.leave(&caller.user, &community).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Invites a local user or a key.
#[utoipa::path(
    post, path = "/api/v1/communities/{community}/invite", tag = "communities",
    params(("community" = String, Path, description = "id or name")),
    request_body = MemberRequest,
    responses(
        (status = 204, description = "invited"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["write"]), ("session" = []))
)]
pub async fn invite(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path(community): Path<String>,
    Json(request): Json<MemberRequest>,
) -> Result<StatusCode, Problem> {
    state
        .node
        .invite(&caller.user, &community, &request.member)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Approves a pending join request.
#[utoipa::path(
    post, path = "/api/v1/communities/{community}/approve", tag = "communities",
    params(("community" = String, Path, description = "id or name")),
    request_body = MemberRequest,
    responses(
        (status = 204, description = "approved"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["write"]), ("session" = []))
)]
pub async fn approve(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path(community): Path<String>,
    Json(request): Json<MemberRequest>,
) -> Result<StatusCode, Problem> {
    state
        .node
        .approve(&caller.user, &community, &request.member)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a member.
#[utoipa::path(
    post, path = "/api/v1/communities/{community}/remove", tag = "communities",
    params(("community" = String, Path, description = "id or name")),
    request_body = MemberRequest,
    responses(
        (status = 204, description = "removed"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["write"]), ("session" = []))
)]
pub async fn remove(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path(community): Path<String>,
    Json(request): Json<MemberRequest>,
) -> Result<StatusCode, Problem> {
    state
        .node
        .remove_member(&caller.user, &community, &request.member)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Changes a member's role (community admins only).
#[utoipa::path(
    put, path = "/api/v1/communities/{community}/members/{member}/role", tag = "communities",
    params(
        ("community" = String, Path, description = "id or name"),
        ("member" = String, Path, description = "user name or hex key"),
    ),
    request_body = RoleRequest,
    responses(
        (status = 204, description = "changed"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, description = "the caller's role does not allow it", body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["write"]), ("session" = []))
)]
pub async fn set_role(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path((community, member)): Path<(String, String)>,
    Json(request): Json<RoleRequest>,
) -> Result<StatusCode, Problem> {
    state
        .node
        .set_role(&caller.user, &community, &member, request.role)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replaces the policy (community admins only).
#[utoipa::path(
    put, path = "/api/v1/communities/{community}/policy", tag = "communities",
    params(("community" = String, Path, description = "id or name")),
    request_body = PolicyRequest,
    responses(
        (status = 204, description = "replaced"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["write"]), ("session" = []))
)]
pub async fn set_policy(
    State(state): State<AppState>,
    RequireCaller(caller): RequireCaller,
    Path(community): Path<String>,
    Json(request): Json<PolicyRequest>,
) -> Result<StatusCode, Problem> {
    state
        .node
        .set_policy(&caller.user, &community, &request.policy)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Follows a public community hosted elsewhere, as a read-only replica.
#[utoipa::path(
    post, path = "/api/v1/communities/{community}/follow", tag = "communities",
    params(("community" = String, Path, description = "community id (not a name)")),
    responses(
        (status = 200, body = FollowWire),
        (status = 400, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["write"]), ("session" = []))
)]
pub async fn follow(
    State(state): State<AppState>,
    RequireCaller(_caller): RequireCaller,
    Path(community): Path<String>,
) -> Result<axum::Json<FollowWire>, Problem> {
    let id = state.node.follow(&community).await?;
    Ok(axum::Json(FollowWire {
        following: id.to_hex(),
    }))
}
