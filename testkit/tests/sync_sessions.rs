//! Replicas of several documents syncing over sessions through a hostile network.

use weft_testkit::session_network::{SessionConditions, SessionNetwork};

fn run_seeds(seeds: std::ops::Range<u64>, conditions: SessionConditions) {
    for seed in seeds {
        if let Err(failure) = SessionNetwork::new(seed, conditions).run() {
            panic!("seed {seed}: {failure}");
        }
    }
}

#[test]
fn replicas_converge_over_a_hostile_network() {
    run_seeds(0..1000, SessionConditions::default());
}

#[test]
fn runs_differ_between_seeds() {
    // The generator must reach real states: different seeds end in different places.
    let a = SessionNetwork::new(1, SessionConditions::default()).run();
    let b = SessionNetwork::new(2, SessionConditions::default()).run();
    assert_ne!(a, b);
    assert!(a.unwrap().len() > 40);
}

#[test]
#[ignore = "long run: cargo test -p weft-testkit --test sync_sessions -- --ignored"]
fn replicas_converge_over_a_hostile_network_long() {
    let conditions = SessionConditions {
        replicas: 5,
        steps: 600,
        ..SessionConditions::default()
    };
    run_seeds(0..5000, conditions);
}
