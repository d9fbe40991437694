//! What a move to a new home node changes locally: the old home drops the
//! community secret, and the new home's outbox drops writes the log refuses.

use commons_kernel::{CommunityId, PublicKey, RecordId};

use crate::{Store, StoreError, parse_col};

impl Store {
    /// Forgets a community's encrypted secret key (this node is no longer
    /// its home). Returns whether there was one.
    pub async fn drop_community_secret(&self, community: CommunityId) -> Result<bool, StoreError> {
        let done = self
            .execute_write(
                sqlx::query("DELETE FROM community_secrets WHERE community_id = $1")
                    .bind(community.to_hex()),
            )
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Drops one record from the outbox (its community refuses it).
    pub async fn drop_outbox(
        &self,
        community: CommunityId,
        id: RecordId,
    ) -> Result<(), StoreError> {
        self.execute_write(
            sqlx::query("DELETE FROM sync_outbox WHERE community_id = $1 AND record_id = $2")
                .bind(community.to_hex())
                .bind(id.to_hex()),
        )
        .await?;
        Ok(())
    }

    /// The home node the log names (genesis or the last `community.home`),
    /// one indexed read on the write path; `None` for an unknown community.
    pub async fn home_node(&self, community: CommunityId) -> Result<Option<PublicKey>, StoreError> {
        let row = sqlx::query("SELECT home_node FROM communities WHERE community_id = $1")
            .bind(community.to_hex())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(|row| parse_col(row, "home_node"))
            .transpose()
    }
}
