//! `patterns.*` log entries into the projection tables, inside the append
//! transaction and by replay.
//!
//! The reducer is a function of the log alone: a vote for an unknown pattern,
//! a transition out of a final state or a withdrawal by someone other than
//! the submitter changes nothing, so whatever a home node appended replays
//! to the same rows.

use commons_kernel::community::body;
use commons_kernel::record::Record;
use commons_kernel::{Entry, PublicKey};
use commons_store::StoreError;
use sqlx::{AnyConnection, Row};

use crate::records::{
    APPROVE, COUNTS, CountsBody, PatternRef, ROTATE, RotateBody, SUBMIT, State, SubmitBody,
    TRANSITION, TransitionBody, VOTE, VoteBody, WITHDRAW,
};

/// Applies a run of entries of one community, in order.
pub async fn reduce(conn: &mut AnyConnection, entries: &[Entry]) -> Result<(), StoreError> {
    let Some(first) = entries.first() else {
        return Ok(());
    };
    let community = first.record().record().community;
    let home = commons_store::community::load_info(conn, community)
        .await?
        .map(|info| info.home);
    for entry in entries {
        let record = entry.record().record();
        let corrupt = |e: commons_kernel::Findings| {
            StoreError::Corrupt(format!("entry {}: {e}", entry.seq()))
        };
        let seq = entry.seq() as i64;
        let community_id = community.to_hex();
        match record.kind.as_str() {
            SUBMIT => {
                let submit = body::<SubmitBody>(record).map_err(corrupt)?;
                let pattern_id = entry.record().id().to_hex();
                insert_pattern(conn, &community_id, &pattern_id, seq, record, &submit).await?;
            }
            VOTE => {
                let vote = body::<VoteBody>(record).map_err(corrupt)?;
                if state_of(conn, &community_id, &vote.pattern)
                    .await?
                    .is_none_or(|(state, _)| state.is_final())
                {
                    continue;
                }
                sqlx::query(
                    "INSERT INTO pattern_votes (community_id, pattern_id, voter_key, vote, seq) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (community_id, pattern_id, voter_key) \
                     DO UPDATE SET vote = excluded.vote, seq = excluded.seq",
                )
                .bind(&community_id)
                .bind(&vote.pattern)
                .bind(record.author.to_hex())
                .bind(vote.vote)
                .bind(seq)
                .execute(&mut *conn)
                .await?;
            }
            APPROVE => {
                let approval = body::<PatternRef>(record).map_err(corrupt)?;
                if state_of(conn, &community_id, &approval.pattern)
                    .await?
                    .is_none_or(|(state, _)| state.is_final())
                {
                    continue;
                }
                sqlx::query(
                    "INSERT INTO pattern_approvals (community_id, pattern_id, expert_key, seq) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (community_id, pattern_id, expert_key) DO NOTHING",
                )
                .bind(&community_id)
                .bind(&approval.pattern)
                .bind(record.author.to_hex())
                .bind(seq)
                .execute(&mut *conn)
                .await?;
            }
            WITHDRAW => {
                let withdrawal = body::<PatternRef>(record).map_err(corrupt)?;
                let Some((state, author)) =
                    state_of(conn, &community_id, &withdrawal.pattern).await?
                else {
                    continue;
                };
                let by_submitter = author.as_deref() == Some(record.author.to_hex().as_str());
                let by_home = home == Some(record.author);
                if state.is_final() || !(by_submitter || by_home) {
                    continue;
                }
                set_state(
                    conn,
                    &community_id,
                    &withdrawal.pattern,
                    State::Withdrawn,
                    "withdrawn by its submitter",
                    seq,
                    record.ts.0,
                )
                .await?;
            }
            TRANSITION => {
                let transition = body::<TransitionBody>(record).map_err(corrupt)?;
                let Some((state, _)) = state_of(conn, &community_id, &transition.pattern).await?
                else {
                    continue;
                };
                if state.is_final() || state == transition.state {
                    continue;
                }
                set_state(
                    conn,
                    &community_id,
                    &transition.pattern,
                    transition.state,
                    &transition.reason,
                    seq,
                    record.ts.0,
                )
                .await?;
            }
            ROTATE => {
                let rotation = body::<RotateBody>(record).map_err(corrupt)?;
                // Epochs advance one at a time; a stale or skipping rotation
                // changes nothing.
                let current = current_epoch(conn, &community_id).await?;
                if i64::from(rotation.epoch) != current + 1 {
                    continue;
                }
                sqlx::query(
                    "INSERT INTO pattern_key_epochs (community_id, epoch, seq, ts) VALUES ($1, $2, $3, $4)",
                )
                .bind(&community_id)
                .bind(i64::from(rotation.epoch))
                .bind(seq)
                .bind(record.ts.0)
                .execute(&mut *conn)
                .await?;
            }
            COUNTS => {
                let counts = body::<CountsBody>(record).map_err(corrupt)?;
                let reporter = record.author.to_hex();
                for count in &counts.counts {
                    if state_of(conn, &community_id, &count.pattern)
                        .await?
                        .is_none()
                    {
                        continue;
                    }
                    sqlx::query(
                        "INSERT INTO pattern_match_counts (community_id, pattern_id, period, reporter_key, matches, seq) \
                         VALUES ($1, $2, $3, $4, $5, $6) \
                         ON CONFLICT (community_id, pattern_id, period, reporter_key) \
                         DO UPDATE SET matches = excluded.matches, seq = excluded.seq",
                    )
                    .bind(&community_id)
                    .bind(&count.pattern)
                    .bind(&counts.period)
                    .bind(&reporter)
                    .bind(i64::try_from(count.matches).unwrap_or(i64::MAX))
                    .bind(seq)
                    .execute(&mut *conn)
                    .await?;
                }
            }
            other => {
                return Err(StoreError::Corrupt(format!(
                    "entry {}: unknown patterns kind {other}",
                    entry.seq()
                )));
            }
        }
    }
    Ok(())
}

async fn insert_pattern(
    conn: &mut AnyConnection,
    community_id: &str,
    pattern_id: &str,
    seq: i64,
    record: &Record,
    submit: &SubmitBody,
) -> Result<(), StoreError> {
    let author: Option<String> = (!submit.anonymous).then(|| record.author.to_hex());
    let fingerprint = serde_json::to_string(&submit.fingerprint).expect("a fingerprint serializes");
    sqlx::query(
        "INSERT INTO patterns (community_id, pattern_id, seq, author_key, title, description, language, \
         severity, category, performance, security, token_count, hash_count, key_epoch, fingerprint, \
         state, state_seq, submitted_ts) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
         ON CONFLICT (community_id, pattern_id) DO NOTHING",
    )
    .bind(community_id)
    .bind(pattern_id)
    .bind(seq)
    .bind(author)
    .bind(&submit.title)
    .bind(&submit.description)
    .bind(&submit.language)
    .bind(submit.properties.severity.as_str())
    .bind(&submit.properties.category)
    .bind(submit.properties.performance.as_str())
    .bind(submit.properties.security.as_str())
    .bind(i64::from(submit.fingerprint.token_count))
    .bind(submit.fingerprint.hashes.len() as i64)
    .bind(i64::from(submit.fingerprint.key_epoch))
    .bind(fingerprint)
    .bind(State::Submitted.as_str())
    .bind(seq)
    .bind(record.ts.0)
    .execute(&mut *conn)
    .await?;
    commons_store::bulk::insert_rows(
        conn,
        "INSERT INTO pattern_hashes (community_id, hash, pattern_id)",
        "ON CONFLICT (community_id, hash, pattern_id) DO NOTHING",
        3,
        &submit.fingerprint.hashes,
        |query, hash| {
            query
                .bind(community_id.to_owned())
                .bind(format!("{hash:016x}"))
                .bind(pattern_id.to_owned())
        },
    )
    .await?;
    let mut similar = submit.similar.clone();
    similar.sort();
    similar.dedup();
    commons_store::bulk::insert_rows(
        conn,
        "INSERT INTO pattern_links (community_id, pattern_id, similar_id)",
        "ON CONFLICT (community_id, pattern_id, similar_id) DO NOTHING",
        3,
        &similar,
        |query, similar_id| {
            query
                .bind(community_id.to_owned())
                .bind(pattern_id.to_owned())
                .bind(similar_id.clone())
        },
    )
    .await?;
    Ok(())
}

/// The community's current key epoch (0 before any rotation).
async fn current_epoch(conn: &mut AnyConnection, community_id: &str) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "SELECT COALESCE(MAX(epoch), 0) AS epoch FROM pattern_key_epochs WHERE community_id = $1",
    )
    .bind(community_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("epoch")?)
}

/// A pattern's state and submitter key (`None` when anonymous).
async fn state_of(
    conn: &mut AnyConnection,
    community_id: &str,
    pattern_id: &str,
) -> Result<Option<(State, Option<String>)>, StoreError> {
    let row = sqlx::query(
        "SELECT state, author_key FROM patterns WHERE community_id = $1 AND pattern_id = $2",
    )
    .bind(community_id)
    .bind(pattern_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let state: String = row.try_get("state")?;
    let state = state.parse::<State>().map_err(StoreError::Corrupt)?;
    Ok(Some((state, row.try_get("author_key")?)))
}

async fn set_state(
    conn: &mut AnyConnection,
    community_id: &str,
    pattern_id: &str,
    state: State,
    reason: &str,
    seq: i64,
    ts: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE patterns SET state = $3, state_seq = $4 WHERE community_id = $1 AND pattern_id = $2",
    )
    .bind(community_id)
    .bind(pattern_id)
    .bind(state.as_str())
    .bind(seq)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO pattern_transitions (community_id, seq, pattern_id, state, reason, ts) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(community_id)
    .bind(seq)
    .bind(pattern_id)
    .bind(state.as_str())
    .bind(reason)
    .bind(ts)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Parses a hex key column.
pub(crate) fn key_of(text: &str) -> Result<PublicKey, StoreError> {
    text.parse()
        .map_err(|e| StoreError::Corrupt(format!("stored key {text:?}: {e}")))
}
