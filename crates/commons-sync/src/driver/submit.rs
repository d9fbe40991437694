//! The submit worker: decodes the records peers forward from their outboxes,
//! checks their author signatures and hands them to the node (appended on
//! the home node, queued on a relay), off the swarm task.
//!
//! The submissions already queued when the worker turns to them go to the
//! node together, one call per community: after a heal, a home node gets
//! the outboxes of dozens of nodes at once, and each append costs its
//! transaction, its seals and its reductions however few records it holds.
//! There is no added wait: a lone submission is handed on at once, and
//! under load the queue itself forms the batches. When the node refuses a
//! batch of several submissions, each is handed on again on its own, so a
//! refused record refuses only the submission that carried it.

use commons_kernel::{CommunityId, PublicKey, RecordId, SignedRecord};
use libp2p::PeerId;
use libp2p::request_response::ResponseChannel;
use tokio::sync::mpsc;

use super::{Internal, Refusal};
use crate::replica::Replica;
use crate::wire::{Response, WireRecord};

/// Most records handed to the node in one call.
const MAX_RECORDS: usize = 4_000;

/// One submission from a peer: the records this node took on (see
/// `forward::Received`) and where to answer.
pub(super) struct Job {
    pub peer: PeerId,
    pub key: PublicKey,
    pub community: CommunityId,
    pub ids: Vec<RecordId>,
    pub records: Vec<WireRecord>,
    pub channel: ResponseChannel<Response>,
}

/// A submission whose records were decoded and checked.
struct Checked {
    job: Job,
    records: Vec<SignedRecord>,
}

/// Runs the worker until the job queue closes or the swarm task is gone.
pub(super) async fn run<R: Replica>(
    replica: R,
    mut jobs: mpsc::UnboundedReceiver<Job>,
    done: mpsc::UnboundedSender<Internal>,
) {
    while let Some(first) = jobs.recv().await {
        let mut n_records = first.records.len();
        let mut round = vec![first];
        while n_records < MAX_RECORDS {
            match jobs.try_recv() {
                Ok(job) => {
                    n_records += job.records.len();
                    round.push(job);
                }
                Err(_) => break,
            }
        }
        let mut communities: Vec<(CommunityId, Vec<Checked>)> = Vec::new();
        for job in round {
            let decoded: Result<Vec<SignedRecord>, _> =
                job.records.iter().map(WireRecord::to_record).collect();
            let records = match decoded {
                Ok(records) => records,
                Err(error) => {
                    let outcome = Err(Refusal::Invalid(error.to_string()));
                    if !answer(&done, job, outcome) {
                        return;
                    }
                    continue;
                }
            };
            let checked = Checked { job, records };
            match communities
                .iter_mut()
                .find(|(community, _)| *community == checked.job.community)
            {
                Some((_, batch)) => batch.push(checked),
                None => communities.push((checked.job.community, vec![checked])),
            }
        }
        for (community, batch) in communities {
            if !hand_on(&replica, &done, community, batch).await {
                return;
            }
        }
    }
}

/// Hands one community's checked submissions to the node together, and each
/// on its own when the node refuses them together.
async fn hand_on<R: Replica>(
    replica: &R,
    done: &mpsc::UnboundedSender<Internal>,
    community: CommunityId,
    batch: Vec<Checked>,
) -> bool {
    if batch.len() > 1 {
        let records = batch
            .iter()
            .flat_map(|checked| checked.records.iter().cloned())
            .collect();
        // The node logs the key; any of the senders' will do.
        let key = batch[0].job.key;
        if replica.submit(key, community, records).await.is_ok() {
            return batch
                .into_iter()
                .all(|checked| answer(done, checked.job, Ok(())));
        }
    }
    for Checked { job, records } in batch {
        let outcome = replica
            .submit(job.key, community, records)
            .await
            .map_err(Refusal::Refused);
        if !answer(done, job, outcome) {
            return false;
        }
    }
    true
}

/// Sends a submission's outcome to the swarm task; `false` once it is gone.
fn answer(done: &mpsc::UnboundedSender<Internal>, job: Job, outcome: Result<(), Refusal>) -> bool {
    done.send(Internal::Submitted {
        peer: job.peer,
        ids: job.ids,
        channel: job.channel,
        outcome,
    })
    .is_ok()
}
