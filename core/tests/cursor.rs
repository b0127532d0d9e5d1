//! Cursors follow local and remote edits, survive deletion and round-trip as bytes.

use weft_core::doc::{Cursor, Side};
use weft_core::{ContainerId, Document, Error, ReplicaId, VersionVector};

fn doc(id: u64) -> Document {
    Document::new(ReplicaId::new(id))
}

fn sync(a: &mut Document, b: &mut Document) {
    let to_b = a.export_update(b.version()).unwrap();
    let to_a = b.export_update(a.version()).unwrap();
    b.import(&to_b, None).unwrap();
    a.import(&to_a, None).unwrap();
}

#[test]
fn a_cursor_moves_with_edits_before_it_from_any_replica() {
    let (mut a, mut b) = (doc(1), doc(2));
    let body = ContainerId::text("body");
    a.transact(None, |tx| tx.text_insert(&body, 0, "hello world"))
        .unwrap();
    sync(&mut a, &mut b);
    let before_w = a.cursor(&body, 6, Side::Before).unwrap();
    let after_o = a.cursor(&body, 5, Side::After).unwrap();

    b.transact(None, |tx| tx.text_insert(&body, 0, ">> "))
        .unwrap();
    a.transact(None, |tx| tx.text_insert(&body, 5, ","))
        .unwrap();
    sync(&mut a, &mut b);
    assert_eq!(a.text(&body).unwrap().to_string(), ">> hello, world");
    // Typed at the boundary both cursors named, the comma went between them.
    assert_eq!(a.cursor_position(&after_o), Some(8));
    assert_eq!(a.cursor_position(&before_w), Some(10));

    let moved = Cursor::decode(&before_w.encode()).unwrap();
    assert_eq!(moved, before_w);
    assert_eq!(
        b.cursor_position(&moved),
        Some(10),
        "any replica can place it"
    );
}

#[test]
fn a_cursor_on_a_deleted_character_stays_where_it_was() {
    let mut a = doc(1);
    let body = ContainerId::text("body");
    a.transact(None, |tx| tx.text_insert(&body, 0, "abcdef"))
        .unwrap();
    let on_d = a.cursor(&body, 3, Side::Before).unwrap();
    let after_d = a.cursor(&body, 4, Side::After).unwrap();
    a.transact(None, |tx| tx.text_delete(&body, 2, 3)).unwrap();
    assert_eq!(a.text(&body).unwrap().to_string(), "abf");
    assert_eq!(a.cursor_position(&on_d), Some(2));
    assert_eq!(a.cursor_position(&after_d), Some(2));
}

#[test]
fn cursors_at_the_ends_stay_at_the_ends() {
    let mut a = doc(1);
    let body = ContainerId::text("body");
    let end = a.cursor(&body, 0, Side::Before).unwrap();
    let start = a.cursor(&body, 0, Side::After).unwrap();
    a.transact(None, |tx| tx.text_insert(&body, 0, "text"))
        .unwrap();
    assert_eq!(a.cursor_position(&end), Some(4));
    assert_eq!(a.cursor_position(&start), Some(0));
    assert!(matches!(
        a.cursor(&body, 5, Side::Before),
        Err(Error::PositionOutOfBounds {
            position: 5,
            len: 4
        })
    ));
}

#[test]
fn a_cursor_from_a_replica_ahead_has_no_position_yet() {
    let (mut a, b) = (doc(1), doc(2));
    let body = ContainerId::text("body");
    a.transact(None, |tx| tx.text_insert(&body, 0, "new"))
        .unwrap();
    let cursor = a.cursor(&body, 1, Side::Before).unwrap();
    assert_eq!(b.cursor_position(&cursor), None);
    let mut b = b;
    b.import(&a.export_update(&VersionVector::new()).unwrap(), None)
        .unwrap();
    assert_eq!(b.cursor_position(&cursor), Some(1));
}

#[test]
fn malformed_cursor_bytes_are_refused() {
    let mut a = doc(1);
    let body = ContainerId::text("body");
    a.transact(None, |tx| tx.text_insert(&body, 0, "x"))
        .unwrap();
    let bytes = a.cursor(&body, 0, Side::Before).unwrap().encode();
    for len in 0..bytes.len() {
        assert!(Cursor::decode(&bytes[..len]).is_err());
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(Cursor::decode(&longer).is_err());
    let mut bad_side = bytes;
    let side_at = bad_side.len() - 3;
    bad_side[side_at] = 9;
    assert!(Cursor::decode(&bad_side).is_err());
}
