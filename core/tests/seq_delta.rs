//! A delta built from many positional edits, applied to the sequence before them,
//! gives the sequence after them.

use proptest::prelude::*;
use weft_core::doc::{DeltaItem, SeqDelta};

fn apply(before: &[char], items: &[DeltaItem<String>]) -> Vec<char> {
    let mut after = Vec::new();
    let mut at = 0;
    for item in items {
        match item {
            DeltaItem::Retain(n) => {
                after.extend(&before[at..at + *n as usize]);
                at += *n as usize;
            }
            DeltaItem::Insert(text) => after.extend(text.chars()),
            DeltaItem::Delete(n) => at += *n as usize,
        }
    }
    after.extend(&before[at..]);
    after
}

proptest! {
    #[test]
    fn composed_delta_equals_the_edits(
        start in 0usize..300,
        edits in proptest::collection::vec((any::<u16>(), any::<bool>(), 1u64..6), 0..400),
    ) {
        let before: Vec<char> = (0..start).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
        let mut now = before.clone();
        let mut delta = SeqDelta::<String>::default();
        for (step, (at, insert, len)) in edits.into_iter().enumerate() {
            let position = u64::from(at) % (now.len() as u64 + 1);
            if insert || now.is_empty() {
                let text: String = (0..len).map(|i| char::from(b'A' + ((step as u64 + i) % 26) as u8)).collect();
                now.splice(position as usize..position as usize, text.chars());
                delta.insert(position, text);
            } else {
                let len = len.min(now.len() as u64 - position).max(1);
                if position + len > now.len() as u64 {
                    continue;
                }
                now.drain(position as usize..(position + len) as usize);
                delta.delete(position, len);
            }
        }
        let items = delta.into_items();
        prop_assert_eq!(apply(&before, &items), now);
        // Normal form: no empty items, no trailing retain, no two neighbours alike.
        prop_assert!(!matches!(items.last(), Some(DeltaItem::Retain(_))));
        for pair in items.windows(2) {
            let same = matches!(
                (&pair[0], &pair[1]),
                (DeltaItem::Retain(_), DeltaItem::Retain(_))
                    | (DeltaItem::Insert(_), DeltaItem::Insert(_))
                    | (DeltaItem::Delete(_), DeltaItem::Delete(_))
            );
            prop_assert!(!same);
        }
    }
}
