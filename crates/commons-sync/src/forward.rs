//! Where the outbox goes: straight to the community's home node when it is
//! connected (every tick, until the entries come back), and otherwise to
//! peers that hold the community's log, which keep the records in their own
//! outbox and relay them on toward the home node.
//!
//! Relaying is bounded so a partition without the home node does not flood:
//! each record goes to at most one new relay per tick and to at most
//! [`MAX_RELAYS`] relays in all from this node, so a record crosses each node
//! a bounded number of times however long the home node stays away.
//!
//! Only peers that answered a heads request with the community count as
//! holders, and a node answers that only to peers that may receive the
//! community: a private community's writes reach its member nodes and
//! nobody else.

use std::collections::{BTreeMap, HashMap, HashSet};

use commons_kernel::{RecordId, SignedRecord};
use libp2p::PeerId;

/// Most relays one node hands a record to.
pub(crate) const MAX_RELAYS: usize = 2;

/// The relays each queued record was handed to.
#[derive(Default)]
pub(crate) struct Relays {
    sent: HashMap<RecordId, Vec<PeerId>>,
}

impl Relays {
    /// Who gets which of one community's queued records now.
    pub(crate) fn plan<A>(
        &mut self,
        home: PeerId,
        connected: &BTreeMap<PeerId, A>,
        holders: Option<&HashSet<PeerId>>,
        records: &[SignedRecord],
    ) -> Vec<(PeerId, Vec<SignedRecord>)> {
        if connected.contains_key(&home) {
            return vec![(home, records.to_vec())];
        }
        let mut relays: Vec<PeerId> = holders
            .into_iter()
            .flatten()
            .filter(|peer| connected.contains_key(peer))
            .copied()
            .collect();
        relays.sort_unstable();
        let mut plan: BTreeMap<PeerId, Vec<SignedRecord>> = BTreeMap::new();
        for record in records {
            let sent = self.sent.entry(record.id()).or_default();
            if sent.len() >= MAX_RELAYS {
                continue;
            }
            if let Some(peer) = relays.iter().find(|peer| !sent.contains(peer)) {
                sent.push(*peer);
                plan.entry(*peer).or_default().push(record.clone());
            }
        }
        plan.into_iter().collect()
    }

    /// Forgets records that left the outbox.
    pub(crate) fn retain(&mut self, queued: &HashSet<RecordId>) {
        self.sent.retain(|id, _| queued.contains(id));
    }
}

#[cfg(test)]
mod tests {
    use commons_kernel::{CommunityId, Kind, Record, SecretKey, Timestamp};

    use super::*;

    fn record(n: i64) -> SignedRecord {
        let key = SecretKey::generate();
        let community = CommunityId::from_bytes([1; 16]);
        let record = Record {
            kind: Kind::parse("community.join").expect("kind"),
            community,
            author: key.public_key(),
            ts: Timestamp(n),
            body: serde_json::json!({ "name": format!("m{n}") }),
            refs: Vec::new(),
        };
        SignedRecord::sign(record, &key).expect("sign")
    }

    #[test]
    fn the_home_node_when_connected_else_a_bounded_number_of_relays() {
        let [home, a, b, c, gone] = [(); 5].map(|()| PeerId::random());
        let holders: HashSet<PeerId> = [a, b, c, gone, home].into_iter().collect();
        let mut connected = BTreeMap::from([(a, ()), (b, ()), (c, ())]);
        let records = vec![record(1), record(2)];
        let mut relays = Relays::default();
        let mut reached = HashSet::new();
        for _ in 0..5 {
            for (peer, sent) in relays.plan(home, &connected, Some(&holders), &records) {
                assert_eq!(sent.len(), 2, "one relay per tick gets every record");
                reached.insert(peer);
            }
        }
        assert_eq!(reached.len(), MAX_RELAYS, "then relaying stops");
        assert!(!reached.contains(&gone));
        assert!(relays.plan(home, &connected, None, &[record(3)]).is_empty());
        connected.insert(home, ());
        let plan = relays.plan(home, &connected, Some(&holders), &records);
        assert_eq!(plan.len(), 1);
        assert_eq!(plan[0].0, home);
        relays.retain(&HashSet::new());
        assert!(relays.sent.is_empty());
    }
}
