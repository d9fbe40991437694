//! Communities as users see them: create, list, join, leave, invite, approve,
//! roles and policy. Every change is a record signed by the acting user.

use commons_kernel::community::{MemberStatus, Policy, TEMPLATES};
use commons_kernel::{CommunityId, Handle, PublicKey, Role, SecretKey, Visibility};
use commons_store::community::{CommunitySummary, MemberRow};
use serde_json::json;

use crate::accounts::User;
use crate::snapshots::Snapshot;
use crate::{Node, NodeError, now};

/// A community as shown to one viewer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunityView {
    /// Its id.
    pub id: CommunityId,
    /// Its name.
    pub name: Handle,
    /// The home node's key.
    pub home: PublicKey,
    /// Whether this node is its home.
    pub is_home: bool,
    /// Public or private.
    pub visibility: Visibility,
    /// Current policy.
    pub policy: Policy,
    /// Active members.
    pub members: u64,
    /// Log length.
    pub entries: u64,
    /// The viewer's role, if a member.
    pub role: Option<Role>,
    /// Whether the viewer's join request is pending.
    pub pending: bool,
}

impl Node {
    /// Creates a community with `creator` as its first admin, from a policy template.
    pub async fn create_community(
        &self,
        creator: &User,
        name: &str,
        visibility: Visibility,
        template: &str,
    ) -> Result<CommunityView, NodeError> {
        let name = Handle::parse(name).map_err(|e| NodeError::BadInput(e.to_string()))?;
        let policy = Policy::template(template).ok_or_else(|| {
            let names: Vec<&str> = TEMPLATES.iter().map(|(name, _)| *name).collect();
            NodeError::BadInput(format!(
                "unknown template {template:?}; choose one of {}",
                names.join(", ")
            ))
        })?;
        if self.find_home_community(name.as_str()).await?.is_some() {
            return Err(NodeError::Conflict(format!(
                "this node already hosts a community named {name}"
            )));
        }
        let community_key = SecretKey::generate();
        let id = community_key.public_key().community_id();
        self.store()
            .put_community_secret(id, &self.inner.wrap.wrap(&community_key))
            .await?;
        let body = json!({
            "name": name,
            "visibility": visibility,
            "policy": policy,
            "key": community_key.public_key(),
            "home": self.node_key(),
            "creator": creator.name,
        });
        self.submit(creator, id, "community.create", body, Vec::new())
            .await?;
        self.community(&id.to_hex(), Some(creator)).await
    }

    /// Communities the viewer may see: public ones and private ones they
    /// belong to.
    pub async fn communities(
        &self,
        viewer: Option<&User>,
    ) -> Result<Vec<CommunityView>, NodeError> {
        let mut views = Vec::new();
        for summary in self.store().communities().await? {
            let view = self.view(summary, viewer).await?;
            if view.visibility == Visibility::Public || view.role.is_some() || view.pending {
                views.push(view);
            }
        }
        Ok(views)
    }

    /// One community by id or name, if the viewer may see it. A private
    /// community is reported as not found to non-members.
    pub async fn community(
        &self,
        id_or_name: &str,
        viewer: Option<&User>,
    ) -> Result<CommunityView, NodeError> {
        let id = self.resolve_community(id_or_name).await?;
        let not_found = || NodeError::NotFound {
            what: "community",
            name: id_or_name.to_owned(),
        };
        let snapshot = self.snapshot(id).await?.ok_or_else(not_found)?;
        let view = self.view_of(&snapshot, viewer);
        if view.visibility == Visibility::Private && view.role.is_none() && !view.pending {
            let invited = match viewer {
                Some(user) => self.store().is_invited(id, user.public_key).await?,
                None => false,
            };
            if !invited {
                return Err(not_found());
            }
        }
        Ok(view)
    }

    /// Resolves a community id (32 hex characters) or a unique name.
    pub async fn resolve_community(&self, id_or_name: &str) -> Result<CommunityId, NodeError> {
        if let Ok(id) = id_or_name.parse::<CommunityId>() {
            return Ok(id);
        }
        let ids = self.store().communities_named(id_or_name).await?;
        match ids.as_slice() {
            [] => Err(NodeError::NotFound {
                what: "community",
                name: id_or_name.to_owned(),
            }),
            [id] => Ok(*id),
            _ => {
                // Prefer the one this node is home for.
                if let Some(id) = self.find_home_community(id_or_name).await? {
                    return Ok(id);
                }
                Err(NodeError::Ambiguous {
                    name: id_or_name.to_owned(),
                    candidates: ids.iter().map(CommunityId::to_hex).collect(),
                })
            }
        }
    }

    /// The community named `name` whose home is this node.
    pub async fn find_home_community(&self, name: &str) -> Result<Option<CommunityId>, NodeError> {
        for id in self.store().communities_named(name).await? {
            if let Some(summary) = self.store().community(id).await?
                && summary.info.home == self.node_key()
            {
                return Ok(Some(id));
            }
        }
        Ok(None)
    }

    async fn view(
        &self,
        summary: CommunitySummary,
        viewer: Option<&User>,
    ) -> Result<CommunityView, NodeError> {
        let membership = match viewer {
            Some(user) => self
                .store()
                .membership(summary.info.id, user.public_key)
                .await?
                .map(|m| (m.role, m.status)),
            None => None,
        };
        Ok(self.build_view(&summary, membership))
    }

    /// The view from a snapshot, whose member list holds the viewer's standing.
    fn view_of(&self, snapshot: &Snapshot, viewer: Option<&User>) -> CommunityView {
        let membership = viewer.and_then(|user| {
            snapshot
                .members
                .iter()
                .find(|member| member.key == user.public_key)
                .map(|member| (member.role, member.status))
        });
        self.build_view(&snapshot.summary, membership)
    }

    fn build_view(
        &self,
        summary: &CommunitySummary,
        membership: Option<(Role, MemberStatus)>,
    ) -> CommunityView {
        let info = &summary.info;
        CommunityView {
            id: info.id,
            name: info.name.clone(),
            home: info.home,
            is_home: info.home == self.node_key(),
            visibility: info.visibility,
            policy: info.policy.clone(),
            members: summary.members,
            entries: summary.entries,
            role: membership
                .filter(|(_, status)| *status == MemberStatus::Active)
                .map(|(role, _)| role),
            pending: membership.is_some_and(|(_, status)| status == MemberStatus::Pending),
        }
    }

    /// Members and pending requests, if the viewer may see the community.
    pub async fn members(
        &self,
        id_or_name: &str,
        viewer: Option<&User>,
    ) -> Result<Vec<MemberRow>, NodeError> {
        let view = self.community(id_or_name, viewer).await?;
        match self.snapshot(view.id).await? {
            Some(snapshot) => Ok(snapshot.members.clone()),
            None => Ok(self.store().members(view.id).await?),
        }
    }

    /// Joins, or asks to join, under the community's join rule.
    /// Away from the community's home node the join is queued for it and
    /// shows as pending until it comes back through sync.
    pub async fn join(&self, user: &User, id_or_name: &str) -> Result<CommunityView, NodeError> {
        let view = self.community(id_or_name, Some(user)).await?;
        self.submit_or_queue(
            user,
            view.id,
            "community.join",
            json!({ "name": user.name }),
        )
        .await?;
        self.community(&view.id.to_hex(), Some(user)).await
    }

    /// Leaves, or withdraws a join request.
    pub async fn leave(&self, user: &User, id_or_name: &str) -> Result<(), NodeError> {
        let view = self.community(id_or_name, Some(user)).await?;
        self.submit(user, view.id, "community.leave", json!({}), Vec::new())
            .await?;
        Ok(())
    }

    /// Invites a local user or a key.
    pub async fn invite(
        &self,
        user: &User,
        id_or_name: &str,
        invitee: &str,
    ) -> Result<(), NodeError> {
        self.member_record(user, id_or_name, invitee, "community.invite")
            .await
    }

    /// Approves a pending join request.
    pub async fn approve(
        &self,
        user: &User,
        id_or_name: &str,
        member: &str,
    ) -> Result<(), NodeError> {
        self.member_record(user, id_or_name, member, "community.approve")
            .await
    }

    /// Removes a member.
    pub async fn remove_member(
        &self,
        user: &User,
        id_or_name: &str,
        member: &str,
    ) -> Result<(), NodeError> {
        self.member_record(user, id_or_name, member, "community.remove")
            .await
    }

    /// Changes a member's role.
    pub async fn set_role(
        &self,
        user: &User,
        id_or_name: &str,
        member: &str,
        role: Role,
    ) -> Result<(), NodeError> {
        let view = self.community(id_or_name, Some(user)).await?;
        let key = self.resolve_key(member).await?;
        self.submit(
            user,
            view.id,
            "community.role",
            json!({ "member": key, "role": role }),
            Vec::new(),
        )
        .await?;
        Ok(())
    }

    /// Replaces the policy.
    pub async fn set_policy(
        &self,
        user: &User,
        id_or_name: &str,
        policy: &Policy,
    ) -> Result<(), NodeError> {
        let view = self.community(id_or_name, Some(user)).await?;
        self.submit(
            user,
            view.id,
            "community.policy",
            json!({ "policy": policy }),
            Vec::new(),
        )
        .await?;
        Ok(())
    }

    /// Follows a public community as a read-only replica. Its log arrives
    /// through sync from peers that replicate it.
    pub async fn follow(&self, id: &str) -> Result<CommunityId, NodeError> {
        let id: CommunityId = id.parse().map_err(|e: commons_kernel::id::IdError| {
            NodeError::BadInput(format!(
                "{e}; following needs the community's id, not its name"
            ))
        })?;
        if let Some(summary) = self.store().community(id).await?
            && summary.info.visibility == Visibility::Private
        {
            return Err(NodeError::Forbidden(
                "private communities cannot be followed; ask for an invitation".into(),
            ));
        }
        self.store().follow(id, now().0).await?;
        Ok(id)
    }

    /// Followed communities and when following began.
    pub async fn follows(&self) -> Result<Vec<(CommunityId, i64)>, NodeError> {
        Ok(self.store().follows().await?)
    }

    /// Appends a record of `kind` whose body names one member.
    async fn member_record(
        &self,
        user: &User,
        id_or_name: &str,
        member: &str,
        kind: &str,
    ) -> Result<(), NodeError> {
        let view = self.community(id_or_name, Some(user)).await?;
        let key = self.resolve_key(member).await?;
        self.submit(user, view.id, kind, json!({ "member": key }), Vec::new())
            .await?;
        Ok(())
    }

    /// A local user name or a hex public key.
    async fn resolve_key(&self, user_or_key: &str) -> Result<PublicKey, NodeError> {
        if let Ok(key) = user_or_key.parse::<PublicKey>() {
            return Ok(key);
        }
        Ok(self.user(user_or_key).await?.public_key)
    }
}
