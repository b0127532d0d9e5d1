//! weft: a [`Document`] with one text container, the way apps use it.
//!
//! - history: every change since the empty version (`export_update`): what a replica
//!   sends a peer that has nothing.
//! - snapshot: `SnapshotMode::Full`, the state with deleted content and the history.
//! - shallow snapshot: `SnapshotMode::Shallow`, the state alone, deleted runs keeping
//!   their lengths and origins but not their characters; it still merges with any
//!   replica.
//! - sync: the receiver's version vector (a subscribe message) out, the changes it
//!   lacks (an update message) back.
//!
//! Nothing observes these documents, so they record no events, as yrs and Loro
//! compute none without observers.

use weft_core::sync::Message;
use weft_core::{ContainerId, Document, ReplicaId, SnapshotMode, VersionVector};
use weft_testkit::traces::{ConcurrentTrace, Patch, SequentialTrace};

use crate::concurrent::{self, Replica};
use crate::subject::{Role, TextSubject};

/// weft's `Document`.
pub struct Weft;

/// The replica that only receives (merge and load).
const RECEIVER: ReplicaId = ReplicaId::new(0);

fn text_id() -> ContainerId {
    ContainerId::text("text")
}

/// Applies `patches` as one transaction.
fn apply(doc: &mut Document, patches: &[Patch]) {
    let text = text_id();
    doc.transact(None, |tx| {
        for patch in patches {
            if patch.delete > 0 {
                tx.text_delete(&text, patch.position as u64, patch.delete as u64)?;
            }
            if !patch.insert.is_empty() {
                tx.text_insert(&text, patch.position as u64, &patch.insert)?;
            }
        }
        Ok(())
    })
    .expect("the trace edits inside the text");
}

/// A document nothing observes.
fn unobserved(replica: ReplicaId) -> Document {
    let mut doc = Document::new(replica);
    doc.set_events(false);
    doc
}

fn imported(bytes: &[u8]) -> Document {
    let mut doc = unobserved(RECEIVER);
    doc.import(bytes, None)
        .expect("weft imports its own export");
    doc.take_events();
    doc
}

impl TextSubject for Weft {
    const NAME: &'static str = "weft";
    const ROLE: Role = Role::Weft;
    type Doc = Document;

    fn replay(trace: &SequentialTrace) -> Document {
        let mut doc = unobserved(ReplicaId::new(1));
        for txn in &trace.txns {
            apply(&mut doc, &txn.patches);
        }
        doc
    }

    fn text(doc: &Document) -> String {
        doc.text(&text_id())
            .map_or_else(String::new, ToString::to_string)
    }

    fn history(doc: &Document) -> Option<Vec<u8>> {
        doc.export_update(&VersionVector::new()).ok()
    }

    fn merge(history: &[u8]) -> Option<Document> {
        Some(imported(history))
    }

    fn snapshot(doc: &Document) -> Option<Vec<u8>> {
        Some(doc.export_snapshot(SnapshotMode::Full))
    }

    fn shallow_snapshot(doc: &Document) -> Option<Vec<u8>> {
        Some(doc.export_snapshot(SnapshotMode::Shallow))
    }

    fn load(snapshot: &[u8]) -> Option<Document> {
        Some(imported(snapshot))
    }

    fn sync(ahead: &mut Document, mut behind: Document) -> Option<(Document, usize)> {
        let request = Message::Subscribe {
            doc: "text".into(),
            version: behind.version().clone(),
        }
        .encode();
        let Ok(Message::Subscribe { version, .. }) = Message::decode(&request) else {
            unreachable!("a subscribe decodes");
        };
        let answer = Message::Update {
            doc: "text".into(),
            seq: 1,
            catch_up: true,
            payload: ahead.export_update(&version).ok()?,
        }
        .encode();
        let Ok(Message::Update { payload, .. }) = Message::decode(&answer) else {
            unreachable!("an update decodes");
        };
        behind.import(&payload, None).ok()?;
        Some((behind, request.len() + answer.len()))
    }

    fn concurrent_history(trace: &ConcurrentTrace) -> Option<Vec<u8>> {
        Self::history(&concurrent::replay::<Document>(trace))
    }
}

impl Replica for Document {
    fn new(agent: usize) -> Self {
        unobserved(ReplicaId::new(0x1000 + agent as u64))
    }

    fn edit(&mut self, patches: &[Patch]) -> Vec<u8> {
        let before = self.version().clone();
        apply(self, patches);
        self.export_update(&before)
            .expect("a fresh change is in the history")
    }

    fn integrate(&mut self, updates: &[&[u8]]) {
        for update in updates {
            self.import(update, None)
                .expect("weft imports its own update");
        }
    }
}
