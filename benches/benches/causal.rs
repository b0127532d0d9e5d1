//! The causal types on workloads a document layer produces: a replica adding many
//! elements one delta at a time, and two replicas that diverged merging.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use weft_core::{AWSet, Causal, DeltaCrdt, Lattice, ReplicaId, VersionVector};

const ALICE: ReplicaId = ReplicaId::new(1);
const BOB: ReplicaId = ReplicaId::new(2);

fn filled(replica: ReplicaId, elements: std::ops::Range<u32>) -> Causal<AWSet<u32>> {
    let mut set = Causal::<AWSet<u32>>::new();
    for element in elements {
        set.add(replica, element).expect("no overflow");
    }
    set
}

fn aw_set(c: &mut Criterion) {
    let mut group = c.benchmark_group("aw_set");
    group.bench_function("add 1000 elements", |b| {
        b.iter(|| filled(ALICE, 0..1000));
    });
    let (a, b_side) = (filled(ALICE, 0..1000), filled(BOB, 500..1500));
    group.bench_function("join two diverged replicas of 1000", |b| {
        b.iter_batched(
            || (a.clone(), b_side.clone()),
            |(mut a, b)| {
                a.join(b);
                a
            },
            BatchSize::SmallInput,
        );
    });
    let mut behind = a.clone();
    behind.join(b_side.delta_since(&VersionVector::new()));
    let mut ahead = behind.clone();
    for element in 0..10 {
        ahead.add(BOB, 10_000 + element).expect("no overflow");
    }
    let version = behind.version();
    group.bench_function("delta_since for a peer 10 events behind", |b| {
        b.iter(|| black_box(&ahead).delta_since(black_box(&version)));
    });
    group.finish();
}

criterion_group!(benches, aw_set);
criterion_main!(benches);
