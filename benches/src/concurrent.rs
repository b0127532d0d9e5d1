//! Replaying a concurrent trace with one replica per agent.
//!
//! Each transaction of a concurrent trace was typed on the document as of the merge of
//! its parents, so its positions only make sense on a replica holding exactly those
//! parents. Libraries that cannot take an edit "at a version" replay it the way their
//! users would: every agent edits its own replica, and before each transaction the
//! agent's replica receives the updates of the other agents that the transaction's
//! parents include, and nothing more.

use weft_testkit::traces::{ConcurrentTrace, Patch};

/// One agent's replica of a library, as [`replay`] drives it.
pub trait Replica {
    /// A new, empty replica for agent `agent` (`0..num_agents`); replicas of different
    /// agents must have different replica ids.
    fn new(agent: usize) -> Self;

    /// Applies `patches` (never empty) as one local transaction and returns the update
    /// that carries this transaction, and only it, to other replicas.
    fn edit(&mut self, patches: &[Patch]) -> Vec<u8>;

    /// Applies, in one go, updates returned by other replicas' [`edit`](Self::edit),
    /// given in causal order.
    ///
    /// They come as one batch per transaction rather than one call per update
    /// because some libraries pay for every integration in proportion to the whole
    /// document (Automerge 0.12 does), which would make building the history of a
    /// long trace quadratic.
    fn integrate(&mut self, updates: &[&[u8]]);
}

/// Replays `trace` and returns the replica that made its last transaction, which holds
/// every transaction (the last one comes after all others).
///
/// Because one agent's transactions are totally ordered, the history a transaction
/// sees is, per agent, a prefix of that agent's transactions: a version is a count per
/// agent, and what a replica lacks is the gap between two such counts.
///
/// # Panics
///
/// If the trace breaks the rules of its format: a parent after its child, an agent out
/// of range, or a transaction that does not follow its agent's previous one.
pub fn replay<R: Replica>(trace: &ConcurrentTrace) -> R {
    let agents = trace.num_agents;
    let mut replicas: Vec<R> = (0..agents).map(R::new).collect();
    // For each replica, how many transactions of each agent it holds.
    let mut held = vec![vec![0; agents]; agents];
    // Each agent's transactions, as indexes into the trace, in order.
    let mut by_agent: Vec<Vec<usize>> = vec![Vec::new(); agents];
    // For each transaction, the version after it, and its update (none when empty).
    let mut versions: Vec<Vec<usize>> = Vec::with_capacity(trace.txns.len());
    let mut updates: Vec<Option<Vec<u8>>> = Vec::with_capacity(trace.txns.len());

    for (index, txn) in trace.txns.iter().enumerate() {
        let agent = txn.agent;
        assert!(
            agent < agents,
            "transaction {index}: agent {agent} out of range"
        );
        let mut version = vec![0; agents];
        for &parent in &txn.parents {
            assert!(
                parent < index,
                "transaction {index}: parent {parent} is not earlier"
            );
            for (count, parent_count) in version.iter_mut().zip(&versions[parent]) {
                *count = (*count).max(*parent_count);
            }
        }
        assert_eq!(
            version[agent],
            by_agent[agent].len(),
            "transaction {index}: agent {agent} did not see its own previous transaction",
        );

        let mut missing: Vec<usize> = (0..agents)
            .flat_map(|other| {
                let from = held[agent][other];
                assert!(
                    from <= version[other],
                    "transaction {index}: agent {agent}'s replica holds more than the parents",
                );
                by_agent[other][from..version[other]].iter().copied()
            })
            .collect();
        // Trace order is a causal order, so updates arrive after what they build on.
        missing.sort_unstable();
        let batch: Vec<&[u8]> = missing
            .into_iter()
            .filter_map(|earlier| updates[earlier].as_deref())
            .collect();
        let replica = &mut replicas[agent];
        if !batch.is_empty() {
            replica.integrate(&batch);
        }

        updates.push((!txn.patches.is_empty()).then(|| replica.edit(&txn.patches)));
        version[agent] += 1;
        held[agent].clone_from(&version);
        by_agent[agent].push(index);
        versions.push(version);
    }

    let last = trace
        .txns
        .last()
        .expect("a concurrent trace has transactions");
    replicas.swap_remove(last.agent)
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::BTreeSet;

    use weft_testkit::traces::{ConcurrentTxn, Patch};

    use super::*;

    thread_local! {
        /// Every edit made: the transaction, and the transactions its replica held.
        static EDITS: RefCell<Vec<(usize, BTreeSet<usize>)>> = const { RefCell::new(Vec::new()) };
    }

    /// A replica that only remembers which transactions it holds; each transaction's
    /// index travels as the text of its one patch, and as its update.
    struct Holdings(BTreeSet<usize>);

    impl Replica for Holdings {
        fn new(_: usize) -> Self {
            Self(BTreeSet::new())
        }

        fn edit(&mut self, patches: &[Patch]) -> Vec<u8> {
            let index: usize = patches[0].insert.parse().expect("an index");
            EDITS.with(|edits| edits.borrow_mut().push((index, self.0.clone())));
            self.0.insert(index);
            index.to_string().into_bytes()
        }

        fn integrate(&mut self, updates: &[&[u8]]) {
            for update in updates {
                let index = std::str::from_utf8(update).expect("utf-8");
                self.0.insert(index.parse().expect("an index"));
            }
        }
    }

    fn txn(agent: usize, parents: &[usize], index: usize) -> ConcurrentTxn {
        ConcurrentTxn {
            parents: parents.to_vec(),
            agent,
            patches: vec![Patch {
                position: 0,
                delete: 0,
                insert: index.to_string(),
            }],
        }
    }

    #[test]
    fn each_transaction_is_made_on_exactly_its_ancestors() {
        // Three agents fork, merge pairwise, then all at once.
        let parents: [(usize, &[usize]); 7] = [
            (0, &[]),
            (0, &[0]),
            (1, &[0]),
            (2, &[0]),
            (1, &[1, 2]),
            (2, &[3]),
            (0, &[4, 5]),
        ];
        let trace = ConcurrentTrace {
            end_content: String::new(),
            num_agents: 3,
            txns: parents
                .iter()
                .enumerate()
                .map(|(index, &(agent, parents))| txn(agent, parents, index))
                .collect(),
        };
        let ancestors = |index: usize| {
            let mut seen = BTreeSet::new();
            let mut stack = parents[index].1.to_vec();
            while let Some(parent) = stack.pop() {
                if seen.insert(parent) {
                    stack.extend(parents[parent].1);
                }
            }
            seen
        };

        let last = replay::<Holdings>(&trace);

        let edits = EDITS.with(|edits| edits.take());
        assert_eq!(edits.len(), parents.len());
        for (index, held) in edits {
            assert_eq!(held, ancestors(index), "transaction {index}");
        }
        assert_eq!(last.0, (0..parents.len()).collect());
    }
}
