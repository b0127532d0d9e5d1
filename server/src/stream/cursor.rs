//! Named cursors across a mesh. On a relay, a cursor is a sequence number in its
//! store, and sequence numbers are each relay's own. With etcd, every
//! acknowledgement also joins the version the consumer reached into a version vector
//! kept in etcd, so that a consumer that moves to another relay (its relay went
//! down, or a load balancer sent it elsewhere) resumes there after what it
//! acknowledged anywhere. The shared version only grows, by joins, so relays that
//! acknowledge at the same moment never take a cursor back.

use std::path::Path;

use weft_core::VersionVector;

use super::{Follower, Start};
use crate::lock::Locks;
use crate::store::{SqliteStore, Store};

/// The cursor's key in etcd; hex keeps names and documents that hold slashes apart.
fn key(name: &str, doc: &str) -> String {
    format!("{}/{}", hex::encode(name), hex::encode(doc))
}

fn encode(version: &VersionVector) -> String {
    hex::encode(weft_core::codec::encode(version))
}

fn decode(text: &str) -> Option<VersionVector> {
    let bytes = hex::decode(text).ok()?;
    weft_core::codec::decode(&bytes).ok()
}

/// Where a stream opened with the cursor `name` starts, `after` being where the
/// cursor is on this relay.
pub async fn start(locks: &Locks, name: &str, doc: &str, after: u64) -> Start {
    match locks.shared_cursor(&key(name, doc)).await {
        Ok(Some(text)) => match decode(&text) {
            Some(processed) => Start::Resume { after, processed },
            None => {
                tracing::warn!(
                    cursor = name,
                    doc,
                    "the shared cursor is unreadable; ignoring it"
                );
                Start::After(after)
            }
        },
        Ok(None) => Start::After(after),
        Err(error) => {
            // At least once still holds: what this relay knows is at most behind.
            tracing::warn!(%error, cursor = name, doc, "etcd did not answer for the cursor; resuming from this relay's");
            Start::After(after)
        }
    }
}

/// Records in etcd that the consumer `name` processed `doc` up to `seq` of this
/// relay, whose version is `known` when the caller has it at hand. Nothing without
/// etcd. A failure leaves the cursor on this relay only (the consumer would see
/// some changes twice on another), so it is logged, not returned.
pub async fn share(
    locks: &Locks,
    store_path: &Path,
    name: &str,
    doc: &str,
    seq: u64,
    known: Option<VersionVector>,
) {
    if !locks.shares_state() {
        return;
    }
    let version = match known {
        Some(version) => Some(version),
        None => tokio::task::block_in_place(|| version_after(store_path, doc, seq)),
    };
    let Some(version) = version else { return };
    let advanced = locks
        .advance_shared_cursor(&key(name, doc), |current| {
            let mut joined = current.and_then(decode).unwrap_or_default();
            if joined.includes(&version) {
                return None;
            }
            joined.merge(&version);
            Some(encode(&joined))
        })
        .await;
    if let Err(error) = advanced {
        tracing::warn!(%error, cursor = name, doc, "the cursor moved on this relay only");
    }
}

/// The document's version after this relay's delta `seq`, rebuilt from the log;
/// `None` when the log no longer reaches back there.
fn version_after(store_path: &Path, doc: &str, seq: u64) -> Option<VersionVector> {
    let rebuilt = SqliteStore::open(store_path).and_then(|mut store| {
        let pruned = store.base(doc)?.map_or(0, |(pruned, _)| pruned);
        Ok((pruned <= seq).then_some(store))
    });
    let store = match rebuilt {
        Ok(Some(store)) => store,
        Ok(None) => return None,
        Err(error) => {
            tracing::warn!(%error, doc, "reading the log for a cursor failed");
            return None;
        }
    };
    match Follower::start(store, doc.into(), Start::After(seq)) {
        Ok(follower) => Some(follower.version().clone()),
        Err(_) => {
            tracing::warn!(doc, seq, "the log could not be read back for a cursor");
            None
        }
    }
}
