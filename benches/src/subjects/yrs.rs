//! [yrs](https://github.com/y-crdt/y-crdt), the Rust port of Yjs: inserted items that
//! remember their neighbours at insertion, merged into runs, plus a set of deletions.
//!
//! - history: the whole document as one v1 update, the form Yjs providers exchange.
//! - snapshot: the same state in the v2 update encoding, the compact form meant for
//!   storage. Documents here keep deleted content (`skip_gc`), so it holds the history.
//! - shallow snapshot: the v2 encoding of a document with garbage collection on
//!   (Yjs's default), which keeps only the length of each deleted run. yrs collects
//!   garbage in place, in a live document, so to leave the measured document intact
//!   this measure loads its state into a collecting document and encodes that: its
//!   time includes the load.
//!
//! yrs counts text positions in UTF-8 bytes or UTF-16 code units, not in characters.
//! UTF-16 units equal characters when no character lies outside the Basic Multilingual
//! Plane, which is true of every trace; the adapter checks each inserted string.

use weft_testkit::traces::{ConcurrentTrace, Patch, SequentialTrace};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{
    ClientID, Doc, GetString, OffsetKind, Options, ReadTxn, StateVector, Text, TextRef, Transact,
    TransactionMut, Update,
};

use crate::concurrent::{self, Replica};
use crate::subject::{Role, TextSubject};

/// yrs, with one text root.
pub struct Yrs;

/// A yrs document and its text root.
pub struct YrsDoc {
    doc: Doc,
    text: TextRef,
}

/// The client id of documents that only receive (merge and load).
const RECEIVER: u64 = 0;

impl YrsDoc {
    fn with_client(client_id: u64, keep_deleted: bool) -> Self {
        let doc = Doc::with_options(Options {
            offset_kind: OffsetKind::Utf16,
            skip_gc: keep_deleted,
            ..Options::with_client_id(ClientID::new(client_id))
        });
        let text = doc.get_or_insert_text("text");
        Self { doc, text }
    }

    fn decoded(update: Update, keep_deleted: bool) -> Self {
        let doc = Self::with_client(RECEIVER, keep_deleted);
        doc.doc
            .transact_mut()
            .apply_update(update)
            .expect("yrs applies its own update");
        doc
    }

    fn apply(&self, txn: &mut TransactionMut, patches: &[Patch]) {
        for patch in patches {
            assert!(
                patch.insert.chars().all(|c| c.len_utf16() == 1),
                "yrs counts UTF-16 units: this trace inserts a character outside the BMP",
            );
            let position = utf16_units(patch.position);
            if patch.delete > 0 {
                self.text
                    .remove_range(txn, position, utf16_units(patch.delete));
            }
            if !patch.insert.is_empty() {
                self.text.insert(txn, position, &patch.insert);
            }
        }
    }
}

fn utf16_units(characters: usize) -> u32 {
    u32::try_from(characters).expect("yrs positions fit in 32 bits")
}

fn full_state_v1(doc: &YrsDoc) -> Vec<u8> {
    doc.doc
        .transact()
        .encode_state_as_update_v1(&StateVector::default())
}

impl TextSubject for Yrs {
    const NAME: &'static str = "yrs";
    const ROLE: Role = Role::Peer;
    type Doc = YrsDoc;

    fn replay(trace: &SequentialTrace) -> YrsDoc {
        let doc = YrsDoc::with_client(1, true);
        for txn in &trace.txns {
            doc.apply(&mut doc.doc.transact_mut(), &txn.patches);
        }
        doc
    }

    fn text(doc: &YrsDoc) -> String {
        doc.text.get_string(&doc.doc.transact())
    }

    fn history(doc: &YrsDoc) -> Option<Vec<u8>> {
        Some(full_state_v1(doc))
    }

    fn merge(history: &[u8]) -> Option<YrsDoc> {
        let update = Update::decode_v1(history).expect("yrs decodes its own v1 update");
        Some(YrsDoc::decoded(update, true))
    }

    fn snapshot(doc: &YrsDoc) -> Option<Vec<u8>> {
        Some(
            doc.doc
                .transact()
                .encode_state_as_update_v2(&StateVector::default()),
        )
    }

    fn shallow_snapshot(doc: &YrsDoc) -> Option<Vec<u8>> {
        let update = Update::decode_v1(&full_state_v1(doc)).expect("yrs decodes its own update");
        let collected = YrsDoc::decoded(update, false);
        Self::snapshot(&collected)
    }

    fn load(snapshot: &[u8]) -> Option<YrsDoc> {
        let update = Update::decode_v2(snapshot).expect("yrs decodes its own v2 update");
        Some(YrsDoc::decoded(update, true))
    }

    /// y-protocols' sync step 1 and 2: the state vector out, the diff back.
    fn sync(ahead: &mut YrsDoc, behind: YrsDoc) -> Option<(YrsDoc, usize)> {
        let request = behind.doc.transact().state_vector().encode_v1();
        let state = StateVector::decode_v1(&request).expect("yrs decodes its state vector");
        let answer = ahead.doc.transact().encode_state_as_update_v1(&state);
        let update = Update::decode_v1(&answer).expect("yrs decodes its own update");
        behind
            .doc
            .transact_mut()
            .apply_update(update)
            .expect("yrs applies its own update");
        Some((behind, request.len() + answer.len()))
    }

    fn concurrent_history(trace: &ConcurrentTrace) -> Option<Vec<u8>> {
        Self::history(&concurrent::replay::<YrsDoc>(trace))
    }
}

impl Replica for YrsDoc {
    fn new(agent: usize) -> Self {
        let client_id = u64::try_from(agent).expect("agent ids fit in 64 bits") + 1;
        Self::with_client(client_id, true)
    }

    fn edit(&mut self, patches: &[Patch]) -> Vec<u8> {
        let mut txn = self.doc.transact_mut();
        self.apply(&mut txn, patches);
        txn.encode_update_v1()
    }

    fn integrate(&mut self, updates: &[&[u8]]) {
        let mut txn = self.doc.transact_mut();
        for update in updates {
            let update = Update::decode_v1(update).expect("yrs decodes its own v1 update");
            txn.apply_update(update)
                .expect("yrs applies its own update");
        }
    }
}
