//! The sync protocol's state machine, one per connection.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::message::{Message, encode_update};
use crate::doc::{Imported, SnapshotMode};
use crate::{Document, Error, ReplicaId, VersionVector};

/// The protocol version this build speaks.
pub const PROTOCOL_VERSION: u32 = 1;

/// Where a session finds the documents a peer names. A relay loads them on demand;
/// a client hands out the ones it has open.
pub trait Documents {
    /// The document `id`, if this side serves it.
    fn document(&mut self, id: &str) -> Option<&mut Document>;
}

impl Documents for BTreeMap<String, Document> {
    fn document(&mut self, id: &str) -> Option<&mut Document> {
        self.get_mut(id)
    }
}

/// How a session behaves.
#[derive(Clone, Copy, Debug)]
pub struct SessionConfig {
    /// Acknowledge updates as soon as they are applied. A relay turns this off and
    /// calls [`SyncSession::acknowledge`] once the update is durable.
    pub auto_ack: bool,
    /// With `auto_ack`, how long (milliseconds) an acknowledgement may wait so that
    /// one covers every update received meanwhile; it goes out on the first
    /// [`tick`](SyncSession::tick) after. 0 acknowledges each update at once. Over a
    /// reliable transport, acknowledgements only stop retries, so a client in a busy
    /// document saves its relay reading one per update.
    pub ack_delay_ms: u64,
    /// Unacknowledged changes are sent again after this long (milliseconds).
    pub retry_ms: u64,
    /// A peer's presence expires when not refreshed for this long (milliseconds);
    /// the local presence is refreshed at half of it.
    pub awareness_timeout_ms: u64,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            auto_ack: true,
            ack_delay_ms: 0,
            retry_ms: 3_000,
            awareness_timeout_ms: 30_000,
        }
    }
}

/// What happened, for the caller to act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionEvent {
    /// The peer said hello.
    Connected {
        /// The peer's replica.
        peer: ReplicaId,
    },
    /// The peer's changes were applied to `doc`; its queued events say what changed.
    Changed {
        /// The document.
        doc: String,
        /// The peer's number for the update, for [`SyncSession::acknowledge`].
        seq: u64,
        /// What the import did.
        imported: Imported,
    },
    /// `doc` has caught up with everything the peer had when it answered.
    Synced {
        /// The document.
        doc: String,
    },
    /// The peer holds `version` of `doc`, everything this side sent included up to
    /// the acknowledged update (at a relay: durably).
    Acknowledged {
        /// The document.
        doc: String,
        /// What the peer holds.
        version: VersionVector,
    },
    /// A peer's presence changed, or (`state: None`) ended.
    Awareness {
        /// The document.
        doc: String,
        /// Whose presence.
        replica: ReplicaId,
        /// The new state.
        state: Option<Vec<u8>>,
    },
    /// The peer sent something this side refused; the session goes on.
    Refused {
        /// Why.
        error: Error,
    },
    /// The peer reported an error.
    PeerError {
        /// Its description.
        message: String,
    },
    /// A message type from a newer protocol, skipped.
    Skipped {
        /// Its type tag.
        tag: u8,
    },
}

#[derive(Clone, Debug, Default)]
struct Presence {
    clock: u64,
    state: Option<Vec<u8>>,
    seen_at: u64,
}

/// One document's sync with the peer.
#[derive(Clone, Debug, Default)]
struct DocSync {
    /// Whether this side asked for the peer's changes.
    subscribed: bool,
    /// Whether the peer asked for ours (so it gets live updates).
    peer_subscribed: bool,
    synced: bool,
    /// What the peer acknowledged holding.
    acked: VersionVector,
    /// What the peer holds for having sent it (its changes and the dependencies they
    /// name): never sent back to it, not even on a retry.
    peer_sent: VersionVector,
    /// What was sent to it, in flight or not.
    sent: VersionVector,
    next_seq: u64,
    /// The last update received and not acknowledged yet (delayed acknowledgements),
    /// and when its acknowledgement is due.
    ack_pending: Option<(u64, u64)>,
    last_send_at: u64,
    subscribed_at: u64,
    local_presence: Option<Presence>,
    presence: BTreeMap<ReplicaId, Presence>,
}

/// The sync protocol with one peer, over any transport, with no I/O: feed it the
/// peer's messages with [`receive`](Self::receive), the time with
/// [`tick`](Self::tick), local edits with [`local_changed`](Self::local_changed), and
/// send what [`take_outgoing`](Self::take_outgoing) returns.
///
/// Both sides say hello, then subscribe to documents with their version; each answers
/// a subscribe with exactly the changes the subscriber lacks (or a snapshot, when they
/// were compacted), then streams live updates, which the receiver acknowledges with
/// its version. Changes not acknowledged in time are sent again from the last
/// acknowledged version, and a receiver that finds a gap subscribes again, so lost,
/// repeated and reordered messages all heal.
#[derive(Clone, Debug)]
pub struct SyncSession {
    local: ReplicaId,
    config: SessionConfig,
    peer: Option<ReplicaId>,
    /// Boxed: a tree node holds eleven entries, and most sessions (a client's, or a
    /// relay's with one client) sync one document.
    docs: BTreeMap<String, Box<DocSync>>,
    outgoing: Vec<Vec<u8>>,
}

impl SyncSession {
    /// A session that starts by saying hello as `local`.
    pub fn new(local: ReplicaId, config: SessionConfig) -> Self {
        let mut session = Self {
            local,
            config,
            peer: None,
            docs: BTreeMap::new(),
            outgoing: Vec::new(),
        };
        session.send(&Message::Hello {
            protocol: PROTOCOL_VERSION,
            replica: local,
        });
        session
    }

    /// The peer's replica, once it said hello.
    pub fn peer(&self) -> Option<ReplicaId> {
        self.peer
    }

    /// The documents either side subscribed to or spoke of, in name order.
    pub fn documents(&self) -> impl Iterator<Item = &str> {
        self.docs.keys().map(String::as_str)
    }

    /// Whether `doc` caught up with the peer.
    pub fn is_synced(&self, doc: &str) -> bool {
        self.docs.get(doc).is_some_and(|sync| sync.synced)
    }

    /// What the peer acknowledged holding of `doc`.
    pub fn acknowledged(&self, doc: &str) -> Option<&VersionVector> {
        self.docs.get(doc).map(|sync| &sync.acked)
    }

    /// The peers' presence in `doc`.
    pub fn presence(&self, doc: &str) -> impl Iterator<Item = (ReplicaId, &[u8])> {
        self.docs.get(doc).into_iter().flat_map(|sync| {
            sync.presence
                .iter()
                .filter_map(|(replica, presence)| Some((*replica, presence.state.as_deref()?)))
        })
    }

    /// The messages to send, oldest first.
    pub fn take_outgoing(&mut self) -> Vec<Vec<u8>> {
        core::mem::take(&mut self.outgoing)
    }

    /// Starts syncing `doc`: asks the peer for what `document` lacks. Asked again
    /// on [`tick`](Self::tick) until the answer arrives.
    pub fn subscribe(&mut self, now: u64, doc: &str, document: &Document) {
        let sync = self.docs.entry(doc.into()).or_default();
        sync.subscribed = true;
        sync.subscribed_at = now;
        self.send(&Message::Subscribe {
            doc: doc.into(),
            version: document.version().clone(),
        });
    }

    /// Sends the peer the local changes of `doc` it has not been sent.
    pub fn local_changed(&mut self, now: u64, doc: &str, document: &Document) {
        let Some(sync) = self.docs.get(doc) else {
            return;
        };
        if sync.peer_subscribed && !sync.sent.includes(document.version()) {
            let since = sync.sent.clone();
            self.send_changes(now, doc, document, &since, false);
        }
    }

    /// Passes on `payload`, an update that brought `document` from `before` to its
    /// version, to a peer that held everything before it: as it is, so that a relay
    /// encodes an update once for all its subscribers. A peer that lacks more gets
    /// what it lacks, as [`local_changed`](Self::local_changed) sends.
    pub fn forward_update(
        &mut self,
        now: u64,
        doc: &str,
        document: &Document,
        before: &VersionVector,
        payload: &[u8],
    ) {
        let Some(sync) = self.docs.get_mut(doc) else {
            return;
        };
        if !sync.peer_subscribed || sync.sent.includes(document.version()) {
            return;
        }
        if !sync.sent.includes(before) {
            return self.local_changed(now, doc, document);
        }
        self.send_update(now, doc, document.version(), false, payload);
    }

    /// Sets (or, with `None`, ends) this side's presence in `doc`.
    pub fn set_awareness(&mut self, now: u64, doc: &str, state: Option<Vec<u8>>) {
        let local = self.local;
        let sync = self.docs.entry(doc.into()).or_default();
        // Counting from the time keeps a reconnected session's clock above what peers
        // saw from the session before it, so they do not ignore it as old news.
        let previous = sync.local_presence.as_ref().map_or(0, |p| p.clock);
        let clock = previous.saturating_add(1).max(now);
        sync.local_presence = Some(Presence {
            clock,
            state: state.clone(),
            seen_at: now,
        });
        self.send(&Message::Awareness {
            doc: doc.into(),
            replica: local,
            clock,
            state,
        });
    }

    /// Passes on another replica's presence (a relay fanning it out).
    pub fn forward_awareness(
        &mut self,
        doc: &str,
        replica: ReplicaId,
        clock: u64,
        state: Option<Vec<u8>>,
    ) {
        self.send(&Message::Awareness {
            doc: doc.into(),
            replica,
            clock,
            state,
        });
    }

    /// Acknowledges the peer's update `seq` of `doc` (with [`SessionConfig::auto_ack`]
    /// off: once it is durable).
    pub fn acknowledge(&mut self, doc: &str, seq: u64, version: &VersionVector) {
        self.send(&Message::Ack {
            doc: doc.into(),
            seq,
            version: version.clone(),
        });
    }

    /// Handles one message from the peer. An error means the message could not be
    /// read or the peer speaks another protocol version; the caller decides whether
    /// to close. Refused content is reported as [`SessionEvent::Refused`] instead.
    pub fn receive(
        &mut self,
        now: u64,
        bytes: &[u8],
        documents: &mut impl Documents,
    ) -> Result<Vec<SessionEvent>, Error> {
        self.receive_message(now, Message::decode(bytes)?, documents)
    }

    /// [`receive`](Self::receive) for a message the caller has decoded already (a
    /// relay does, to check it against the connection's rights first).
    pub fn receive_message(
        &mut self,
        now: u64,
        message: Message,
        documents: &mut impl Documents,
    ) -> Result<Vec<SessionEvent>, Error> {
        let mut events = Vec::new();
        match message {
            Message::Hello { protocol, replica } => {
                if protocol != PROTOCOL_VERSION {
                    let error = Error::ProtocolVersion {
                        found: protocol,
                        supported: PROTOCOL_VERSION,
                    };
                    self.send(&Message::Error {
                        message: format!("{error}"),
                    });
                    return Err(error);
                }
                self.peer = Some(replica);
                events.push(SessionEvent::Connected { peer: replica });
            }
            Message::Subscribe { doc, version } => {
                let Some(document) = documents.document(&doc) else {
                    self.send(&Message::Error {
                        message: format!("no document {doc:?} here"),
                    });
                    return Ok(events);
                };
                let sync = self.docs.entry(doc.clone()).or_default();
                sync.peer_subscribed = true;
                sync.acked.merge(&version);
                // It holds what it sent us too (see `peer_sent`).
                sync.sent = version.clone();
                sync.sent.merge(&sync.peer_sent);
                let subscribe_back = !sync.subscribed;
                self.send_changes(now, &doc, document, &version, true);
                if subscribe_back {
                    self.subscribe(now, &doc, document);
                }
            }
            Message::Update {
                doc,
                seq,
                catch_up,
                payload,
            } => {
                let Some(document) = documents.document(&doc) else {
                    self.send(&Message::Error {
                        message: format!("no document {doc:?} here"),
                    });
                    return Ok(events);
                };
                let waiting = document.pending_len();
                match document.import_covering(&payload, None) {
                    Ok((imported, covered)) => {
                        if imported.pending > waiting && !catch_up {
                            // A gap: a live update builds on one lost on the way. Ask
                            // again from here. (A catch-up holds all the peer has, so
                            // what it leaves waiting must come from someone else.)
                            self.subscribe(now, &doc, document);
                        }
                        let sync = self.docs.entry(doc.clone()).or_default();
                        // The peer holds what it sent, and the dependencies it named:
                        // never send them back.
                        sync.peer_sent.merge(&covered);
                        sync.sent.merge(&covered);
                        let synced = catch_up && !sync.synced;
                        sync.synced |= synced;
                        if self.config.auto_ack && self.config.ack_delay_ms == 0 {
                            self.acknowledge(&doc, seq, document.version());
                        } else if self.config.auto_ack {
                            let due = match sync.ack_pending {
                                Some((_, due)) => due,
                                None => now.saturating_add(self.config.ack_delay_ms),
                            };
                            sync.ack_pending = Some((seq, due));
                        }
                        events.push(SessionEvent::Changed {
                            doc: doc.clone(),
                            seq,
                            imported,
                        });
                        if synced {
                            events.push(SessionEvent::Synced { doc });
                        }
                    }
                    Err(error) => {
                        self.send(&Message::Error {
                            message: format!("update of {doc:?} refused: {error}"),
                        });
                        events.push(SessionEvent::Refused { error });
                    }
                }
            }
            Message::Ack { doc, version, .. } => {
                let sync = self.docs.entry(doc.clone()).or_default();
                sync.acked.merge(&version);
                sync.sent.merge(&version);
                events.push(SessionEvent::Acknowledged {
                    doc,
                    version: sync.acked.clone(),
                });
            }
            Message::Awareness {
                doc,
                replica,
                clock,
                state,
            } => {
                let sync = self.docs.entry(doc.clone()).or_default();
                let known = sync.presence.get(&replica).map_or(0, |p| p.clock);
                if clock > known {
                    sync.presence.insert(
                        replica,
                        Presence {
                            clock,
                            state: state.clone(),
                            seen_at: now,
                        },
                    );
                    events.push(SessionEvent::Awareness {
                        doc,
                        replica,
                        state,
                    });
                } else if clock == known
                    && let Some(presence) = sync.presence.get_mut(&replica)
                {
                    presence.seen_at = now;
                }
            }
            Message::Error { message } => events.push(SessionEvent::PeerError { message }),
            Message::Unknown { tag } => events.push(SessionEvent::Skipped { tag }),
        }
        Ok(events)
    }

    /// Lets time pass: sends again what was not acknowledged in time, refreshes this
    /// side's presence and expires the peers' stale presence.
    pub fn tick(&mut self, now: u64, documents: &mut impl Documents) -> Vec<SessionEvent> {
        let mut events = Vec::new();
        let names: Vec<String> = self.docs.keys().cloned().collect();
        for doc in names {
            let sync = &self.docs[&doc];
            let unanswered = sync.subscribed
                && !sync.synced
                && now.saturating_sub(sync.subscribed_at) >= self.config.retry_ms;
            if unanswered && let Some(document) = documents.document(&doc) {
                self.subscribe(now, &doc, document);
            }
            let sync = &self.docs[&doc];
            let overdue = now.saturating_sub(sync.last_send_at) >= self.config.retry_ms;
            if sync.peer_subscribed
                && overdue
                && let Some(document) = documents.document(&doc)
            {
                // The peer holds what it acknowledged and what it sent: anything else
                // sent to it may have been lost.
                let mut held = sync.acked.clone();
                held.merge(&sync.peer_sent);
                if !held.includes(document.version()) {
                    self.send_changes(now, &doc, document, &held, false);
                }
            }
            if let Some((seq, due)) = self.docs[&doc].ack_pending
                && now >= due
                && let Some(document) = documents.document(&doc)
            {
                let version = document.version().clone();
                self.docs.get_mut(&doc).expect("listed above").ack_pending = None;
                self.acknowledge(&doc, seq, &version);
            }
            let timeout = self.config.awareness_timeout_ms;
            let sync = self.docs.get_mut(&doc).expect("listed above");
            let mut refresh = None;
            if let Some(local) = &mut sync.local_presence
                && local.state.is_some()
                && now.saturating_sub(local.seen_at) >= timeout / 2
            {
                local.seen_at = now;
                refresh = Some((local.clock, local.state.clone()));
            }
            let expired: Vec<ReplicaId> = sync
                .presence
                .iter()
                .filter(|(_, p)| p.state.is_some() && now.saturating_sub(p.seen_at) >= timeout)
                .map(|(replica, _)| *replica)
                .collect();
            for replica in expired {
                if let Some(presence) = sync.presence.get_mut(&replica) {
                    presence.state = None;
                }
                events.push(SessionEvent::Awareness {
                    doc: doc.clone(),
                    replica,
                    state: None,
                });
            }
            if let Some((clock, state)) = refresh {
                let replica = self.local;
                self.send(&Message::Awareness {
                    doc: doc.clone(),
                    replica,
                    clock,
                    state,
                });
            }
        }
        events
    }

    /// Sends what a peer at `since` lacks: the changes, or a snapshot when they were
    /// compacted away.
    fn send_changes(
        &mut self,
        now: u64,
        doc: &str,
        document: &Document,
        since: &VersionVector,
        catch_up: bool,
    ) {
        let payload = document
            .export_update(since)
            .unwrap_or_else(|_| document.export_snapshot(SnapshotMode::Shallow));
        self.send_update(now, doc, document.version(), catch_up, &payload);
    }

    /// Sends `payload`, which brings the peer up to `version`, as the next update.
    fn send_update(
        &mut self,
        now: u64,
        doc: &str,
        version: &VersionVector,
        catch_up: bool,
        payload: &[u8],
    ) {
        // Looked up before it is made: a relay sends an update to every subscriber,
        // and naming the entry would allocate the document's name each time.
        let sync = match self.docs.get_mut(doc) {
            Some(sync) => sync,
            None => self.docs.entry(doc.into()).or_default(),
        };
        sync.next_seq += 1;
        sync.last_send_at = now;
        sync.sent.merge(version);
        let seq = sync.next_seq;
        self.outgoing
            .push(encode_update(doc, seq, catch_up, payload));
    }

    fn send(&mut self, message: &Message) {
        self.outgoing.push(message.encode());
    }
}
