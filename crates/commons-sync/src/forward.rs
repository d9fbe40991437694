//! Where the outbox goes: straight to the community's home node when it is
//! connected, and otherwise to every connected peer that holds the
//! community's log, which keeps the records in its own outbox and relays
//! them on toward the home node.
//!
//! Only peers that answered a heads request with the community count as
//! holders, and a node answers that only to peers that may receive the
//! community: a private community's writes therefore reach its member
//! nodes and nobody else. Relays loop harmlessly (a record already queued
//! is queued once) until the home node appends it and its entry comes back.

use std::collections::{BTreeMap, HashSet};

use libp2p::PeerId;

/// The peers to send a community's queued records to.
pub(crate) fn next_hops<A>(
    home: PeerId,
    connected: &BTreeMap<PeerId, A>,
    holders: Option<&HashSet<PeerId>>,
) -> Vec<PeerId> {
    if connected.contains_key(&home) {
        return vec![home];
    }
    let mut hops: Vec<PeerId> = holders
        .into_iter()
        .flatten()
        .filter(|peer| connected.contains_key(peer))
        .copied()
        .collect();
    hops.sort_unstable();
    hops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_home_node_when_connected_else_connected_holders() {
        let [home, relay, other, gone] = [(); 4].map(|()| PeerId::random());
        let holders: HashSet<PeerId> = [relay, gone, home].into_iter().collect();
        let mut connected = BTreeMap::from([(relay, ()), (other, ())]);
        assert_eq!(next_hops(home, &connected, Some(&holders)), vec![relay]);
        assert!(next_hops(home, &connected, None).is_empty());
        connected.insert(home, ());
        assert_eq!(next_hops(home, &connected, Some(&holders)), vec![home]);
    }
}
