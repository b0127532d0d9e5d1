//! The hub: every document in memory and every connection's sync session, driven by
//! one thread. Connection tasks only move bytes; the protocol is core's sans-IO
//! `SyncSession`, one per connection, and the hub decides what reaches it.
//!
//! The hub works in batches: it takes every message waiting, applies them, writes the
//! deltas they brought to the store in one durable write (group commit), and only
//! then acknowledges them to their senders. Other subscribers get the deltas at once.
//!
//! Links with other relays of the mesh are connections too, subscribed to every
//! document in memory; `quorum` and `anti_entropy` hold what only they need.

mod anti_entropy;
mod quorum;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, mpsc, oneshot};
use weft_core::doc::decode_update;
use weft_core::sync::{Documents, Message, SessionConfig, SessionEvent, SyncSession};
use weft_core::{Document, ReplicaId, SnapshotMode, VersionVector};

use crate::auth::Access;
use crate::mesh::{Digests, MeshView};
use crate::metrics::Metrics;
use crate::outbox::OutboxSender;
use crate::store::{Batch, Store, StoreError, Stored, encoded_version};
use quorum::Awaiting;

pub type ConnectionId = u64;

/// What connection tasks tell the hub.
pub enum Input {
    Opened {
        id: ConnectionId,
        access: Access,
        /// How many relays must hold a client's changes before they are acknowledged.
        durability: usize,
        outgoing: OutboxSender,
    },
    Received {
        id: ConnectionId,
        bytes: Vec<u8>,
    },
    /// A mesh control message from a link.
    Mesh {
        id: ConnectionId,
        text: String,
    },
    Closed {
        id: ConnectionId,
    },
    /// A correctness lock's latest token: guards showing an older one are stale.
    Fence {
        lock: String,
        token: u64,
    },
    /// The connection's writes to `doc` show `token` of the correctness `lock`, and
    /// the document is guarded by that lock from now on.
    Guard {
        id: ConnectionId,
        doc: String,
        lock: String,
        token: u64,
    },
    /// A lock event for a connection that follows the lock.
    LockEvent {
        id: ConnectionId,
        text: String,
    },
    /// Time passes: retries, presence expiry, idle documents.
    Tick,
    /// Write everything down and stop; the reply says it is done.
    Shutdown(oneshot::Sender<()>),
}

/// What the hub sends a connection task.
#[derive(Debug)]
pub enum Outgoing {
    Message(Vec<u8>),
    /// A mesh control message, for links.
    Mesh(String),
    /// A lock event, for a client that follows the lock.
    Lock(String),
    Close {
        code: u16,
        reason: String,
    },
}

/// A document with this many deltas in its log is snapshotted.
const SNAPSHOT_AFTER: usize = 1_000;
/// Most messages handled between two durable writes.
const BATCH: usize = 512;

struct Connection {
    session: SyncSession,
    access: Access,
    durability: usize,
    outgoing: OutboxSender,
    replica: Option<ReplicaId>,
    /// Per guarded document, the lock and token this connection's writes show.
    guards: BTreeMap<String, (String, u64)>,
    /// When this link was last sent every document's digest.
    digest_sent_at: Option<Instant>,
}

impl Connection {
    fn is_link(&self) -> bool {
        self.access.peer().is_some()
    }
}

struct Room {
    doc: Document,
    /// Clients and mesh links.
    subscribers: BTreeSet<ConnectionId>,
    /// The latest presence of each replica (`None`: it left), with its clock.
    presence: BTreeMap<ReplicaId, (u64, Option<Vec<u8>>)>,
    logged: usize,
    last_used: Instant,
    /// The correctness lock whose latest token every write must show.
    guard: Option<String>,
}

/// What the hub keeps of a message it hands over to a session (decoded once).
#[derive(Default)]
struct Kept {
    /// An update's payload, to store once the session applied it.
    payload: Option<Vec<u8>>,
    /// Whether the update answers a subscribe.
    catch_up: bool,
    /// The document's version before a live update (none for a catch-up), and how
    /// many changes waited then.
    before: Option<VersionVector>,
    pending_before: usize,
    /// A presence's clock, to forward it with.
    clock: Option<u64>,
}

impl Kept {
    fn of(message: &Message) -> Self {
        match message {
            Message::Update {
                payload, catch_up, ..
            } => Self {
                payload: Some(payload.clone()),
                catch_up: *catch_up,
                ..Self::default()
            },
            Message::Awareness { clock, .. } => Self {
                clock: Some(*clock),
                ..Self::default()
            },
            _ => Self::default(),
        }
    }
}

/// The rooms as the sessions see them.
struct Rooms<'a>(&'a mut BTreeMap<String, Room>);

impl Documents for Rooms<'_> {
    fn document(&mut self, id: &str) -> Option<&mut Document> {
        self.0.get_mut(id).map(|room| &mut room.doc)
    }
}

pub struct Hub<S> {
    store: S,
    /// Documents no connection uses for this long leave memory.
    idle: Duration,
    replica: ReplicaId,
    metrics: Arc<Metrics>,
    started: Instant,
    rooms: BTreeMap<String, Room>,
    connections: BTreeMap<ConnectionId, Connection>,
    /// The connection each connected replica said hello on.
    speakers: BTreeMap<ReplicaId, ConnectionId>,
    /// Deltas applied in this batch, to write before their acknowledgements.
    to_store: Batch,
    /// The last update of each connection and document applied in this batch: one
    /// acknowledgement covers all before it, so a burst of updates is answered by
    /// one message rather than one each.
    to_acknowledge: BTreeMap<(ConnectionId, String), u64>,
    /// Client updates durable here, waiting for more relays to hold them.
    awaiting: Vec<Awaiting>,
    /// Connections whose sessions were given something to send since the last
    /// flush: a flush visits only them (a tick, which touches all, visits all).
    touched: Vec<ConnectionId>,
    flush_all: bool,
    /// The mesh's view, when this relay is in one.
    mesh: Option<Arc<MeshView>>,
    /// What every stored document's version hashes to, for anti-entropy.
    digests: Digests,
    /// Tells change streams which document's log grew, up to which sequence number.
    appended: broadcast::Sender<(String, u64)>,
    /// Deltas kept per document after a snapshot folded them in, for change streams.
    retain: u64,
    /// The latest token of each correctness lock the hub heard of.
    fences: BTreeMap<String, u64>,
}

impl<S: Store> Hub<S> {
    pub fn new(
        mut store: S,
        replica: ReplicaId,
        metrics: Arc<Metrics>,
        idle: Duration,
        mesh: Option<Arc<MeshView>>,
        appended: broadcast::Sender<(String, u64)>,
        retain: u64,
    ) -> Self {
        let digests = anti_entropy::stored_digests(&mut store, replica);
        let hub = Self {
            store,
            idle,
            replica,
            metrics,
            started: Instant::now(),
            rooms: BTreeMap::new(),
            connections: BTreeMap::new(),
            speakers: BTreeMap::new(),
            to_store: Batch::default(),
            to_acknowledge: BTreeMap::new(),
            awaiting: Vec::new(),
            touched: Vec::new(),
            flush_all: false,
            mesh,
            digests,
            appended,
            retain,
            fences: BTreeMap::new(),
        };
        hub.publish_digest();
        hub
    }

    /// Serves until told to shut down (or every sender is gone).
    pub fn run(mut self, mut input: mpsc::Receiver<Input>) {
        while let Some(first) = input.blocking_recv() {
            let mut next = Some(first);
            let mut handled = 0;
            while let Some(message) = next.take() {
                if let Input::Shutdown(done) = message {
                    self.finish_batch();
                    self.shut_down();
                    let _ = done.send(());
                    return;
                }
                self.handle(message);
                handled += 1;
                if handled < BATCH {
                    next = input.try_recv().ok();
                }
            }
            self.finish_batch();
        }
        self.shut_down();
    }

    fn now(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    fn handle(&mut self, input: Input) {
        match input {
            Input::Opened {
                id,
                access,
                durability,
                outgoing,
            } => self.opened(id, access, durability, outgoing),
            Input::Received { id, bytes } => self.received(id, &bytes),
            Input::Mesh { id, text } => self.mesh_message(id, &text),
            Input::Closed { id } => self.closed(id),
            Input::LockEvent { id, text } => {
                let sent = self
                    .connections
                    .get(&id)
                    .map(|connection| connection.outgoing.try_send(Outgoing::Lock(text)));
                if matches!(sent, Some(Err(_))) {
                    self.drop_slow(id);
                }
            }
            Input::Fence { lock, token } => {
                let latest = self.fences.entry(lock).or_default();
                *latest = (*latest).max(token);
            }
            Input::Guard {
                id,
                doc,
                lock,
                token,
            } => self.guard(id, doc, lock, token),
            Input::Tick => self.tick(),
            Input::Shutdown(_) => unreachable!("handled by run"),
        }
    }

    fn opened(
        &mut self,
        id: ConnectionId,
        access: Access,
        durability: usize,
        outgoing: OutboxSender,
    ) {
        let link = access.peer().is_some();
        let config = SessionConfig {
            auto_ack: false,
            // Relays resend unacknowledged changes sooner: acknowledgements of
            // links count towards clients' quorums.
            retry_ms: if link { 1_000 } else { 3_000 },
            ..SessionConfig::default()
        };
        let mut connection = Connection {
            session: SyncSession::new(self.replica, config),
            access,
            durability,
            outgoing,
            replica: None,
            guards: BTreeMap::new(),
            digest_sent_at: None,
        };
        if let Some(node) = connection.access.peer() {
            self.peer_stats(node, |peer| {
                peer.links += 1;
                peer.links_opened += 1;
            });
            // A new link starts with every document in memory, and says what this
            // relay holds so the other side can ask for what differs.
            let now = self.now();
            for (name, room) in &mut self.rooms {
                connection.session.subscribe(now, name, &room.doc);
                room.subscribers.insert(id);
            }
            let root = self.digests.root_message().to_text();
            let _ = connection.outgoing.try_send(Outgoing::Mesh(root));
        }
        self.connections.insert(id, connection);
        self.touched.push(id);
    }

    fn received(&mut self, id: ConnectionId, bytes: &[u8]) {
        self.touched.push(id);
        Metrics::add(&self.metrics.bytes_in, bytes.len() as u64);
        let len = bytes.len() as u64;
        self.link_stats(id, |peer| peer.bytes_in += len);
        let message = match Message::decode(bytes) {
            Ok(message) => message,
            Err(error) => return self.refuse(id, &error.to_string()),
        };
        if let Err(reason) = self.admit(id, &message) {
            return self.refuse(id, &reason);
        }
        let mut kept = Kept::of(&message);
        // What an update is forwarded as depends on the version before it; a
        // catch-up is never forwarded as it came.
        if let Message::Update {
            doc,
            catch_up: false,
            ..
        } = &message
            && let Some(room) = self.rooms.get(doc)
        {
            kept.before = Some(room.doc.version().clone());
            kept.pending_before = room.doc.pending_len();
        }
        let now = self.now();
        let Some(connection) = self.connections.get_mut(&id) else {
            return;
        };
        let events = connection
            .session
            .receive_message(now, message, &mut Rooms(&mut self.rooms));
        let events = match events {
            Ok(events) => events,
            Err(error) => {
                Metrics::add(&self.metrics.refused, 1);
                tracing::debug!(connection = id, %error, "message refused");
                return;
            }
        };
        for event in events {
            self.on_event(id, event, &mut kept);
        }
    }

    /// Checks a message against the connection's rights, loading the document it
    /// names; the reason for a refusal goes back to the client.
    fn admit(&mut self, id: ConnectionId, message: &Message) -> Result<(), String> {
        let Some(connection) = self.connections.get(&id) else {
            return Ok(());
        };
        match message {
            Message::Hello { replica, .. } => {
                let taken = self.speakers.get(replica).is_some_and(|other| *other != id);
                if taken {
                    return Err(format!(
                        "replica {replica} is connected already: every tab needs a replica id of its own"
                    ));
                }
            }
            Message::Subscribe { doc, .. } => {
                if !connection.access.can_read(doc) {
                    return Err(format!("this token does not give access to {doc:?}"));
                }
                self.load(doc)?;
                let room = self.rooms.get_mut(doc).expect("loaded above");
                room.subscribers.insert(id);
                let connection = self.connections.get_mut(&id).expect("checked above");
                for (replica, (clock, state)) in &room.presence {
                    if let Some(state) = state {
                        connection.session.forward_awareness(
                            doc,
                            *replica,
                            *clock,
                            Some(state.clone()),
                        );
                    }
                }
            }
            Message::Update { doc, payload, .. } => {
                if !connection.access.can_write(doc) {
                    return Err(format!(
                        "this token is read-only for {doc:?}: the update was not applied"
                    ));
                }
                let writer = connection.replica;
                let link = connection.is_link();
                self.load(doc)?;
                // Another relay passes on everyone's changes.
                if link {
                    return Ok(());
                }
                self.check_fence(id, doc)?;
                let known = self.rooms[doc].doc.version();
                let changes = decode_update(payload).map_err(|error| error.to_string())?;
                // A client may pass on changes of replicas that are not connected (its
                // own edits from before a reload, say), never new ones of a replica
                // another connection speaks for.
                let impersonated = changes.iter().find(|change| {
                    let author = change.id.replica();
                    Some(author) != writer
                        && !known.contains(change.id)
                        && self.speakers.get(&author).is_some_and(|other| *other != id)
                });
                if let Some(change) = impersonated {
                    return Err(format!(
                        "a change by replica {}, which another connection speaks for: not applied",
                        change.id.replica()
                    ));
                }
            }
            Message::Awareness { doc, replica, .. } => {
                if connection.is_link() {
                    return Ok(());
                }
                if !connection.access.can_read(doc) || connection.replica != Some(*replica) {
                    return Err(format!("presence for {doc:?} as another replica"));
                }
            }
            Message::Ack { .. } | Message::Error { .. } | Message::Unknown { .. } => {}
        }
        Ok(())
    }

    fn on_event(&mut self, id: ConnectionId, event: SessionEvent, kept: &mut Kept) {
        let now = self.now();
        match event {
            SessionEvent::Connected { peer } => {
                if let Some(connection) = self.connections.get_mut(&id) {
                    if let Some(before) = connection.replica.replace(peer) {
                        self.speakers.remove(&before);
                    }
                    self.speakers.insert(peer, id);
                }
            }
            SessionEvent::Changed { doc, seq, imported } => {
                Metrics::add(&self.metrics.deltas_in, 1);
                if let (true, Some(payload)) = (kept.catch_up, &kept.payload) {
                    let len = payload.len() as u64;
                    self.link_stats(id, |peer| peer.anti_entropy_bytes += len);
                }
                let last = self.to_acknowledge.entry((id, doc.clone())).or_default();
                *last = (*last).max(seq);
                let Some(room) = self.rooms.get_mut(&doc) else {
                    return;
                };
                room.last_used = Instant::now();
                // An update that applied whole, with nothing waiting before or after
                // it, is exactly what an up-to-date subscriber lacks: it goes out as it
                // came, encoded once for all of them.
                let as_it_came = match (&kept.before, &kept.payload) {
                    (Some(before), Some(payload))
                        if imported.pending == 0 && kept.pending_before == 0 =>
                    {
                        Some((before, payload.as_slice()))
                    }
                    _ => None,
                };
                for other in room.subscribers.iter().filter(|other| **other != id) {
                    let Some(connection) = self.connections.get_mut(other) else {
                        continue;
                    };
                    self.touched.push(*other);
                    match as_it_came {
                        Some((before, payload)) => {
                            connection
                                .session
                                .forward_update(now, &doc, &room.doc, before, payload);
                        }
                        None => connection.session.local_changed(now, &doc, &room.doc),
                    }
                }
                if imported.applied + imported.pending > 0
                    && let Some(payload) = kept.payload.take()
                {
                    room.logged += 1;
                    self.to_store.deltas.push((doc.clone(), payload));
                }
            }
            SessionEvent::Awareness {
                doc,
                replica,
                state,
            } => {
                let Some(clock) = kept.clock else {
                    return;
                };
                let Some(room) = self.rooms.get_mut(&doc) else {
                    return;
                };
                // Presence reaches a relay by every path of the mesh: pass on each
                // state once, and never back to the replica it belongs to.
                if room
                    .presence
                    .get(&replica)
                    .is_some_and(|(seen, _)| *seen >= clock)
                {
                    return;
                }
                room.presence.insert(replica, (clock, state.clone()));
                let owner = self.speakers.get(&replica).copied();
                for other in room
                    .subscribers
                    .iter()
                    .filter(|other| **other != id && Some(**other) != owner)
                {
                    if let Some(connection) = self.connections.get_mut(other) {
                        self.touched.push(*other);
                        let state = state.clone();
                        connection
                            .session
                            .forward_awareness(&doc, replica, clock, state);
                    }
                }
            }
            SessionEvent::Refused { error } => {
                Metrics::add(&self.metrics.refused, 1);
                tracing::debug!(connection = id, %error, "client sent something refused");
            }
            SessionEvent::PeerError { message } => {
                tracing::debug!(connection = id, %message, "client reported an error");
            }
            SessionEvent::Acknowledged { doc, .. } => {
                if self.connections.get(&id).is_some_and(Connection::is_link) {
                    self.release_quorum(Some(&doc));
                }
            }
            SessionEvent::Synced { .. } | SessionEvent::Skipped { .. } => {}
        }
    }

    /// Loads `doc` from the store unless it is in memory.
    fn load(&mut self, doc: &str) -> Result<(), String> {
        if let Some(room) = self.rooms.get_mut(doc) {
            room.last_used = Instant::now();
            return Ok(());
        }
        let stored = self.store.load(doc).map_err(|error| {
            tracing::error!(doc, %error, "loading a document failed");
            format!("the relay could not load {doc:?}; try again later")
        })?;
        let (document, failed) = stored
            .open(self.replica)
            .map_err(|error| format!("{doc:?}: {error}"))?;
        for error in failed {
            tracing::warn!(doc, %error, "a stored delta did not apply");
        }
        let mut room = Room {
            doc: document,
            subscribers: BTreeSet::new(),
            presence: BTreeMap::new(),
            logged: stored.deltas.len(),
            last_used: Instant::now(),
            guard: stored.guard.clone(),
        };
        // Every link follows every document in memory.
        let now = self.now();
        for (id, connection) in &mut self.connections {
            if connection.is_link() {
                connection.session.subscribe(now, doc, &room.doc);
                room.subscribers.insert(*id);
                self.touched.push(*id);
            }
        }
        self.rooms.insert(doc.into(), room);
        Metrics::add(&self.metrics.documents_loaded, 1);
        Ok(())
    }

    /// Guards `doc` by `lock` (for good: a guarded document stays guarded) and
    /// records the token this connection's writes to it show.
    fn guard(&mut self, id: ConnectionId, doc: String, lock: String, token: u64) {
        if !self.connections.contains_key(&id) {
            return;
        }
        if let Err(reason) = self.load(&doc) {
            return self.refuse(id, &reason);
        }
        let room = self.rooms.get_mut(&doc).expect("loaded above");
        match &room.guard {
            Some(guard) if *guard != lock => {
                let reason = format!("{doc:?} is guarded by the lock {guard:?}, not {lock:?}");
                return self.refuse(id, &reason);
            }
            Some(_) => {}
            None => {
                if let Err(error) = self.store.set_guard(&doc, &lock) {
                    tracing::error!(doc, %error, "recording a guard failed");
                    return self.refuse(id, "the relay could not record the guard; try again");
                }
                room.guard = Some(lock.clone());
            }
        }
        if let Some(connection) = self.connections.get_mut(&id) {
            connection.guards.insert(doc, (lock, token));
        }
    }

    /// A write to a guarded document must show the latest token of its lock: a
    /// holder whose lease lapsed while it was paused cannot change it any more.
    fn check_fence(&self, id: ConnectionId, doc: &str) -> Result<(), String> {
        let Some(lock) = self.rooms.get(doc).and_then(|room| room.guard.as_ref()) else {
            return Ok(());
        };
        let latest = self.fences.get(lock).copied().unwrap_or(0);
        let shown = self
            .connections
            .get(&id)
            .and_then(|connection| connection.guards.get(doc))
            .filter(|(guarded_by, _)| guarded_by == lock)
            .map(|(_, token)| *token);
        if !matches!(shown, Some(token) if token >= latest && token > 0) {
            Metrics::add(&self.metrics.fenced_writes, 1);
        }
        match shown {
            Some(token) if token >= latest && token > 0 => Ok(()),
            Some(token) => Err(format!(
                "fenced: {doc:?} is guarded by the lock {lock:?}, whose latest token is {latest}; \
                 this connection shows {token}: the update was not applied"
            )),
            None => Err(format!(
                "fenced: {doc:?} is guarded by the lock {lock:?}: take it and send a guard \
                 with its token first; the update was not applied"
            )),
        }
    }

    fn refuse(&mut self, id: ConnectionId, reason: &str) {
        Metrics::add(&self.metrics.refused, 1);
        tracing::debug!(connection = id, reason, "refused");
        if let Some(connection) = self.connections.get_mut(&id) {
            let error = Message::Error {
                message: reason.into(),
            };
            if connection
                .outgoing
                .try_send(Outgoing::Message(error.encode()))
                .is_err()
            {
                self.drop_slow(id);
            }
        }
    }

    fn closed(&mut self, id: ConnectionId) {
        let Some(connection) = self.connections.remove(&id) else {
            return;
        };
        if let Some(node) = connection.access.peer() {
            self.peer_stats(node, |peer| peer.links = peer.links.saturating_sub(1));
        }
        if let Some(replica) = connection.replica {
            self.speakers.remove(&replica);
        }
        // The session knows every document the connection used (and, harmlessly,
        // any it was refused).
        for doc in connection.session.documents() {
            let Some(room) = self.rooms.get_mut(doc) else {
                continue;
            };
            room.subscribers.remove(&id);
            room.last_used = Instant::now();
            // Tell the others at once that this replica left.
            let Some(replica) = connection.replica else {
                continue;
            };
            // The departure counts on the replica's own clock, which its next session
            // continues past.
            if let Some((clock, Some(_))) = room.presence.get(&replica).cloned() {
                room.presence.insert(replica, (clock + 1, None));
                for other in &room.subscribers {
                    if let Some(peer) = self.connections.get_mut(other) {
                        peer.session
                            .forward_awareness(doc, replica, clock + 1, None);
                        self.touched.push(*other);
                    }
                }
            }
        }
    }

    fn tick(&mut self) {
        self.flush_all = true;
        let now = self.now();
        for connection in self.connections.values_mut() {
            for event in connection.session.tick(now, &mut Rooms(&mut self.rooms)) {
                if let SessionEvent::Refused { error } = event {
                    tracing::debug!(%error, "refused on tick");
                }
            }
        }
        // Links do not keep a document in memory: they load it again when it changes.
        let idle: Vec<String> = self
            .rooms
            .iter()
            .filter(|(_, room)| {
                room.last_used.elapsed() > self.idle
                    && room
                        .subscribers
                        .iter()
                        .all(|id| self.connections.get(id).is_none_or(Connection::is_link))
            })
            .map(|(name, _)| name.clone())
            .collect();
        for name in idle {
            self.snapshot(&name);
            if self.rooms.get(&name).is_some_and(|room| room.logged == 0) {
                self.unload(&name);
            }
        }
        self.send_roots();
    }

    fn unload(&mut self, name: &str) {
        if self.rooms.remove(name).is_none() {
            return;
        }
        self.metrics
            .documents_loaded
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// Sends every connection what its session has for it (the deltas go out to the
    /// other subscribers without waiting for the disk), writes the deltas of this
    /// batch durably, then acknowledges them.
    fn finish_batch(&mut self) {
        self.flush();
        if !self.to_store.is_empty() {
            let changed: BTreeSet<String> = self
                .to_store
                .deltas
                .iter()
                .map(|(doc, _)| doc.clone())
                .collect();
            for doc in &changed {
                if let Some(room) = self.rooms.get(doc) {
                    let version = encoded_version(&room.doc);
                    self.to_store.versions.push((doc.clone(), version));
                }
            }
            let started = Instant::now();
            let written = self.store.append(&self.to_store);
            Metrics::add(&self.metrics.store_writes, 1);
            Metrics::add(
                &self.metrics.store_write_micros,
                started.elapsed().as_micros() as u64,
            );
            let versions = std::mem::take(&mut self.to_store.versions);
            let deltas = std::mem::take(&mut self.to_store.deltas);
            self.to_store.clear();
            match written {
                Ok(seqs) => {
                    self.record_digests(&versions);
                    // Change streams follow what is durable.
                    for ((doc, _), seq) in deltas.into_iter().zip(seqs) {
                        let _ = self.appended.send((doc, seq));
                    }
                }
                Err(error) => {
                    // Not durable, so not acknowledged: the clients send them again.
                    tracing::error!(%error, "writing deltas failed");
                    self.to_acknowledge.clear();
                }
            }
        }
        for ((id, doc), seq) in std::mem::take(&mut self.to_acknowledge) {
            let (Some(connection), Some(room)) =
                (self.connections.get_mut(&id), self.rooms.get(&doc))
            else {
                continue;
            };
            if connection.durability > 1 {
                self.awaiting.push(Awaiting {
                    connection: id,
                    doc,
                    seq,
                    version: room.doc.version().clone(),
                    since: Instant::now(),
                });
            } else {
                connection
                    .session
                    .acknowledge(&doc, seq, room.doc.version());
                self.touched.push(id);
            }
        }
        self.release_quorum(None);
        let busy: Vec<String> = self
            .rooms
            .iter()
            .filter(|(_, room)| room.logged >= SNAPSHOT_AFTER)
            .map(|(name, _)| name.clone())
            .collect();
        for name in busy {
            self.snapshot(&name);
        }
        self.flush();
    }

    /// Replaces a document's log with a snapshot, unless changes in it still wait
    /// for ones not seen (a snapshot would leave them out).
    fn snapshot(&mut self, name: &str) {
        let Some(room) = self.rooms.get_mut(name) else {
            return;
        };
        if room.logged == 0 || room.doc.pending_len() > 0 {
            return;
        }
        let snapshot = room.doc.export_snapshot(SnapshotMode::Full);
        let version = encoded_version(&room.doc);
        let through = match self.store.write_snapshot(name, &snapshot, &version) {
            Ok(through) => through,
            Err(error) => {
                tracing::error!(doc = name, %error, "writing a snapshot failed");
                return;
            }
        };
        room.logged = 0;
        if let Err(error) = self.prune(name, through) {
            tracing::error!(doc = name, %error, "pruning the log failed");
        }
    }

    /// Keeps a document's log to the retention window: older deltas that a snapshot
    /// folded in are folded into the document's base too, and dropped. Pruning waits
    /// until the window is half full again, so it happens in batches.
    fn prune(&mut self, name: &str, through: u64) -> Result<(), StoreError> {
        // The log holds only the deltas after the base.
        let count = self.store.count_after(name, 0)?;
        if count <= self.retain + self.retain / 2 {
            return Ok(());
        }
        let (pruned, base) = self.store.base(name)?.unwrap_or_default();
        let surplus = usize::try_from(count - self.retain).unwrap_or(usize::MAX);
        let folded: Vec<(u64, Vec<u8>)> = self
            .store
            .deltas_after(name, pruned, surplus)?
            .into_iter()
            .take_while(|(seq, _)| *seq <= through)
            .collect();
        let Some(last) = folded.last().map(|(seq, _)| *seq) else {
            return Ok(());
        };
        let stored = Stored {
            snapshot: (!base.is_empty()).then_some(base),
            deltas: folded.into_iter().map(|(_, bytes)| bytes).collect(),
            guard: None,
        };
        let (document, _) = stored.open(self.replica).map_err(StoreError)?;
        self.store
            .prune(name, last, &document.export_snapshot(SnapshotMode::Shallow))
    }

    fn flush(&mut self) {
        let mut slow = Vec::new();
        let mut touched = std::mem::take(&mut self.touched);
        if std::mem::take(&mut self.flush_all) {
            touched = self.connections.keys().copied().collect();
        } else {
            touched.sort_unstable();
            touched.dedup();
        }
        for id in &touched {
            let Some(connection) = self.connections.get_mut(id) else {
                continue;
            };
            for message in connection.session.take_outgoing() {
                Metrics::add(&self.metrics.bytes_out, message.len() as u64);
                Metrics::add(&self.metrics.deltas_out, 1);
                if let (Some(mesh), Some(node)) = (&self.mesh, connection.access.peer()) {
                    mesh.peer(node, |peer| peer.bytes_out += message.len() as u64);
                }
                if connection
                    .outgoing
                    .try_send(Outgoing::Message(message))
                    .is_err()
                {
                    slow.push(*id);
                    break;
                }
            }
        }
        // Keeps the allocation for the next batch.
        touched.clear();
        self.touched = touched;
        for id in slow {
            self.drop_slow(id);
        }
    }

    /// A connection that does not read what it is sent is closed (its task sees the
    /// channel end); the client reconnects and catches up from its version.
    fn drop_slow(&mut self, id: ConnectionId) {
        Metrics::add(&self.metrics.slow_consumers, 1);
        tracing::info!(
            connection = id,
            "closing a connection that reads too slowly"
        );
        self.closed(id);
    }

    fn shut_down(&mut self) {
        let names: Vec<String> = self.rooms.keys().cloned().collect();
        for name in names {
            self.snapshot(&name);
        }
        for connection in self.connections.values() {
            let _ = connection.outgoing.try_send(Outgoing::Close {
                code: 1001,
                reason: "the relay is shutting down".into(),
            });
        }
    }
}
