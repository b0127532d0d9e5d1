//! Golden vectors: the exact bytes of each encoding, committed under `tests/golden/`,
//! so the format cannot change by accident. A deliberate change regenerates them with
//! `WEFT_BLESS=1 cargo test -p weft-core --test golden` (and, if old bytes no longer
//! decode the same, a new format version).

use std::path::PathBuf;

use weft_core::doc::{Cursor, Side};
use weft_core::sync::Message;
use weft_core::{ContainerId, Document, Kind, ReplicaId, SnapshotMode, VersionVector};

/// Two replicas, every container type, concurrent edits, deletions and nesting.
fn sample() -> Document {
    let (mut a, mut b) = (
        Document::new(ReplicaId::new(1)),
        Document::new(ReplicaId::new(2)),
    );
    let (body, meta, items, board, likes, title) = (
        ContainerId::text("body"),
        ContainerId::map("meta"),
        ContainerId::list("items"),
        ContainerId::movable_list("board"),
        ContainerId::counter("likes"),
        ContainerId::register("title"),
    );
    a.transact(Some("setup"), |tx| {
        tx.text_insert(&body, 0, "Hello, wörld 🙂")?;
        tx.map_set(&meta, "version", 1)?;
        let tags = tx.map_insert_container(&meta, "tags", Kind::List)?;
        tx.list_push(&tags, "crdt")?;
        tx.list_insert(&items, 0, vec![1.into(), 2.5.into(), true.into()])?;
        tx.movable_insert(
            &board,
            0,
            vec!["todo".into(), "doing".into(), "done".into()],
        )?;
        tx.counter_add(&likes, 3)?;
        tx.register_set(&title, "Notes")
    })
    .unwrap();
    b.import(&a.export_update(b.version()).unwrap(), None)
        .unwrap();
    a.transact(None, |tx| {
        tx.text_delete(&body, 5, 7)?;
        tx.movable_move(&board, 2, 0)
    })
    .unwrap();
    b.transact(None, |tx| {
        tx.text_insert(&body, 0, "¡")?;
        tx.map_delete(&meta, "version")?;
        let note = tx.list_insert_container(&items, 1, Kind::Text)?;
        tx.text_insert(&note, 0, "nested")?;
        tx.counter_add(&likes, -1)
    })
    .unwrap();
    a.import(&b.export_update(a.version()).unwrap(), None)
        .unwrap();
    a
}

/// One transaction per keystroke: the history writes them as typed inserts.
fn typing() -> Document {
    let mut doc = Document::new(ReplicaId::new(3));
    let body = ContainerId::text("body");
    for (at, c) in "typed, é 🙂".chars().enumerate() {
        doc.transact(None, |tx| tx.text_insert(&body, at as u64, &c.to_string()))
            .unwrap();
    }
    doc
}

/// Three replicas typing in turn, each after receiving the others' words: each
/// change names only the newest change before it and its author's previous one.
fn three_writers() -> Document {
    let body = ContainerId::text("body");
    let mut writers: Vec<Document> = (4..=6)
        .map(|id| Document::new(ReplicaId::new(id)))
        .collect();
    for (turn, word) in ["one ", "two ", "three ", "four"].into_iter().enumerate() {
        let (typist, next) = (turn % 3, (turn + 1) % 3);
        let end = writers[typist].text(&body).map_or(0, |text| text.len());
        writers[typist]
            .transact(None, |tx| tx.text_insert(&body, end, word))
            .unwrap();
        let update = writers[typist]
            .export_update(writers[next].version())
            .unwrap();
        writers[next].import(&update, None).unwrap();
    }
    writers.swap_remove(1)
}

const EXPECTED_VIEW: &str = r#"{"board":["done","todo","doing"],"body":"¡Hello 🙂","items":[1,"nested",2.5,true],"likes":2,"meta":{"tags":["crdt"]},"title":"Notes"}"#;

fn vectors() -> Vec<(&'static str, Vec<u8>)> {
    let doc = sample();
    let mut version = VersionVector::new();
    version.advance(ReplicaId::new(1), 3);
    vec![
        (
            "update.bin",
            doc.export_update(&VersionVector::new()).unwrap(),
        ),
        ("snapshot-full.bin", doc.export_snapshot(SnapshotMode::Full)),
        (
            "snapshot-shallow.bin",
            doc.export_snapshot(SnapshotMode::Shallow),
        ),
        (
            "message-hello.bin",
            Message::Hello {
                protocol: 1,
                replica: ReplicaId::new(0xa11ce),
            }
            .encode(),
        ),
        (
            "message-subscribe.bin",
            Message::Subscribe {
                doc: "notes".into(),
                version: version.clone(),
            }
            .encode(),
        ),
        (
            "message-update.bin",
            Message::Update {
                doc: "notes".into(),
                seq: 7,
                catch_up: true,
                payload: vec![1, 2, 3],
            }
            .encode(),
        ),
        (
            "message-ack.bin",
            Message::Ack {
                doc: "notes".into(),
                seq: 7,
                version,
            }
            .encode(),
        ),
        (
            "message-awareness.bin",
            Message::Awareness {
                doc: "notes".into(),
                replica: ReplicaId::new(2),
                clock: 4,
                state: Some(b"{\"cursor\":3}".to_vec()),
            }
            .encode(),
        ),
        (
            "message-error.bin",
            Message::Error {
                message: "no".into(),
            }
            .encode(),
        ),
        (
            "update-typing.bin",
            typing().export_update(&VersionVector::new()).unwrap(),
        ),
        (
            "update-three-writers.bin",
            three_writers()
                .export_update(&VersionVector::new())
                .unwrap(),
        ),
        (
            "cursor.bin",
            doc.cursor(&ContainerId::text("body"), 7, Side::Before)
                .unwrap()
                .encode(),
        ),
    ]
}

fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

#[test]
fn encodings_match_the_committed_bytes() {
    let bless = std::env::var_os("WEFT_BLESS").is_some();
    for (name, bytes) in vectors() {
        if bless {
            std::fs::write(golden(name), &bytes).unwrap();
            continue;
        }
        let committed = std::fs::read(golden(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            committed == bytes,
            "{name}: the encoding changed; if on purpose, rerun with WEFT_BLESS=1"
        );
    }
}

#[test]
fn committed_documents_decode_to_the_same_contents() {
    assert_eq!(sample().view().to_json(), EXPECTED_VIEW);
    for name in ["update.bin", "snapshot-full.bin", "snapshot-shallow.bin"] {
        let bytes = std::fs::read(golden(name)).unwrap();
        let mut doc = Document::new(ReplicaId::new(9));
        doc.import(&bytes, None).unwrap();
        assert_eq!(doc.view().to_json(), EXPECTED_VIEW, "{name}");
    }
}

#[test]
fn committed_typing_decodes_to_the_same_text() {
    let bytes = std::fs::read(golden("update-typing.bin")).unwrap();
    let mut doc = Document::new(ReplicaId::new(9));
    doc.import(&bytes, None).unwrap();
    assert_eq!(doc.view().to_json(), r#"{"body":"typed, é 🙂"}"#);
    assert_eq!(doc.version(), typing().version());
}

#[test]
fn committed_changes_of_three_writers_decode_to_the_same_text() {
    let bytes = std::fs::read(golden("update-three-writers.bin")).unwrap();
    let mut doc = Document::new(ReplicaId::new(9));
    doc.import(&bytes, None).unwrap();
    assert_eq!(doc.view().to_json(), r#"{"body":"one two three four"}"#);
    assert_eq!(doc.version(), three_writers().version());
    // "four" names "three " and its author's "one ", not "two ".
    let changes = weft_core::doc::decode_update(&bytes).unwrap();
    let last = changes.iter().max_by_key(|change| change.lamport).unwrap();
    let named: Vec<u64> = last.deps.iter().map(|(replica, _)| replica.get()).collect();
    assert_eq!(named, [4, 6]);
}

#[test]
fn the_committed_cursor_decodes_to_the_same_place() {
    let cursor = Cursor::decode(&std::fs::read(golden("cursor.bin")).unwrap()).unwrap();
    let doc = sample();
    // Before the emoji of "¡Hello 🙂".
    assert_eq!(doc.cursor_position(&cursor), Some(7));
}

#[test]
fn committed_messages_decode() {
    for (name, bytes) in vectors()
        .into_iter()
        .filter(|(n, _)| n.starts_with("message"))
    {
        let committed = std::fs::read(golden(name)).unwrap();
        assert_eq!(
            Message::decode(&committed),
            Message::decode(&bytes),
            "{name}"
        );
        assert!(Message::decode(&committed).is_ok());
    }
}

#[test]
fn a_typed_insert_with_no_insert_before_it_is_refused() {
    let mut bytes = std::fs::read(golden("update-typing.bin")).unwrap();
    // The kinds column: one plain text insert, then nine typed ones.
    let kinds = bytes
        .windows(5)
        .position(|window| window == [2, 0, 1, 7, 9])
        .expect("the kinds column");
    bytes[kinds + 1] = 7;
    let mut doc = Document::new(ReplicaId::new(9));
    assert!(doc.import(&bytes, None).is_err());
    assert_eq!(doc.view().to_json(), "{}");
}
