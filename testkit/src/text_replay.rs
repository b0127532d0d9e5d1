//! Replaying editing traces into weft texts.

use weft_core::{ReplicaId, Text, TextDelta, TextOp, VersionVector};

use crate::traces::{ConcurrentTrace, Patch};

/// Applies one trace patch (delete, then insert, at one position) as `replica`, and
/// returns the deltas it made.
///
/// # Panics
///
/// When the patch does not fit the text: the trace and the text disagree.
pub fn apply_patch(text: &mut Text, replica: ReplicaId, patch: &Patch) -> TextDelta {
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

/// A concurrent trace replayed with one replica per agent.
pub struct ConcurrentReplay {
    /// Each agent's replica, as it was after its last transaction.
    pub replicas: Vec<Text>,
    /// The deltas of every transaction, in trace order.
    pub deltas: Vec<TextDelta>,
    /// A replica that integrated every delta as it was made.
    pub everything: Text,
}

/// Replays `trace` with one replica per agent: before each transaction, the agent's
/// replica integrates exactly what the transaction's parents had seen.
///
/// # Panics
///
/// When a replica cannot be brought to its transaction's parents.
pub fn replay_concurrent(trace: &ConcurrentTrace) -> ConcurrentReplay {
    let agents: Vec<ReplicaId> = (0..trace.num_agents)
        .map(|agent| ReplicaId::new(0x1000 + agent as u64))
        .collect();
    let mut replicas: Vec<Text> = (0..trace.num_agents).map(|_| Text::new()).collect();
    let mut everything = Text::new();
    let mut after: Vec<VersionVector> = Vec::with_capacity(trace.txns.len());
    let mut deltas = Vec::new();
    for txn in &trace.txns {
        let mut parents = VersionVector::new();
        txn.parents.iter().for_each(|&p| parents.merge(&after[p]));
        let replica = &mut replicas[txn.agent];
        let missing = everything.delta_since(replica.version());
        replica
            .integrate(restricted(missing, &parents))
            .expect("trace operations are well formed");
        assert!(
            replica.version() == &parents,
            "a replica could not reach its parents"
        );
        let mut ops = Vec::new();
        for patch in &txn.patches {
            let delta = apply_patch(replica, agents[txn.agent], patch);
            everything
                .integrate(delta.clone())
                .expect("trace operations are well formed");
            ops.extend(delta.ops);
        }
        deltas.push(TextDelta { ops });
        after.push(replica.version().clone());
    }
    ConcurrentReplay {
        replicas,
        deltas,
        everything,
    }
}

/// The operations of `delta` that `target` covers, cut where a run crosses its edge.
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
