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
//! The home node gets a record again only [`RESEND_AFTER`] after it was
//! last sent there (it normally comes back as an entry well before), or at
//! the next plan when the request carrying it failed (the connection closed
//! or the request timed out before an answer), or at once over a new
//! connection to the home node itself (what went over the old one may be
//! lost): after a partition heals, every node of the far
//! side would otherwise send its whole outbox each tick while the home node
//! works through the first copies — and a new connection to any other peer
//! says nothing about the home node, so it does not count.
//!
//! Only peers that answered a heads request with the community count as
//! holders, and a node answers that only to peers that may receive the
//! community: a private community's writes reach its member nodes and
//! nobody else.
//!
//! On the receiving side ([`Received`]), the same record arrives from its
//! author's node and from relays, after a heal all at once: each record is
//! decoded, checked and stored by one submission, and every other copy that
//! comes while it is under way, or a while after it was taken, is
//! acknowledged without being checked again.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use commons_kernel::{RecordId, SignedRecord};
use libp2p::PeerId;
use libp2p::request_response::OutboundRequestId;
use std::hash::Hash;

/// Most relays one node hands a record to.
pub(crate) const MAX_RELAYS: usize = 2;

/// How long a record sent to the home node waits before it is sent again.
pub(crate) const RESEND_AFTER: Duration = Duration::from_secs(10);

/// How long a forwarded record this node took is remembered, so that
/// copies of it from other peers are not checked again: longer than the
/// senders' [`RESEND_AFTER`], so one round of resends is absorbed too.
pub(crate) const TAKEN_FOR: Duration = Duration::from_secs(30);

/// The relays each queued record was handed to. `R` names a request (the
/// tests use numbers).
pub(crate) struct Relays<R = OutboundRequestId> {
    sent: HashMap<RecordId, Vec<PeerId>>,
    /// When each record was last sent to the home node.
    to_home: HashMap<RecordId, Instant>,
    /// When each peer's latest connection was established.
    connected_at: HashMap<PeerId, Instant>,
    /// The records of each unanswered request to a home node.
    unanswered: HashMap<R, Vec<RecordId>>,
}

/// Forwarded records this node is checking and storing, and those it took
/// lately. Records are known by the hash of the bytes received, which is
/// their id when the bytes are canonical, as honest nodes send them.
#[derive(Default)]
pub(crate) struct Received {
    in_flight: HashSet<RecordId>,
    taken: HashMap<RecordId, Instant>,
}

impl<R> Default for Relays<R> {
    fn default() -> Relays<R> {
        Relays {
            sent: HashMap::new(),
            to_home: HashMap::new(),
            connected_at: HashMap::new(),
            unanswered: HashMap::new(),
        }
    }
}

impl<R: Hash + Eq> Relays<R> {
    /// Who gets which of one community's queued records now.
    pub(crate) fn plan<A>(
        &mut self,
        home: PeerId,
        connected: &BTreeMap<PeerId, A>,
        holders: Option<&HashSet<PeerId>>,
        records: &[SignedRecord],
        now: Instant,
    ) -> Vec<(PeerId, Vec<SignedRecord>)> {
        if connected.contains_key(&home) {
            let reconnected = self.connected_at.get(&home).copied();
            let due: Vec<SignedRecord> = records
                .iter()
                .filter(|record| {
                    self.to_home.get(&record.id()).is_none_or(|at| {
                        now.saturating_duration_since(*at) >= RESEND_AFTER
                            || reconnected.is_some_and(|since| since > *at)
                    })
                })
                .cloned()
                .collect();
            for record in &due {
                self.to_home.insert(record.id(), now);
            }
            return if due.is_empty() {
                Vec::new()
            } else {
                vec![(home, due)]
            };
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

    /// Notes that request `id` carries `records` to the home node.
    pub(crate) fn sent_home(&mut self, id: R, records: &[SignedRecord]) {
        self.unanswered
            .insert(id, records.iter().map(SignedRecord::id).collect());
    }

    /// Request `id` was answered (`delivered`) or failed: the records of a
    /// failed request to the home node are due again at the next plan.
    pub(crate) fn answered(&mut self, id: &R, delivered: bool) {
        let Some(records) = self.unanswered.remove(id) else {
            return;
        };
        if !delivered {
            for record in records {
                self.to_home.remove(&record);
            }
        }
    }

    /// Forgets records that left the outbox.
    pub(crate) fn retain(&mut self, queued: &HashSet<RecordId>) {
        self.sent.retain(|id, _| queued.contains(id));
        self.to_home.retain(|id, _| queued.contains(id));
    }

    /// Notes a new connection to `peer`: if it is a home node, every record
    /// for it goes again at the next plan (what was sent over an old
    /// connection may have been lost).
    pub(crate) fn connected(&mut self, peer: PeerId, now: Instant) {
        self.connected_at.insert(peer, now);
    }

    /// Forgets a peer that disconnected.
    pub(crate) fn disconnected(&mut self, peer: &PeerId) {
        self.connected_at.remove(peer);
    }
}

impl Received {
    /// Which of `ids` a new submission handles: those neither under way
    /// nor taken lately. They are under way from now on.
    pub(crate) fn claim(&mut self, ids: &[RecordId], now: Instant) -> Vec<bool> {
        ids.iter()
            .map(|id| {
                let fresh = !self.in_flight.contains(id)
                    && self
                        .taken
                        .get(id)
                        .is_none_or(|at| now.saturating_duration_since(*at) >= TAKEN_FOR);
                if fresh {
                    self.in_flight.insert(*id);
                }
                fresh
            })
            .collect()
    }

    /// The submission of `ids` ended: they were stored or queued when
    /// `taken`; otherwise (refused, forged, or the node failed) the next
    /// copy of any of them is handled afresh.
    pub(crate) fn finish(&mut self, ids: &[RecordId], taken: bool, now: Instant) {
        for id in ids {
            self.in_flight.remove(id);
            if taken {
                self.taken.insert(*id, now);
            }
        }
    }

    /// Forgets records taken long ago.
    pub(crate) fn expire(&mut self, now: Instant) {
        self.taken
            .retain(|_, at| now.saturating_duration_since(*at) < TAKEN_FOR);
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
        let now = Instant::now();
        let mut relays = Relays::<u64>::default();
        let mut reached = HashSet::new();
        for _ in 0..5 {
            for (peer, sent) in relays.plan(home, &connected, Some(&holders), &records, now) {
                assert_eq!(sent.len(), 2, "one relay per tick gets every record");
                reached.insert(peer);
            }
        }
        assert_eq!(reached.len(), MAX_RELAYS, "then relaying stops");
        assert!(!reached.contains(&gone));
        assert!(
            relays
                .plan(home, &connected, None, &[record(3)], now)
                .is_empty()
        );
        connected.insert(home, ());
        let plan = relays.plan(home, &connected, Some(&holders), &records, now);
        assert_eq!(plan.len(), 1);
        assert_eq!(plan[0].0, home);
        relays.retain(&HashSet::new());
        assert!(relays.sent.is_empty());
    }

    #[test]
    fn the_home_node_gets_a_record_again_only_after_a_while_or_a_new_connection() {
        let home = PeerId::random();
        let connected = BTreeMap::from([(home, ())]);
        let records = vec![record(1), record(2)];
        let start = Instant::now();
        let mut relays = Relays::<u64>::default();
        assert_eq!(
            relays.plan(home, &connected, None, &records, start)[0]
                .1
                .len(),
            2
        );
        let later = start + Duration::from_secs(1);
        assert!(
            relays
                .plan(home, &connected, None, &records, later)
                .is_empty()
        );
        // A record queued since goes at once; the others wait.
        let mut more = records.clone();
        more.push(record(3));
        let plan = relays.plan(home, &connected, None, &more, later);
        assert_eq!(plan[0].1.len(), 1);
        let due = start + RESEND_AFTER;
        assert_eq!(
            relays.plan(home, &connected, None, &records, due)[0]
                .1
                .len(),
            2
        );
        // A new connection to another peer changes nothing; one to the
        // home node sends everything again.
        let after = due + Duration::from_millis(1);
        relays.connected(PeerId::random(), after);
        assert!(relays.plan(home, &connected, None, &more, after).is_empty());
        let reconnect = after + Duration::from_millis(1);
        relays.connected(home, reconnect);
        assert_eq!(
            relays.plan(home, &connected, None, &more, reconnect)[0]
                .1
                .len(),
            3
        );
        assert!(
            relays
                .plan(
                    home,
                    &connected,
                    None,
                    &more,
                    reconnect + Duration::from_millis(1)
                )
                .is_empty()
        );
    }

    #[test]
    fn each_forwarded_record_is_handled_by_one_submission_at_a_time() {
        let [a, b, c] = [record(1), record(2), record(3)].map(|record| record.id());
        let start = Instant::now();
        let mut received = Received::default();
        assert_eq!(received.claim(&[a, b], start), [true, true]);
        // Copies from other peers while the first submission is under way.
        assert_eq!(received.claim(&[b, c, c], start), [false, true, false]);
        received.finish(&[a, b], true, start);
        received.finish(&[c], false, start);
        // A refused record is handled afresh; taken ones only much later.
        let later = start + Duration::from_secs(1);
        assert_eq!(received.claim(&[a, b, c], later), [false, false, true]);
        let expired = start + TAKEN_FOR;
        received.expire(expired);
        assert!(received.taken.is_empty());
        assert_eq!(received.claim(&[a], expired), [true]);
    }

    #[test]
    fn records_of_a_failed_request_to_the_home_node_go_again_at_the_next_plan() {
        let home = PeerId::random();
        let connected = BTreeMap::from([(home, ())]);
        let (lost, kept) = (vec![record(1), record(2)], vec![record(3)]);
        let start = Instant::now();
        let mut relays = Relays::<u64>::default();
        for (id, records) in [(1, &lost), (2, &kept)] {
            let plan = relays.plan(home, &connected, None, records, start);
            relays.sent_home(id, &plan[0].1);
        }
        relays.answered(&2, true);
        relays.answered(&1, false);
        let everything: Vec<_> = lost.iter().chain(&kept).cloned().collect();
        let next = start + Duration::from_secs(1);
        let plan = relays.plan(home, &connected, None, &everything, next);
        let again: Vec<_> = plan[0].1.iter().map(SignedRecord::id).collect();
        assert_eq!(again, lost.iter().map(SignedRecord::id).collect::<Vec<_>>());
        // An answer to an unknown or already answered request changes nothing.
        relays.answered(&1, false);
        relays.answered(&7, false);
        assert!(
            relays
                .plan(home, &connected, None, &everything, next)
                .is_empty()
        );
    }
}
