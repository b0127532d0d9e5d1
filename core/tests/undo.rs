//! Undo and redo: only the local user's steps, around other replicas' edits.

use weft_core::doc::UndoManager;
use weft_core::{ContainerId, Document, ReplicaId, Value};

fn text(doc: &Document) -> String {
    doc.text(&ContainerId::text("body"))
        .map_or(String::new(), |t| t.to_string())
}

fn record(doc: &mut Document, undo: &mut UndoManager, now: u64) {
    for event in doc.take_events() {
        undo.record(&event, now);
    }
}

fn sync(a: &mut Document, b: &mut Document) {
    let to_b = a.export_update(b.version()).unwrap();
    let to_a = b.export_update(a.version()).unwrap();
    b.import(&to_b, None).unwrap();
    a.import(&to_a, None).unwrap();
}

#[test]
fn undo_takes_back_own_edits_and_keeps_the_peers() {
    let body = ContainerId::text("body");
    let (mut a, mut b) = (
        Document::new(ReplicaId::new(1)),
        Document::new(ReplicaId::new(2)),
    );
    let mut undo = UndoManager::new(None);
    a.transact(None, |tx| tx.text_insert(&body, 0, "hello world"))
        .unwrap();
    record(&mut a, &mut undo, 0);
    sync(&mut a, &mut b);
    a.transact(None, |tx| tx.text_delete(&body, 0, 6)).unwrap();
    record(&mut a, &mut undo, 1_000);
    b.transact(None, |tx| tx.text_insert(&body, 11, "!"))
        .unwrap();
    sync(&mut a, &mut b);
    assert_eq!(text(&a), "world!");
    assert!(undo.undo(&mut a).unwrap());
    assert_eq!(text(&a), "hello world!");
    assert!(undo.undo(&mut a).unwrap());
    assert_eq!(text(&a), "!", "the peer's character stays");
    assert!(!undo.undo(&mut a).unwrap());
    assert!(undo.redo(&mut a).unwrap());
    assert_eq!(text(&a), "hello world!");
    assert!(undo.redo(&mut a).unwrap());
    assert_eq!(text(&a), "world!");
    // Undo after redo still finds the characters redo brought back.
    assert!(undo.undo(&mut a).unwrap());
    assert!(undo.undo(&mut a).unwrap());
    assert_eq!(text(&a), "!");
    sync(&mut a, &mut b);
    assert_eq!(text(&b), "!");
}

#[test]
fn typing_merges_into_one_step_within_the_interval() {
    let body = ContainerId::text("body");
    let mut a = Document::new(ReplicaId::new(1));
    let mut undo = UndoManager::new(None);
    for (at, c) in "abc".chars().enumerate() {
        a.transact(None, |tx| tx.text_insert(&body, at as u64, &c.to_string()))
            .unwrap();
        record(&mut a, &mut undo, at as u64 * 100);
    }
    a.transact(None, |tx| tx.text_insert(&body, 3, "d"))
        .unwrap();
    record(&mut a, &mut undo, 5_000);
    undo.undo(&mut a).unwrap();
    assert_eq!(text(&a), "abc");
    undo.undo(&mut a).unwrap();
    assert_eq!(text(&a), "");
}

#[test]
fn undo_is_scoped_to_an_origin() {
    let body = ContainerId::text("body");
    let mut a = Document::new(ReplicaId::new(1));
    let mut undo = UndoManager::new(Some("editor")).with_merge_interval(0);
    a.transact(Some("editor"), |tx| tx.text_insert(&body, 0, "typed"))
        .unwrap();
    a.transact(Some("import"), |tx| tx.text_insert(&body, 5, " loaded"))
        .unwrap();
    record(&mut a, &mut undo, 0);
    undo.undo(&mut a).unwrap();
    assert_eq!(text(&a), " loaded");
    assert!(!undo.can_undo());
}

#[test]
fn undo_restores_maps_lists_counters_and_registers() {
    let (meta, items, likes, title) = (
        ContainerId::map("meta"),
        ContainerId::list("items"),
        ContainerId::counter("likes"),
        ContainerId::register("title"),
    );
    let mut a = Document::new(ReplicaId::new(1));
    let mut undo = UndoManager::new(None).with_merge_interval(0);
    a.transact(None, |tx| {
        tx.map_set(&meta, "k", "old")?;
        tx.list_insert(&items, 0, vec![Value::Int(1), Value::Int(2), Value::Int(3)])?;
        tx.register_set(&title, "first")
    })
    .unwrap();
    record(&mut a, &mut undo, 0);
    let before = a.view();
    a.transact(None, |tx| {
        tx.map_set(&meta, "k", "new")?;
        tx.map_set(&meta, "added", true)?;
        tx.list_delete(&items, 1, 1)?;
        tx.counter_add(&likes, 4)?;
        tx.register_set(&title, "second")
    })
    .unwrap();
    record(&mut a, &mut undo, 10);
    let after = a.view();
    undo.undo(&mut a).unwrap();
    assert_eq!(a.map_get(&meta, "k"), Some(&Value::from("old")));
    assert_eq!(a.map_get(&meta, "added"), None);
    assert_eq!(a.view_of(&items), before_items(&before));
    assert_eq!(a.counter(&likes), 0);
    assert_eq!(a.register(&title), Some(&Value::from("first")));
    undo.redo(&mut a).unwrap();
    assert_eq!(a.view(), after);

    fn before_items(view: &weft_core::View) -> weft_core::View {
        let weft_core::View::Map(roots) = view else {
            panic!("a map of roots")
        };
        roots["items"].clone()
    }
}

/// One edit of a test, run inside a transaction.
type Step<'a> = dyn Fn(&mut weft_core::doc::Transaction<'_>) -> Result<(), weft_core::Error> + 'a;

#[test]
fn undo_restores_movable_lists() {
    let board = ContainerId::movable_list("board");
    let mut a = Document::new(ReplicaId::new(1));
    let mut undo = UndoManager::new(None).with_merge_interval(0);
    let values = |doc: &Document| -> Vec<Value> {
        (0..doc.list_len(&board))
            .map(|i| doc.list_get(&board, i).unwrap().clone())
            .collect()
    };
    a.transact(None, |tx| {
        tx.movable_insert(&board, 0, vec!["a".into(), "b".into(), "c".into()])
    })
    .unwrap();
    record(&mut a, &mut undo, 0);
    let steps: [&Step<'_>; 3] = [
        &|tx| tx.movable_move(&board, 0, 2),
        &|tx| tx.movable_set(&board, 0, "B"),
        &|tx| tx.movable_delete(&board, 1, 1),
    ];
    let mut seen = vec![values(&a)];
    for (at, step) in steps.iter().enumerate() {
        a.transact(None, |tx| step(tx)).unwrap();
        record(&mut a, &mut undo, 10 * (at as u64 + 1));
        seen.push(values(&a));
    }
    assert_eq!(seen[3], ["B", "a"].map(Value::from));
    for expected in seen.iter().rev().skip(1) {
        undo.undo(&mut a).unwrap();
        assert_eq!(&values(&a), expected);
    }
    undo.undo(&mut a).unwrap();
    assert_eq!(a.list_len(&board), 0);
    for expected in seen.iter() {
        undo.redo(&mut a).unwrap();
        assert_eq!(&values(&a), expected);
    }
}
