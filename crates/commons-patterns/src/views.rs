//! Read queries over the pattern projections, returning plain data.

use std::collections::HashMap;

use commons_fingerprint::SharedFingerprint;
use commons_kernel::{CommunityId, PublicKey};
use commons_store::{Store, StoreError, bulk};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::records::{Impact, Properties, Severity, State};
use crate::reduce::key_of;

/// A pattern as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternSummary {
    /// Its id: the submission's record id.
    pub id: String,
    /// Sequence number of the submission.
    pub seq: u64,
    /// The submitter, `None` when anonymous.
    pub author: Option<PublicKey>,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Language name.
    pub language: String,
    /// Properties.
    pub properties: Properties,
    /// Normalized tokens of the pattern.
    pub token_count: u32,
    /// Keyed hashes shared.
    pub hash_count: u32,
    /// Key epoch of the hashes.
    pub key_epoch: u32,
    /// Review state.
    pub state: State,
    /// Submission time, milliseconds since the epoch.
    pub submitted_ts: i64,
    /// Members voting for.
    pub votes_for: u32,
    /// Members voting against.
    pub votes_against: u32,
    /// Expert approvals.
    pub approvals: u32,
}

/// Which patterns to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only this state.
    pub state: Option<State>,
    /// Only this language.
    pub language: Option<String>,
    /// Only this category.
    pub category: Option<String>,
    /// Only this severity or worse.
    pub min_severity: Option<Severity>,
    /// Words that must all appear in the title, description or category.
    pub query: Option<String>,
    /// Most rows.
    pub limit: u32,
}

/// One member's vote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteRow {
    /// The voter.
    pub voter: PublicKey,
    /// +1 or -1.
    pub vote: i64,
    /// Sequence number of the vote.
    pub seq: u64,
}

/// One state change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionRow {
    /// Sequence number of the record.
    pub seq: u64,
    /// The new state.
    pub state: State,
    /// Why.
    pub reason: String,
    /// When, milliseconds since the epoch.
    pub ts: i64,
}

/// How much of a pattern's hash set a probe set shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlap {
    /// The pattern.
    pub pattern: String,
    /// Hashes in both.
    pub shared: u32,
    /// The pattern's hash count.
    pub hash_count: u32,
}

const SUMMARY: &str = "SELECT p.pattern_id, p.seq, p.author_key, p.title, p.description, p.language, \
    p.severity, p.category, p.performance, p.security, p.token_count, p.hash_count, p.key_epoch, \
    p.state, p.submitted_ts, \
    (SELECT COUNT(*) FROM pattern_votes v WHERE v.community_id = p.community_id AND v.pattern_id = p.pattern_id AND v.vote > 0) AS n_for, \
    (SELECT COUNT(*) FROM pattern_votes v WHERE v.community_id = p.community_id AND v.pattern_id = p.pattern_id AND v.vote < 0) AS n_against, \
    (SELECT COUNT(*) FROM pattern_approvals a WHERE a.community_id = p.community_id AND a.pattern_id = p.pattern_id) AS n_approvals \
    FROM patterns p";

/// Patterns of a community matching `filter`, newest first.
pub async fn list(
    store: &Store,
    community: CommunityId,
    filter: &Filter,
) -> Result<Vec<PatternSummary>, StoreError> {
    let mut sql = format!("{SUMMARY} WHERE p.community_id = $1");
    let mut binds: Vec<String> = vec![community.to_hex()];
    let mut push = |sql: &mut String, clause: &str, value: String| {
        binds.push(value);
        sql.push_str(&clause.replace('?', &format!("${}", binds.len())));
    };
    if let Some(state) = filter.state {
        push(&mut sql, " AND p.state = ?", state.as_str().to_owned());
    }
    if let Some(language) = &filter.language {
        push(&mut sql, " AND p.language = ?", language.clone());
    }
    if let Some(category) = &filter.category {
        push(&mut sql, " AND p.category = ?", category.clone());
    }
    if let Some(min) = filter.min_severity {
        let worse: Vec<String> = [
            Severity::Info,
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ]
        .into_iter()
        .filter(|severity| *severity >= min)
        .map(|severity| format!("'{}'", severity.as_str()))
        .collect();
        sql.push_str(&format!(" AND p.severity IN ({})", worse.join(", ")));
    }
    if let Some(query) = &filter.query {
        for word in query.split_whitespace().take(8) {
            let like = format!("%{}%", word.to_lowercase().replace(['\\', '%', '_'], ""));
            binds.push(like);
            let n = binds.len();
            sql.push_str(&format!(
                " AND (LOWER(p.title) LIKE ${n} OR LOWER(p.description) LIKE ${n} OR p.category LIKE ${n})"
            ));
        }
    }
    let limit = if filter.limit == 0 {
        100
    } else {
        filter.limit.min(1000)
    };
    sql.push_str(&format!(" ORDER BY p.seq DESC LIMIT {limit}"));
    let mut query = sqlx::query(&sql);
    for value in &binds {
        query = query.bind(value.as_str());
    }
    let rows = query.fetch_all(store.pool()).await?;
    rows.iter().map(summary_row).collect()
}

/// One pattern.
pub async fn get(
    store: &Store,
    community: CommunityId,
    pattern: &str,
) -> Result<Option<PatternSummary>, StoreError> {
    let row = sqlx::query(&format!(
        "{SUMMARY} WHERE p.community_id = $1 AND p.pattern_id = $2"
    ))
    .bind(community.to_hex())
    .bind(pattern)
    .fetch_optional(store.pool())
    .await?;
    row.as_ref().map(summary_row).transpose()
}

/// A pattern's shared fingerprint.
pub async fn fingerprint(
    store: &Store,
    community: CommunityId,
    pattern: &str,
) -> Result<Option<SharedFingerprint>, StoreError> {
    let row =
        sqlx::query("SELECT fingerprint FROM patterns WHERE community_id = $1 AND pattern_id = $2")
            .bind(community.to_hex())
            .bind(pattern)
            .fetch_optional(store.pool())
            .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let text: String = row.try_get("fingerprint")?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| StoreError::Corrupt(format!("pattern {pattern} fingerprint: {e}")))
}

/// The accepted patterns of a community with their fingerprints: its library.
pub async fn accepted(
    store: &Store,
    community: CommunityId,
) -> Result<Vec<(PatternSummary, SharedFingerprint)>, StoreError> {
    let rows = sqlx::query(&format!(
        "{SUMMARY} WHERE p.community_id = $1 AND p.state = 'accepted' ORDER BY p.seq"
    ))
    .bind(community.to_hex())
    .fetch_all(store.pool())
    .await?;
    let fingerprints = sqlx::query(
        "SELECT pattern_id, fingerprint FROM patterns WHERE community_id = $1 AND state = 'accepted'",
    )
    .bind(community.to_hex())
    .fetch_all(store.pool())
    .await?;
    let mut by_id: HashMap<String, SharedFingerprint> = HashMap::new();
    for row in &fingerprints {
        let id: String = row.try_get("pattern_id")?;
        let text: String = row.try_get("fingerprint")?;
        let fingerprint = serde_json::from_str(&text)
            .map_err(|e| StoreError::Corrupt(format!("pattern {id} fingerprint: {e}")))?;
        by_id.insert(id, fingerprint);
    }
    let mut library = Vec::with_capacity(rows.len());
    for row in &rows {
        let summary = summary_row(row)?;
        if let Some(fingerprint) = by_id.remove(&summary.id) {
            library.push((summary, fingerprint));
        }
    }
    Ok(library)
}

/// The rows of one of a pattern's history tables (votes, approvals,
/// transitions), in log order.
async fn in_log_order(
    store: &Store,
    columns: &str,
    table: &str,
    community: CommunityId,
    pattern: &str,
) -> Result<Vec<AnyRow>, StoreError> {
    let sql = format!(
        "SELECT {columns} FROM {table} WHERE community_id = $1 AND pattern_id = $2 ORDER BY seq"
    );
    Ok(sqlx::query(&sql)
        .bind(community.to_hex())
        .bind(pattern)
        .fetch_all(store.pool())
        .await?)
}

/// Votes on a pattern, in log order.
pub async fn votes(
    store: &Store,
    community: CommunityId,
    pattern: &str,
) -> Result<Vec<VoteRow>, StoreError> {
    let rows = in_log_order(
        store,
        "voter_key, vote, seq",
        "pattern_votes",
        community,
        pattern,
    )
    .await?;
    rows.iter()
        .map(|row| {
            let voter: String = row.try_get("voter_key")?;
            let seq: i64 = row.try_get("seq")?;
            Ok(VoteRow {
                voter: key_of(&voter)?,
                vote: row.try_get("vote")?,
                seq: seq as u64,
            })
        })
        .collect()
}

/// Experts who approved a pattern, in log order.
pub async fn approvals(
    store: &Store,
    community: CommunityId,
    pattern: &str,
) -> Result<Vec<PublicKey>, StoreError> {
    let rows = in_log_order(store, "expert_key", "pattern_approvals", community, pattern).await?;
    rows.iter()
        .map(|row| {
            let key: String = row.try_get("expert_key")?;
            key_of(&key)
        })
        .collect()
}

/// A pattern's state changes, in log order.
pub async fn transitions(
    store: &Store,
    community: CommunityId,
    pattern: &str,
) -> Result<Vec<TransitionRow>, StoreError> {
    let rows = in_log_order(
        store,
        "seq, state, reason, ts",
        "pattern_transitions",
        community,
        pattern,
    )
    .await?;
    rows.iter()
        .map(|row| {
            let seq: i64 = row.try_get("seq")?;
            let state: String = row.try_get("state")?;
            Ok(TransitionRow {
                seq: seq as u64,
                state: state.parse().map_err(StoreError::Corrupt)?,
                reason: row.try_get("reason")?,
                ts: row.try_get("ts")?,
            })
        })
        .collect()
}

/// Patterns linked to `pattern` as near-duplicates, either way.
pub async fn links(
    store: &Store,
    community: CommunityId,
    pattern: &str,
) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query(
        "SELECT similar_id AS other FROM pattern_links WHERE community_id = $1 AND pattern_id = $2 \
         UNION SELECT pattern_id AS other FROM pattern_links WHERE community_id = $1 AND similar_id = $2 \
         ORDER BY other",
    )
    .bind(community.to_hex())
    .bind(pattern)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| row.try_get("other").map_err(StoreError::from))
        .collect()
}

/// Patterns sharing at least one of `hashes`, with how many they share.
pub async fn overlaps(
    store: &Store,
    community: CommunityId,
    hashes: &[u64],
) -> Result<Vec<Overlap>, StoreError> {
    let mut conn = store.pool().acquire().await?;
    let params = bulk::Params::of(&conn);
    let mut shared: HashMap<String, u32> = HashMap::new();
    for chunk in hashes.chunks(bulk::ROWS_PER_STATEMENT) {
        let sql = format!(
            "SELECT pattern_id FROM pattern_hashes WHERE community_id = {} AND hash IN ({})",
            params.list(1, 1),
            params.list(2, chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(community.to_hex());
        for hash in chunk {
            query = query.bind(format!("{hash:016x}"));
        }
        for row in query.fetch_all(&mut *conn).await? {
            let id: String = row.try_get("pattern_id")?;
            *shared.entry(id).or_default() += 1;
        }
    }
    let mut overlaps = Vec::with_capacity(shared.len());
    for (pattern, shared) in shared {
        let row = sqlx::query(
            "SELECT hash_count FROM patterns WHERE community_id = $1 AND pattern_id = $2",
        )
        .bind(community.to_hex())
        .bind(&pattern)
        .fetch_one(&mut *conn)
        .await?;
        let hash_count: i64 = row.try_get("hash_count")?;
        overlaps.push(Overlap {
            pattern,
            shared,
            hash_count: hash_count as u32,
        });
    }
    overlaps.sort_by(|a, b| b.shared.cmp(&a.shared).then(a.pattern.cmp(&b.pattern)));
    Ok(overlaps)
}

/// Members with expertise in a language and category, best first: two
/// points per accepted pattern they submitted there, one per vote they cast
/// on a pattern there.
pub async fn expertise(
    store: &Store,
    community: CommunityId,
    language: &str,
    category: &str,
) -> Result<Vec<(PublicKey, u32)>, StoreError> {
    let rows = sqlx::query(
        "SELECT author_key AS member, 2 * COUNT(*) AS points FROM patterns \
         WHERE community_id = $1 AND language = $2 AND category = $3 AND state = 'accepted' \
         AND author_key IS NOT NULL GROUP BY author_key \
         UNION ALL \
         SELECT v.voter_key AS member, COUNT(*) AS points FROM pattern_votes v \
         JOIN patterns p ON p.community_id = v.community_id AND p.pattern_id = v.pattern_id \
         WHERE v.community_id = $1 AND p.language = $2 AND p.category = $3 GROUP BY v.voter_key",
    )
    .bind(community.to_hex())
    .bind(language)
    .bind(category)
    .fetch_all(store.pool())
    .await?;
    let mut points: HashMap<PublicKey, u32> = HashMap::new();
    for row in &rows {
        let member: String = row.try_get("member")?;
        let n: i64 = row.try_get("points")?;
        *points.entry(key_of(&member)?).or_default() += n as u32;
    }
    let mut ranked: Vec<(PublicKey, u32)> = points.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(ranked)
}

/// Number of patterns of a community.
pub async fn count(store: &Store, community: CommunityId) -> Result<u64, StoreError> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM patterns WHERE community_id = $1")
        .bind(community.to_hex())
        .fetch_one(store.pool())
        .await?;
    let n: i64 = row.try_get("n")?;
    Ok(n as u64)
}

/// Remembers, on the home node only, which local user an anonymous
/// submission came from.
pub async fn set_anonymous_author(
    store: &Store,
    community: CommunityId,
    pattern: &str,
    user: &str,
) -> Result<(), StoreError> {
    store.execute_write(sqlx::query(
        "INSERT INTO pattern_anonymous_authors (community_id, pattern_id, user_name) VALUES ($1, $2, $3) \
         ON CONFLICT (community_id, pattern_id) DO UPDATE SET user_name = excluded.user_name",
    )
    .bind(community.to_hex())
    .bind(pattern)
    .bind(user)
    )
    .await?;
    Ok(())
}

/// The local user behind an anonymous submission, if this node knows.
pub async fn anonymous_author(
    store: &Store,
    community: CommunityId,
    pattern: &str,
) -> Result<Option<String>, StoreError> {
    let row = sqlx::query(
        "SELECT user_name FROM pattern_anonymous_authors WHERE community_id = $1 AND pattern_id = $2",
    )
    .bind(community.to_hex())
    .bind(pattern)
    .fetch_optional(store.pool())
    .await?;
    row.map(|row| row.try_get("user_name").map_err(StoreError::from))
        .transpose()
}

fn summary_row(row: &AnyRow) -> Result<PatternSummary, StoreError> {
    let text = |column: &str| -> Result<String, StoreError> { Ok(row.try_get(column)?) };
    let int = |column: &str| -> Result<i64, StoreError> { Ok(row.try_get(column)?) };
    let author: Option<String> = row.try_get("author_key")?;
    Ok(PatternSummary {
        id: text("pattern_id")?,
        seq: int("seq")? as u64,
        author: author.as_deref().map(key_of).transpose()?,
        title: text("title")?,
        description: text("description")?,
        language: text("language")?,
        properties: Properties {
            severity: text("severity")?.parse().map_err(StoreError::Corrupt)?,
            category: text("category")?,
            performance: text("performance")?
                .parse::<Impact>()
                .map_err(StoreError::Corrupt)?,
            security: text("security")?
                .parse::<Impact>()
                .map_err(StoreError::Corrupt)?,
        },
        token_count: int("token_count")? as u32,
        hash_count: int("hash_count")? as u32,
        key_epoch: int("key_epoch")? as u32,
        state: text("state")?.parse().map_err(StoreError::Corrupt)?,
        submitted_ts: int("submitted_ts")?,
        votes_for: int("n_for")? as u32,
        votes_against: int("n_against")? as u32,
        approvals: int("n_approvals")? as u32,
    })
}

/// The ids of patterns whose id starts with `prefix` (hex), at most two:
/// enough to tell a unique prefix from an ambiguous one.
pub async fn ids_with_prefix(
    store: &Store,
    community: CommunityId,
    prefix: &str,
) -> Result<Vec<String>, StoreError> {
    if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(
        "SELECT pattern_id FROM patterns WHERE community_id = $1 AND pattern_id LIKE $2 \
         ORDER BY pattern_id LIMIT 2",
    )
    .bind(community.to_hex())
    .bind(format!("{}%", prefix.to_ascii_lowercase()))
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| row.try_get("pattern_id").map_err(StoreError::from))
        .collect()
}

/// The community's current key epoch: 0 until an administrator rotates it.
pub async fn current_epoch(store: &Store, community: CommunityId) -> Result<u32, StoreError> {
    let row = sqlx::query(
        "SELECT COALESCE(MAX(epoch), 0) AS epoch FROM pattern_key_epochs WHERE community_id = $1",
    )
    .bind(community.to_hex())
    .fetch_one(store.pool())
    .await?;
    let epoch: i64 = row.try_get("epoch")?;
    Ok(epoch as u32)
}

/// The highest submission sequence number of a community's patterns (0 when
/// it has none): where a duplicate precheck stood.
pub async fn last_pattern_seq(store: &Store, community: CommunityId) -> Result<u64, StoreError> {
    let row =
        sqlx::query("SELECT COALESCE(MAX(seq), 0) AS seq FROM patterns WHERE community_id = $1")
            .bind(community.to_hex())
            .fetch_one(store.pool())
            .await?;
    let seq: i64 = row.try_get("seq")?;
    Ok(seq as u64)
}

/// Overlaps of `hashes` (sorted ascending) with the patterns submitted after
/// `after_seq` only: the cheap recheck of a duplicate search done earlier.
pub async fn overlaps_since(
    store: &Store,
    community: CommunityId,
    hashes: &[u64],
    after_seq: u64,
) -> Result<Vec<Overlap>, StoreError> {
    let rows = sqlx::query(
        "SELECT pattern_id, fingerprint FROM patterns WHERE community_id = $1 AND seq > $2 ORDER BY seq",
    )
    .bind(community.to_hex())
    .bind(after_seq as i64)
    .fetch_all(store.pool())
    .await?;
    let mut overlaps = Vec::new();
    for row in &rows {
        let pattern: String = row.try_get("pattern_id")?;
        let text: String = row.try_get("fingerprint")?;
        let fingerprint: SharedFingerprint = serde_json::from_str(&text)
            .map_err(|e| StoreError::Corrupt(format!("pattern {pattern} fingerprint: {e}")))?;
        let shared = fingerprint
            .hashes
            .iter()
            .filter(|hash| hashes.binary_search(hash).is_ok())
            .count() as u32;
        if shared > 0 {
            overlaps.push(Overlap {
                pattern,
                shared,
                hash_count: fingerprint.hashes.len() as u32,
            });
        }
    }
    Ok(overlaps)
}

/// Opt-in match counts of one pattern, summed over reporters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchCounts {
    /// Matches over every period and reporter.
    pub total: u64,
    /// Distinct members who reported.
    pub reporters: u32,
    /// Per period (UTC day), newest first: matches and reporters.
    pub periods: Vec<PeriodCount>,
}

/// The aggregate of one period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodCount {
    /// The UTC day, `YYYY-MM-DD`.
    pub period: String,
    /// Matches reported for it.
    pub matches: u64,
    /// Members who reported for it.
    pub reporters: u32,
}

/// The aggregate opt-in match counts of a pattern: sums only, never who
/// reported what.
pub async fn match_counts(
    store: &Store,
    community: CommunityId,
    pattern: &str,
) -> Result<MatchCounts, StoreError> {
    let rows = sqlx::query(
        "SELECT period, CAST(SUM(matches) AS BIGINT) AS matches, COUNT(*) AS reporters FROM pattern_match_counts \
         WHERE community_id = $1 AND pattern_id = $2 GROUP BY period ORDER BY period DESC LIMIT 90",
    )
    .bind(community.to_hex())
    .bind(pattern)
    .fetch_all(store.pool())
    .await?;
    let mut counts = MatchCounts::default();
    for row in &rows {
        let matches: i64 = row.try_get("matches")?;
        let reporters: i64 = row.try_get("reporters")?;
        counts.periods.push(PeriodCount {
            period: row.try_get("period")?,
            matches: matches as u64,
            reporters: reporters as u32,
        });
    }
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(matches), 0) AS BIGINT) AS total, COUNT(DISTINCT reporter_key) AS reporters \
         FROM pattern_match_counts WHERE community_id = $1 AND pattern_id = $2",
    )
    .bind(community.to_hex())
    .bind(pattern)
    .fetch_one(store.pool())
    .await?;
    let total: i64 = row.try_get("total")?;
    let reporters: i64 = row.try_get("reporters")?;
    counts.total = total as u64;
    counts.reporters = reporters as u32;
    Ok(counts)
}
