//! Real editing traces through the text type: every sequential trace replays to its
//! end content, locally and when merged into an empty replica; every concurrent trace,
//! replayed with one replica per agent honoring `parents`, converges to its end
//! content on every replica under three delivery orders.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use weft_core::{ReplicaId, Text, TextDelta, TextOp, VersionVector};
use weft_testkit::traces::{self, CONCURRENT, Patch, SEQUENTIAL};

fn apply(text: &mut Text, replica: ReplicaId, patch: &Patch) -> TextDelta {
    let mut ops = Vec::new();
    if patch.delete > 0 {
        let delta = text
            .delete(replica, patch.position as u64, patch.delete as u64)
            .expect("trace deletes stay in bounds");
        ops.extend(delta.ops);
    }
    if !patch.insert.is_empty() {
        let delta = text
            .insert(replica, patch.position as u64, &patch.insert)
            .expect("trace inserts stay in bounds");
        ops.extend(delta.ops);
    }
    TextDelta { ops }
}

#[test]
fn sequential_traces_replay_and_merge_to_their_end_content() {
    let author = ReplicaId::new(1);
    for name in SEQUENTIAL {
        let trace = traces::sequential(name).unwrap();
        let mut text = Text::new();
        for patch in trace.patches() {
            apply(&mut text, author, patch);
        }
        assert!(
            text.to_string() == trace.end_content,
            "{name}: local replay differs"
        );

        let mut merged = Text::new();
        merged
            .integrate(text.delta_since(&VersionVector::new()))
            .unwrap();
        assert_eq!(merged.backlog_len(), 0);
        assert!(
            merged.to_string() == trace.end_content,
            "{name}: merge differs"
        );
    }
}

/// The ops of `delta` that `target` covers, cut where a run crosses its edge.
fn restricted(delta: TextDelta, target: &VersionVector) -> TextDelta {
    let ops = delta
        .ops
        .into_iter()
        .filter_map(|op| {
            let id = op.id();
            let allowed = target.get(id.replica()).checked_sub(id.counter() - 1)?;
            let keep = u32::try_from(allowed.min(u64::from(op.len()))).ok()?;
            (keep > 0).then(|| match op {
                TextOp::Insert {
                    id,
                    origin_left,
                    origin_right,
                    text,
                    ..
                } => TextOp::Insert {
                    id,
                    len: keep,
                    origin_left,
                    origin_right,
                    text: text.chars().take(keep as usize).collect(),
                },
                TextOp::Delete { id, target, .. } => TextOp::Delete {
                    id,
                    len: keep,
                    target,
                },
            })
        })
        .collect();
    TextDelta { ops }
}

#[test]
fn concurrent_traces_converge_on_every_replica_in_three_orders() {
    for name in CONCURRENT {
        let trace = traces::concurrent(name).unwrap();
        let agents: Vec<ReplicaId> = (0..trace.num_agents)
            .map(|agent| ReplicaId::new(0x1000 + agent as u64))
            .collect();
        let mut replicas: Vec<Text> = (0..trace.num_agents).map(|_| Text::new()).collect();
        // Everything made so far, in causal order: where replicas fetch their parents.
        let mut universe = Text::new();
        let mut after: Vec<VersionVector> = Vec::with_capacity(trace.txns.len());
        let mut deltas: Vec<TextDelta> = Vec::new();
        for txn in &trace.txns {
            let mut parents = VersionVector::new();
            txn.parents.iter().for_each(|&p| parents.merge(&after[p]));
            let replica = &mut replicas[txn.agent];
            let missing = universe.delta_since(replica.version());
            replica.integrate(restricted(missing, &parents)).unwrap();
            assert!(
                replica.version() == &parents,
                "{name}: replica not at its parents"
            );
            for patch in &txn.patches {
                let delta = apply(replica, agents[txn.agent], patch);
                universe.integrate(delta.clone()).unwrap();
                deltas.push(delta);
            }
            after.push(replica.version().clone());
        }
        assert!(
            universe.to_string() == trace.end_content,
            "{name}: causal order differs"
        );

        let mut rng = StdRng::seed_from_u64(7);
        for (order, replica) in replicas.iter_mut().enumerate() {
            let mut shuffled = deltas.clone();
            match order % 3 {
                0 => {}
                1 => shuffled.reverse(),
                _ => shuffled.shuffle(&mut rng),
            }
            for delta in shuffled {
                replica.integrate(delta).unwrap();
            }
            assert_eq!(replica.backlog_len(), 0, "{name}");
            assert!(
                replica.to_string() == trace.end_content,
                "{name}: order {order} differs"
            );
        }
        // Two agents give two orders; a fresh replica fed in random order is the third.
        let mut late = Text::new();
        let mut shuffled = deltas;
        shuffled.shuffle(&mut rng);
        for delta in shuffled {
            late.integrate(delta).unwrap();
        }
        assert!(
            late.to_string() == trace.end_content,
            "{name}: shuffled order differs"
        );
    }
}
