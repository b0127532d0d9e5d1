//! [Automerge](https://automerge.org): a graph of hashed changes, stored in a
//! compressed columnar document format.
//!
//! - history: every change in its own chunk, concatenated (`save_after(&[])`), the
//!   form peers exchange; merging loads them incrementally into an empty document.
//! - snapshot: `save()`, the compressed document format, with the full history.
//! - shallow snapshot: none; Automerge always keeps the whole history.

use automerge::sync::{self, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{ActorId, LoadOptions, ObjId, ObjType, ROOT, ReadDoc, TextEncoding};
use weft_testkit::traces::{ConcurrentTrace, Patch, SequentialTrace};

use crate::concurrent::{self, Replica};
use crate::subject::{Role, TextSubject};

/// Automerge, with the text in a text object under the root key `text`.
pub struct Automerge;

/// The traces count characters, and so does the text here.
const ENCODING: TextEncoding = TextEncoding::UnicodeCodePoint;

/// The root key of the text object.
const KEY: &str = "text";

/// An Automerge document and its text object, once it has one.
pub struct AutomergeText {
    doc: automerge::Automerge,
    text: Option<ObjId>,
}

impl AutomergeText {
    fn with_actor(actor: usize) -> Self {
        let doc = automerge::Automerge::new_with_encoding(ENCODING)
            .with_actor(ActorId::from(actor.to_be_bytes()));
        Self { doc, text: None }
    }

    /// A document received whole, whose text object already exists.
    fn received(doc: automerge::Automerge) -> Self {
        let text = text_object(&doc);
        Self {
            doc,
            text: Some(text),
        }
    }

    /// Applies `patches` as one transaction, creating the text object on the first.
    fn apply(&mut self, patches: &[Patch]) {
        let mut txn = self.doc.transaction();
        let text = self.text.get_or_insert_with(|| {
            txn.put_object(ROOT, KEY, ObjType::Text)
                .expect("the root takes a text object")
        });
        for patch in patches {
            let delete = isize::try_from(patch.delete).expect("a delete fits in isize");
            txn.splice_text(&*text, patch.position, delete, &patch.insert)
                .expect("the trace edits inside the text");
        }
        txn.commit();
    }
}

fn text_object(doc: &automerge::Automerge) -> ObjId {
    match doc.get(ROOT, KEY).expect("the root is readable") {
        Some((automerge::Value::Object(ObjType::Text), text)) => text,
        other => panic!("Automerge document without a text object: {other:?}"),
    }
}

impl TextSubject for Automerge {
    const NAME: &'static str = "automerge";
    const ROLE: Role = Role::Peer;
    type Doc = AutomergeText;

    fn replay(trace: &SequentialTrace) -> AutomergeText {
        let mut doc = AutomergeText::with_actor(1);
        for txn in &trace.txns {
            doc.apply(&txn.patches);
        }
        doc
    }

    fn text(doc: &AutomergeText) -> String {
        doc.text.as_ref().map_or_else(String::new, |text| {
            doc.doc.text(text).expect("the text object is readable")
        })
    }

    fn history(doc: &AutomergeText) -> Option<Vec<u8>> {
        Some(doc.doc.save_after(&[]))
    }

    fn merge(history: &[u8]) -> Option<AutomergeText> {
        let mut doc = automerge::Automerge::new_with_encoding(ENCODING);
        doc.load_incremental(history)
            .expect("Automerge loads its own changes");
        Some(AutomergeText::received(doc))
    }

    fn snapshot(doc: &AutomergeText) -> Option<Vec<u8>> {
        Some(doc.doc.save())
    }

    fn shallow_snapshot(_: &AutomergeText) -> Option<Vec<u8>> {
        None
    }

    fn load(snapshot: &[u8]) -> Option<AutomergeText> {
        let options = LoadOptions::new().text_encoding(ENCODING);
        let doc = automerge::Automerge::load_with_options(snapshot, options)
            .expect("Automerge loads its own document");
        Some(AutomergeText::received(doc))
    }

    /// Automerge's sync protocol (heads, Bloom filters, then changes), run until
    /// neither side has anything to say.
    fn sync(
        ahead: &mut AutomergeText,
        mut behind: AutomergeText,
    ) -> Option<(AutomergeText, usize)> {
        let ahead = &mut ahead.doc;
        let (mut ahead_state, mut behind_state) = (sync::State::new(), sync::State::new());
        let mut bytes = 0;
        loop {
            let mut quiet = true;
            if let Some(message) = behind.doc.generate_sync_message(&mut behind_state) {
                let encoded = message.encode();
                bytes += encoded.len();
                let message =
                    sync::Message::decode(&encoded).expect("Automerge decodes its message");
                ahead
                    .receive_sync_message(&mut ahead_state, message)
                    .expect("Automerge takes its own message");
                quiet = false;
            }
            if let Some(message) = ahead.generate_sync_message(&mut ahead_state) {
                let encoded = message.encode();
                bytes += encoded.len();
                let message =
                    sync::Message::decode(&encoded).expect("Automerge decodes its message");
                behind
                    .doc
                    .receive_sync_message(&mut behind_state, message)
                    .expect("Automerge takes its own message");
                quiet = false;
            }
            if quiet {
                break;
            }
        }
        Some((behind, bytes))
    }

    fn concurrent_history(trace: &ConcurrentTrace) -> Option<Vec<u8>> {
        Self::history(&concurrent::replay::<AutomergeText>(trace))
    }
}

impl Replica for AutomergeText {
    fn new(agent: usize) -> Self {
        Self::with_actor(agent + 1)
    }

    fn edit(&mut self, patches: &[Patch]) -> Vec<u8> {
        self.apply(patches);
        let change = self
            .doc
            .get_last_local_change()
            .expect("the transaction made a change");
        change.raw_bytes().to_vec()
    }

    /// Automerge reads a concatenation of changes as one batch, and applying a batch
    /// costs time in proportion to the document however small the batch is.
    fn integrate(&mut self, updates: &[&[u8]]) {
        self.doc
            .load_incremental(&updates.concat())
            .expect("Automerge loads its own changes");
        if self.text.is_none() {
            self.text = Some(text_object(&self.doc));
        }
    }
}
