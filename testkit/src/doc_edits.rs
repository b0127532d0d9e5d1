//! Random edits on every container type of a document, for simulations and property
//! tests.

use rand::Rng;
use weft_core::{ContainerId, Document, Kind, Value};

/// Makes one random local transaction on `document`: text, list, nested list in a
/// map, map keys, counter, register or movable list.
pub fn random_edit(document: &mut Document, rng: &mut impl Rng) {
    let choice = rng.random_range(0..13);
    let position = rng.random::<u64>();
    let word = ["a", "bc", "déf", "🙂", "xyz "][rng.random_range(0..5)];
    let amount = rng.random_range(-5..=5);
    let (body, tasks, meta, score, title, board) = (
        ContainerId::text("body"),
        ContainerId::list("tasks"),
        ContainerId::map("meta"),
        ContainerId::counter("score"),
        ContainerId::register("title"),
        ContainerId::movable_list("board"),
    );
    document
        .transact(Some("sim"), |tx| {
            let len = tx.doc().text(&body).map_or(0, |text| text.len());
            let items = tx.doc().list_len(&tasks);
            let moving = tx.doc().list_len(&board);
            match choice {
                0..=2 => tx.text_insert(&body, position % (len + 1), word),
                3 if len > 0 => {
                    let at = position % len;
                    tx.text_delete(&body, at, 1 + (position / 7) % (len - at).min(3))
                }
                4 => tx.list_insert(&tasks, position % (items + 1), vec![Value::from(word)]),
                5 if items > 0 => tx.list_delete(&tasks, position % items, 1),
                6 => {
                    let child = tx.map_insert_container(&meta, "todo", Kind::List)?;
                    let inner = tx.doc().list_len(&child);
                    tx.list_insert(&child, position % (inner + 1), vec![Value::Int(amount)])
                }
                7 => {
                    let key = ["k1", "k2", "k3"][(position % 3) as usize];
                    if amount < -3 {
                        tx.map_delete(&meta, key)
                    } else {
                        tx.map_set(&meta, key, amount)
                    }
                }
                8 => tx.counter_add(&score, amount),
                10 => tx.movable_insert(&board, position % (moving + 1), vec![Value::from(word)]),
                11 | 12 if moving > 0 => {
                    let (from, to) = (position % moving, (position / 13) % moving);
                    match (choice, amount) {
                        (11, _) => tx.movable_move(&board, from, to),
                        (_, ..=-3) => tx.movable_delete(&board, from, 1),
                        _ => tx.movable_set(&board, from, amount),
                    }
                }
                _ => tx.register_set(&title, word),
            }
        })
        .expect("a valid local edit");
}
