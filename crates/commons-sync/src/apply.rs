//! The apply worker: stores entries from peers, one transaction per batch.
//!
//! Everything a peer sends goes through one task, so the entries of a log
//! are stored in order while the swarm task keeps polling the network.
//! Ranges and pushes arrive as consecutive batches and are stored as they
//! are. Gossip arrives one entry per message, possibly out of order, so
//! gossiped entries first go into a small reorder buffer per community: the
//! worker takes every job already queued, sorts the buffer by sequence
//! number, and stores each consecutive run from the end of the local log in
//! one transaction. There is no added wait: a lone entry is stored at once,
//! and under load the queue itself forms the batches.
//!
//! An entry that starts after the end of the local log waits in the buffer
//! for the entries before it (they are usually a few messages behind). Only
//! when the hole has not filled for `reorder_wait`, or the buffer is full,
//! does the worker ask the swarm task to fetch the missing range. Each
//! gossip message gets its own validation result: accepted once stored,
//! rejected only for the entry that was invalid (a failed batch is retried
//! entry by entry to find it), ignored when it was a duplicate or dropped.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use commons_kernel::CommunityId;
use libp2p::PeerId;
use libp2p::gossipsub::{MessageAcceptance, MessageId};
use libp2p::request_response::ResponseChannel;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::counters;
use crate::replica::{Replica, Verdict};
use crate::wire::{Response, WireEntry};

/// Most jobs taken from the queue before the buffers are flushed.
const MAX_JOBS_PER_ROUND: usize = 4_096;

/// How the worker batches gossip.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    /// How long an out-of-order entry waits for the entries before it
    /// before the missing range is fetched.
    pub reorder_wait: Duration,
    /// Most entries waiting per community; beyond it the furthest ones are
    /// dropped (peers fetch them later) and the missing range is fetched.
    pub reorder_max: usize,
    /// Most entries stored in one transaction.
    pub batch_max: usize,
}

/// Where entries given to the apply worker came from.
pub(crate) enum Origin {
    /// One gossip message; `next_seq` is the swarm task's view of the local
    /// log length, a hint for the buffer.
    Gossip {
        message_id: MessageId,
        next_seq: u64,
    },
    /// A range response.
    Range { peer_head: u64 },
    /// A push of a private community's entries.
    Push { channel: ResponseChannel<Response> },
}

/// Entries for the worker.
pub(crate) struct Job {
    pub peer: PeerId,
    pub community: CommunityId,
    pub entries: Vec<WireEntry>,
    pub origin: Origin,
}

/// What the worker did, for the swarm task.
pub(crate) enum Done {
    /// A batch was stored or refused. `peer` is the sender of the batch, or
    /// of the invalid entry; for gossip, `messages` carries the validation
    /// result of every message the batch covered.
    Applied {
        peer: PeerId,
        community: CommunityId,
        source: Source,
        verdict: Verdict,
    },
    /// Counters to add.
    Count(&'static str, u64),
}

/// What a [`Done::Applied`] answers.
pub(crate) enum Source {
    Gossip {
        messages: Vec<(MessageId, PeerId, MessageAcceptance)>,
    },
    Range {
        peer_head: u64,
    },
    Push {
        channel: ResponseChannel<Response>,
    },
}

/// One gossiped entry waiting to be stored.
struct Waiting {
    peer: PeerId,
    message_id: MessageId,
    entry: WireEntry,
}

/// A community's gossip waiting to be stored.
#[derive(Default)]
struct Buffer {
    /// By sequence number.
    waiting: BTreeMap<u64, Waiting>,
    /// Entries that arrived for a position already waiting (a second,
    /// different entry claiming the same place): each is tried on its own.
    contested: Vec<Waiting>,
    /// The local log length as last seen.
    next_seq: u64,
    /// Since when the first waiting entry could not be stored.
    stalled_since: Option<Instant>,
}

struct Worker<R: Replica> {
    replica: R,
    settings: Settings,
    done: mpsc::UnboundedSender<Done>,
    buffers: HashMap<CommunityId, Buffer>,
}

/// Runs the worker until the job queue closes or the swarm task is gone.
pub(crate) async fn run<R: Replica>(
    replica: R,
    settings: Settings,
    mut jobs: mpsc::UnboundedReceiver<Job>,
    done: mpsc::UnboundedSender<Done>,
) {
    let mut worker = Worker {
        replica,
        settings,
        done,
        buffers: HashMap::new(),
    };
    loop {
        let deadline = worker
            .buffers
            .values()
            .filter_map(|buffer| buffer.stalled_since)
            .min()
            .map(|since| since + settings.reorder_wait);
        let first = tokio::select! {
            job = jobs.recv() => match job {
                Some(job) => Some(job),
                None => return,
            },
            () = sleep_until(deadline) => None,
        };
        let mut round: Vec<Job> = first.into_iter().collect();
        while round.len() < MAX_JOBS_PER_ROUND {
            match jobs.try_recv() {
                Ok(job) => round.push(job),
                Err(_) => break,
            }
        }
        let mut touched: Vec<CommunityId> = Vec::new();
        for job in round {
            if !touched.contains(&job.community) {
                touched.push(job.community);
            }
            if !worker.take(job).await {
                return;
            }
        }
        // Buffers whose wait ran out are flushed too (to ask for the range).
        let now = Instant::now();
        for (community, buffer) in &worker.buffers {
            if buffer
                .stalled_since
                .is_some_and(|since| since + settings.reorder_wait <= now)
                && !touched.contains(community)
            {
                touched.push(*community);
            }
        }
        for community in touched {
            if !worker.flush(community).await {
                return;
            }
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

impl<R: Replica> Worker<R> {
    fn send(&self, done: Done) -> bool {
        self.done.send(done).is_ok()
    }

    /// Buffers a gossiped entry, or stores a range or push at once.
    async fn take(&mut self, job: Job) -> bool {
        let Job {
            peer,
            community,
            entries,
            origin,
        } = job;
        match origin {
            Origin::Gossip {
                message_id,
                next_seq,
            } => {
                let buffer = self.buffers.entry(community).or_default();
                buffer.next_seq = buffer.next_seq.max(next_seq);
                for entry in entries {
                    let waiting = Waiting {
                        peer,
                        message_id: message_id.clone(),
                        entry,
                    };
                    match buffer.waiting.entry(waiting.entry.seq) {
                        std::collections::btree_map::Entry::Vacant(slot) => {
                            slot.insert(waiting);
                        }
                        std::collections::btree_map::Entry::Occupied(_) => {
                            buffer.contested.push(waiting);
                        }
                    }
                }
                true
            }
            Origin::Range { peer_head } => {
                let verdict = self.accept(peer, community, &entries).await;
                self.learn(community, &verdict);
                self.send(Done::Applied {
                    peer,
                    community,
                    source: Source::Range { peer_head },
                    verdict,
                })
            }
            Origin::Push { channel } => {
                let verdict = self.accept(peer, community, &entries).await;
                self.learn(community, &verdict);
                self.send(Done::Applied {
                    peer,
                    community,
                    source: Source::Push { channel },
                    verdict,
                })
            }
        }
    }

    /// Notes the local log length a verdict tells.
    fn learn(&mut self, community: CommunityId, verdict: &Verdict) {
        let next_seq = match verdict {
            Verdict::Applied { next_seq } | Verdict::Gap { next_seq } => *next_seq,
            _ => return,
        };
        if let Some(buffer) = self.buffers.get_mut(&community) {
            buffer.next_seq = next_seq;
        }
    }

    async fn accept(&self, peer: PeerId, community: CommunityId, entries: &[WireEntry]) -> Verdict {
        let Some(key) = crate::peer_key(&peer) else {
            return Verdict::Invalid("peer id is not Ed25519".into());
        };
        let raws: Result<Vec<_>, _> = entries
            .iter()
            .map(|entry| entry.to_raw(community))
            .collect();
        match raws {
            Ok(raws) => self.replica.accept(key, community, raws).await,
            Err(error) => Verdict::Invalid(error.to_string()),
        }
    }

    /// Stores what can be stored of a community's buffer.
    async fn flush(&mut self, community: CommunityId) -> bool {
        let contested = self
            .buffers
            .get_mut(&community)
            .map(|buffer| std::mem::take(&mut buffer.contested))
            .unwrap_or_default();
        while let Some(buffer) = self.buffers.get_mut(&community) {
            let next_seq = buffer.next_seq;
            // Entries the log already holds: nothing to store, and nothing
            // to forward (only their header was compared, not signatures).
            let stale: Vec<u64> = buffer.waiting.range(..next_seq).map(|(s, _)| *s).collect();
            if !stale.is_empty() {
                let messages: Vec<_> = stale
                    .iter()
                    .filter_map(|seq| buffer.waiting.remove(seq))
                    .map(|w| (w.message_id, w.peer, MessageAcceptance::Ignore))
                    .collect();
                let n = messages.len() as u64;
                let peer = messages[0].1;
                if !self.send(Done::Count(counters::DUPLICATES, n))
                    || !self.send(Done::Applied {
                        peer,
                        community,
                        source: Source::Gossip { messages },
                        verdict: Verdict::Duplicate,
                    })
                {
                    return false;
                }
                continue;
            }
            let Some((&first, _)) = buffer.waiting.first_key_value() else {
                buffer.stalled_since = None;
                break;
            };
            if first > next_seq {
                // A hole before the first waiting entry.
                let now = Instant::now();
                let since = *buffer.stalled_since.get_or_insert(now);
                let full = buffer.waiting.len() > self.settings.reorder_max;
                if full {
                    let excess = buffer.waiting.len() - self.settings.reorder_max;
                    let mut messages = Vec::with_capacity(excess);
                    for _ in 0..excess {
                        if let Some((_, w)) = buffer.waiting.pop_last() {
                            messages.push((w.message_id, w.peer, MessageAcceptance::Ignore));
                        }
                    }
                    let peer = messages[0].1;
                    if !self.send(Done::Count(counters::REORDER_DROPPED, excess as u64))
                        || !self.send(Done::Applied {
                            peer,
                            community,
                            source: Source::Gossip { messages },
                            verdict: Verdict::Duplicate,
                        })
                    {
                        return false;
                    }
                }
                let buffer = self.buffers.get_mut(&community).expect("present above");
                if full || since + self.settings.reorder_wait <= now {
                    // Fetch the hole from whoever sent the first waiting
                    // entry; wait again before asking once more.
                    buffer.stalled_since = Some(now);
                    let peer = buffer.waiting.values().next().map(|w| w.peer);
                    if let Some(peer) = peer
                        && !self.send(Done::Applied {
                            peer,
                            community,
                            source: Source::Gossip {
                                messages: Vec::new(),
                            },
                            verdict: Verdict::Gap { next_seq },
                        })
                    {
                        return false;
                    }
                }
                break;
            }
            // A consecutive run from the end of the log.
            let mut run = Vec::new();
            while run.len() < self.settings.batch_max {
                let Some(entry) = buffer.waiting.remove(&(next_seq + run.len() as u64)) else {
                    break;
                };
                run.push(entry);
            }
            buffer.stalled_since = None;
            if !self.store_run(community, run).await {
                return false;
            }
            let stuck = self
                .buffers
                .get(&community)
                .is_none_or(|buffer| buffer.next_seq == next_seq);
            if stuck {
                break;
            }
        }
        for waiting in contested {
            if !self.store_run(community, vec![waiting]).await {
                return false;
            }
        }
        // An emptied buffer stays: its `next_seq` is the log length this
        // worker stored up to, newer than the swarm task's view that comes
        // with the next gossip job. Dropped, the next entry would be taken
        // for one behind a hole and wait `reorder_wait` for a range fetch.
        true
    }

    /// Stores a run of gossiped entries in one transaction; when the batch
    /// is invalid, entry by entry, to find the one to reject.
    async fn store_run(&mut self, community: CommunityId, run: Vec<Waiting>) -> bool {
        let entries: Vec<WireEntry> = run.iter().map(|w| w.entry.clone()).collect();
        let peer = run[0].peer;
        // A batch of entries from several peers is checked as a whole; the
        // senders are only known to be honest if it passes.
        let verdict = self.accept(peer, community, &entries).await;
        if !self.send(Done::Count(counters::APPLY_BATCHES, 1)) {
            return false;
        }
        match verdict {
            Verdict::Invalid(_) if run.len() > 1 => {
                let mut rest = run.into_iter();
                while let Some(waiting) = rest.next() {
                    let verdict = self
                        .accept(
                            waiting.peer,
                            community,
                            std::slice::from_ref(&waiting.entry),
                        )
                        .await;
                    let invalid = matches!(verdict, Verdict::Invalid(_));
                    if !self.settle(community, vec![waiting], verdict) {
                        return false;
                    }
                    if invalid {
                        // What follows chains on the rejected entry's
                        // position: it waits for the real one.
                        let buffer = self.buffers.entry(community).or_default();
                        for waiting in rest {
                            buffer.waiting.insert(waiting.entry.seq, waiting);
                        }
                        break;
                    }
                }
                true
            }
            verdict => self.settle(community, run, verdict),
        }
    }

    /// Reports a verdict on gossiped entries and keeps the buffer in step.
    fn settle(&mut self, community: CommunityId, run: Vec<Waiting>, verdict: Verdict) -> bool {
        let acceptance = match &verdict {
            Verdict::Applied { .. } => MessageAcceptance::Accept,
            Verdict::Invalid(_) => MessageAcceptance::Reject,
            _ => MessageAcceptance::Ignore,
        };
        self.learn(community, &verdict);
        let peer = run[0].peer;
        let mut messages = Vec::with_capacity(run.len());
        match verdict {
            Verdict::Gap { .. } => {
                // The log is shorter than the buffer thought: the entries
                // wait again, now behind a hole.
                let buffer = self.buffers.entry(community).or_default();
                for waiting in run {
                    buffer.waiting.insert(waiting.entry.seq, waiting);
                }
            }
            _ => {
                for waiting in run {
                    messages.push((waiting.message_id, waiting.peer, acceptance));
                }
            }
        }
        if matches!(verdict, Verdict::Duplicate)
            && !self.send(Done::Count(counters::DUPLICATES, messages.len() as u64))
        {
            return false;
        }
        if matches!(verdict, Verdict::NotReplicated) {
            self.buffers.remove(&community);
        }
        self.send(Done::Applied {
            peer,
            community,
            source: Source::Gossip { messages },
            verdict,
        })
    }
}
