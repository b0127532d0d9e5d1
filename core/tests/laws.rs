//! The lattice laws, checked on states that replicas can actually reach: three replicas
//! run random operations and random merges, then the laws are checked on what they hold
//! and on the deltas they produced.

use proptest::prelude::*;
use weft_core::codec::{Encode, decode, encode};
use weft_core::{
    AWSet, Causal, DWFlag, DeltaCrdt, EWFlag, Error, GCounter, LWWRegister, MVRegister, ORMap,
    PNCounter, RWSet, ReplicaId,
};

const REPLICAS: [ReplicaId; 3] = [ReplicaId::new(11), ReplicaId::new(22), ReplicaId::new(33)];

/// One step of a history: replica `at` runs operation `code` with argument `arg`, or,
/// when `merge_from` is set, joins what that replica has (as a delta since its own
/// version, which also exercises `delta_since`).
#[derive(Clone, Debug)]
struct Step {
    at: usize,
    code: u8,
    arg: u8,
    merge_from: Option<usize>,
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    let step = (
        0..3usize,
        any::<u8>(),
        0..6u8,
        prop::option::weighted(0.25, 0..3usize),
    )
        .prop_map(|(at, code, arg, merge_from)| Step {
            at,
            code,
            arg,
            merge_from,
        });
    prop::collection::vec(step, 0..40)
}

type Operation<T> = fn(&mut T, ReplicaId, u8, u8) -> Result<T, Error>;

/// Replays `history` and returns the three replicas' states and every delta made.
fn replay<T: DeltaCrdt>(history: &[Step], operate: Operation<T>) -> ([T; 3], Vec<T>) {
    let mut states: [T; 3] = Default::default();
    let mut deltas = Vec::new();
    for step in history {
        match step.merge_from {
            Some(from) if from != step.at => {
                let delta = states[from].delta_since(&states[step.at].version());
                states[step.at].join(delta);
            }
            _ => {
                let delta = operate(&mut states[step.at], REPLICAS[step.at], step.code, step.arg)
                    .expect("no operation in these histories can fail");
                deltas.push(delta);
            }
        }
    }
    (states, deltas)
}

fn joined<T: DeltaCrdt>(mut a: T, b: T) -> T {
    a.join(b);
    a
}

fn check_laws<T: DeltaCrdt + Encode + std::fmt::Debug>(
    history: &[Step],
    extra: (u8, u8),
    operate: Operation<T>,
) -> Result<(), TestCaseError> {
    let ([a, b, c], deltas) = replay(history, operate);

    // Join is commutative, associative and idempotent, on states...
    prop_assert_eq!(joined(a.clone(), b.clone()), joined(b.clone(), a.clone()));
    prop_assert_eq!(
        joined(joined(a.clone(), b.clone()), c.clone()),
        joined(a.clone(), joined(b.clone(), c.clone()))
    );
    prop_assert_eq!(joined(a.clone(), a.clone()), a.clone());

    // ...and on deltas, which are states too: any grouping and order gives one result.
    let forwards = deltas.iter().cloned().fold(T::default(), joined);
    let backwards = deltas.iter().rev().cloned().fold(T::default(), joined);
    prop_assert_eq!(&forwards, &backwards);
    let halves = deltas.split_at(deltas.len() / 2);
    let grouped = joined(
        halves.1.iter().cloned().fold(T::default(), joined),
        halves.0.iter().cloned().fold(T::default(), joined),
    );
    prop_assert_eq!(&forwards, &grouped);
    for delta in &deltas {
        prop_assert_eq!(joined(delta.clone(), delta.clone()), delta.clone());
    }

    // A state joined with the delta of its own mutation is the mutated state, and any
    // replica that joins the delta ends where it would by joining the whole state.
    let mut mutated = a.clone();
    let delta = operate(&mut mutated, REPLICAS[0], extra.0, extra.1).expect("cannot fail");
    prop_assert_eq!(joined(a.clone(), delta.clone()), mutated.clone());
    prop_assert_eq!(
        joined(joined(b.clone(), delta.clone()), mutated.clone()),
        joined(b.clone(), mutated.clone())
    );

    // The delta for a peer at version v, joined into that peer, is the full join.
    prop_assert_eq!(
        joined(b.clone(), mutated.delta_since(&b.version())),
        joined(b.clone(), mutated.clone())
    );
    prop_assert_eq!(
        joined(
            c.clone(),
            joined(a.clone(), b.clone()).delta_since(&c.version())
        ),
        joined(joined(c.clone(), a.clone()), b.clone())
    );
    // Nothing is missing for a peer that has everything.
    let everything = joined(joined(a.clone(), b.clone()), c.clone());
    prop_assert_eq!(everything.delta_since(&everything.version()), T::default());

    // Encoding round-trips states and deltas.
    for value in [&a, &b, &c, &delta] {
        prop_assert_eq!(&decode::<T>(&encode(value)).expect("round trip"), value);
    }
    Ok(())
}

fn g_counter(c: &mut GCounter, id: ReplicaId, _: u8, arg: u8) -> Result<GCounter, Error> {
    c.increment(id, arg.into())
}

fn pn_counter(c: &mut PNCounter, id: ReplicaId, code: u8, arg: u8) -> Result<PNCounter, Error> {
    if code.is_multiple_of(2) {
        c.increment(id, arg.into())
    } else {
        c.decrement(id, arg.into())
    }
}

fn ew_flag(
    f: &mut Causal<EWFlag>,
    id: ReplicaId,
    code: u8,
    _: u8,
) -> Result<Causal<EWFlag>, Error> {
    if code.is_multiple_of(2) {
        f.enable(id)
    } else {
        f.disable(id)
    }
}

fn dw_flag(
    f: &mut Causal<DWFlag>,
    id: ReplicaId,
    code: u8,
    _: u8,
) -> Result<Causal<DWFlag>, Error> {
    if code.is_multiple_of(2) {
        f.enable(id)
    } else {
        f.disable(id)
    }
}

fn aw_set(
    s: &mut Causal<AWSet<u8>>,
    id: ReplicaId,
    code: u8,
    arg: u8,
) -> Result<Causal<AWSet<u8>>, Error> {
    match code % 5 {
        0 => s.clear(id),
        1 | 2 => s.add(id, arg),
        _ => s.remove(id, &arg),
    }
}

fn rw_set(
    s: &mut Causal<RWSet<u8>>,
    id: ReplicaId,
    code: u8,
    arg: u8,
) -> Result<Causal<RWSet<u8>>, Error> {
    if code.is_multiple_of(2) {
        s.add(id, arg)
    } else {
        s.remove(id, arg)
    }
}

fn mv_register(
    r: &mut Causal<MVRegister<u8>>,
    id: ReplicaId,
    _: u8,
    arg: u8,
) -> Result<Causal<MVRegister<u8>>, Error> {
    r.write(id, arg)
}

fn lww_register(
    r: &mut Causal<LWWRegister<u8>>,
    id: ReplicaId,
    code: u8,
    arg: u8,
) -> Result<Causal<LWWRegister<u8>>, Error> {
    r.write(id, arg, u64::from(code % 3))
}

type Outline = ORMap<u8, ORMap<u8, AWSet<u8>>>;

fn outline(
    m: &mut Causal<Outline>,
    id: ReplicaId,
    code: u8,
    arg: u8,
) -> Result<Causal<Outline>, Error> {
    let (section, item) = (arg % 3, code % 3);
    match code % 7 {
        0 => m.remove(id, &section),
        1 => m.update(id, section, |items, event| items.remove(event, &item)),
        2 => m.update(id, section, |items, event| {
            items.update(event, item, |tags, event| tags.remove(event, &arg))
        }),
        _ => m.update(id, section, |items, event| {
            items.update(event, item, |tags, event| tags.add(event, arg))
        }),
    }
}

macro_rules! laws {
    ($($name:ident: $operation:expr;)*) => {
        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]
            $(
                #[test]
                fn $name(history in steps(), extra in (any::<u8>(), 0..6u8)) {
                    check_laws(&history, extra, $operation)?;
                }
            )*
        }
    };
}

laws! {
    g_counter_laws: g_counter;
    pn_counter_laws: pn_counter;
    ew_flag_laws: ew_flag;
    dw_flag_laws: dw_flag;
    aw_set_laws: aw_set;
    rw_set_laws: rw_set;
    mv_register_laws: mv_register;
    lww_register_laws: lww_register;
    map_of_maps_of_sets_laws: outline;
}
