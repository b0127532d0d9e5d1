//! Anti-entropy between relays: each tick sends every link this relay's digest root;
//! a root that differs from the receiver's brings back every document's digest, and
//! each document that differs is synced over the link with the subscribe exchange.

use std::time::{Duration, Instant};

use weft_core::{ReplicaId, VersionVector};

use super::{Connection, ConnectionId, Hub, Outgoing};
use crate::mesh::view::Peer;
use crate::mesh::{Digests, MeshMessage, digest};
use crate::store::{Batch, Store, encoded_version};

/// A link is sent the full digest at most this often.
const DIGEST_PAUSE: Duration = Duration::from_secs(2);
/// Documents loaded for one received digest; the rest wait for the next round, so
/// a relay that missed much catches up without loading everything at once.
const DOCUMENTS_PER_ROUND: usize = 256;

/// The digests of every stored document. Documents stored before their versions
/// were recorded are loaded once to work theirs out.
pub(super) fn stored_digests(store: &mut impl Store, replica: ReplicaId) -> Digests {
    let mut digests = Digests::default();
    match store.versions() {
        Ok(versions) => {
            for (doc, version) in versions {
                digests.set(&doc, digest_of(&version));
            }
        }
        Err(error) => tracing::error!(%error, "reading the stored versions failed"),
    }
    let unrecorded: Vec<String> = match store.documents() {
        Ok(documents) => documents
            .into_iter()
            .filter(|doc| !digests.contains(doc))
            .collect(),
        Err(error) => {
            tracing::error!(%error, "listing the stored documents failed");
            Vec::new()
        }
    };
    for doc in unrecorded {
        let Ok((document, _)) = store
            .load(&doc)
            .map_err(|e| e.0)
            .and_then(|s| s.open(replica))
        else {
            continue;
        };
        let version = encoded_version(&document);
        digests.set(&doc, digest_of(&version));
        let batch = Batch {
            deltas: Vec::new(),
            versions: vec![(doc, version)],
        };
        if let Err(error) = store.append(&batch) {
            tracing::error!(%error, "recording a version failed");
        }
    }
    digests
}

/// A document's digest from its stored version; none for an empty one (the same
/// as not having the document).
fn digest_of(encoded: &[u8]) -> Option<u64> {
    let version: VersionVector = weft_core::codec::decode(encoded).ok()?;
    (!version.is_empty()).then(|| digest::of_encoded_version(encoded))
}

impl<S: Store> Hub<S> {
    /// Records the versions a durable write brought documents to.
    pub(super) fn record_digests(&mut self, versions: &[(String, Vec<u8>)]) {
        for (doc, version) in versions {
            self.digests.set(doc, digest_of(version));
        }
        self.publish_digest();
    }

    pub(super) fn publish_digest(&self) {
        if let Some(mesh) = &self.mesh {
            use std::sync::atomic::Ordering::Relaxed;
            mesh.root.store(self.digests.root(), Relaxed);
            mesh.documents.store(self.digests.len() as u64, Relaxed);
        }
    }

    pub(super) fn peer_stats(&self, node: &str, change: impl FnOnce(&mut Peer)) {
        if let Some(mesh) = &self.mesh {
            mesh.peer(node, change);
        }
    }

    /// Changes the stats of the peer at the other end of link `id`.
    pub(super) fn link_stats(&self, id: ConnectionId, change: impl FnOnce(&mut Peer)) {
        let Some(mesh) = &self.mesh else {
            return;
        };
        if let Some(node) = self.connections.get(&id).and_then(|c| c.access.peer()) {
            mesh.peer(node, change);
        }
    }

    /// Sends every link this relay's root.
    pub(super) fn send_roots(&mut self) {
        let root = self.digests.root_message().to_text();
        let links: Vec<ConnectionId> = self
            .connections
            .iter()
            .filter(|(_, connection)| connection.is_link())
            .map(|(id, _)| *id)
            .collect();
        for id in links {
            self.send_mesh(id, root.clone());
        }
    }

    fn send_mesh(&mut self, id: ConnectionId, text: String) {
        let len = text.len() as u64;
        let Some(connection) = self.connections.get(&id) else {
            return;
        };
        if connection.outgoing.try_send(Outgoing::Mesh(text)).is_err() {
            self.drop_slow(id);
            return;
        }
        self.link_stats(id, |peer| {
            peer.bytes_out += len;
            peer.anti_entropy_bytes += len;
        });
    }

    /// A mesh control message from link `id`.
    pub(super) fn mesh_message(&mut self, id: ConnectionId, text: &str) {
        let len = text.len() as u64;
        self.link_stats(id, |peer| {
            peer.bytes_in += len;
            peer.anti_entropy_bytes += len;
        });
        if !self.connections.get(&id).is_some_and(Connection::is_link) {
            return;
        }
        let message = match MeshMessage::parse(text) {
            Ok(message) => message,
            Err(error) => {
                tracing::warn!(link = id, %error, "a mesh message was refused");
                return;
            }
        };
        match message {
            MeshMessage::Root { root, .. } => {
                let Some(connection) = self.connections.get_mut(&id) else {
                    return;
                };
                let due = connection
                    .digest_sent_at
                    .is_none_or(|at| at.elapsed() >= DIGEST_PAUSE);
                if root != self.digests.root() && due {
                    connection.digest_sent_at = Some(Instant::now());
                    let digest = self.digests.digest_message().to_text();
                    self.send_mesh(id, digest);
                }
            }
            MeshMessage::Digest { documents } => {
                let differing: Vec<String> = self
                    .digests
                    .differing(&documents)
                    .into_iter()
                    .take(DOCUMENTS_PER_ROUND)
                    .map(str::to_string)
                    .collect();
                for doc in differing {
                    self.sync_over(id, &doc);
                }
            }
        }
    }

    /// Syncs `doc` over link `id`: a document in memory is asked for again (the
    /// link follows it already, but its exchange may have stalled); another is
    /// loaded, which subscribes it on every link.
    fn sync_over(&mut self, id: ConnectionId, doc: &str) {
        if let Some(room) = self.rooms.get(doc) {
            let now = self.now();
            if let Some(connection) = self.connections.get_mut(&id) {
                connection.session.subscribe(now, doc, &room.doc);
                self.touched.push(id);
            }
        } else if let Err(error) = self.load(doc) {
            tracing::warn!(doc, %error, "anti-entropy could not load a document");
        }
    }
}
