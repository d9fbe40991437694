//! The built-in `community` capability: reduces `community.*` records into the
//! `communities`, `members` and `invites` projections, and reads them back.

use commons_kernel::capability::{Findings, KindSpec, ValidationContext, Validator};
use commons_kernel::community::{
    CommunityInfo, CommunityValidator, CreateBody, JoinBody, JoinRule, MemberBody, MemberStatus,
    Membership, PolicyBody, RoleBody, body,
};
use commons_kernel::record::Record;
use commons_kernel::{CommunityId, Entry, Handle, Policy, PublicKey, Role, Visibility};
use futures::future::BoxFuture;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::capability::Capability;
use crate::{Store, StoreError, parse_col};

/// The `community` capability.
#[derive(Debug, Clone, Copy, Default)]
pub struct CommunityCapability;

/// A community as listed to users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunitySummary {
    /// Genesis facts and current policy.
    pub info: CommunityInfo,
    /// Active members.
    pub members: u64,
    /// Log length.
    pub entries: u64,
}

/// A member as listed to users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    /// The member's key.
    pub key: PublicKey,
    /// The name they joined with.
    pub name: String,
    /// Their role.
    pub role: Role,
    /// Active or pending.
    pub status: MemberStatus,
    /// Sequence number of the entry that made them what they are.
    pub since_seq: u64,
}

impl Validator for CommunityCapability {
    fn capability(&self) -> &'static str {
        CommunityValidator.capability()
    }

    fn kinds(&self) -> &'static [KindSpec] {
        CommunityValidator.kinds()
    }

    fn subjects(&self, record: &Record) -> Vec<PublicKey> {
        CommunityValidator.subjects(record)
    }

    fn validate(&self, ctx: &ValidationContext, record: &Record) -> Result<(), Findings> {
        CommunityValidator.validate(ctx, record)
    }
}

impl Capability for CommunityCapability {
    fn projection_tables(&self) -> &'static [&'static str] {
        &["communities", "members", "invites"]
    }

    fn reduce<'c>(
        &'c self,
        conn: &'c mut AnyConnection,
        entry: &'c Entry,
    ) -> BoxFuture<'c, Result<(), StoreError>> {
        Box::pin(reduce(conn, entry))
    }
}

async fn reduce(conn: &mut AnyConnection, entry: &Entry) -> Result<(), StoreError> {
    let record = entry.record().record();
    let community = record.community.to_hex();
    let author = record.author.to_hex();
    let seq = entry.seq() as i64;
    let corrupt = |e: Findings| StoreError::Corrupt(format!("entry {seq}: {e}"));
    match record.kind.as_str() {
        "community.create" => {
            let body: CreateBody = body(record).map_err(corrupt)?;
            let policy = serde_json::to_string(&body.policy).expect("policy serializes");
            sqlx::query(
                "INSERT INTO communities (community_id, name, visibility, policy, home_node, community_key, created_ts) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&community)
            .bind(body.name.as_str())
            .bind(body.visibility.to_string())
            .bind(policy)
            .bind(body.home.to_hex())
            .bind(body.key.to_hex())
            .bind(record.ts.0)
            .execute(&mut *conn)
            .await?;
            upsert_member(
                conn,
                &community,
                &author,
                body.creator.as_str(),
                Role::Admin,
                MemberStatus::Active,
                seq,
            )
            .await?;
        }
        "community.join" => {
            let body: JoinBody = body(record).map_err(corrupt)?;
            let info = load_info(conn, record.community)
                .await?
                .ok_or_else(|| StoreError::Corrupt(format!("entry {seq}: join before genesis")))?;
            let invited =
                sqlx::query("DELETE FROM invites WHERE community_id = $1 AND invitee_key = $2")
                    .bind(&community)
                    .bind(&author)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected()
                    > 0;
            let status = match info.policy.join {
                JoinRule::Approval if !invited => MemberStatus::Pending,
                _ => MemberStatus::Active,
            };
            upsert_member(
                conn,
                &community,
                &author,
                body.name.as_str(),
                Role::Member,
                status,
                seq,
            )
            .await?;
        }
        "community.leave" => {
            delete_member(conn, &community, &author).await?;
        }
        "community.remove" => {
            let body: MemberBody = body(record).map_err(corrupt)?;
            delete_member(conn, &community, &body.member.to_hex()).await?;
        }
        "community.invite" => {
            let body: MemberBody = body(record).map_err(corrupt)?;
            sqlx::query(
                "INSERT INTO invites (community_id, invitee_key, inviter_key, seq) VALUES ($1, $2, $3, $4)",
            )
            .bind(&community)
            .bind(body.member.to_hex())
            .bind(&author)
            .bind(seq)
            .execute(&mut *conn)
            .await?;
        }
        "community.approve" => {
            let body: MemberBody = body(record).map_err(corrupt)?;
            sqlx::query("UPDATE members SET status = 'active', since_seq = $3 WHERE community_id = $1 AND member_key = $2")
                .bind(&community)
                .bind(body.member.to_hex())
                .bind(seq)
                .execute(&mut *conn)
                .await?;
        }
        "community.role" => {
            let body: RoleBody = body(record).map_err(corrupt)?;
            sqlx::query("UPDATE members SET role = $3, since_seq = $4 WHERE community_id = $1 AND member_key = $2")
                .bind(&community)
                .bind(body.member.to_hex())
                .bind(body.role.to_string())
                .bind(seq)
                .execute(&mut *conn)
                .await?;
        }
        "community.policy" => {
            let body: PolicyBody = body(record).map_err(corrupt)?;
            let policy = serde_json::to_string(&body.policy).expect("policy serializes");
            sqlx::query("UPDATE communities SET policy = $2 WHERE community_id = $1")
                .bind(&community)
                .bind(policy)
                .execute(&mut *conn)
                .await?;
        }
        other => {
            return Err(StoreError::Corrupt(format!(
                "entry {seq}: unknown community kind {other}"
            )));
        }
    }
    Ok(())
}

async fn upsert_member(
    conn: &mut AnyConnection,
    community: &str,
    key: &str,
    name: &str,
    role: Role,
    status: MemberStatus,
    seq: i64,
) -> Result<(), StoreError> {
    let status = match status {
        MemberStatus::Active => "active",
        MemberStatus::Pending => "pending",
    };
    sqlx::query(
        "INSERT INTO members (community_id, member_key, name, role, status, since_seq) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (community_id, member_key) DO UPDATE SET name = $3, role = $4, status = $5, since_seq = $6",
    )
    .bind(community)
    .bind(key)
    .bind(name)
    .bind(role.to_string())
    .bind(status)
    .bind(seq)
    .execute(conn)
    .await?;
    Ok(())
}

async fn delete_member(
    conn: &mut AnyConnection,
    community: &str,
    key: &str,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM members WHERE community_id = $1 AND member_key = $2")
        .bind(community)
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

const INFO_COLUMNS: &str = "community_id, name, visibility, policy, home_node, community_key";

fn info_row(row: &AnyRow) -> Result<CommunityInfo, StoreError> {
    let name: String = row.try_get("name")?;
    let visibility: String = row.try_get("visibility")?;
    let policy: String = row.try_get("policy")?;
    Ok(CommunityInfo {
        id: parse_col(row, "community_id")?,
        name: Handle::parse(&name).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        key: parse_col(row, "community_key")?,
        home: parse_col(row, "home_node")?,
        visibility: visibility
            .parse::<Visibility>()
            .map_err(StoreError::Corrupt)?,
        policy: serde_json::from_str::<Policy>(&policy)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
    })
}

fn member_row(row: &AnyRow) -> Result<MemberRow, StoreError> {
    let role: String = row.try_get("role")?;
    let status: String = row.try_get("status")?;
    let since_seq: i64 = row.try_get("since_seq")?;
    Ok(MemberRow {
        key: parse_col(row, "member_key")?,
        name: row.try_get("name")?,
        role: role.parse().map_err(StoreError::Corrupt)?,
        status: match status.as_str() {
            "active" => MemberStatus::Active,
            "pending" => MemberStatus::Pending,
            other => return Err(StoreError::Corrupt(format!("member status {other:?}"))),
        },
        since_seq: since_seq as u64,
    })
}

/// The community's genesis facts and current policy.
pub async fn load_info(
    conn: &mut AnyConnection,
    community: CommunityId,
) -> Result<Option<CommunityInfo>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {INFO_COLUMNS} FROM communities WHERE community_id = $1"
    ))
    .bind(community.to_hex())
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(info_row).transpose()
}

/// A key's membership, if it has one.
pub async fn load_membership(
    conn: &mut AnyConnection,
    community: CommunityId,
    key: PublicKey,
) -> Result<Option<Membership>, StoreError> {
    let row = sqlx::query(
        "SELECT member_key, name, role, status, since_seq FROM members WHERE community_id = $1 AND member_key = $2",
    )
    .bind(community.to_hex())
    .bind(key.to_hex())
    .fetch_optional(conn)
    .await?;
    Ok(row
        .as_ref()
        .map(member_row)
        .transpose()?
        .map(|m| Membership {
            role: m.role,
            status: m.status,
        }))
}

/// Which of `keys` hold an unused invitation.
pub async fn load_invited(
    conn: &mut AnyConnection,
    community: CommunityId,
    keys: &[PublicKey],
) -> Result<Vec<PublicKey>, StoreError> {
    let mut invited = Vec::new();
    for key in keys {
        let row = sqlx::query(
            "SELECT 1 AS one FROM invites WHERE community_id = $1 AND invitee_key = $2",
        )
        .bind(community.to_hex())
        .bind(key.to_hex())
        .fetch_optional(&mut *conn)
        .await?;
        if row.is_some() {
            invited.push(*key);
        }
    }
    Ok(invited)
}

/// Number of active admins.
pub async fn admin_count(
    conn: &mut AnyConnection,
    community: CommunityId,
) -> Result<u64, StoreError> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM members WHERE community_id = $1 AND role = 'admin' AND status = 'active'",
    )
    .bind(community.to_hex())
    .fetch_one(conn)
    .await?;
    let n: i64 = row.try_get("n")?;
    Ok(n as u64)
}

impl Store {
    /// Every community with a genesis entry on this node, by name.
    pub async fn communities(&self) -> Result<Vec<CommunitySummary>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {INFO_COLUMNS}, \
             (SELECT COUNT(*) FROM members m WHERE m.community_id = c.community_id AND m.status = 'active') AS n_members, \
             (SELECT next_seq FROM log_heads h WHERE h.community_id = c.community_id) AS n_entries \
             FROM communities c ORDER BY name, community_id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(summary_row).collect()
    }

    /// One community.
    pub async fn community(
        &self,
        community: CommunityId,
    ) -> Result<Option<CommunitySummary>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {INFO_COLUMNS}, \
             (SELECT COUNT(*) FROM members m WHERE m.community_id = c.community_id AND m.status = 'active') AS n_members, \
             (SELECT next_seq FROM log_heads h WHERE h.community_id = c.community_id) AS n_entries \
             FROM communities c WHERE community_id = $1"
        ))
        .bind(community.to_hex())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(summary_row).transpose()
    }

    /// Communities named `name` (names are unique per home node only).
    pub async fn communities_named(&self, name: &str) -> Result<Vec<CommunityId>, StoreError> {
        let rows = sqlx::query(
            "SELECT community_id FROM communities WHERE name = $1 ORDER BY community_id",
        )
        .bind(name)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| parse_col(row, "community_id"))
            .collect()
    }

    /// Members and pending requests of a community, admins first.
    pub async fn members(&self, community: CommunityId) -> Result<Vec<MemberRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT member_key, name, role, status, since_seq FROM members WHERE community_id = $1 \
             ORDER BY CASE role WHEN 'admin' THEN 0 WHEN 'moderator' THEN 1 WHEN 'expert' THEN 2 ELSE 3 END, name",
        )
        .bind(community.to_hex())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(member_row).collect()
    }

    /// A key's membership in a community.
    pub async fn membership(
        &self,
        community: CommunityId,
        key: PublicKey,
    ) -> Result<Option<Membership>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        load_membership(&mut conn, community, key).await
    }

    /// Whether `key` holds an unused invitation.
    pub async fn is_invited(
        &self,
        community: CommunityId,
        key: PublicKey,
    ) -> Result<bool, StoreError> {
        let mut conn = self.pool.acquire().await?;
        Ok(!load_invited(&mut conn, community, &[key]).await?.is_empty())
    }
}

fn summary_row(row: &AnyRow) -> Result<CommunitySummary, StoreError> {
    let members: i64 = row.try_get("n_members")?;
    let entries: Option<i64> = row.try_get("n_entries")?;
    Ok(CommunitySummary {
        info: info_row(row)?,
        members: members as u64,
        entries: entries.unwrap_or(0) as u64,
    })
}
