//! The built-in `community` capability: reduces `community.*` records into the
//! `communities`, `members` and `invites` projections, and reads them back.

use commons_kernel::capability::{Findings, KindSpec, ValidationContext, Validator};
use std::collections::{HashMap, HashSet};

use commons_kernel::community::{
    CommunityInfo, CommunityValidator, Invite, MemberStatus, Membership,
};
use commons_kernel::record::Record;
use commons_kernel::{CommunityId, Entry, Handle, Policy, PublicKey, Role, Visibility};
use futures::future::BoxFuture;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::capability::Capability;
use crate::{Store, StoreError, bulk, parse_col};

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

    // Without this a batch that changes a membership and then relies on it
    // (a genesis and the joins after it, as replicas receive logs) would be
    // validated against the state before the batch.
    fn apply(&self, ctx: &mut ValidationContext, record: &Record) -> Result<(), Findings> {
        CommunityValidator.apply(ctx, record)
    }
}

impl Capability for CommunityCapability {
    fn projection_tables(&self) -> &'static [&'static str] {
        &["communities", "members", "invites"]
    }

    fn reduce<'c>(
        &'c self,
        conn: &'c mut AnyConnection,
        entries: &'c [Entry],
    ) -> BoxFuture<'c, Result<(), StoreError>> {
        Box::pin(reduce(conn, entries))
    }

    // `reduce` below loads the context for the run's keys, applies the run
    // and persists the difference: given both states it only persists.
    fn reduce_applied<'c>(
        &'c self,
        conn: &'c mut AnyConnection,
        entries: &'c [Entry],
        before: &'c ValidationContext,
        after: &'c ValidationContext,
    ) -> BoxFuture<'c, Result<(), StoreError>> {
        Box::pin(async move {
            let Some(first) = entries.first() else {
                return Ok(());
            };
            let community = first.record().record().community;
            persist(conn, community, before, after, created_ts(entries)).await
        })
    }
}

/// The genesis record's time, if the run holds the genesis.
fn created_ts(entries: &[Entry]) -> i64 {
    entries
        .iter()
        .map(|entry| entry.record().record())
        .find(|record| record.kind.as_str() == "community.create")
        .map_or(0, |record| record.ts.0)
}

/// Loads what the run's records read, lets the kernel apply them in order,
/// and writes back only what changed: the kernel's `apply` is the one
/// statement of what each kind does.
async fn reduce(conn: &mut AnyConnection, entries: &[Entry]) -> Result<(), StoreError> {
    let Some(first) = entries.first() else {
        return Ok(());
    };
    let community = first.record().record().community;
    let before = load_context(conn, community, &run_keys(entries)).await?;
    let mut ctx = before.clone();
    apply_run(&mut ctx, entries)?;
    persist(conn, community, &before, &ctx, created_ts(entries)).await
}

/// Whether `capability` is this crate's [`CommunityCapability`], whose
/// reducer [`ReplayMirror`] may stand in for. The registry refuses a second
/// capability named `community`, and `with_kernel` registers this one.
pub(crate) fn is_builtin(capability: &dyn Capability) -> bool {
    capability.capability() == CommunityValidator.capability()
        && std::ptr::eq(capability.kinds(), CommunityValidator.kinds())
        && std::ptr::eq(
            capability.projection_tables(),
            CommunityCapability.projection_tables(),
        )
}

/// The `community` reducer for a replay of one log: replay starts from
/// emptied tables and this mirror applies every run, so the state [`reduce`]
/// would read back with [`load_context`] is already here. Each run loads and
/// applies exactly as `reduce` does; only the reads come from memory, and
/// the writes wait in the mirror until [`ReplayMirror::flush`]: the replay
/// flushes before any other capability's run (whose reducer may read these
/// tables) and at the end of the log. A log's invitations and joins then
/// reach the tables once each, in key order, instead of a few per page in
/// random order (B-tree splits all over the table).
#[derive(Debug, Default)]
pub(crate) struct ReplayMirror {
    community: Option<CommunityInfo>,
    memberships: MirroredRows<Membership>,
    invites: MirroredRows<Invite>,
    admin_count: u64,
    /// The genesis record's time, once a run held it.
    created_ts: i64,
    /// The `communities` row as last flushed.
    stored_community: Option<CommunityInfo>,
}

/// One table's rows of the log a [`ReplayMirror`] follows, and what of
/// them is still to be written.
#[derive(Debug)]
struct MirroredRows<V> {
    rows: HashMap<PublicKey, V>,
    /// Keys whose row changed since the last flush.
    dirty: HashSet<PublicKey>,
    /// Keys with a row in the table.
    stored: HashSet<PublicKey>,
}

impl<V> Default for MirroredRows<V> {
    fn default() -> MirroredRows<V> {
        MirroredRows {
            rows: HashMap::new(),
            dirty: HashSet::new(),
            stored: HashSet::new(),
        }
    }
}

impl<V: Clone + PartialEq> MirroredRows<V> {
    /// Applies what a run changed, from the state `before` it to `after`.
    fn update(&mut self, before: &HashMap<PublicKey, V>, after: &HashMap<PublicKey, V>) {
        let (upserts, deletes) = changed(before, after);
        for key in deletes {
            self.rows.remove(&key);
            self.dirty.insert(key);
        }
        for (key, value) in upserts {
            self.rows.insert(key, value.clone());
            self.dirty.insert(key);
        }
    }

    /// Empties the dirty set into the rows to write and the keys to
    /// delete (only keys with a row), and the keys among those rows that
    /// already have one; the table is taken to hold them all afterwards.
    fn take(&mut self) -> (Vec<(PublicKey, &V)>, Vec<PublicKey>, HashSet<PublicKey>) {
        let mut rows = Vec::new();
        let mut deletes = Vec::new();
        let mut updates = HashSet::new();
        for key in self.dirty.drain() {
            match self.rows.get(&key) {
                Some(value) => {
                    if !self.stored.insert(key) {
                        updates.insert(key);
                    }
                    rows.push((key, value));
                }
                None if self.stored.remove(&key) => deletes.push(key),
                None => {}
            }
        }
        (rows, deletes, updates)
    }
}

impl ReplayMirror {
    /// What [`load_context`] reads for `keys` from tables holding this state.
    fn context(&self, keys: &[PublicKey]) -> ValidationContext {
        let mut ctx = ValidationContext {
            community: self.community.clone(),
            admin_count: self.admin_count,
            ..ValidationContext::default()
        };
        for key in keys {
            if let Some(membership) = self.memberships.rows.get(key) {
                ctx.memberships.insert(*key, membership.clone());
            }
            if let Some(invite) = self.invites.rows.get(key) {
                ctx.invites.insert(*key, *invite);
            }
        }
        ctx
    }

    /// Applies one run of the log this mirror follows; its rows are written
    /// by the next [`ReplayMirror::flush`].
    pub(crate) fn reduce(&mut self, entries: &[Entry]) -> Result<(), StoreError> {
        let before = self.context(&run_keys(entries));
        let mut ctx = before.clone();
        apply_run(&mut ctx, entries)?;
        if before.community.is_none() && ctx.community.is_some() {
            self.created_ts = created_ts(entries);
        }
        self.memberships
            .update(&before.memberships, &ctx.memberships);
        self.invites.update(&before.invites, &ctx.invites);
        self.community = ctx.community;
        self.admin_count = ctx.admin_count;
        Ok(())
    }

    /// Writes what changed since the last flush to the tables of
    /// `community`, the log this mirror follows.
    pub(crate) async fn flush(
        &mut self,
        conn: &mut AnyConnection,
        community: CommunityId,
    ) -> Result<(), StoreError> {
        write_community(
            conn,
            community,
            self.stored_community.as_ref(),
            self.community.as_ref(),
            self.created_ts,
        )
        .await?;
        self.stored_community.clone_from(&self.community);
        let (rows, deletes, updates) = self.memberships.take();
        let stored = |key: &PublicKey| updates.contains(key);
        MEMBERS
            .write(conn, community, &deletes, rows, stored, bind_membership)
            .await?;
        let (rows, deletes, updates) = self.invites.take();
        let stored = |key: &PublicKey| updates.contains(key);
        INVITES
            .write(conn, community, &deletes, rows, stored, bind_invite)
            .await
    }
}

/// The keys a run's records read: their authors and subjects.
fn run_keys(entries: &[Entry]) -> Vec<PublicKey> {
    let mut keys = Vec::with_capacity(entries.len() * 2);
    for entry in entries {
        let record = entry.record().record();
        keys.push(record.author);
        keys.extend(CommunityValidator.subjects(record));
    }
    keys
}

/// Applies a run's records in order, each at its own sequence number.
fn apply_run(ctx: &mut ValidationContext, entries: &[Entry]) -> Result<(), StoreError> {
    for entry in entries {
        ctx.seq = entry.seq();
        CommunityValidator
            .apply(ctx, entry.record().record())
            .map_err(|e| StoreError::Corrupt(format!("entry {}: {e}", entry.seq())))?;
    }
    Ok(())
}

/// Writes the difference between two states of one community. `before`
/// holds every row of the keys the records touch, so a key it lacks has no
/// row yet.
async fn persist(
    conn: &mut AnyConnection,
    community: CommunityId,
    before: &ValidationContext,
    after: &ValidationContext,
    created_ts: i64,
) -> Result<(), StoreError> {
    write_community(
        conn,
        community,
        before.community.as_ref(),
        after.community.as_ref(),
        created_ts,
    )
    .await?;
    let (upserts, deletes) = changed(&before.memberships, &after.memberships);
    let stored = |key: &PublicKey| before.memberships.contains_key(key);
    MEMBERS
        .write(conn, community, &deletes, upserts, stored, bind_membership)
        .await?;
    let (upserts, deletes) = changed(&before.invites, &after.invites);
    let stored = |key: &PublicKey| before.invites.contains_key(key);
    INVITES
        .write(conn, community, &deletes, upserts, stored, bind_invite)
        .await
}

/// Writes the `communities` row when `new` differs from `old`, what the
/// table holds.
async fn write_community(
    conn: &mut AnyConnection,
    community: CommunityId,
    old: Option<&CommunityInfo>,
    new: Option<&CommunityInfo>,
    created_ts: i64,
) -> Result<(), StoreError> {
    let id = community.to_hex();
    match (old, new) {
        (None, Some(info)) => {
            let policy = serde_json::to_string(&info.policy).expect("policy serializes");
            sqlx::query(
                "INSERT INTO communities (community_id, name, visibility, policy, home_node, community_key, created_ts) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&id)
            .bind(info.name.as_str())
            .bind(info.visibility.to_string())
            .bind(policy)
            .bind(info.home.to_hex())
            .bind(info.key.to_hex())
            .bind(created_ts)
            .execute(&mut *conn)
            .await?;
        }
        (Some(old), Some(new)) if old.policy != new.policy || old.home != new.home => {
            let policy = serde_json::to_string(&new.policy).expect("policy serializes");
            sqlx::query(
                "UPDATE communities SET policy = $2, home_node = $3 WHERE community_id = $1",
            )
            .bind(&id)
            .bind(policy)
            .bind(new.home.to_hex())
            .execute(&mut *conn)
            .await?;
        }
        _ => {}
    }
    Ok(())
}

/// The `members` projection.
const MEMBERS: KeyedTable = KeyedTable {
    table: "members",
    key: "member_key",
    columns: "name, role, status, since_seq",
    conflict: "DO UPDATE SET name = excluded.name, role = excluded.role, \
               status = excluded.status, since_seq = excluded.since_seq",
    width: 6,
};

/// The `invites` projection.
const INVITES: KeyedTable = KeyedTable {
    table: "invites",
    key: "invitee_key",
    columns: "inviter_key, seq",
    conflict: "DO UPDATE SET inviter_key = excluded.inviter_key, seq = excluded.seq",
    width: 4,
};

fn bind_membership<'q>(query: bulk::AnyQuery<'q>, m: &'q Membership) -> bulk::AnyQuery<'q> {
    query
        .bind(m.name.as_str())
        .bind(m.role.to_string())
        .bind(status_text(m.status))
        .bind(m.since_seq as i64)
}

fn bind_invite<'q>(query: bulk::AnyQuery<'q>, invite: &'q Invite) -> bulk::AnyQuery<'q> {
    query.bind(invite.inviter.to_hex()).bind(invite.seq as i64)
}

/// A projection table keyed by (community_id, key).
struct KeyedTable {
    table: &'static str,
    /// The key column.
    key: &'static str,
    /// The columns after the two key columns.
    columns: &'static str,
    /// What an upsert does on a key the table holds.
    conflict: &'static str,
    /// Parameters per row, key columns included.
    width: usize,
}

impl KeyedTable {
    /// Deletes the rows of `deletes` and writes `rows`, new or changed
    /// values of one community's keys: keys without a row (`stored` says
    /// which have one) with a plain insert, the others with an upsert. On
    /// SQLite the plain insert needs no statement journal (see
    /// [`bulk::insert_into`]); an upsert of several rows always keeps one.
    /// Rows go in key order, so each statement touches neighbouring pages.
    async fn write<V>(
        &self,
        conn: &mut AnyConnection,
        community: CommunityId,
        deletes: &[PublicKey],
        mut rows: Vec<(PublicKey, &V)>,
        stored: impl Fn(&PublicKey) -> bool,
        bind: impl for<'q> Fn(bulk::AnyQuery<'q>, &'q V) -> bulk::AnyQuery<'q>,
    ) -> Result<(), StoreError> {
        let id = community.to_hex();
        delete_keys(conn, self.table, self.key, &id, deletes).await?;
        rows.sort_unstable_by_key(|(key, _)| *key);
        let (updates, inserts): (Vec<_>, Vec<_>) =
            rows.into_iter().partition(|(key, _)| stored(key));
        let (table, key, columns) = (self.table, self.key, self.columns);
        let upsert = format!("ON CONFLICT (community_id, {key}) {}", self.conflict);
        let statements = [
            (bulk::insert_into(conn), "", inserts),
            ("INSERT INTO", upsert.as_str(), updates),
        ];
        for (verb, tail, rows) in statements {
            let head = format!("{verb} {table} (community_id, {key}, {columns})");
            bulk::insert_rows(
                conn,
                &head,
                tail,
                self.width,
                &rows,
                |query, (key, value)| bind(query.bind(id.clone()).bind(key.to_hex()), *value),
            )
            .await?;
        }
        Ok(())
    }
}

/// Keys whose value is new or different, and keys that were removed.
fn changed<'a, V: PartialEq>(
    before: &HashMap<PublicKey, V>,
    after: &'a HashMap<PublicKey, V>,
) -> (Vec<(PublicKey, &'a V)>, Vec<PublicKey>) {
    let upserts = after
        .iter()
        .filter(|(key, value)| before.get(key) != Some(value))
        .map(|(key, value)| (*key, value))
        .collect();
    let deletes = before
        .keys()
        .filter(|key| !after.contains_key(key))
        .copied()
        .collect();
    (upserts, deletes)
}

async fn delete_keys(
    conn: &mut AnyConnection,
    table: &str,
    column: &str,
    community: &str,
    keys: &[PublicKey],
) -> Result<(), StoreError> {
    let params = bulk::Params::of(conn);
    for chunk in keys.chunks(bulk::ROWS_PER_STATEMENT) {
        let sql = format!(
            "DELETE FROM {table} WHERE community_id = {} AND {column} IN ({})",
            params.list(1, 1),
            params.list(2, chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(community);
        for key in chunk {
            query = query.bind(key.to_hex());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

fn status_text(status: MemberStatus) -> &'static str {
    match status {
        MemberStatus::Active => "active",
        MemberStatus::Pending => "pending",
    }
}

/// What validating or reducing records about `keys` reads: the community,
/// the keys' memberships and invitations, and the number of active admins.
pub async fn load_context(
    conn: &mut AnyConnection,
    community: CommunityId,
    keys: &[PublicKey],
) -> Result<ValidationContext, StoreError> {
    let mut unique: Vec<PublicKey> = keys.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let id = community.to_hex();
    // The community and its active admins in one statement: every append
    // starts here.
    let row = sqlx::query(&format!(
        "SELECT {INFO_COLUMNS}, {ADMIN_COUNT} AS admins FROM communities c WHERE community_id = $1"
    ))
    .bind(&id)
    .fetch_optional(&mut *conn)
    .await?;
    let mut ctx = ValidationContext::default();
    if let Some(row) = row {
        let admins: i64 = row.try_get("admins")?;
        ctx.community = Some(info_row(&row)?);
        ctx.admin_count = admins as u64;
    }
    let params = bulk::Params::of(conn);
    let first = params.list(1, 1);
    for chunk in unique.chunks(bulk::ROWS_PER_STATEMENT) {
        let list = params.list(2, chunk.len());
        let sql = format!(
            "SELECT member_key, name, role, status, since_seq FROM members \
             WHERE community_id = {first} AND member_key IN ({list})"
        );
        let mut query = sqlx::query(&sql).bind(&id);
        for key in chunk {
            query = query.bind(key.to_hex());
        }
        for row in query.fetch_all(&mut *conn).await? {
            let member = member_row(&row)?;
            ctx.memberships.insert(member.key, membership(member)?);
        }
        let sql = format!(
            "SELECT invitee_key, inviter_key, seq FROM invites \
             WHERE community_id = {first} AND invitee_key IN ({list})"
        );
        let mut query = sqlx::query(&sql).bind(&id);
        for key in chunk {
            query = query.bind(key.to_hex());
        }
        for row in query.fetch_all(&mut *conn).await? {
            let seq: i64 = row.try_get("seq")?;
            let invite = Invite {
                inviter: parse_col(&row, "inviter_key")?,
                seq: seq as u64,
            };
            ctx.invites.insert(parse_col(&row, "invitee_key")?, invite);
        }
    }
    Ok(ctx)
}

fn membership(member: MemberRow) -> Result<Membership, StoreError> {
    Ok(Membership {
        name: Handle::parse(&member.name).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        role: member.role,
        status: member.status,
        since_seq: member.since_seq,
    })
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
    let ctx = load_context(conn, community, &[key]).await?;
    Ok(ctx.memberships.get(&key).cloned())
}

/// The number of active admins of the community `c` of the enclosing
/// query, counted in the `members_active_admins` partial index.
const ADMIN_COUNT: &str = "(SELECT COUNT(*) FROM members m WHERE m.community_id = c.community_id \
     AND m.role = 'admin' AND m.status = 'active')";

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

    /// One community's genesis facts and current policy, without the counts
    /// [`Store::community`] adds: the sync paths ask this for every peer
    /// request and every tick.
    pub async fn community_info(
        &self,
        community: CommunityId,
    ) -> Result<Option<CommunityInfo>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        load_info(&mut conn, community).await
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

    /// Unused invitations of a community, by invitee key.
    pub async fn invites(
        &self,
        community: CommunityId,
    ) -> Result<Vec<(PublicKey, Invite)>, StoreError> {
        let rows = sqlx::query(
            "SELECT invitee_key, inviter_key, seq FROM invites WHERE community_id = $1 \
             ORDER BY invitee_key",
        )
        .bind(community.to_hex())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let seq: i64 = row.try_get("seq")?;
                let invite = Invite {
                    inviter: parse_col(row, "inviter_key")?,
                    seq: seq as u64,
                };
                Ok((parse_col(row, "invitee_key")?, invite))
            })
            .collect()
    }

    /// Whether `key` holds an unused invitation.
    pub async fn is_invited(
        &self,
        community: CommunityId,
        key: PublicKey,
    ) -> Result<bool, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let ctx = load_context(&mut conn, community, &[key]).await?;
        Ok(ctx.invites.contains_key(&key))
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
