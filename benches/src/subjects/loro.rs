//! [Loro](https://loro.dev): an operation log in columnar blocks, plus the document
//! state (a rope of text) kept beside it.
//!
//! - history: every change as an update (`ExportMode::all_updates`), the form peers
//!   exchange.
//! - snapshot: `ExportMode::Snapshot`, the history plus the current state.
//! - shallow snapshot: `ExportMode::shallow_snapshot` at the current version: the
//!   state, without the history (and so without deleted content) before it.
//!
//! Loro decodes lazily, so merge and load are timed up to reading the text, like
//! every library, which makes the deferred work count.

use loro::{ExportMode, LoroDoc, LoroText, VersionVector};
use weft_testkit::traces::{ConcurrentTrace, Patch, SequentialTrace};

use crate::concurrent::{self, Replica};
use crate::subject::{Role, TextSubject};

/// Loro, with one text container.
pub struct Loro;

/// A Loro document and its text container.
pub struct LoroTextDoc {
    doc: LoroDoc,
    text: LoroText,
}

impl LoroTextDoc {
    fn with_peer(peer: u64) -> Self {
        let doc = LoroDoc::new();
        doc.set_peer_id(peer).expect("a valid peer id");
        Self::around(doc)
    }

    fn around(doc: LoroDoc) -> Self {
        let text = doc.get_text("text");
        Self { doc, text }
    }

    fn imported(bytes: &[u8]) -> Self {
        let doc = LoroDoc::new();
        doc.import(bytes).expect("Loro imports its own export");
        Self::around(doc)
    }

    /// Applies `patches` as one transaction.
    fn apply(&self, patches: &[Patch]) {
        for patch in patches {
            if patch.delete > 0 {
                self.text
                    .delete(patch.position, patch.delete)
                    .expect("the trace deletes inside the text");
            }
            if !patch.insert.is_empty() {
                self.text
                    .insert(patch.position, &patch.insert)
                    .expect("the trace inserts inside the text");
            }
        }
        self.doc.commit();
    }
}

impl TextSubject for Loro {
    const NAME: &'static str = "loro";
    const ROLE: Role = Role::Peer;
    type Doc = LoroTextDoc;

    fn replay(trace: &SequentialTrace) -> LoroTextDoc {
        let doc = LoroTextDoc::with_peer(1);
        for txn in &trace.txns {
            doc.apply(&txn.patches);
        }
        doc
    }

    fn text(doc: &LoroTextDoc) -> String {
        doc.text.to_string()
    }

    fn history(doc: &LoroTextDoc) -> Option<Vec<u8>> {
        Some(
            doc.doc
                .export(ExportMode::all_updates())
                .expect("Loro exports its updates"),
        )
    }

    fn merge(history: &[u8]) -> Option<LoroTextDoc> {
        Some(LoroTextDoc::imported(history))
    }

    fn snapshot(doc: &LoroTextDoc) -> Option<Vec<u8>> {
        Some(
            doc.doc
                .export(ExportMode::Snapshot)
                .expect("Loro exports a snapshot"),
        )
    }

    fn shallow_snapshot(doc: &LoroTextDoc) -> Option<Vec<u8>> {
        let now = doc.doc.oplog_frontiers();
        Some(
            doc.doc
                .export(ExportMode::shallow_snapshot(&now))
                .expect("Loro exports a shallow snapshot"),
        )
    }

    fn load(snapshot: &[u8]) -> Option<LoroTextDoc> {
        let doc = LoroDoc::from_snapshot(snapshot).expect("Loro loads its own snapshot");
        Some(LoroTextDoc::around(doc))
    }

    /// The version vector out, the updates it lacks back.
    fn sync(ahead: &mut LoroTextDoc, behind: LoroTextDoc) -> Option<(LoroTextDoc, usize)> {
        let request = behind.doc.oplog_vv().encode();
        let version = VersionVector::decode(&request).expect("Loro decodes its version");
        let answer = ahead
            .doc
            .export(ExportMode::updates(&version))
            .expect("Loro exports its updates");
        behind
            .doc
            .import(&answer)
            .expect("Loro imports its own update");
        Some((behind, request.len() + answer.len()))
    }

    fn concurrent_history(trace: &ConcurrentTrace) -> Option<Vec<u8>> {
        Self::history(&concurrent::replay::<LoroTextDoc>(trace))
    }
}

impl Replica for LoroTextDoc {
    fn new(agent: usize) -> Self {
        Self::with_peer(u64::try_from(agent).expect("agent ids fit in 64 bits") + 1)
    }

    fn edit(&mut self, patches: &[Patch]) -> Vec<u8> {
        let before = self.doc.oplog_vv();
        self.apply(patches);
        self.doc
            .export(ExportMode::updates(&before))
            .expect("Loro exports its updates")
    }

    fn integrate(&mut self, updates: &[&[u8]]) {
        for update in updates {
            self.doc
                .import(update)
                .expect("Loro imports its own update");
        }
    }
}
