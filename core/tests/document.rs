//! Documents: containers, nesting, events, snapshots, compaction, history.

use weft_core::doc::{DeltaItem, Diff};
use weft_core::{
    ContainerId, Document, Error, Kind, ReplicaId, SnapshotMode, Value, VersionVector,
};

fn doc(id: u64) -> Document {
    Document::new(ReplicaId::new(id))
}

/// Sends each side what the other lacks.
fn sync(a: &mut Document, b: &mut Document) {
    let to_b = a.export_update(b.version()).unwrap();
    let to_a = b.export_update(a.version()).unwrap();
    b.import(&to_b, Some("peer")).unwrap();
    a.import(&to_a, Some("peer")).unwrap();
}

#[test]
fn every_container_type_shows_in_the_json_view() {
    let mut a = doc(1);
    let (body, meta, todo, likes, title) = (
        ContainerId::text("body"),
        ContainerId::map("meta"),
        ContainerId::list("todo"),
        ContainerId::counter("likes"),
        ContainerId::register("title"),
    );
    a.transact(None, |tx| {
        tx.text_insert(&body, 0, "héllo \"world\"\n")?;
        tx.map_set(&meta, "version", 3)?;
        tx.map_set(&meta, "draft", true)?;
        let tags = tx.map_insert_container(&meta, "tags", Kind::List)?;
        tx.list_push(&tags, "crdt")?;
        tx.list_push(&todo, "write")?;
        let item = tx.list_insert_container(&todo, 1, Kind::Map)?;
        tx.map_set(&item, "done", false)?;
        tx.counter_add(&likes, 5)?;
        tx.counter_add(&likes, -2)?;
        tx.register_set(&title, 1.5)?;
        Ok(())
    })
    .unwrap();
    assert_eq!(
        a.view().to_json(),
        r#"{"body":"héllo \"world\"\n","likes":3,"meta":{"draft":true,"tags":["crdt"],"version":3},"title":1.5,"todo":["write",{"done":false}]}"#
    );
    let mut b = doc(2);
    sync(&mut a, &mut b);
    assert_eq!(a.view(), b.view());
}

#[test]
fn concurrent_creation_of_the_same_child_container_keeps_both_sides() {
    let (mut a, mut b) = (doc(1), doc(2));
    let root = ContainerId::map("root");
    let from_a = a
        .transact(None, |tx| {
            let todo = tx.map_insert_container(&root, "todo", Kind::List)?;
            tx.list_push(&todo, "milk")?;
            Ok(todo)
        })
        .unwrap();
    let from_b = b
        .transact(None, |tx| {
            let todo = tx.map_insert_container(&root, "todo", Kind::List)?;
            tx.list_push(&todo, "bread")?;
            Ok(todo)
        })
        .unwrap();
    assert_eq!(from_a, from_b, "both sides name the same list");
    sync(&mut a, &mut b);
    assert_eq!(a.view(), b.view());
    assert_eq!(a.list_len(&from_a), 2);
    let items: Vec<_> = (0..2).map(|i| a.list_get(&from_a, i).cloned()).collect();
    assert!(items.contains(&Some(Value::from("milk"))));
    assert!(items.contains(&Some(Value::from("bread"))));
}

#[test]
fn concurrent_map_writes_converge_on_the_later_write() {
    let (mut a, mut b) = (doc(1), doc(2));
    let meta = ContainerId::map("meta");
    a.transact(None, |tx| tx.map_set(&meta, "k", "first"))
        .unwrap();
    sync(&mut a, &mut b);
    // b has seen a's write, so its write is later in Lamport time and wins.
    b.transact(None, |tx| tx.map_set(&meta, "k", "second"))
        .unwrap();
    a.transact(None, |tx| tx.map_delete(&meta, "other"))
        .unwrap();
    sync(&mut a, &mut b);
    assert_eq!(a.map_get(&meta, "k"), Some(&Value::from("second")));
    assert_eq!(a.view(), b.view());
    a.transact(None, |tx| tx.map_set(&meta, "a", 1)).unwrap();
    a.transact(None, |tx| tx.map_delete(&meta, "k")).unwrap();
    let entries: Vec<_> = a.map_entries(&meta).collect();
    assert_eq!(
        entries,
        [("a", &Value::Int(1))],
        "deleted keys are not listed"
    );
    assert_eq!(a.container_ids().collect::<Vec<_>>(), [&meta]);
}

#[test]
fn events_describe_local_and_remote_changes_in_editor_terms() {
    let (mut a, mut b) = (doc(1), doc(2));
    let body = ContainerId::text("body");
    a.transact(Some("typing"), |tx| {
        tx.text_insert(&body, 0, "hello")?;
        tx.text_insert(&body, 5, " world")?;
        tx.text_delete(&body, 0, 1)?;
        tx.text_insert(&body, 0, "H")
    })
    .unwrap();
    let events = a.take_events();
    assert_eq!(events.len(), 1);
    assert!(events[0].local);
    assert_eq!(events[0].origin.as_deref(), Some("typing"));
    assert_eq!(
        events[0].diffs[0].diff,
        Diff::Text(vec![DeltaItem::Insert("Hello world".into())])
    );
    sync(&mut a, &mut b);
    b.take_events();
    a.transact(None, |tx| tx.text_delete(&body, 5, 6)).unwrap();
    b.import(&a.export_update(b.version()).unwrap(), Some("net"))
        .unwrap();
    let events = b.take_events();
    assert_eq!(events.len(), 1);
    assert!(!events[0].local);
    assert_eq!(events[0].origin.as_deref(), Some("net"));
    assert_eq!(
        events[0].diffs[0].diff,
        Diff::Text(vec![DeltaItem::Retain(5), DeltaItem::Delete(6)])
    );
    let meta = ContainerId::map("meta");
    a.transact(None, |tx| tx.map_set(&meta, "k", 1)).unwrap();
    b.import(&a.export_update(b.version()).unwrap(), None)
        .unwrap();
    let events = b.take_events();
    let Diff::Map(keys) = &events[0].diffs[0].diff else {
        panic!("a map diff")
    };
    assert_eq!(keys.get("k"), Some(&Some(Value::Int(1))));
}

#[test]
fn replaying_events_rebuilds_the_text() {
    let (mut a, mut b) = (doc(1), doc(2));
    let body = ContainerId::text("body");
    let mut mirror = String::new();
    for round in 0..20u64 {
        a.transact(None, |tx| {
            let len = tx.doc().text(&body).map_or(0, |t| t.len());
            tx.text_insert(&body, (round * 7) % (len + 1), "ab")?;
            if len > 3 {
                tx.text_delete(&body, round % (len - 2), 2)?;
            }
            Ok(())
        })
        .unwrap();
        b.transact(None, |tx| {
            let len = tx.doc().text(&body).map_or(0, |t| t.len());
            tx.text_insert(&body, (round * 3) % (len + 1), "XY")
        })
        .unwrap();
        b.take_events()
            .into_iter()
            .for_each(|e| apply(&mut mirror, &e.diffs));
        sync(&mut a, &mut b);
        b.take_events()
            .into_iter()
            .for_each(|e| apply(&mut mirror, &e.diffs));
        assert_eq!(mirror, b.text(&body).unwrap().to_string());
    }

    fn apply(mirror: &mut String, diffs: &[weft_core::doc::ContainerDiff]) {
        for diff in diffs {
            let Diff::Text(items) = &diff.diff else {
                continue;
            };
            let mut chars: Vec<char> = mirror.chars().collect();
            let mut at = 0;
            for item in items {
                match item {
                    DeltaItem::Retain(n) => at += *n as usize,
                    DeltaItem::Insert(s) => {
                        let new: Vec<char> = s.chars().collect();
                        chars.splice(at..at, new.iter().copied());
                        at += new.len();
                    }
                    DeltaItem::Delete(n) => {
                        chars.drain(at..at + *n as usize);
                    }
                }
            }
            *mirror = chars.into_iter().collect();
        }
    }
}

#[test]
fn snapshots_round_trip_and_merge() {
    let (mut a, mut b) = (doc(1), doc(2));
    let (body, todo) = (ContainerId::text("body"), ContainerId::list("todo"));
    a.transact(None, |tx| {
        tx.text_insert(&body, 0, "hello world")?;
        tx.list_push(&todo, 1)?;
        tx.list_push(&todo, 2)
    })
    .unwrap();
    a.transact(None, |tx| {
        tx.text_delete(&body, 0, 6)?;
        tx.list_delete(&todo, 0, 1)
    })
    .unwrap();
    for mode in [SnapshotMode::Full, SnapshotMode::Shallow] {
        let bytes = a.export_snapshot(mode);
        let loaded = Document::from_snapshot(ReplicaId::new(3), &bytes).unwrap();
        assert_eq!(loaded.view(), a.view());
        assert_eq!(loaded.version(), a.version());
        // Deterministic: the same state encodes to the same bytes.
        assert_eq!(loaded.export_snapshot(mode), bytes);
    }
    let full = a.export_snapshot(SnapshotMode::Full);
    let shallow = a.export_snapshot(SnapshotMode::Shallow);
    assert!(shallow.len() < full.len());
    // A snapshot joins into a replica with concurrent edits of its own.
    b.transact(None, |tx| tx.text_insert(&body, 0, "b says "))
        .unwrap();
    b.import(&shallow, None).unwrap();
    a.import(&b.export_update(a.version()).unwrap(), None)
        .unwrap();
    assert_eq!(a.view(), b.view());
}

#[test]
fn compaction_drops_stable_history_and_falls_back_to_snapshots() {
    let (mut a, mut b, mut late) = (doc(1), doc(2), doc(3));
    let body = ContainerId::text("body");
    for word in ["one ", "two ", "three "] {
        a.transact(None, |tx| tx.text_insert(&body, 0, word))
            .unwrap();
    }
    sync(&mut a, &mut b);
    let before = a.export_snapshot(SnapshotMode::Full).len();
    let stable = a.version().clone();
    a.compact(&stable);
    assert!(a.export_snapshot(SnapshotMode::Full).len() < before);
    assert_eq!(a.export_update(late.version()), Err(Error::Compacted));
    // Changes after the stable point still travel as updates.
    a.transact(None, |tx| tx.text_insert(&body, 0, "four "))
        .unwrap();
    b.import(&a.export_update(b.version()).unwrap(), None)
        .unwrap();
    assert_eq!(a.view(), b.view());
    // The late peer gets a snapshot instead, and then updates again.
    late.import(&a.export_snapshot(SnapshotMode::Shallow), None)
        .unwrap();
    assert_eq!(late.view(), a.view());
    late.transact(None, |tx| tx.text_insert(&body, 0, "five "))
        .unwrap();
    a.import(&late.export_update(a.version()).unwrap(), None)
        .unwrap();
    assert_eq!(
        a.text(&body).unwrap().to_string(),
        "five four three two one "
    );
}

#[test]
fn checkout_and_diff_between_versions() {
    let mut a = doc(1);
    let (body, meta) = (ContainerId::text("body"), ContainerId::map("meta"));
    a.transact(None, |tx| tx.text_insert(&body, 0, "draft"))
        .unwrap();
    let v1 = a.version().clone();
    a.transact(None, |tx| {
        tx.text_insert(&body, 5, " two")?;
        tx.map_set(&meta, "status", "final")
    })
    .unwrap();
    let old = a.checkout(&v1).unwrap();
    assert_eq!(old.view().to_json(), r#"{"body":"draft"}"#);
    let diffs = a.diff(&v1, &a.version().clone()).unwrap();
    assert_eq!(diffs.len(), 2);
    assert_eq!(
        diffs[0].diff,
        Diff::Text(vec![DeltaItem::Retain(5), DeltaItem::Insert(" two".into())])
    );
    let mut branch = old.fork(ReplicaId::new(9));
    branch
        .transact(None, |tx| tx.text_insert(&body, 0, "my "))
        .unwrap();
    a.import(&branch.export_update(a.version()).unwrap(), None)
        .unwrap();
    assert_eq!(a.text(&body).unwrap().to_string(), "my draft two");
    assert_eq!(
        a.checkout(&VersionVector::new()).unwrap().view().to_json(),
        "{}"
    );
}

#[test]
fn changes_wait_for_what_they_depend_on() {
    let (mut a, mut b) = (doc(1), doc(2));
    let body = ContainerId::text("body");
    a.transact(None, |tx| tx.text_insert(&body, 0, "ab"))
        .unwrap();
    let first = a.export_update(&VersionVector::new()).unwrap();
    let v1 = a.version().clone();
    a.transact(None, |tx| tx.text_insert(&body, 1, "X"))
        .unwrap();
    let second = a.export_update(&v1).unwrap();
    let status = b.import(&second, None).unwrap();
    assert_eq!((status.applied, status.pending), (0, 1));
    let status = b.import(&first, None).unwrap();
    assert_eq!((status.applied, status.pending), (2, 0));
    assert_eq!(b.text(&body).unwrap().to_string(), "aXb");
}

#[test]
fn bad_input_gives_errors_and_leaves_the_document_usable() {
    let mut a = doc(1);
    let body = ContainerId::text("body");
    a.transact(None, |tx| tx.text_insert(&body, 0, "keep"))
        .unwrap();
    let update = a.export_update(&VersionVector::new()).unwrap();
    let mut b = doc(2);
    for cut in 0..update.len() {
        assert!(
            b.import(&update[..cut], None).is_err(),
            "truncated at {cut}"
        );
    }
    assert_eq!(b.import(b"hello", None), Err(Error::NotWeft));
    let mut newer = update.clone();
    newer[2] = 99;
    assert!(matches!(
        b.import(&newer, None),
        Err(Error::NewerFormat { .. })
    ));
    assert_eq!(
        a.transact(None, |tx| tx.map_set(&body.clone(), "k", 1)),
        Err(Error::KindMismatch)
    );
    b.import(&update, None).unwrap();
    assert_eq!(b.view(), a.view());
}

fn values(doc: &Document, id: &ContainerId) -> Vec<Value> {
    (0..doc.list_len(id))
        .map(|i| doc.list_get(id, i).unwrap().clone())
        .collect()
}

#[test]
fn movable_list_moves_replaces_and_deletes() {
    let (mut a, mut b) = (doc(1), doc(2));
    let tasks = ContainerId::movable_list("tasks");
    a.transact(None, |tx| {
        tx.movable_insert(
            &tasks,
            0,
            vec!["a".into(), "b".into(), "c".into(), "d".into()],
        )
    })
    .unwrap();
    sync(&mut a, &mut b);
    b.take_events();
    // Concurrently: a moves "a" to the end, b moves "a" to index 1 and replaces "c".
    a.transact(None, |tx| tx.movable_move(&tasks, 0, 3))
        .unwrap();
    assert_eq!(values(&a, &tasks), ["b", "c", "d", "a"].map(Value::from));
    b.transact(None, |tx| {
        tx.movable_move(&tasks, 0, 1)?;
        tx.movable_set(&tasks, 2, "C")
    })
    .unwrap();
    assert_eq!(values(&b, &tasks), ["b", "a", "C", "d"].map(Value::from));
    sync(&mut a, &mut b);
    assert_eq!(values(&a, &tasks), values(&b, &tasks));
    assert_eq!(a.list_len(&tasks), 4, "a moved element appears once");
    assert!(values(&a, &tasks).contains(&Value::from("C")));
    // A delete wins over a concurrent move of the same element.
    a.transact(None, |tx| tx.movable_delete(&tasks, 0, 1))
        .unwrap();
    let moved = b.transact(None, |tx| tx.movable_move(&tasks, 0, 3));
    moved.unwrap();
    sync(&mut a, &mut b);
    assert_eq!(values(&a, &tasks), values(&b, &tasks));
    assert_eq!(a.list_len(&tasks), 3);
    assert!(!values(&a, &tasks).contains(&Value::from("b")));
    for mode in [SnapshotMode::Full, SnapshotMode::Shallow] {
        let loaded = Document::from_snapshot(ReplicaId::new(5), &a.export_snapshot(mode)).unwrap();
        assert_eq!(loaded.view(), a.view());
    }
}

#[test]
fn movable_list_events_replay_to_the_same_values() {
    let (mut a, mut b) = (doc(1), doc(2));
    let tasks = ContainerId::movable_list("tasks");
    a.transact(None, |tx| {
        tx.movable_insert(&tasks, 0, vec![1.into(), 2.into(), 3.into()])
    })
    .unwrap();
    sync(&mut a, &mut b);
    b.take_events();
    a.transact(None, |tx| {
        tx.movable_move(&tasks, 2, 0)?;
        tx.movable_set(&tasks, 1, 10)
    })
    .unwrap();
    b.import(&a.export_update(b.version()).unwrap(), None)
        .unwrap();
    let mut mirror = vec![Value::Int(1), Value::Int(2), Value::Int(3)];
    for event in b.take_events() {
        for diff in event.diffs {
            let Diff::List(items) = diff.diff else {
                continue;
            };
            let mut at = 0;
            for item in items {
                match item {
                    DeltaItem::Retain(n) => at += n as usize,
                    DeltaItem::Insert(new) => {
                        let n = new.len();
                        mirror.splice(at..at, new);
                        at += n;
                    }
                    DeltaItem::Delete(n) => {
                        mirror.drain(at..at + n as usize);
                    }
                }
            }
        }
    }
    assert_eq!(mirror, values(&b, &tasks));
    assert_eq!(mirror, [3, 10, 2].map(Value::from));
}

#[test]
fn changes_waiting_for_missing_ones_are_capped() {
    use weft_core::Dot;
    use weft_core::doc::{Change, Op, encode_update};
    // Replica 7's changes from counter 2 on, without its first: none can apply.
    let replica = ReplicaId::new(7);
    let changes: Vec<Change> = (2..70_000u64)
        .map(|counter| {
            let mut deps = VersionVector::new();
            deps.advance(replica, counter - 1);
            Change {
                id: Dot::new(replica, counter),
                lamport: counter,
                deps,
                ops: vec![Op::CounterAdd {
                    target: ContainerId::counter("c"),
                    amount: 1,
                }],
            }
        })
        .collect();
    let mut a = doc(1);
    let result = a.import(&encode_update(changes.iter()), None);
    assert!(matches!(result, Err(Error::Invalid(_))));
    assert_eq!(a.pending_len(), 65_536);
    a.transact(None, |tx| tx.counter_add(&ContainerId::counter("c"), 1))
        .unwrap();
    assert_eq!(a.counter(&ContainerId::counter("c")), 1);
}

#[test]
fn an_open_transaction_gathers_edits_made_one_call_at_a_time() {
    let mut a = doc(1);
    let body = ContainerId::text("body");
    let tags = ContainerId::map("tags");
    a.begin(Some("typing")).unwrap();
    assert!(a.begin(None).is_err(), "transactions do not nest");
    a.edit(|tx| tx.text_insert(&body, 0, "hello")).unwrap();
    assert_eq!(
        a.text(&body).unwrap().to_string(),
        "hello",
        "reads see open edits"
    );
    a.transact(Some("ignored"), |tx| tx.map_set(&tags, "lang", "en"))
        .unwrap();
    a.edit(|tx| tx.text_insert(&body, 5, "!")).unwrap();
    assert!(a.in_transaction());
    a.commit();
    assert!(!a.in_transaction());

    let events = a.take_events();
    assert_eq!(events.len(), 1, "one transaction, one event");
    assert_eq!(events[0].origin.as_deref(), Some("typing"));
    let changes =
        weft_core::doc::decode_update(&a.export_update(&VersionVector::new()).unwrap()).unwrap();
    assert_eq!(changes.len(), 1, "one transaction, one change");

    let mut b = doc(2);
    b.import(&a.export_update(&VersionVector::new()).unwrap(), None)
        .unwrap();
    assert_eq!(b.view(), a.view());
}

#[test]
fn an_import_commits_the_open_transaction_first() {
    let (mut a, mut b) = (doc(1), doc(2));
    let body = ContainerId::text("body");
    b.transact(None, |tx| tx.text_insert(&body, 0, "remote "))
        .unwrap();
    a.begin(None).unwrap();
    a.edit(|tx| tx.text_insert(&body, 0, "local")).unwrap();
    a.import(&b.export_update(&VersionVector::new()).unwrap(), None)
        .unwrap();
    assert!(!a.in_transaction());
    sync(&mut a, &mut b);
    assert_eq!(a.view(), b.view());
    assert_eq!(a.text(&body).unwrap().len(), 12);
}

#[test]
fn take_update_gives_what_was_recorded_since_the_last_take() {
    let (mut a, mut b) = (doc(1), doc(2));
    let body = ContainerId::text("body");
    assert_eq!(a.take_update(), None, "nothing is kept until asked for");
    a.set_updates(true);
    a.transact(None, |tx| tx.text_insert(&body, 0, "one "))
        .unwrap();
    let first = a.take_update().unwrap();
    assert_eq!(a.take_update(), None);
    a.transact(None, |tx| tx.text_insert(&body, 4, "two "))
        .unwrap();
    b.transact(None, |tx| tx.text_insert(&body, 0, "bee "))
        .unwrap();
    a.import(&b.export_update(a.version()).unwrap(), None)
        .unwrap();
    let second = a.take_update().unwrap();

    let mut c = doc(3);
    c.import(&second, None).unwrap();
    assert_eq!(c.pending_len(), 1, "the second update builds on the first");
    c.import(&first, None).unwrap();
    assert_eq!(c.view(), a.view());

    // A snapshot's changes are not at hand one by one: the update covers them.
    let mut d = doc(4);
    d.set_updates(true);
    d.import(&a.export_snapshot(SnapshotMode::Full), None)
        .unwrap();
    let mut e = doc(5);
    e.import(&d.take_update().unwrap(), None).unwrap();
    assert_eq!(e.view(), a.view());
    d.set_updates(false);
    d.transact(None, |tx| tx.text_insert(&body, 0, "x"))
        .unwrap();
    assert_eq!(d.take_update(), None);
}

#[test]
fn typing_one_transaction_per_keystroke_keeps_a_small_history() {
    let mut a = doc(1);
    let body = ContainerId::text("body");
    let typed = "the quick brown fox jumps over the lazy dog. ".repeat(40);
    for (at, c) in typed.chars().enumerate() {
        a.transact(None, |tx| tx.text_insert(&body, at as u64, &c.to_string()))
            .unwrap();
    }
    let snapshot = a.export_snapshot(SnapshotMode::Full);
    let update = a.export_update(&VersionVector::new()).unwrap();
    // The text in the state, and in the history two bytes a key (length and
    // character): not the fifteen or so a fully described insert takes.
    assert!(
        snapshot.len() < 4 * typed.len(),
        "{} bytes for {} keystrokes",
        snapshot.len(),
        typed.len()
    );
    for bytes in [&snapshot, &update] {
        let mut b = doc(2);
        b.import(bytes, None).unwrap();
        assert_eq!(b.view(), a.view());
        // The history reads back change for change: b can serve any version of it.
        let mut from_half = VersionVector::new();
        from_half.advance(ReplicaId::new(1), typed.len() as u64 / 2);
        let mut c = doc(3);
        c.import(
            &a.checkout(&from_half)
                .unwrap()
                .export_snapshot(SnapshotMode::Full),
            None,
        )
        .unwrap();
        c.import(&b.export_update(c.version()).unwrap(), None)
            .unwrap();
        assert_eq!(c.view(), a.view());
    }
}

#[test]
fn a_change_names_only_the_newest_changes_its_author_had_seen() {
    use weft_core::doc::decode_update;
    let body = ContainerId::text("body");
    // Sixty replicas type in turn, each after receiving everything typed before.
    let mut room: Vec<Document> = (1..=60).map(doc).collect();
    let mut updates = Vec::new();
    for turn in 0..120 {
        let typist = turn % room.len();
        let before = room[typist].version().clone();
        room[typist]
            .transact(None, |tx| tx.text_insert(&body, turn as u64, "x"))
            .unwrap();
        let update = room[typist].export_update(&before).unwrap();
        for (other, document) in room.iter_mut().enumerate() {
            if other != typist {
                document.import(&update, None).unwrap();
            }
        }
        updates.push(update);
    }
    let last = decode_update(updates.last().unwrap()).unwrap();
    // The change before it, and its author's own previous one: not all sixty.
    assert_eq!(last[0].deps.len(), 2, "{:?}", last[0].deps);
    assert!(
        updates.last().unwrap().len() < 60,
        "{} bytes",
        updates[119].len()
    );

    // A newcomer missing one early keystroke holds everything after it back, though
    // the later changes name it nowhere, then applies all when it comes.
    let mut newcomer = doc(99);
    for (turn, update) in updates.iter().enumerate() {
        if turn != 7 {
            newcomer.import(update, None).unwrap();
        }
    }
    assert_eq!(newcomer.pending_len(), 119 - 7);
    assert_eq!(newcomer.text(&body).unwrap().to_string(), "x".repeat(7));
    newcomer.import(&updates[7], None).unwrap();
    assert_eq!(newcomer.pending_len(), 0);
    assert_eq!(newcomer.view(), room[0].view());
}

#[test]
fn changes_that_name_their_authors_whole_version_still_apply() {
    use weft_core::Dot;
    use weft_core::doc::{Change, Op, encode_update};
    let likes = ContainerId::counter("likes");
    let (one, two) = (ReplicaId::new(1), ReplicaId::new(2));
    let mut a = doc(1);
    for _ in 0..3 {
        a.transact(None, |tx| tx.counter_add(&likes, 1)).unwrap();
    }
    // Replica 2 had seen all of replica 1's changes and, as replicas did before
    // changes named only their newest dependencies, names its whole version.
    let mut seen = VersionVector::new();
    seen.advance(one, 3);
    let first = Change {
        id: Dot::new(two, 1),
        lamport: 4,
        deps: seen.clone(),
        ops: vec![Op::CounterAdd {
            target: likes.clone(),
            amount: 10,
        }],
    };
    seen.advance(two, 1);
    let second = Change {
        id: Dot::new(two, 2),
        lamport: 5,
        deps: seen,
        ops: vec![Op::CounterAdd {
            target: likes.clone(),
            amount: 100,
        }],
    };
    let theirs = encode_update([first, second].iter());
    let mut b = doc(3);
    let status = b.import(&theirs, None).unwrap();
    assert_eq!((status.applied, status.pending), (0, 2));
    b.import(&a.export_update(b.version()).unwrap(), None)
        .unwrap();
    assert_eq!(b.counter(&likes), 113);
    // b serves them on, and builds on them, as it would its own.
    b.transact(None, |tx| tx.counter_add(&likes, 1000)).unwrap();
    let mut c = doc(4);
    c.import(&b.export_update(&VersionVector::new()).unwrap(), None)
        .unwrap();
    assert_eq!(c.counter(&likes), 1113);
}

#[test]
fn a_change_after_a_snapshot_names_what_the_snapshot_brought() {
    use weft_core::doc::decode_update;
    let likes = ContainerId::counter("likes");
    // Five writers count at once, each unaware of the others.
    let mut writers: Vec<Document> = (1..=5).map(doc).collect();
    let updates: Vec<Vec<u8>> = writers
        .iter_mut()
        .map(|writer| {
            writer
                .transact(None, |tx| tx.counter_add(&likes, 1))
                .unwrap();
            writer.export_update(&VersionVector::new()).unwrap()
        })
        .collect();
    let mut room = doc(9);
    for update in &updates {
        room.import(update, None).unwrap();
    }
    let newcomer_edit = |newcomer: &mut Document| {
        let before = newcomer.version().clone();
        newcomer
            .transact(None, |tx| tx.counter_add(&likes, 10))
            .unwrap();
        newcomer.export_update(&before).unwrap()
    };
    let mut newcomer = Document::from_snapshot(
        ReplicaId::new(10),
        &room.export_snapshot(SnapshotMode::Shallow),
    )
    .unwrap();
    let after_snapshot = newcomer_edit(&mut newcomer);
    // Nothing the snapshot brought builds on anything else: all five are named.
    assert_eq!(decode_update(&after_snapshot).unwrap()[0].deps.len(), 5);

    // A replica that lacks one of them holds the newcomer's change back until it
    // comes.
    let mut late = doc(11);
    for update in &updates[..4] {
        late.import(update, None).unwrap();
    }
    late.import(&after_snapshot, None).unwrap();
    assert_eq!((late.counter(&likes), late.pending_len()), (4, 1));
    late.import(&updates[4], None).unwrap();
    assert_eq!((late.counter(&likes), late.pending_len()), (15, 0));

    // Reloading its own state, as a browser tab does from its storage, brings
    // nothing new: after writer 1 counts again, the next change names that and its
    // author's previous one, not all five writers again.
    let own = newcomer.export_snapshot(SnapshotMode::Full);
    newcomer.import(&own, None).unwrap();
    let before = writers[0].version().clone();
    writers[0]
        .transact(None, |tx| tx.counter_add(&likes, 1))
        .unwrap();
    newcomer
        .import(&writers[0].export_update(&before).unwrap(), None)
        .unwrap();
    let after_reload = newcomer_edit(&mut newcomer);
    let reloaded = &decode_update(&after_reload).unwrap()[0];
    assert_eq!(
        reloaded.deps.iter().collect::<Vec<_>>(),
        [(ReplicaId::new(1), 2), (ReplicaId::new(10), 1)]
    );
}
