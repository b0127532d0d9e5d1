//! Real editing traces through the text type: every sequential trace replays to its
//! end content, locally, when merged into an empty replica and through snapshots;
//! every concurrent trace, replayed with one replica per agent honoring `parents`,
//! converges to its end content on every replica under three delivery orders.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use weft_core::{ReplicaId, Text, TextDelta, VersionVector};
use weft_testkit::text_replay::{apply_patch, replay_concurrent};
use weft_testkit::traces::{self, CONCURRENT, SEQUENTIAL};

#[test]
fn sequential_traces_replay_and_merge_to_their_end_content() {
    let author = ReplicaId::new(1);
    for name in SEQUENTIAL {
        let trace = traces::sequential(name).unwrap();
        let mut text = Text::new();
        for patch in trace.patches() {
            apply_patch(&mut text, author, patch);
        }
        assert!(
            text.to_string() == trace.end_content,
            "{name}: local replay differs"
        );
        text.check_invariants().unwrap();

        let mut merged = Text::new();
        merged
            .integrate(text.delta_since(&VersionVector::new()))
            .unwrap();
        assert_eq!(merged.backlog_len(), 0);
        assert!(
            merged.to_string() == trace.end_content,
            "{name}: merge differs"
        );

        let full = text.snapshot().encode();
        let loaded = Text::from_snapshot(TextDelta::decode(&full).unwrap()).unwrap();
        assert!(
            loaded.to_string() == trace.end_content,
            "{name}: snapshot differs"
        );
        let lean = text.snapshot_without_deleted().encode();
        assert!(lean.len() <= full.len());
        let mut lean = Text::from_snapshot(TextDelta::decode(&lean).unwrap()).unwrap();
        assert!(
            lean.to_string() == trace.end_content,
            "{name}: lean snapshot differs"
        );
        // A replica loaded without deleted text still edits and syncs with the others.
        let edit = lean.insert(ReplicaId::new(2), 0, "¶").unwrap();
        merged.integrate(edit).unwrap();
        assert_eq!(merged.to_string(), lean.to_string());
    }
}

#[test]
fn concurrent_traces_converge_on_every_replica_in_three_orders() {
    for name in CONCURRENT {
        let trace = traces::concurrent(name).unwrap();
        let replay = replay_concurrent(&trace);
        assert!(
            replay.everything.to_string() == trace.end_content,
            "{name}: causal order differs"
        );
        let mut rng = StdRng::seed_from_u64(7);
        let orders: [fn(&mut Vec<TextDelta>, &mut StdRng); 3] = [
            |_, _| {},
            |deltas, _| deltas.reverse(),
            |deltas, rng| deltas.shuffle(rng),
        ];
        for (order, arrange) in orders.iter().enumerate() {
            let mut replicas = replay.replicas.clone();
            replicas.push(Text::new());
            for replica in &mut replicas {
                let mut deltas = replay.deltas.clone();
                arrange(&mut deltas, &mut rng);
                for delta in deltas {
                    replica.integrate(delta).unwrap();
                }
                assert_eq!(replica.backlog_len(), 0, "{name}");
                assert!(
                    replica.to_string() == trace.end_content,
                    "{name}: order {order} differs"
                );
            }
        }
    }
}
