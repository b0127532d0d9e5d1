//! The checks the fuzz targets run, shared with the test that replays every input
//! the fuzzer ever found (`fuzz/regressions/<target>/`). Each panics on a bug.

use std::collections::BTreeMap;

use weft_core::doc::SnapshotMode;
use weft_core::sync::Message;
use weft_core::{ContainerId, Document, ReplicaId, SessionConfig, SyncSession, Text, TextDelta};

const PIECES: [&str; 6] = ["a", "bc", "ü", "🦀", "xyz", "\n"];

/// A fuzz target's check.
pub type Check = fn(&[u8]);

/// The fuzz targets, by name.
pub const TARGETS: [(&str, Check); 5] = [
    ("text_decode", text_decode),
    ("text_sync", text_sync),
    ("doc_update", doc_update),
    ("doc_snapshot", doc_snapshot),
    ("sync_message", sync_message),
];

/// Any bytes, decoded as a text delta, give an error or a delta that integrates into
/// a text without breaking it.
pub fn text_decode(data: &[u8]) {
    if let Ok(delta) = TextDelta::decode(data) {
        let mut text = Text::new();
        let _ = text.integrate(delta);
        text.check_invariants().unwrap();
        text.insert(ReplicaId::new(1), 0, "x").unwrap();
        text.check_invariants().unwrap();
    }
}

/// Random edits on three text replicas with random syncs (some through encoded
/// bytes): the trees stay consistent after every step, and after a full sync all
/// replicas hold the same text and version.
pub fn text_sync(data: &[u8]) {
    let ids = [ReplicaId::new(30), ReplicaId::new(10), ReplicaId::new(20)];
    let mut texts = [Text::new(), Text::new(), Text::new()];
    for step in data.chunks_exact(4) {
        let at = usize::from(step[1]) % 3;
        match step[0] % 5 {
            0 | 1 => {
                let position = u64::from(step[2]) % (texts[at].len() + 1);
                let piece = PIECES[usize::from(step[3]) % PIECES.len()];
                texts[at].insert(ids[at], position, piece).unwrap();
            }
            2 => {
                let len = texts[at].len();
                if len > 0 {
                    let position = u64::from(step[2]) % len;
                    let count = (1 + u64::from(step[3]) % 4).min(len - position);
                    texts[at].delete(ids[at], position, count).unwrap();
                }
            }
            3 => {
                let to = usize::from(step[2]) % 3;
                let delta = texts[at].delta_since(texts[to].version());
                texts[to].integrate(delta).unwrap();
            }
            _ => {
                let to = usize::from(step[2]) % 3;
                let bytes = texts[at].delta_since(texts[to].version()).encode();
                texts[to]
                    .integrate(TextDelta::decode(&bytes).unwrap())
                    .unwrap();
            }
        }
        for text in &texts {
            text.check_invariants().unwrap();
        }
    }
    for to in 0..3 {
        for from in 0..3 {
            let delta = texts[from].delta_since(texts[to].version());
            texts[to].integrate(delta).unwrap();
        }
    }
    let delta = texts[2].delta_since(texts[0].version());
    texts[0].integrate(delta).unwrap();
    let delta = texts[2].delta_since(texts[1].version());
    texts[1].integrate(delta).unwrap();
    for text in &texts[1..] {
        assert_eq!(text.to_string(), texts[0].to_string());
        assert_eq!(text.version(), texts[0].version());
    }
}

/// A document with a little of everything, for imports to land on.
fn sample_document() -> Document {
    let mut doc = Document::new(ReplicaId::new(1));
    doc.transact(None, |tx| {
        tx.text_insert(&ContainerId::text("body"), 0, "hello")?;
        tx.list_push(&ContainerId::list("items"), 1)?;
        tx.map_set(&ContainerId::map("meta"), "k", "v")
    })
    .expect("valid edits");
    doc
}

/// Checks that a document is still whole and usable: it encodes, reloads to the same
/// view and takes a new edit.
fn still_usable(doc: &mut Document) {
    let snapshot = doc.export_snapshot(SnapshotMode::Full);
    let reloaded = Document::from_snapshot(ReplicaId::new(5), &snapshot).expect("own snapshot");
    // JSON text, not `View`s: a NaN float is not equal to itself.
    assert_eq!(reloaded.view().to_json(), doc.view().to_json());
    doc.transact(None, |tx| {
        tx.text_insert(&ContainerId::text("body"), 0, "x")
    })
    .expect("an edit after any import");
}

/// Any bytes imported into an empty document and into one with content: an error or
/// a document that still works.
pub fn doc_update(data: &[u8]) {
    for mut doc in [Document::new(ReplicaId::new(1)), sample_document()] {
        let _ = doc.import(data, None);
        still_usable(&mut doc);
    }
}

/// Any bytes loaded as a snapshot: an error, or a document that re-encodes and
/// reloads to the same view.
pub fn doc_snapshot(data: &[u8]) {
    if let Ok(mut doc) = Document::from_snapshot(ReplicaId::new(9), data) {
        let again = doc.export_snapshot(SnapshotMode::Shallow);
        let reloaded = Document::from_snapshot(ReplicaId::new(9), &again).expect("own snapshot");
        // JSON text, not `View`s: a NaN float is not equal to itself.
        assert_eq!(reloaded.view().to_json(), doc.view().to_json());
        still_usable(&mut doc);
    }
}

/// Any bytes as a sync message: decoding round-trips, and a session that receives
/// them keeps its documents usable.
pub fn sync_message(data: &[u8]) {
    if let Ok(message) = Message::decode(data)
        && !matches!(message, Message::Unknown { .. })
    {
        assert_eq!(Message::decode(&message.encode()), Ok(message));
    }
    let mut docs = BTreeMap::from([("d".to_string(), sample_document())]);
    let mut session = SyncSession::new(ReplicaId::new(2), SessionConfig::default());
    for chunk in data.split(|&byte| byte == 0xff) {
        let _ = session.receive(0, chunk, &mut docs);
    }
    session.tick(60_000, &mut docs);
    session.take_outgoing();
    still_usable(docs.get_mut("d").expect("still there"));
}
