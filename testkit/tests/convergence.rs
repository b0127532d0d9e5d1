//! Every type converges on a hostile simulated network: 1000 seeds of 300 operations
//! each in the test command, and a longer run behind `--ignored`.

use rand::Rng;
use rand::rngs::StdRng;
use weft_core::{
    AWSet, Causal, DWFlag, EWFlag, Error, GCounter, LWWRegister, MVRegister, ORMap, PNCounter,
    RWSet, ReplicaId,
};
use weft_testkit::network::{Conditions, Network, Report};

const SEEDS: u64 = 1000;

type Outline = ORMap<u8, ORMap<u8, AWSet<u8>>>;

/// Runs `seeds` simulations and checks that the hostile paths were taken.
fn converge<T>(
    seeds: u64,
    conditions: Conditions,
    mut operate: impl FnMut(&mut T, ReplicaId, &mut StdRng) -> Result<T, Error>,
) -> Report
where
    T: weft_core::DeltaCrdt + std::fmt::Debug,
{
    let mut total = Report::default();
    for seed in 0..seeds {
        let report = Network::<T>::new(seed, conditions).run(&mut operate);
        total.deferred += report.deferred;
        total.lost += report.lost;
        total.duplicated += report.duplicated;
        total.anti_entropy += report.anti_entropy;
    }
    assert!(total.lost > 0 && total.duplicated > 0 && total.anti_entropy > 0);
    total
}

fn quick<T: weft_core::DeltaCrdt + std::fmt::Debug>(
    operate: impl FnMut(&mut T, ReplicaId, &mut StdRng) -> Result<T, Error>,
) -> Report {
    converge(SEEDS, Conditions::default(), operate)
}

fn g_counter(counter: &mut GCounter, id: ReplicaId, rng: &mut StdRng) -> Result<GCounter, Error> {
    counter.increment(id, rng.random_range(0..100))
}

fn pn_counter(
    counter: &mut PNCounter,
    id: ReplicaId,
    rng: &mut StdRng,
) -> Result<PNCounter, Error> {
    if rng.random_bool(0.5) {
        counter.increment(id, rng.random_range(0..100))
    } else {
        counter.decrement(id, rng.random_range(0..100))
    }
}

fn ew_flag(
    flag: &mut Causal<EWFlag>,
    id: ReplicaId,
    rng: &mut StdRng,
) -> Result<Causal<EWFlag>, Error> {
    if rng.random_bool(0.5) {
        flag.enable(id)
    } else {
        flag.disable(id)
    }
}

fn dw_flag(
    flag: &mut Causal<DWFlag>,
    id: ReplicaId,
    rng: &mut StdRng,
) -> Result<Causal<DWFlag>, Error> {
    if rng.random_bool(0.5) {
        flag.enable(id)
    } else {
        flag.disable(id)
    }
}

fn aw_set(
    set: &mut Causal<AWSet<u8>>,
    id: ReplicaId,
    rng: &mut StdRng,
) -> Result<Causal<AWSet<u8>>, Error> {
    let element = rng.random_range(0..8);
    match rng.random_range(0..10) {
        0 => set.clear(id),
        1..=5 => set.add(id, element),
        _ => set.remove(id, &element),
    }
}

fn rw_set(
    set: &mut Causal<RWSet<u8>>,
    id: ReplicaId,
    rng: &mut StdRng,
) -> Result<Causal<RWSet<u8>>, Error> {
    let element = rng.random_range(0..8);
    if rng.random_bool(0.6) {
        set.add(id, element)
    } else {
        set.remove(id, element)
    }
}

fn mv_register(
    register: &mut Causal<MVRegister<u16>>,
    id: ReplicaId,
    rng: &mut StdRng,
) -> Result<Causal<MVRegister<u16>>, Error> {
    register.write(id, rng.random())
}

fn lww_register(
    register: &mut Causal<LWWRegister<u16>>,
    id: ReplicaId,
    rng: &mut StdRng,
) -> Result<Causal<LWWRegister<u16>>, Error> {
    // A coarse clock, so that equal timestamps and their tie-break are common.
    register.write(id, rng.random(), rng.random_range(0..4))
}

fn outline(
    map: &mut Causal<Outline>,
    id: ReplicaId,
    rng: &mut StdRng,
) -> Result<Causal<Outline>, Error> {
    let (section, item, tag) = (
        rng.random_range(0..3),
        rng.random_range(0..3),
        rng.random_range(0..4),
    );
    match rng.random_range(0..10) {
        0 => map.remove(id, &section),
        1 => map.update(id, section, |items, event| items.remove(event, &item)),
        2..=3 => map.update(id, section, |items, event| {
            items.update(event, item, |tags, event| tags.remove(event, &tag))
        }),
        _ => map.update(id, section, |items, event| {
            items.update(event, item, |tags, event| tags.add(event, tag))
        }),
    }
}

#[test]
fn g_counters_converge() {
    quick(g_counter);
}

#[test]
fn pn_counters_converge() {
    quick(pn_counter);
}

#[test]
fn enable_wins_flags_converge() {
    assert!(quick(ew_flag).deferred > 0);
}

#[test]
fn disable_wins_flags_converge() {
    assert!(quick(dw_flag).deferred > 0);
}

#[test]
fn add_wins_sets_converge() {
    assert!(quick(aw_set).deferred > 0);
}

#[test]
fn remove_wins_sets_converge() {
    assert!(quick(rw_set).deferred > 0);
}

#[test]
fn multi_value_registers_converge() {
    assert!(quick(mv_register).deferred > 0);
}

#[test]
fn last_writer_wins_registers_converge() {
    assert!(quick(lww_register).deferred > 0);
}

#[test]
fn maps_of_maps_of_sets_converge() {
    assert!(quick(outline).deferred > 0);
}

#[test]
#[ignore = "long run: cargo test -p weft-testkit -- --ignored"]
fn everything_converges_under_long_runs() {
    let long = Conditions {
        replicas: 7,
        operations: 2000,
        ..Conditions::default()
    };
    converge(2000, long, g_counter);
    converge(2000, long, pn_counter);
    converge(2000, long, ew_flag);
    converge(2000, long, dw_flag);
    converge(2000, long, aw_set);
    converge(2000, long, rw_set);
    converge(2000, long, mv_register);
    converge(2000, long, lww_register);
    converge(2000, long, outline);
}
