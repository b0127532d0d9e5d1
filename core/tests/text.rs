//! The text type: editing, convergence, and the non-interleaving guarantee.

use weft_core::{Error, ReplicaId, Text, TextDelta, TextOp};

const ALICE: ReplicaId = ReplicaId::new(0xa11ce);
const BOB: ReplicaId = ReplicaId::new(0xb0b);

fn synced(from: &Text) -> Text {
    let mut copy = Text::new();
    copy.integrate(from.delta_since(copy.version())).unwrap();
    copy
}

fn exchange(a: &mut Text, b: &mut Text) {
    let to_b = a.delta_since(b.version());
    let to_a = b.delta_since(a.version());
    a.integrate(to_a).unwrap();
    b.integrate(to_b).unwrap();
}

#[test]
fn local_edits_follow_positions_in_characters() {
    let mut text = Text::new();
    text.insert(ALICE, 0, "héllo wörld").unwrap();
    text.insert(ALICE, 5, ",").unwrap();
    text.delete(ALICE, 0, 1).unwrap();
    text.insert(ALICE, 0, "H").unwrap();
    text.insert(ALICE, 12, "!🎉").unwrap();
    assert_eq!(text.to_string(), "Héllo, wörld!🎉");
    assert_eq!(text.len(), 14);
    text.delete(ALICE, 5, 7).unwrap();
    assert_eq!(text.to_string(), "Héllo!🎉");
}

#[test]
fn many_edits_split_and_rebalance_the_tree() {
    let mut text = Text::new();
    let mut model: Vec<char> = Vec::new();
    let mut seed = 7u64;
    let mut next = |bound: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % bound.max(1)
    };
    for round in 0..5000 {
        let len = model.len() as u64;
        if len > 0 && next(3) == 0 {
            let at = next(len);
            let count = 1 + next((len - at).min(8));
            text.delete(ALICE, at, count).unwrap();
            model.drain(at as usize..(at + count) as usize);
        } else {
            let at = next(len + 1);
            let piece = ["a", "bc", "ü", "😀x", "defg"][round % 5];
            text.insert(ALICE, at, piece).unwrap();
            model.splice(at as usize..at as usize, piece.chars());
        }
    }
    assert_eq!(text.to_string(), model.iter().collect::<String>());
    assert_eq!(synced(&text).to_string(), text.to_string());
}

/// Both replicas type a word at the same place at once, keystroke by keystroke.
fn type_concurrently(backwards: bool) -> String {
    let mut a = Text::new();
    a.insert(ALICE, 0, "[]").unwrap();
    let mut b = synced(&a);
    for (replica, text, word) in [(ALICE, &mut a, "alpha"), (BOB, &mut b, "omega")] {
        let chars: Vec<char> = word.chars().collect();
        for index in 0..chars.len() {
            let (at, ch) = if backwards {
                (1, chars[chars.len() - 1 - index])
            } else {
                (1 + index as u64, chars[index])
            };
            text.insert(replica, at, &ch.to_string()).unwrap();
        }
    }
    exchange(&mut a, &mut b);
    assert_eq!(a.to_string(), b.to_string());
    a.to_string()
}

#[test]
fn concurrent_words_never_interleave_forwards() {
    let merged = type_concurrently(false);
    assert!(
        merged == "[alphaomega]" || merged == "[omegaalpha]",
        "{merged}"
    );
}

#[test]
fn concurrent_words_never_interleave_backwards() {
    let merged = type_concurrently(true);
    assert!(
        merged == "[alphaomega]" || merged == "[omegaalpha]",
        "{merged}"
    );
}

#[test]
fn concurrent_edits_converge_whatever_the_order() {
    let mut a = Text::new();
    a.insert(ALICE, 0, "The quick fox").unwrap();
    let mut b = synced(&a);
    let mut deltas_a = vec![
        a.insert(ALICE, 4, "very ").unwrap(),
        a.delete(ALICE, 0, 4).unwrap(),
    ];
    let deltas_b = vec![
        b.insert(BOB, 10, "brown ").unwrap(),
        b.delete(BOB, 4, 6).unwrap(),
        b.insert(BOB, 13, " jumps").unwrap(),
    ];
    deltas_a.reverse();
    for delta in deltas_a {
        b.integrate(delta).unwrap();
    }
    for delta in deltas_b.into_iter().rev() {
        a.integrate(delta).unwrap();
    }
    assert_eq!(a.backlog_len(), 0);
    assert_eq!(b.backlog_len(), 0);
    assert_eq!(a.to_string(), b.to_string());
    assert_eq!(a.to_string(), "very brown fox jumps");
}

#[test]
fn early_operations_wait_and_duplicates_are_harmless() {
    let mut author = Text::new();
    let first = author.insert(ALICE, 0, "ab").unwrap();
    let second = author.insert(ALICE, 1, "X").unwrap();
    let third = author.delete(ALICE, 0, 1).unwrap();
    let mut reader = Text::new();
    reader.integrate(third.clone()).unwrap();
    reader.integrate(second.clone()).unwrap();
    assert_eq!(reader.backlog_len(), 2);
    assert_eq!(reader.to_string(), "");
    reader.integrate(first.clone()).unwrap();
    assert_eq!(reader.backlog_len(), 0);
    assert_eq!(reader.to_string(), "Xb");
    reader.integrate(second).unwrap();
    reader.integrate(first).unwrap();
    assert_eq!(reader.to_string(), "Xb");
    assert_eq!(reader.version(), author.version());
}

#[test]
fn bad_edits_are_errors_and_change_nothing() {
    let mut text = Text::new();
    text.insert(ALICE, 0, "abc").unwrap();
    assert_eq!(
        text.insert(ALICE, 4, "x"),
        Err(Error::PositionOutOfBounds {
            position: 4,
            len: 3
        })
    );
    assert!(matches!(
        text.delete(ALICE, 2, 2),
        Err(Error::PositionOutOfBounds { .. })
    ));
    assert!(matches!(
        text.delete(ALICE, u64::MAX, 2),
        Err(Error::PositionOutOfBounds { .. })
    ));
    assert_eq!(text.insert(ALICE, 1, ""), Err(Error::EmptyEdit));
    assert_eq!(text.delete(ALICE, 1, 0), Err(Error::EmptyEdit));
    assert_eq!(text.to_string(), "abc");
    text.insert(ALICE, 3, "d").unwrap();
    assert_eq!(text.to_string(), "abcd");
}

#[test]
fn malformed_remote_operations_are_refused_and_the_rest_applied() {
    let mut author = Text::new();
    author.insert(ALICE, 0, "ab").unwrap();
    author.delete(ALICE, 0, 1).unwrap(); // dot 3 of ALICE is a deletion, not a character
    let mut reader = synced(&author);

    let bad_origin = TextOp::Insert {
        id: weft_core::Dot::new(BOB, 1),
        len: 1,
        origin_left: Some(weft_core::Dot::new(ALICE, 3)),
        origin_right: None,
        text: "x".into(),
    };
    let wrong_length = TextOp::Insert {
        id: weft_core::Dot::new(BOB, 1),
        len: 3,
        origin_left: None,
        origin_right: None,
        text: "x".into(),
    };
    let good = TextOp::Insert {
        id: weft_core::Dot::new(BOB, 1),
        len: 1,
        origin_left: None,
        origin_right: None,
        text: "y".into(),
    };
    let result = reader.integrate(TextDelta {
        ops: vec![bad_origin, wrong_length, good],
    });
    assert!(matches!(result, Err(Error::Invalid(_))));
    assert_eq!(reader.to_string(), "yb");

    let unknown_origin = TextOp::Insert {
        id: weft_core::Dot::new(BOB, 2),
        len: 1,
        origin_left: Some(weft_core::Dot::new(ReplicaId::new(99), 1)),
        origin_right: None,
        text: "z".into(),
    };
    reader
        .integrate(TextDelta {
            ops: vec![unknown_origin],
        })
        .unwrap();
    assert_eq!(reader.backlog_len(), 1, "an unknown origin waits");
    assert_eq!(reader.to_string(), "yb");
}

mod convergence {
    use proptest::prelude::*;
    use weft_core::{ReplicaId, Text, TextDelta};

    /// An edit or a one-way sync, on one of three replicas.
    #[derive(Clone, Debug)]
    enum Step {
        Insert {
            at: usize,
            position: u16,
            text: &'static str,
        },
        Delete {
            at: usize,
            position: u16,
            len: u8,
        },
        Sync {
            from: usize,
            to: usize,
        },
    }

    fn step() -> impl Strategy<Value = Step> {
        let words = prop::sample::select(vec!["a", "bc", "ü", "🦀", "xyz", " "]);
        prop_oneof![
            3 => (0..3usize, any::<u16>(), words).prop_map(|(at, position, text)| Step::Insert { at, position, text }),
            2 => (0..3usize, any::<u16>(), 1..4u8).prop_map(|(at, position, len)| Step::Delete { at, position, len }),
            1 => (0..3usize, 0..3usize).prop_map(|(from, to)| Step::Sync { from, to }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn three_replicas_converge(steps in prop::collection::vec(step(), 1..120)) {
            let ids = [ReplicaId::new(3), ReplicaId::new(1), ReplicaId::new(2)];
            let mut texts = [Text::new(), Text::new(), Text::new()];
            for step in steps {
                match step {
                    Step::Insert { at, position, text } => {
                        let position = u64::from(position) % (texts[at].len() + 1);
                        texts[at].insert(ids[at], position, text).unwrap();
                    }
                    Step::Delete { at, position, len } => {
                        let len_now = texts[at].len();
                        if len_now > 0 {
                            let position = u64::from(position) % len_now;
                            let len = u64::from(len).min(len_now - position);
                            texts[at].delete(ids[at], position, len).unwrap();
                        }
                    }
                    Step::Sync { from, to } => {
                        let delta = texts[from].delta_since(texts[to].version());
                        texts[to].integrate(delta).unwrap();
                    }
                }
                for text in &texts {
                    prop_assert_eq!(text.check_invariants(), Ok(()));
                }
            }
            for from in 0..3 {
                for to in 0..3 {
                    let delta = texts[from].delta_since(texts[to].version());
                    texts[to].integrate(delta).unwrap();
                }
            }
            for from in 0..3 {
                let delta = texts[from].delta_since(texts[0].version());
                texts[0].integrate(delta).unwrap();
            }
            let [a, b, c] = &texts;
            let snapshot = a.snapshot();
            prop_assert_eq!(&TextDelta::decode(&snapshot.encode()).unwrap(), &snapshot);
            prop_assert_eq!(a.encode_since(b.version()), a.delta_since(b.version()).encode());
            prop_assert_eq!(a.encode_without_deleted(), a.snapshot_without_deleted().encode());
            let lean = Text::from_snapshot(TextDelta::decode(&a.snapshot_without_deleted().encode()).unwrap()).unwrap();
            prop_assert_eq!(lean.to_string(), a.to_string());
            prop_assert_eq!(a.to_string(), b.to_string());
            prop_assert_eq!(a.to_string(), c.to_string());
            prop_assert_eq!(a.version(), c.version());
        }
    }
}

proptest::proptest! {
    #[test]
    fn decoding_any_bytes_as_a_text_delta_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256)) {
        let _ = TextDelta::decode(&bytes);
    }

    #[test]
    fn damaged_text_deltas_are_refused_or_integrate_safely(
        flips in proptest::collection::vec((proptest::prelude::any::<proptest::sample::Index>(), proptest::prelude::any::<u8>()), 1..4)
    ) {
        let mut source = Text::new();
        source.insert(ALICE, 0, "hello world").unwrap();
        source.delete(ALICE, 2, 3).unwrap();
        source.insert(BOB, 4, "🦀!").unwrap();
        let mut bytes = source.snapshot().encode();
        for (index, value) in flips {
            let at = index.index(bytes.len());
            bytes[at] = value;
        }
        if let Ok(delta) = TextDelta::decode(&bytes) {
            let mut text = Text::new();
            let _ = text.integrate(delta);
            proptest::prop_assert_eq!(text.check_invariants(), Ok(()));
            text.insert(ReplicaId::new(77), 0, "still usable").unwrap();
        }
    }
}

#[test]
fn positions_match_utf16_until_a_character_past_the_basic_plane_arrives() {
    let (alice, bob) = (ReplicaId::new(1), ReplicaId::new(2));
    let mut a = Text::new();
    a.insert(alice, 0, "plain ASCII, accents é and CJK 字")
        .unwrap();
    assert!(a.positions_match_utf16());
    let mut b = synced(&a);
    b.insert(bob, 0, "🙂").unwrap();
    b.delete(bob, 0, 1).unwrap();
    assert!(!b.positions_match_utf16(), "deleted characters still count");
    exchange(&mut a, &mut b);
    assert!(!a.positions_match_utf16(), "remote ones too");
}
