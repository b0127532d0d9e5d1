//! Quorum acknowledgements: a client that connects with `?durability=w` hears that
//! its update is safe only once `w` relays hold it durably: this one (after its group
//! commit) and `w - 1` peers, each of which acknowledges a link's updates only after
//! its own commit. Any live relays count, whichever they are (a sloppy quorum); a
//! relay that was down gets what it missed from the others' logs when it returns
//! (anti-entropy plays the part of hinted handoff, since every relay keeps the log).

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use weft_core::VersionVector;

use super::{ConnectionId, Hub};
use crate::store::Store;

/// An update not acknowledged in this long is dropped from the wait: the client
/// sends it again, and it is counted afresh.
const GIVE_UP_AFTER: Duration = Duration::from_secs(30);

/// A client's update, durable here, waiting for more relays.
pub struct Awaiting {
    pub connection: ConnectionId,
    pub doc: String,
    pub seq: u64,
    /// What the update brought this relay's copy to.
    pub version: VersionVector,
    pub since: Instant,
}

impl<S: Store> Hub<S> {
    /// How many relays hold `version` of `doc` durably: this one, and each peer
    /// whose link acknowledged it.
    fn copies(&self, doc: &str, version: &VersionVector) -> usize {
        let peers: BTreeSet<&str> = self
            .connections
            .values()
            .filter_map(|connection| {
                let node = connection.access.peer()?;
                let held = connection.session.acknowledged(doc)?;
                held.includes(version).then_some(node)
            })
            .collect();
        1 + peers.len()
    }

    /// Acknowledges the waiting updates (of `doc`, or of every document) that
    /// enough relays hold now.
    pub(super) fn release_quorum(&mut self, doc: Option<&str>) {
        for awaiting in std::mem::take(&mut self.awaiting) {
            let Some(durability) = self
                .connections
                .get(&awaiting.connection)
                .map(|connection| connection.durability)
            else {
                continue;
            };
            let relevant = doc.is_none_or(|doc| doc == awaiting.doc);
            if relevant && self.copies(&awaiting.doc, &awaiting.version) >= durability {
                if let Some(connection) = self.connections.get_mut(&awaiting.connection) {
                    connection
                        .session
                        .acknowledge(&awaiting.doc, awaiting.seq, &awaiting.version);
                    self.touched.push(awaiting.connection);
                }
            } else if awaiting.since.elapsed() < GIVE_UP_AFTER {
                self.awaiting.push(awaiting);
            }
        }
    }
}
