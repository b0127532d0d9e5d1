//! Bad input gets a typed error, changes nothing, and leaves the replica usable.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use weft_core::codec::{FORMAT_VERSION, MAGIC, decode, encode};
use weft_core::{
    AWSet, Causal, DeltaCrdt, Dot, Error, GCounter, Integration, Lattice, PNCounter, Replica,
    ReplicaId,
};

const ALICE: ReplicaId = ReplicaId::new(1);
const BOB: ReplicaId = ReplicaId::new(2);

type Set = Causal<AWSet<u8>>;

fn sample_set() -> Set {
    let mut set = Set::new();
    for n in 0..5 {
        set.add(ALICE, n).unwrap();
    }
    set.remove(BOB, &3).unwrap();
    set
}

/// The bytes of a `Causal<AWSet<u8>>` written field by field, to build states that
/// the API cannot: (store, version vector, cloud, removals).
fn raw_set(
    store: &[(u8, &[Dot])],
    version: &[(ReplicaId, u64)],
    removals: &[(Dot, &[Dot])],
) -> Vec<u8> {
    let store: BTreeMap<u8, BTreeSet<Dot>> = store
        .iter()
        .map(|(element, dots)| (*element, dots.iter().copied().collect()))
        .collect();
    let version: BTreeMap<ReplicaId, u64> = version.iter().copied().collect();
    let cloud: BTreeMap<ReplicaId, Vec<(u64, u64)>> = BTreeMap::new();
    let removals: BTreeMap<Dot, BTreeSet<Dot>> = removals
        .iter()
        .map(|(event, dots)| (*event, dots.iter().copied().collect()))
        .collect();
    let mut bytes = vec![MAGIC[0], MAGIC[1], FORMAT_VERSION, 5];
    bytes.extend(postcard::to_allocvec(&(store, version, cloud, removals)).unwrap());
    bytes
}

#[test]
fn the_field_by_field_encoding_matches_the_real_one() {
    let mut set = Set::new();
    set.add(ALICE, 7).unwrap();
    let bytes = raw_set(&[(7, &[Dot::new(ALICE, 1)])], &[(ALICE, 1)], &[]);
    assert_eq!(bytes, encode(&set));
}

#[test]
fn a_newer_format_is_refused_with_a_hint_to_upgrade() {
    let mut bytes = encode(&sample_set());
    bytes[2] = FORMAT_VERSION + 1;
    let error = decode::<Set>(&bytes).unwrap_err();
    assert_eq!(
        error,
        Error::NewerFormat {
            found: FORMAT_VERSION + 1,
            supported: FORMAT_VERSION
        }
    );
    assert!(error.to_string().contains("upgrade"));
}

#[test]
fn other_kinds_and_foreign_bytes_are_refused() {
    let mut counter = GCounter::new();
    counter.increment(ALICE, 1).unwrap();
    assert!(matches!(
        decode::<Set>(&encode(&counter)),
        Err(Error::WrongKind { .. })
    ));
    assert_eq!(decode::<Set>(b"{\"json\": true}"), Err(Error::NotWeft));
    assert_eq!(decode::<Set>(b""), Err(Error::Malformed));
    assert_eq!(decode::<Set>(b"w"), Err(Error::Malformed));
}

#[test]
fn every_truncation_and_extension_is_an_error() {
    let bytes = encode(&sample_set());
    for end in 0..bytes.len() {
        assert!(
            decode::<Set>(&bytes[..end]).is_err(),
            "prefix of {end} bytes"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(decode::<Set>(&longer), Err(Error::Malformed));
}

#[test]
fn impossible_states_are_refused() {
    // A live dot the context has never seen.
    let unseen = raw_set(&[(1, &[Dot::new(ALICE, 2)])], &[(ALICE, 1)], &[]);
    assert!(matches!(decode::<Set>(&unseen), Err(Error::Invalid(_))));
    // A dot with counter 0 names no event.
    let zero = raw_set(&[(1, &[Dot::new(ALICE, 0)])], &[(ALICE, 1)], &[]);
    assert!(matches!(decode::<Set>(&zero), Err(Error::Invalid(_))));
    // An element with no dot only names a key a delta touched: it is not in the set.
    let empty = raw_set(&[(1, &[])], &[(ALICE, 1)], &[]);
    let touched = decode::<Set>(&empty).unwrap();
    assert!(!touched.contains(&1) && touched.is_empty());
    assert_eq!(touched.store(), Set::new().store());
    // A removal by an event outside the context.
    let removal = raw_set(
        &[],
        &[(ALICE, 1)],
        &[(Dot::new(BOB, 1), &[Dot::new(ALICE, 1)])],
    );
    assert!(matches!(decode::<Set>(&removal), Err(Error::Invalid(_))));
    // A zero entry in a version vector.
    let zero_entry = raw_set(&[], &[(ALICE, 0)], &[]);
    assert!(matches!(decode::<Set>(&zero_entry), Err(Error::Invalid(_))));
}

#[test]
fn counter_overflow_is_an_error_and_changes_nothing() {
    let mut counter = GCounter::new();
    counter.increment(ALICE, u64::MAX).unwrap();
    let before = counter.clone();
    assert_eq!(counter.increment(ALICE, 1), Err(Error::CounterOverflow));
    assert_eq!(counter, before);
    // Other replicas still count, and the total passes u64::MAX exactly.
    counter.increment(BOB, 2).unwrap();
    assert_eq!(counter.value(), u128::from(u64::MAX) + 2);

    let mut counter = PNCounter::new();
    counter.decrement(ALICE, u64::MAX).unwrap();
    assert_eq!(counter.decrement(ALICE, 1), Err(Error::CounterOverflow));
    counter.increment(ALICE, 5).unwrap();
    assert_eq!(counter.value(), 5 - i128::from(u64::MAX));
}

#[test]
fn a_replica_out_of_dots_refuses_to_mutate_and_stays_usable() {
    // A delta that claims every event of ALICE: legal, and the end of ALICE's ids.
    let claim = raw_set(
        &[(1, &[Dot::new(ALICE, u64::MAX)])],
        &[(ALICE, u64::MAX)],
        &[],
    );
    let claim = decode::<Set>(&claim).unwrap();
    let mut replica = Replica::new(Set::new());
    assert_eq!(
        replica.integrate(claim),
        Integration::Applied { released: 0 }
    );

    let before = replica.state().clone();
    assert_eq!(
        replica.add(ALICE, 2),
        Err(Error::DotsExhausted { replica: ALICE })
    );
    assert_eq!(replica.state(), &before);
    replica.add(BOB, 2).unwrap();
    assert!(replica.contains(&1) && replica.contains(&2));
}

#[test]
fn a_delta_with_missing_dependencies_waits_and_changes_nothing() {
    let mut author = Set::new();
    author.add(ALICE, 1).unwrap();
    let second = author.add(ALICE, 2).unwrap();
    let mut reader = Replica::new(Set::new());
    reader.add(BOB, 9).unwrap();
    let before = reader.state().clone();

    assert_eq!(reader.integrate(second), Integration::Deferred);
    assert_eq!(reader.state(), &before);
    // The replica keeps working while the delta waits.
    reader.add(BOB, 10).unwrap();
    reader.integrate(author.delta_since(&reader.version()));
    assert_eq!(reader.backlog_len(), 0);
    assert!([1, 2, 9, 10].iter().all(|n| reader.contains(n)));
}

proptest! {
    #[test]
    fn decoding_any_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode::<Set>(&bytes);
        let _ = decode::<GCounter>(&bytes);
    }

    #[test]
    fn decoding_damaged_encodings_never_panics_and_valid_results_are_usable(
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)
    ) {
        let mut bytes = encode(&sample_set());
        for (index, value) in flips {
            let at = index.index(bytes.len());
            bytes[at] = value;
        }
        if let Ok(mut damaged) = decode::<Set>(&bytes) {
            // Whatever decodes is a state the API can keep using.
            damaged.join(sample_set());
            damaged.add(ReplicaId::new(99), 1).unwrap();
            let _ = damaged.delta_since(&sample_set().version());
        }
    }
}
