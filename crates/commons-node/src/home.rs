//! Moving a community to a new home node (docs/sync.md, "Moving a
//! community"). The home node appends a `community.home` record signed with
//! the community key and naming the new home, hands the key to the new
//! home's operator and forgets it; from that entry on every node forwards
//! the community's writes to the new home, and the new home, once it holds
//! the key and its copy of the log names it, appends them.
//!
//! The log decides who is home, not possession of the key: a node that holds
//! the key but is not named queues its writes like any other node. Should
//! two nodes append anyway (a restored backup of the old home, say), each
//! replica keeps the entry it saw first at a position and refuses the other
//! as a fork, penalizing and counting the peer that sent it.

use commons_kernel::{CommunityId, Entry, Kind, PublicKey, Record, Role, SecretKey, SignedRecord};
use serde_json::json;

use crate::{Node, NodeError, User, now};

impl Node {
    /// Moves a community homed here to `new_home` (a node key). `user` must
    /// be an admin of the community. Returns the move's entry and the
    /// community secret key, hex, for the new home's operator
    /// (`commons community adopt`); this node forgets the key.
    pub async fn move_home(
        &self,
        user: &User,
        id_or_name: &str,
        new_home: PublicKey,
    ) -> Result<(Entry, String), NodeError> {
        let view = self.community(id_or_name, Some(user)).await?;
        if view.role != Some(Role::Admin) {
            return Err(NodeError::Forbidden(
                "only an admin of the community may move it to another node".into(),
            ));
        }
        if new_home == self.node_key() {
            return Err(NodeError::BadInput(
                "the community already lives on this node".into(),
            ));
        }
        let key = self.community_secret(view.id).await?;
        let record = Record {
            kind: Kind::parse("community.home").expect("a valid kind name"),
            community: view.id,
            author: key.public_key(),
            ts: now(),
            body: json!({ "home": new_home }),
            refs: Vec::new(),
        };
        let signed =
            SignedRecord::sign(record, &key).map_err(|e| NodeError::BadInput(e.to_string()))?;
        let mut entries = self.append(view.id, vec![signed]).await?;
        let entry = entries.pop().expect("one record appended gives one entry");
        self.store().drop_community_secret(view.id).await?;
        tracing::info!(community = %view.id, %new_home, "moved the community to a new home node");
        Ok((entry, hex::encode(key.to_bytes())))
    }

    /// Stores a community's secret key handed over by its old home node.
    /// The community's log must be here already (follow it or be a member
    /// node); this node appends once its copy of the log names it home.
    pub async fn adopt_community(&self, secret_hex: &str) -> Result<CommunityId, NodeError> {
        let bad = || NodeError::BadInput("the community key must be 64 hex characters".into());
        let bytes: [u8; 32] = hex::decode(secret_hex.trim())
            .map_err(|_| bad())?
            .try_into()
            .map_err(|_| bad())?;
        let key = SecretKey::from_bytes(&bytes);
        let id = key.public_key().community_id();
        if self.store().community(id).await?.is_none() {
            return Err(NodeError::NotFound {
                what: "community",
                name: format!("{id} (follow it and let its log arrive first)"),
            });
        }
        if self.store().community_secret(id).await?.is_some() {
            return Err(NodeError::Conflict(format!(
                "this node already holds the key of community {id}"
            )));
        }
        self.store()
            .put_community_secret(id, &self.inner.wrap.wrap(&key))
            .await?;
        Ok(id)
    }
}
