//! The swarm task: builds the libp2p node, then turns network events into
//! calls on the [`Replica`] and the replica's answers into network actions.
//!
//! One task owns the swarm. Storing entries is serialized on a second task
//! (the apply worker), so entries of a log are applied in arrival order and
//! the swarm keeps being polled while the database works; records forwarded
//! from peers' outboxes are checked and handed to the node on a third (the
//! submit worker); reads (ranges, membership checks) run on short-lived
//! tasks. Their results come back to
//! the swarm task as [`Internal`] messages.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use commons_kernel::{CommunityId, Entry, RecordId};
use futures::StreamExt;
use libp2p::gossipsub::{self, IdentTopic, MessageAcceptance, MessageId};
use libp2p::identity::Keypair;
use libp2p::request_response::{self, OutboundRequestId, ProtocolSupport, ResponseChannel};
use libp2p::swarm::{NetworkBehaviour, SwarmEvent, behaviour::toggle::Toggle};
use libp2p::{
    Multiaddr, PeerId, StreamProtocol, Swarm, allow_block_list, connection_limits, identify, kad,
    mdns, memory_connection_limits, noise, ping, tcp, yamux,
};
use tokio::sync::{broadcast, mpsc, watch};

use crate::apply;
use crate::counters;
use crate::replica::{Replica, ReplicaState, SyncStatus, Verdict};
use crate::wire::{self, Request, Response, WireEntry};
use crate::{SyncConfig, SyncError, SyncEvent, SyncHandle};

mod blobs;
mod submit;

/// The sync protocol's name.
const SYNC_PROTOCOL: &str = "/commons/sync/1";
/// Largest request accepted (a heads list for many communities).
const MAX_REQUEST_BYTES: u64 = 1024 * 1024;
/// Most entries in one push.
const MAX_PUSH_ENTRIES: usize = 1_000;
/// Range responses read and encoded at once. Each holds up to
/// `max_batch_bytes` several times over while it is built (rows, entries,
/// wire entries), so a node that every peer asks at once (a home after a
/// burst its gossip could not carry) would otherwise hold one per peer; the
/// others wait their turn, which costs no throughput on a CPU-bound node.
const RANGES_SERVED_AT_ONCE: usize = 2;

#[derive(Debug)]
pub(crate) enum Command {
    Dial(Multiaddr),
    Block(PeerId, tokio::sync::oneshot::Sender<()>),
    Unblock(PeerId, tokio::sync::oneshot::Sender<()>),
    Shutdown,
    FetchBlob(
        CommunityId,
        [u8; 32],
        tokio::sync::oneshot::Sender<Result<(), String>>,
    ),
}

#[derive(NetworkBehaviour)]
struct Behaviour {
    /// Banned peers: first, so their connections are refused before any
    /// protocol starts, and no dial to them leaves this node.
    blocked: allow_block_list::Behaviour<allow_block_list::BlockedPeers>,
    limits: connection_limits::Behaviour,
    memory: memory_connection_limits::Behaviour,
    identify: identify::Behaviour,
    ping: ping::Behaviour,
    kad: kad::Behaviour<kad::store::MemoryStore>,
    gossipsub: gossipsub::Behaviour,
    sync: request_response::cbor::Behaviour<Request, Response>,
    mdns: Toggle<mdns::tokio::Behaviour>,
}

/// One thing the sync task handles.
#[expect(
    clippy::large_enum_variant,
    reason = "one value on the stack per loop turn; boxing would allocate per swarm event"
)]
enum Step {
    Swarm(SwarmEvent<BehaviourEvent>),
    Command(Command),
    Internal(Internal),
    Done(apply::Done),
    Appended(Result<Vec<Entry>, broadcast::error::RecvError>),
    Tick,
}

impl Step {
    fn name(&self) -> &'static str {
        match self {
            Step::Swarm(_) => "swarm event",
            Step::Command(_) => "command",
            Step::Internal(_) => "internal message",
            Step::Done(_) => "applied batch",
            Step::Appended(_) => "publish",
            Step::Tick => "tick",
        }
    }
}

/// Results of work done off the swarm task.
enum Internal {
    Respond {
        channel: ResponseChannel<Response>,
        response: Response,
    },
    Push {
        peer: PeerId,
        community: CommunityId,
        entries: Vec<WireEntry>,
    },
    Replicas(Vec<ReplicaState>),
    Forward(
        Vec<(
            CommunityId,
            commons_kernel::PublicKey,
            Vec<commons_kernel::SignedRecord>,
        )>,
    ),
    Blob(blobs::Progress),
    /// A submission of forwarded records ended.
    Submitted {
        peer: PeerId,
        ids: Vec<RecordId>,
        channel: ResponseChannel<Response>,
        outcome: Result<(), Refusal>,
    },
}

/// Why forwarded records were not taken.
enum Refusal {
    /// Not records, or forged: the sender is penalized.
    Invalid(String),
    /// The node refused them (policy, not home and cannot queue, a failure).
    Refused(String),
}

pub(crate) async fn start<R: Replica>(
    config: SyncConfig,
    keypair: Keypair,
    replica: R,
) -> Result<SyncHandle, SyncError> {
    let peer_id = keypair.public().to_peer_id();
    let mut swarm = build_swarm(&config, keypair)?;
    let mut listeners = HashSet::new();
    for addr in &config.listen {
        let id = swarm
            .listen_on(addr.clone())
            .map_err(|error| SyncError::Listen {
                addr: addr.clone(),
                reason: error.to_string(),
            })?;
        listeners.insert(id);
    }
    // Wait for each listener's first address, so callers (and tests) can
    // hand the addresses to other nodes at once.
    let mut listen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !listeners.is_empty() {
        let event = tokio::time::timeout_at(deadline, swarm.select_next_some())
            .await
            .map_err(|_| SyncError::Build("listeners did not come up in 10 s".into()))?;
        match event {
            SwarmEvent::NewListenAddr {
                listener_id,
                address,
            } => {
                listeners.remove(&listener_id);
                listen.push(address.with_p2p(peer_id).unwrap_or_else(|addr| addr));
            }
            SwarmEvent::ListenerClosed {
                addresses, reason, ..
            } => {
                return Err(SyncError::Listen {
                    addr: addresses.first().cloned().unwrap_or_else(Multiaddr::empty),
                    reason: format!("{reason:?}"),
                });
            }
            SwarmEvent::ListenerError { error, .. } => {
                return Err(SyncError::Build(error.to_string()));
            }
            _ => {}
        }
    }
    for addr in &config.peers {
        if let Err(error) = swarm.dial(addr.clone()) {
            tracing::warn!(%addr, %error, "cannot dial configured peer");
        }
    }
    let (commands_tx, commands_rx) = mpsc::unbounded_channel();
    let (events_tx, _) = broadcast::channel(4096);
    let status = SyncStatus {
        peer_id: peer_id.to_string(),
        listen: listen.iter().map(Multiaddr::to_string).collect(),
        ..SyncStatus::default()
    };
    let (status_tx, status_rx) = watch::channel(status.clone());
    let (internal_tx, internal_rx) = mpsc::unbounded_channel();
    let (apply_tx, apply_rx) = mpsc::unbounded_channel();
    let (done_tx, done_rx) = mpsc::unbounded_channel();
    let settings = apply::Settings {
        reorder_wait: config.reorder_wait,
        reorder_max: config.reorder_max,
        batch_max: MAX_PUSH_ENTRIES,
    };
    tokio::spawn(apply::run(replica.clone(), settings, apply_rx, done_tx));
    let (submit_tx, submit_rx) = mpsc::unbounded_channel();
    tokio::spawn(submit::run(replica.clone(), submit_rx, internal_tx.clone()));
    let driver = Driver {
        appended: replica.appended(),
        replica,
        config,
        status,
        status_tx,
        events: events_tx.clone(),
        internal_tx,
        apply_tx,
        submit_tx,
        replicas: HashMap::new(),
        in_flight: HashMap::new(),
        applying: HashSet::new(),
        requests: HashMap::new(),
        banned: HashMap::new(),
        connected: BTreeMap::new(),
        peers_changed: true,
        ticks: 0,
        holders: HashMap::new(),
        blobs: blobs::Fetches::default(),
        relays: crate::forward::Relays::default(),
        serving: Arc::new(tokio::sync::Semaphore::new(RANGES_SERVED_AT_ONCE)),
        received: crate::forward::Received::default(),
    };
    let task = tokio::spawn(driver.run(swarm, commands_rx, internal_rx, done_rx));
    Ok(SyncHandle {
        peer_id,
        listen,
        commands: commands_tx,
        status: status_rx,
        events: events_tx,
        task,
    })
}

fn build_swarm(config: &SyncConfig, keypair: Keypair) -> Result<Swarm<Behaviour>, SyncError> {
    let build = |error: &dyn std::fmt::Display| SyncError::Build(error.to_string());
    let max_connections = config.max_connections;
    let heartbeat = config.heartbeat;
    let mdns_on = config.mdns;
    let max_response = (config.max_batch_bytes as u64) * 2 + 1024 * 1024;
    let swarm = libp2p::SwarmBuilder::with_existing_identity(keypair)
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(|e| build(&e))?
        .with_quic()
        .with_behaviour(|key| {
            let peer_id = key.public().to_peer_id();
            // Tuned for communities of tens of nodes: publish to every
            // subscribed peer (flood), a mesh of 6 (4–12), the first
            // heartbeat after one interval instead of 5 s, and lazy gossip
            // to 6 more peers so a lost forward is repaired next heartbeat.
            let gossip_config = gossipsub::ConfigBuilder::default()
                .heartbeat_interval(heartbeat)
                .heartbeat_initial_delay(heartbeat)
                .flood_publish(true)
                .mesh_n(6)
                .mesh_n_low(4)
                .mesh_n_high(12)
                .mesh_outbound_min(2)
                .gossip_lazy(6)
                .validation_mode(gossipsub::ValidationMode::Anonymous)
                .validate_messages()
                .message_id_fn(|message| MessageId::new(&wire::gossip_message_id(&message.data)))
                .max_transmit_size(wire::MAX_GOSSIP_BYTES + 1024)
                .connection_handler_queue_len(5_000)
                .duplicate_cache_time(Duration::from_secs(120))
                .build()
                .map_err(|e| e.to_string())?;
            let gossipsub = gossipsub::Behaviour::new(
                gossipsub::MessageAuthenticity::Anonymous,
                gossip_config,
            )?;
            // No peer scoring. What it would hold against a peer (invalid
            // entries) the driver answers with a ban and gossipsub's
            // blacklist at once, and a peer's entries are verified whatever
            // its score. Its delivery records stay 120 s per message with
            // the set of peers that delivered each: at a burst of 1,000
            // entries/s that was tens of MiB per node, and CPU on every
            // duplicate.
            let mut kad_config = kad::Config::new(StreamProtocol::new("/commons/kad/1"));
            kad_config.set_query_timeout(Duration::from_secs(30));
            let mut kad = kad::Behaviour::with_config(
                peer_id,
                kad::store::MemoryStore::new(peer_id),
                kad_config,
            );
            kad.set_mode(Some(kad::Mode::Server));
            let mdns = if mdns_on {
                Some(mdns::tokio::Behaviour::new(
                    mdns::Config::default(),
                    peer_id,
                )?)
            } else {
                None
            };
            let codec = request_response::cbor::codec::Codec::default()
                .set_request_size_maximum(MAX_REQUEST_BYTES)
                .set_response_size_maximum(max_response);
            let sync = request_response::Behaviour::with_codec(
                codec,
                [(StreamProtocol::new(SYNC_PROTOCOL), ProtocolSupport::Full)],
                request_response::Config::default().with_request_timeout(Duration::from_secs(60)),
            );
            Ok(Behaviour {
                blocked: allow_block_list::Behaviour::default(),
                limits: connection_limits::Behaviour::new(
                    connection_limits::ConnectionLimits::default()
                        .with_max_established(Some(max_connections))
                        .with_max_established_per_peer(Some(2))
                        .with_max_pending_incoming(Some(64)),
                ),
                memory: memory_connection_limits::Behaviour::with_max_percentage(0.9),
                identify: identify::Behaviour::new(identify::Config::new(
                    "/commons/id/1".into(),
                    key.public(),
                )),
                ping: ping::Behaviour::default(),
                kad,
                gossipsub,
                sync,
                mdns: Toggle::from(mdns),
            })
        })
        .map_err(|e| build(&e))?
        // Sync keeps its own connections: a quiet community must not lose
        // its peers to the 10 s idle default.
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(3600)))
        .build();
    Ok(swarm)
}

/// Refuses a peer everywhere: its connections (right after the handshake
/// that reveals its id, before any protocol runs), dials to it, its gossip,
/// and its place in the routing table, so nothing redials it.
fn ban(behaviour: &mut Behaviour, peer: PeerId) {
    behaviour.blocked.block_peer(peer);
    behaviour.gossipsub.blacklist_peer(&peer);
    behaviour.kad.remove_peer(&peer);
}

/// Lifts [`ban`].
fn unban(behaviour: &mut Behaviour, peer: PeerId) {
    behaviour.blocked.unblock_peer(peer);
    behaviour.gossipsub.remove_blacklisted_peer(&peer);
}

/// How long one step of the sync task may take before it is logged.
const SLOW_STEP: Duration = Duration::from_millis(100);

struct Driver<R: Replica> {
    replica: R,
    config: SyncConfig,
    appended: broadcast::Receiver<Vec<Entry>>,
    status: SyncStatus,
    status_tx: watch::Sender<SyncStatus>,
    events: broadcast::Sender<SyncEvent>,
    internal_tx: mpsc::UnboundedSender<Internal>,
    apply_tx: mpsc::UnboundedSender<apply::Job>,
    /// Forwarded records to decode, check and hand to the node.
    submit_tx: mpsc::UnboundedSender<submit::Job>,
    /// The communities replicated, with the local log length.
    replicas: HashMap<CommunityId, ReplicaState>,
    /// One range request at a time per community.
    in_flight: HashMap<CommunityId, OutboundRequestId>,
    /// Communities whose fetched range is being applied: asking again
    /// before it is stored would fetch (and check) the same entries twice.
    applying: HashSet<CommunityId>,
    /// Outstanding requests and what they were for.
    requests: HashMap<OutboundRequestId, Option<CommunityId>>,
    /// Peers refused until the instant (or for good, operator blocks); the
    /// block list enforces it, the tick lifts expired bans.
    banned: HashMap<PeerId, Option<Instant>>,
    /// Connected peers and the address of the first connection.
    connected: BTreeMap<PeerId, Multiaddr>,
    /// Whether `connected` changed since the status last listed it (the
    /// status is reported on every applied batch; formatting every peer id
    /// each time showed up in profiles of 50 nodes).
    peers_changed: bool,
    /// Ticks so far, to take turns among peers.
    ticks: usize,
    /// Per community, the peers that reported holding its log: relays for
    /// the outbox when the home node is not connected.
    holders: HashMap<CommunityId, HashSet<PeerId>>,
    /// Blob fetches under way.
    blobs: blobs::Fetches,
    /// Which relays each queued record went to.
    relays: crate::forward::Relays,
    /// Turns to serve a range request (`RANGES_SERVED_AT_ONCE`).
    serving: Arc<tokio::sync::Semaphore>,
    /// Forwarded records being stored, or stored lately.
    received: crate::forward::Received,
}

/// The peer id of a node key.
fn peer_of(key: commons_kernel::PublicKey) -> Option<PeerId> {
    let key = libp2p::identity::ed25519::PublicKey::try_from_bytes(key.as_bytes()).ok()?;
    Some(PeerId::from_public_key(&libp2p::identity::PublicKey::from(
        key,
    )))
}

fn topic(community: CommunityId) -> IdentTopic {
    IdentTopic::new(format!("/commons/log/{}", community.to_hex()))
}

fn community_of_topic(hash: &gossipsub::TopicHash) -> Option<CommunityId> {
    hash.as_str().strip_prefix("/commons/log/")?.parse().ok()
}

impl<R: Replica> Driver<R> {
    async fn run(
        mut self,
        mut swarm: Swarm<Behaviour>,
        mut commands: mpsc::UnboundedReceiver<Command>,
        mut internal: mpsc::UnboundedReceiver<Internal>,
        mut done: mpsc::UnboundedReceiver<apply::Done>,
    ) {
        let replicas = self.replica.replicas().await;
        self.set_replicas(&mut swarm, replicas);
        let mut tick = tokio::time::interval(self.config.tick);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let step = tokio::select! {
                event = swarm.select_next_some() => Step::Swarm(event),
                command = commands.recv() => match command {
                    Some(Command::Shutdown) | None => break,
                    Some(command) => Step::Command(command),
                },
                Some(message) = internal.recv() => Step::Internal(message),
                Some(done) = done.recv() => Step::Done(done),
                appended = self.appended.recv() => Step::Appended(appended),
                _ = tick.tick() => Step::Tick,
            };
            // Every step runs on this one task: one that takes long holds up
            // every connection and request of the node, so it is logged.
            let started = Instant::now();
            let name = step.name();
            match step {
                Step::Swarm(event) => self.on_swarm(&mut swarm, event),
                Step::Command(command) => self.on_command(&mut swarm, command),
                Step::Internal(message) => self.on_internal(&mut swarm, message),
                Step::Done(done) => self.on_done(&mut swarm, done),
                Step::Appended(Ok(entries)) => self.publish(&mut swarm, entries).await,
                Step::Appended(Err(broadcast::error::RecvError::Lagged(missed))) => {
                    // Peers fetch what was not published on their next heads
                    // exchange.
                    tracing::warn!(missed, "publishing fell behind local appends");
                }
                Step::Appended(Err(broadcast::error::RecvError::Closed)) => {
                    self.appended = broadcast::channel(1).1;
                }
                Step::Tick => self.on_tick(&mut swarm),
            }
            let took = started.elapsed();
            if took >= SLOW_STEP {
                tracing::debug!(
                    step = name,
                    ms = took.as_millis() as u64,
                    "the sync task was busy"
                );
            }
        }
        self.report();
    }

    fn count(&mut self, name: &'static str, n: u64) {
        *self.status.counters.entry(name).or_default() += n;
    }

    fn report(&mut self) {
        if self.peers_changed {
            self.peers_changed = false;
            self.status.peers = self
                .connected
                .iter()
                .map(|(peer, addr)| (peer.to_string(), addr.to_string()))
                .collect();
        }
        self.replica.report(&self.status);
        self.status_tx.send_replace(self.status.clone());
    }

    fn emit(&self, event: SyncEvent) {
        let _ = self.events.send(event);
    }

    fn set_replicas(&mut self, swarm: &mut Swarm<Behaviour>, replicas: Vec<ReplicaState>) {
        let wanted: HashSet<CommunityId> = replicas
            .iter()
            .filter(|state| state.public)
            .map(|state| state.community)
            .collect();
        for state in &replicas {
            let subscribed = self
                .replicas
                .get(&state.community)
                .is_some_and(|s| s.public);
            if state.public && !subscribed {
                let gossipsub = &mut swarm.behaviour_mut().gossipsub;
                if let Err(error) = gossipsub.subscribe(&topic(state.community)) {
                    tracing::warn!(community = %state.community, %error, "cannot subscribe");
                }
            }
        }
        for (community, state) in &self.replicas {
            if state.public && !wanted.contains(community) {
                swarm
                    .behaviour_mut()
                    .gossipsub
                    .unsubscribe(&topic(*community));
            }
        }
        let mut fresh: HashMap<CommunityId, ReplicaState> = replicas
            .into_iter()
            .map(|state| (state.community, state))
            .collect();
        // The apply worker may have moved a log on since the read began.
        for (community, state) in &mut fresh {
            if let Some(old) = self.replicas.get(community) {
                state.next_seq = state.next_seq.max(old.next_seq);
            }
        }
        let new: Vec<CommunityId> = fresh
            .keys()
            .filter(|community| !self.replicas.contains_key(community))
            .copied()
            .collect();
        self.replicas = fresh;
        if !new.is_empty() {
            // A newly followed community: ask every peer for it.
            let peers: Vec<PeerId> = self.connected.keys().copied().collect();
            for peer in peers {
                self.request(swarm, peer, Request::Heads(new.clone()), None);
            }
        }
    }

    fn request(
        &mut self,
        swarm: &mut Swarm<Behaviour>,
        peer: PeerId,
        request: Request,
        community: Option<CommunityId>,
    ) -> OutboundRequestId {
        let id = swarm.behaviour_mut().sync.send_request(&peer, request);
        self.requests.insert(id, community);
        if let Some(community) = community {
            self.in_flight.insert(community, id);
            self.count(counters::RANGES_REQUESTED, 1);
        }
        id
    }

    fn ask_heads(&mut self, swarm: &mut Swarm<Behaviour>, peer: PeerId) {
        if self.replicas.is_empty() {
            return;
        }
        let communities = self.replicas.keys().copied().collect();
        self.request(swarm, peer, Request::Heads(communities), None);
    }

    fn fetch(&mut self, swarm: &mut Swarm<Behaviour>, peer: PeerId, community: CommunityId) {
        if self.in_flight.contains_key(&community)
            || self.applying.contains(&community)
            || !self.connected.contains_key(&peer)
        {
            return;
        }
        let Some(state) = self.replicas.get(&community) else {
            return;
        };
        tracing::debug!(%community, %peer, from = state.next_seq, "fetching a range");
        let request = Request::Range {
            community,
            from: state.next_seq,
            limit: self.config.max_batch_entries,
        };
        self.request(swarm, peer, request, Some(community));
    }

    fn penalize(&mut self, swarm: &mut Swarm<Behaviour>, peer: PeerId, reason: String) {
        tracing::warn!(%peer, %reason, "peer sent invalid data; disconnecting");
        self.count(counters::PEERS_PENALIZED, 1);
        self.banned
            .insert(peer, Some(Instant::now() + self.config.ban));
        ban(swarm.behaviour_mut(), peer);
        let _ = swarm.disconnect_peer_id(peer);
        self.report();
        self.emit(SyncEvent::Penalized { peer, reason });
    }

    fn on_command(&mut self, swarm: &mut Swarm<Behaviour>, command: Command) {
        match command {
            Command::Dial(addr) => {
                if let Err(error) = swarm.dial(addr.clone()) {
                    tracing::warn!(%addr, %error, "cannot dial");
                }
            }
            Command::Block(peer, done) => {
                self.banned.insert(peer, None);
                ban(swarm.behaviour_mut(), peer);
                let _ = swarm.disconnect_peer_id(peer);
                let _ = done.send(());
            }
            Command::Unblock(peer, done) => {
                self.banned.remove(&peer);
                unban(swarm.behaviour_mut(), peer);
                let _ = done.send(());
            }
            Command::Shutdown => {}
            Command::FetchBlob(community, id, done) => {
                self.fetch_blob(swarm, community, id, done);
            }
        }
    }

    fn on_tick(&mut self, swarm: &mut Swarm<Behaviour>) {
        let now = Instant::now();
        let expired: Vec<PeerId> = self
            .banned
            .iter()
            .filter(|(_, until)| until.is_some_and(|until| until <= now))
            .map(|(peer, _)| *peer)
            .collect();
        for peer in expired {
            self.banned.remove(&peer);
            unban(swarm.behaviour_mut(), peer);
        }
        self.received.expire(now);
        let replica = self.replica.clone();
        let internal = self.internal_tx.clone();
        tokio::spawn(async move {
            let replicas = replica.replicas().await;
            let _ = internal.send(Internal::Replicas(replicas));
        });
        self.forward_outbox();
        // Anti-entropy: one peer a tick, round robin.
        self.ticks += 1;
        if !self.connected.is_empty() {
            let idx = self.ticks % self.connected.len();
            if let Some(peer) = self.connected.keys().nth(idx).copied() {
                self.ask_heads(swarm, peer);
            }
        }
        self.report();
    }

    /// Whether `peer` is the home node of a community this node replicates.
    fn is_home(&self, peer: &PeerId) -> bool {
        let Some(key) = crate::peer_key(peer) else {
            return false;
        };
        self.replicas.values().any(|state| state.home == Some(key))
    }

    /// Reads the outbox and forwards what waits for connected home nodes.
    fn forward_outbox(&self) {
        let replica = self.replica.clone();
        let internal = self.internal_tx.clone();
        tokio::spawn(async move {
            let outgoing = replica.outbox().await;
            if !outgoing.is_empty() {
                let _ = internal.send(Internal::Forward(outgoing));
            }
        });
    }

    async fn publish(&mut self, swarm: &mut Swarm<Behaviour>, entries: Vec<Entry>) {
        let Some(first) = entries.first() else {
            return;
        };
        let community = first.header().community;
        if !self.replicas.contains_key(&community) {
            let replicas = self.replica.replicas().await;
            self.set_replicas(swarm, replicas);
        }
        let Some(state) = self.replicas.get_mut(&community) else {
            return;
        };
        let next = entries.last().map_or(0, |entry| entry.seq() + 1);
        state.next_seq = state.next_seq.max(next);
        let public = state.public;
        let wires: Vec<WireEntry> = entries.iter().map(WireEntry::from_entry).collect();
        if public {
            for entry in &wires {
                let payload = wire::encode_gossip(community, entry);
                match swarm
                    .behaviour_mut()
                    .gossipsub
                    .publish(topic(community), payload)
                {
                    Ok(_) => self.count(counters::PUBLISHED, 1),
                    Err(gossipsub::PublishError::NoPeersSubscribedToTopic) => {}
                    Err(gossipsub::PublishError::Duplicate) => {}
                    Err(error) => {
                        self.count(counters::PUBLISH_DROPPED, 1);
                        tracing::debug!(%community, %error, "publish failed; peers catch up");
                    }
                }
            }
            return;
        }
        // A private community: only to connected peers that are member
        // nodes, each checked now.
        for peer in self.connected.keys().copied().collect::<Vec<_>>() {
            let Some(key) = crate::peer_key(&peer) else {
                continue;
            };
            let replica = self.replica.clone();
            let internal = self.internal_tx.clone();
            let wires = wires.clone();
            tokio::spawn(async move {
                if replica.may_receive(key, community).await {
                    let _ = internal.send(Internal::Push {
                        peer,
                        community,
                        entries: wires,
                    });
                }
            });
        }
    }

    fn on_internal(&mut self, swarm: &mut Swarm<Behaviour>, message: Internal) {
        match message {
            Internal::Replicas(replicas) => self.set_replicas(swarm, replicas),
            Internal::Blob(progress) => self.on_blob_progress(swarm, progress),
            Internal::Forward(outgoing) => {
                let queued = outgoing
                    .iter()
                    .flat_map(|(_, _, records)| records.iter().map(|r| r.id()))
                    .collect();
                self.relays.retain(&queued);
                for (community, home, records) in outgoing {
                    let Some(home) = peer_of(home) else {
                        continue;
                    };
                    let plan = self.relays.plan(
                        home,
                        &self.connected,
                        self.holders.get(&community),
                        &records,
                        Instant::now(),
                    );
                    for (peer, records) in plan {
                        tracing::debug!(
                            %community,
                            %peer,
                            to_home = peer == home,
                            n = records.len(),
                            "forwarding queued records"
                        );
                        for chunk in records.chunks(MAX_PUSH_ENTRIES) {
                            self.count(counters::FORWARDED, chunk.len() as u64);
                            let request = Request::Submit {
                                community,
                                records: chunk.iter().map(wire::WireRecord::from_record).collect(),
                            };
                            let id = self.request(swarm, peer, request, None);
                            if peer == home {
                                self.relays.sent_home(id, chunk);
                            }
                        }
                    }
                }
                self.report();
            }
            Internal::Respond { channel, response } => {
                let _ = swarm.behaviour_mut().sync.send_response(channel, response);
            }
            Internal::Submitted {
                peer,
                ids,
                channel,
                outcome,
            } => {
                self.received.finish(&ids, outcome.is_ok(), Instant::now());
                let response = match outcome {
                    Ok(()) => Response::Ack,
                    Err(Refusal::Refused(reason)) => Response::Denied(reason),
                    Err(Refusal::Invalid(reason)) => {
                        self.count(counters::INVALID, 1);
                        self.penalize(swarm, peer, reason.clone());
                        Response::Denied(reason)
                    }
                };
                let _ = swarm.behaviour_mut().sync.send_response(channel, response);
            }
            Internal::Push {
                peer,
                community,
                entries,
            } => {
                for chunk in entries.chunks(MAX_PUSH_ENTRIES) {
                    self.count(counters::PUSHED, chunk.len() as u64);
                    let request = Request::Push {
                        community,
                        entries: chunk.to_vec(),
                    };
                    self.request(swarm, peer, request, None);
                }
            }
        }
    }

    fn on_done(&mut self, swarm: &mut Swarm<Behaviour>, done: apply::Done) {
        match done {
            apply::Done::Applied {
                peer,
                community,
                source,
                verdict,
            } => self.on_applied(swarm, peer, community, source, verdict),
            apply::Done::Count(name, n) => {
                self.count(name, n);
                self.report();
            }
        }
    }

    fn on_applied(
        &mut self,
        swarm: &mut Swarm<Behaviour>,
        peer: PeerId,
        community: CommunityId,
        source: apply::Source,
        verdict: Verdict,
    ) {
        match source {
            apply::Source::Gossip { messages } => {
                for (message_id, source, acceptance) in messages {
                    swarm
                        .behaviour_mut()
                        .gossipsub
                        .report_message_validation_result(&message_id, &source, acceptance);
                }
            }
            apply::Source::Push { channel } => {
                let response = match &verdict {
                    Verdict::NotReplicated => Response::Denied("not replicated here".into()),
                    Verdict::Invalid(reason) => Response::Denied(reason.clone()),
                    _ => Response::Ack,
                };
                let _ = swarm.behaviour_mut().sync.send_response(channel, response);
            }
            apply::Source::Range { peer_head } => {
                self.applying.remove(&community);
                let best = self.status.best_seq.entry(community).or_default();
                *best = (*best).max(peer_head);
            }
        }
        match verdict {
            Verdict::Applied { next_seq } => {
                let before = self
                    .replicas
                    .get(&community)
                    .map_or(0, |state| state.next_seq);
                if let Some(state) = self.replicas.get_mut(&community) {
                    state.next_seq = state.next_seq.max(next_seq);
                }
                self.count(counters::ENTRIES_APPLIED, next_seq.saturating_sub(before));
                self.status.last_error.remove(&community);
                let best = self.status.best_seq.entry(community).or_default();
                *best = (*best).max(next_seq);
                self.report();
                self.emit(SyncEvent::Applied {
                    community,
                    next_seq,
                });
                if self.status.best_seq.get(&community).copied().unwrap_or(0) > next_seq {
                    self.fetch(swarm, peer, community);
                }
            }
            Verdict::Gap { next_seq } => {
                if let Some(state) = self.replicas.get_mut(&community) {
                    state.next_seq = next_seq;
                }
                self.fetch(swarm, peer, community);
            }
            Verdict::Duplicate | Verdict::NotReplicated => {}
            Verdict::Invalid(reason) => {
                self.count(counters::INVALID, 1);
                self.status
                    .last_error
                    .insert(community, format!("from {peer}: {reason}"));
                self.penalize(swarm, peer, reason);
            }
        }
    }

    fn on_swarm(&mut self, swarm: &mut Swarm<Behaviour>, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::ConnectionEstablished {
                peer_id,
                endpoint,
                num_established,
                ..
            } if num_established.get() == 1 => {
                tracing::debug!(peer = %peer_id, address = %endpoint.get_remote_address(), "connected");
                self.connected
                    .insert(peer_id, endpoint.get_remote_address().clone());
                self.peers_changed = true;
                self.emit(SyncEvent::Connected(peer_id));
                self.ask_heads(swarm, peer_id);
                self.relays.connected(peer_id, Instant::now());
                // Queued writes go to a home node over its new connection
                // at once. Another peer only becomes a relay once it has
                // answered the heads request, and relays are handed records
                // at the tick: reading the outbox for it here would only
                // cost (after a heal, once for each of dozens of peers).
                if self.is_home(&peer_id) {
                    self.forward_outbox();
                }
                self.report();
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } => {
                self.connected.remove(&peer_id);
                self.relays.disconnected(&peer_id);
                self.peers_changed = true;
                self.emit(SyncEvent::Disconnected(peer_id));
                self.report();
            }
            SwarmEvent::NewListenAddr { address, .. } => {
                let address = address.to_string();
                if !self.status.listen.contains(&address) {
                    self.status.listen.push(address);
                }
            }
            SwarmEvent::IncomingConnectionError {
                error: libp2p::swarm::ListenError::Denied { .. },
                ..
            } => {
                self.count(counters::CONNECTIONS_REFUSED, 1);
                self.report();
            }
            SwarmEvent::OutgoingConnectionError { peer_id, error, .. } => {
                tracing::debug!(peer = ?peer_id, %error, "dial failed");
            }
            SwarmEvent::IncomingConnectionError { error, .. } => {
                tracing::debug!(%error, "incoming connection failed");
            }
            SwarmEvent::Behaviour(event) => self.on_behaviour(swarm, event),
            _ => {}
        }
    }

    fn on_behaviour(&mut self, swarm: &mut Swarm<Behaviour>, event: BehaviourEvent) {
        match event {
            BehaviourEvent::Identify(identify::Event::Received { peer_id, info, .. }) => {
                for addr in info.listen_addrs {
                    swarm.behaviour_mut().kad.add_address(&peer_id, addr);
                }
            }
            BehaviourEvent::Mdns(mdns::Event::Discovered(found)) => {
                for (peer, addr) in found {
                    if !self.connected.contains_key(&peer) && !self.banned.contains_key(&peer) {
                        let _ = swarm.dial(addr);
                    }
                }
            }
            BehaviourEvent::Gossipsub(event) => self.on_gossip(swarm, event),
            BehaviourEvent::Sync(event) => self.on_sync(swarm, event),
            _ => {}
        }
    }

    fn on_gossip(&mut self, swarm: &mut Swarm<Behaviour>, event: gossipsub::Event) {
        match event {
            gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            } => {
                self.count(counters::GOSSIP_RECEIVED, 1);
                let decoded =
                    wire::decode_gossip(&message.data).and_then(|(community, _, entry)| {
                        if Some(community) == community_of_topic(&message.topic) {
                            Ok((community, entry))
                        } else {
                            Err(wire::WireError::Undecodable(
                                "entry published on another community's topic".into(),
                            ))
                        }
                    });
                let (community, entry) = match decoded {
                    Ok(decoded) => decoded,
                    Err(error) => {
                        swarm
                            .behaviour_mut()
                            .gossipsub
                            .report_message_validation_result(
                                &message_id,
                                &propagation_source,
                                MessageAcceptance::Reject,
                            );
                        self.count(counters::INVALID, 1);
                        self.penalize(swarm, propagation_source, error.to_string());
                        return;
                    }
                };
                let next_seq = self
                    .replicas
                    .get(&community)
                    .map_or(0, |state| state.next_seq);
                let job = apply::Job {
                    peer: propagation_source,
                    community,
                    entries: vec![entry],
                    origin: apply::Origin::Gossip {
                        message_id,
                        next_seq,
                    },
                };
                let _ = self.apply_tx.send(job);
            }
            gossipsub::Event::Subscribed { peer_id, topic } => {
                if let Some(community) = community_of_topic(&topic) {
                    self.emit(SyncEvent::Subscribed {
                        peer: peer_id,
                        community,
                    });
                }
            }
            gossipsub::Event::SlowPeer {
                peer_id,
                failed_messages,
            } => {
                let dropped = (failed_messages.priority + failed_messages.non_priority) as u64;
                self.count(counters::PUBLISH_DROPPED, dropped);
                tracing::debug!(%peer_id, dropped, "slow peer");
            }
            _ => {}
        }
    }

    fn on_sync(
        &mut self,
        swarm: &mut Swarm<Behaviour>,
        event: request_response::Event<Request, Response>,
    ) {
        match event {
            request_response::Event::Message { peer, message, .. } => match message {
                request_response::Message::Request {
                    request, channel, ..
                } => self.on_request(swarm, peer, request, channel),
                request_response::Message::Response {
                    request_id,
                    response,
                } => {
                    if self.blobs.owns(&request_id) {
                        self.on_blob_response(swarm, peer, request_id, Some(response));
                        return;
                    }
                    let community = self.requests.remove(&request_id).flatten();
                    if let Some(community) = community
                        && self.in_flight.get(&community) == Some(&request_id)
                    {
                        self.in_flight.remove(&community);
                    }
                    self.relays.answered(&request_id, true);
                    self.on_response(swarm, peer, response);
                }
            },
            request_response::Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                if self.blobs.owns(&request_id) {
                    self.on_blob_response(swarm, peer, request_id, None);
                    return;
                }
                self.relays.answered(&request_id, false);
                let community = self.requests.remove(&request_id).flatten();
                if let Some(community) = community {
                    if self.in_flight.get(&community) == Some(&request_id) {
                        self.in_flight.remove(&community);
                    }
                    self.status.last_error.insert(
                        community,
                        format!("range request to {peer} failed: {error}"),
                    );
                }
                tracing::debug!(%peer, %error, "sync request failed");
            }
            request_response::Event::InboundFailure { peer, error, .. } => {
                tracing::debug!(%peer, %error, "sync request from peer failed");
            }
            request_response::Event::ResponseSent { .. } => {}
        }
    }

    fn on_request(
        &mut self,
        swarm: &mut Swarm<Behaviour>,
        peer: PeerId,
        request: Request,
        channel: ResponseChannel<Response>,
    ) {
        let Some(key) = crate::peer_key(&peer) else {
            let _ = swarm
                .behaviour_mut()
                .sync
                .send_response(channel, Response::Denied("peer id is not Ed25519".into()));
            return;
        };
        match request {
            Request::Heads(communities) => {
                let known: Vec<(CommunityId, u64)> = communities
                    .iter()
                    .take(10_000)
                    .filter_map(|community| {
                        self.replicas
                            .get(community)
                            .filter(|state| state.next_seq > 0)
                            .map(|state| (*community, state.next_seq))
                    })
                    .collect();
                let replica = self.replica.clone();
                let internal = self.internal_tx.clone();
                tokio::spawn(async move {
                    let mut heads = Vec::with_capacity(known.len());
                    for (community, next_seq) in known {
                        if replica.may_receive(key, community).await {
                            heads.push((community, next_seq));
                        }
                    }
                    let _ = internal.send(Internal::Respond {
                        channel,
                        response: Response::Heads(heads),
                    });
                });
            }
            Request::Range {
                community,
                from,
                limit,
            } => {
                let limit = limit.min(self.config.max_batch_entries);
                let max_bytes = self.config.max_batch_bytes;
                let replica = self.replica.clone();
                let internal = self.internal_tx.clone();
                let serving = self.serving.clone();
                self.count(counters::RANGES_SERVED, 1);
                tokio::spawn(async move {
                    let Ok(_turn) = serving.acquire_owned().await else {
                        return;
                    };
                    let response = match replica.range(key, community, from, limit).await {
                        Some(range) => {
                            let mut bytes = 0;
                            let entries = range
                                .entries
                                .iter()
                                .map(WireEntry::from_entry)
                                .take_while(|entry| {
                                    bytes += entry.content_len();
                                    bytes <= max_bytes
                                })
                                .collect();
                            Response::Entries {
                                community,
                                entries,
                                head: range.head,
                            }
                        }
                        None => Response::Denied("not available".into()),
                    };
                    let _ = internal.send(Internal::Respond { channel, response });
                });
            }
            Request::Submit { community, records } => {
                if records.len() > MAX_PUSH_ENTRIES {
                    let _ = swarm
                        .behaviour_mut()
                        .sync
                        .send_response(channel, Response::Denied("submission too large".into()));
                    self.count(counters::INVALID, 1);
                    self.penalize(swarm, peer, "oversized submission".into());
                    return;
                }
                // The author's node and every relay send the same records:
                // copies of what another submission is storing, or stored a
                // moment ago, are acknowledged unchecked.
                let ids: Vec<RecordId> = records.iter().map(wire::WireRecord::claimed_id).collect();
                let fresh = self.received.claim(&ids, Instant::now());
                let (ids, records): (Vec<RecordId>, Vec<wire::WireRecord>) = ids
                    .into_iter()
                    .zip(records)
                    .zip(fresh)
                    .filter_map(|(pair, fresh)| fresh.then_some(pair))
                    .unzip();
                if records.is_empty() {
                    let _ = swarm
                        .behaviour_mut()
                        .sync
                        .send_response(channel, Response::Ack);
                    return;
                }
                let _ = self.submit_tx.send(submit::Job {
                    peer,
                    key,
                    community,
                    ids,
                    records,
                    channel,
                });
            }
            Request::Push { community, entries } => {
                if entries.len() > MAX_PUSH_ENTRIES {
                    let _ = swarm
                        .behaviour_mut()
                        .sync
                        .send_response(channel, Response::Denied("push too large".into()));
                    self.count(counters::INVALID, 1);
                    self.penalize(swarm, peer, "oversized push".into());
                    return;
                }
                let job = apply::Job {
                    peer,
                    community,
                    entries,
                    origin: apply::Origin::Push { channel },
                };
                let _ = self.apply_tx.send(job);
            }
            Request::Blob {
                community,
                id,
                part,
            } => self.serve_blob(key, community, id.into_array(), part, channel),
        }
    }

    fn on_response(&mut self, swarm: &mut Swarm<Behaviour>, peer: PeerId, response: Response) {
        match response {
            Response::Heads(heads) => {
                for (community, head) in heads {
                    let Some(state) = self.replicas.get(&community) else {
                        continue;
                    };
                    self.holders.entry(community).or_default().insert(peer);
                    let local = state.next_seq;
                    let best = self.status.best_seq.entry(community).or_default();
                    *best = (*best).max(head);
                    if head > local {
                        self.fetch(swarm, peer, community);
                    }
                }
            }
            Response::Entries {
                community,
                entries,
                head,
            } => {
                let best = self.status.best_seq.entry(community).or_default();
                *best = (*best).max(head);
                if entries.is_empty() {
                    return;
                }
                let bytes: usize = entries.iter().map(WireEntry::content_len).sum();
                self.count(counters::RANGE_BYTES, bytes as u64);
                self.applying.insert(community);
                let job = apply::Job {
                    peer,
                    community,
                    entries,
                    origin: apply::Origin::Range { peer_head: head },
                };
                let _ = self.apply_tx.send(job);
            }
            Response::Ack => {}
            // Blob answers are routed by their request id before this.
            Response::BlobManifest { .. } | Response::BlobChunk(_) => {}
            Response::Denied(reason) if reason.starts_with("refused: ") => {
                self.count(counters::FORWARD_REFUSED, 1);
                tracing::warn!(%peer, %reason, "the home node refused forwarded records");
            }
            Response::Denied(reason) => {
                self.count(counters::REQUESTS_DENIED, 1);
                tracing::debug!(%peer, %reason, "peer denied a sync request");
            }
        }
    }
}
