//! What each type means under concurrency, and how causality is tracked.

use std::cmp::Ordering;

use weft_core::{
    AWSet, Causal, CausalContext, DeltaCrdt, Dot, Integration, LWWRegister, Lattice, MVRegister,
    ORMap, RWSet, Replica, ReplicaId, VersionVector,
};

const ALICE: ReplicaId = ReplicaId::new(0xa11ce);
const BOB: ReplicaId = ReplicaId::new(0xb0b);

fn vector(entries: &[(ReplicaId, u64)]) -> VersionVector {
    entries.iter().copied().collect()
}

#[test]
fn version_vectors_are_partially_ordered() {
    let a = vector(&[(ALICE, 2), (BOB, 1)]);
    assert_eq!(a.partial_cmp(&a.clone()), Some(Ordering::Equal));
    assert_eq!(vector(&[(ALICE, 1)]).partial_cmp(&a), Some(Ordering::Less));
    assert_eq!(
        a.partial_cmp(&vector(&[(ALICE, 1)])),
        Some(Ordering::Greater)
    );
    assert_eq!(a.partial_cmp(&vector(&[(ALICE, 3)])), None);
    assert_eq!(VersionVector::new().partial_cmp(&a), Some(Ordering::Less));
}

#[test]
fn version_vector_merge_is_the_pointwise_maximum() {
    let mut a = vector(&[(ALICE, 2), (BOB, 1)]);
    a.merge(&vector(&[(ALICE, 1), (BOB, 5)]));
    assert_eq!(a, vector(&[(ALICE, 2), (BOB, 5)]));
    assert!(a.contains(Dot::new(BOB, 5)) && !a.contains(Dot::new(BOB, 6)));
    // A zero counter is no entry: equal vectors compare equal.
    assert_eq!(vector(&[(ALICE, 0)]), VersionVector::new());
}

#[test]
fn causal_contexts_track_gaps_and_close_them() {
    let mut context = CausalContext::new();
    for counter in [5, 3, 1, 4] {
        context.insert(Dot::new(ALICE, counter));
    }
    assert_eq!(context.version().get(ALICE), 1);
    assert!(!context.contains(Dot::new(ALICE, 2)) && context.contains(Dot::new(ALICE, 4)));
    assert_eq!(context.next_dot(ALICE), Ok(Dot::new(ALICE, 6)));

    context.insert(Dot::new(ALICE, 2));
    assert!(context.is_gap_free());
    assert_eq!(context, CausalContext::from(vector(&[(ALICE, 5)])));

    let after = context.events_after(&vector(&[(ALICE, 3)]));
    assert!(!after.contains(Dot::new(ALICE, 3)));
    assert!(after.contains(Dot::new(ALICE, 4)) && after.contains(Dot::new(ALICE, 5)));
}

#[test]
fn lww_ties_break_the_same_way_everywhere() {
    let mut a: Causal<LWWRegister<&str>> = Causal::new();
    let mut b = a.clone();
    let from_a = a.write(ALICE, "a", 7).unwrap();
    let from_b = b.write(BOB, "b", 7).unwrap();
    a.join(from_b);
    b.join(from_a);
    assert_eq!(a, b);
    // Equal timestamps: the higher dot wins, and ALICE's id is the higher one.
    assert!(ALICE > BOB);
    assert_eq!(a.value(), Some(&"a"));
    assert_eq!(a.timestamp(), Some(7));
}

#[test]
fn lww_write_replaces_what_it_saw_even_with_an_older_clock() {
    let mut register: Causal<LWWRegister<&str>> = Causal::new();
    register.write(ALICE, "from the future", 1_000).unwrap();
    register.write(BOB, "later, on a slow clock", 5).unwrap();
    assert_eq!(register.value(), Some(&"later, on a slow clock"));
}

#[test]
fn mv_register_shows_every_concurrent_write() {
    let mut a: Causal<MVRegister<u8>> = Causal::new();
    let mut b = a.clone();
    let from_a = a.write(ALICE, 1).unwrap();
    let from_b = b.write(BOB, 2).unwrap();
    a.join(from_b);
    let mut values: Vec<u8> = a.values().copied().collect();
    values.sort_unstable();
    assert_eq!(values, [1, 2]);
    b.join(from_a);
    assert_eq!(a, b);
}

#[test]
fn remove_wins_even_for_an_element_the_remover_never_saw() {
    let mut a: Causal<RWSet<u8>> = Causal::new();
    let mut b = a.clone();
    let add = a.add(ALICE, 9).unwrap();
    let remove = b.remove(BOB, 9).unwrap();
    a.join(remove);
    b.join(add);
    assert!(!a.contains(&9) && !b.contains(&9));
    assert!(a.is_empty());
    // An add that has seen the remove brings the element back.
    let re_add = a.add(ALICE, 9).unwrap();
    b.join(re_add);
    assert!(b.contains(&9) && b.len() == 1);
}

#[test]
fn removing_a_map_key_keeps_concurrent_nested_updates() {
    type Board = ORMap<&'static str, ORMap<&'static str, AWSet<u8>>>;
    let mut a: Causal<Board> = Causal::new();
    a.update(ALICE, "todo", |lists, e| {
        lists.update(e, "mon", |s, e| s.add(e, 1))
    })
    .unwrap();
    let mut b = a.clone();

    let removal = a.remove(ALICE, &"todo").unwrap();
    let update = b
        .update(BOB, "todo", |lists, e| {
            lists.update(e, "tue", |s, e| s.add(e, 2))
        })
        .unwrap();
    a.join(update);
    b.join(removal);
    assert_eq!(a, b);
    let todo = a.get(&"todo").expect("the concurrent update survives");
    assert!(todo.get(&"mon").is_none(), "what the removal saw is gone");
    assert!(todo.get(&"tue").is_some_and(|s| s.contains(&2)));
}

#[test]
fn concurrent_updates_of_one_key_merge_both() {
    type Tags = ORMap<u8, AWSet<&'static str>>;
    let mut a: Causal<Tags> = Causal::new();
    let mut b = a.clone();
    let from_a = a.update(ALICE, 1, |s, e| s.add(e, "red")).unwrap();
    let from_b = b.update(BOB, 1, |s, e| s.add(e, "blue")).unwrap();
    a.join(from_b);
    b.join(from_a);
    assert_eq!(a, b);
    let tags: Vec<_> = a.get(&1).unwrap().iter().copied().collect();
    assert_eq!(tags, ["blue", "red"]);
}

#[test]
fn early_deltas_wait_whole_and_are_released_in_order() {
    let mut author: Causal<AWSet<u8>> = Causal::new();
    let deltas: Vec<_> = (0..4).map(|n| author.add(ALICE, n).unwrap()).collect();
    let removal = author.remove(ALICE, &0).unwrap();

    let mut reader = Replica::new(Causal::<AWSet<u8>>::new());
    assert_eq!(reader.integrate(removal.clone()), Integration::Deferred);
    assert_eq!(reader.integrate(deltas[3].clone()), Integration::Deferred);
    assert_eq!(reader.integrate(deltas[2].clone()), Integration::Deferred);
    // Nothing of a deferred delta is visible.
    assert!(reader.is_empty() && reader.version().is_empty());
    assert_eq!(reader.backlog_len(), 3);

    assert_eq!(reader.integrate(deltas[1].clone()), Integration::Deferred);
    assert_eq!(
        reader.integrate(deltas[0].clone()),
        Integration::Applied { released: 4 }
    );
    assert_eq!(reader.backlog_len(), 0);
    assert_eq!(reader.state(), &author);

    // Duplicates are harmless.
    assert_eq!(
        reader.integrate(deltas[2].clone()),
        Integration::Applied { released: 0 }
    );
    assert_eq!(reader.state(), &author);
}

#[test]
fn a_removal_waits_for_the_dots_it_removes() {
    let mut alice: Causal<AWSet<u8>> = Causal::new();
    let add = alice.add(ALICE, 1).unwrap();
    let mut bob = Replica::new(Causal::<AWSet<u8>>::new());
    bob.integrate(add.clone());
    let removal = bob.remove(BOB, &1).unwrap();

    // A third replica that has not seen ALICE's add cannot apply BOB's removal of it:
    // the add would otherwise resurface when it arrives.
    let mut carol = Replica::new(Causal::<AWSet<u8>>::new());
    assert_eq!(carol.integrate(removal), Integration::Deferred);
    assert_eq!(carol.integrate(add), Integration::Applied { released: 1 });
    assert!(!carol.contains(&1));
    assert_eq!(carol.state(), bob.state());
}

#[test]
fn delta_since_sends_removals_a_peer_missed() {
    let mut a: Causal<AWSet<u8>> = Causal::new();
    a.add(ALICE, 1).unwrap();
    a.add(ALICE, 2).unwrap();
    let mut b = a.clone();
    a.remove(ALICE, &1).unwrap();

    let delta = a.delta_since(&b.version());
    assert!(delta.is_empty(), "no live element is new to b");
    b.join(delta);
    assert_eq!(b, a);
    assert!(!b.contains(&1) && b.contains(&2));
}
