//! Node-local bookkeeping: key/value metadata, the encrypted secret keys of
//! communities this node is home for, and followed communities.

use commons_kernel::CommunityId;
use sqlx::Row;

use crate::{Store, StoreError, parse_col};

impl Store {
    /// A metadata value.
    pub async fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT value FROM node_meta WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|row| row.try_get("value")).transpose()?)
    }

    /// Sets a metadata value.
    pub async fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.execute_write(sqlx::query("INSERT INTO node_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = $2")
            .bind(key)
            .bind(value)
            )
            .await?;
        Ok(())
    }

    /// Stores a community's encrypted secret key.
    pub async fn put_community_secret(
        &self,
        community: CommunityId,
        secret_enc: &str,
    ) -> Result<(), StoreError> {
        self.execute_write(
            sqlx::query("INSERT INTO community_secrets (community_id, secret_enc) VALUES ($1, $2)")
                .bind(community.to_hex())
                .bind(secret_enc),
        )
        .await?;
        Ok(())
    }

    /// A community's encrypted secret key, when this node is its home.
    pub async fn community_secret(
        &self,
        community: CommunityId,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT secret_enc FROM community_secrets WHERE community_id = $1")
            .bind(community.to_hex())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|row| row.try_get("secret_enc")).transpose()?)
    }

    /// Records that this node follows a public community. Idempotent.
    pub async fn follow(&self, community: CommunityId, now_ms: i64) -> Result<(), StoreError> {
        self.execute_write(sqlx::query("INSERT INTO follows (community_id, since_ts) VALUES ($1, $2) ON CONFLICT (community_id) DO NOTHING")
            .bind(community.to_hex())
            .bind(now_ms)
            )
            .await?;
        Ok(())
    }

    /// Communities this node follows, with when it started.
    pub async fn follows(&self) -> Result<Vec<(CommunityId, i64)>, StoreError> {
        let rows = sqlx::query("SELECT community_id, since_ts FROM follows ORDER BY community_id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| Ok((parse_col(row, "community_id")?, row.try_get("since_ts")?)))
            .collect()
    }
}
