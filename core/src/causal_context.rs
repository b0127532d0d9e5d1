//! Causal contexts: a version vector plus the events seen out of order.

use alloc::collections::BTreeMap;
use core::fmt;

use serde::{Deserialize, Serialize};

use crate::counter_ranges::CounterRanges;
use crate::{Dot, Error, ReplicaId, VersionVector};

/// The set of events a state (or a delta) knows about: a [`VersionVector`] for each
/// replica's contiguous prefix, plus a *dot cloud* for events beyond a gap.
///
/// Deltas need the cloud: the delta for a peer that has seen events 1..=40 of a replica
/// covers 41..=50, which no version vector can say. A replica's own context stays
/// gap-free because [`Replica`](crate::Replica) holds back deltas that would open a gap.
///
/// Every method keeps the context *compact* (no cloud dot touches the vector), so equal
/// sets of events compare equal. [`compact`](Self::compact) restores that form on
/// contexts assembled by hand or decoded from bytes.
///
/// ```
/// use weft_core::{CausalContext, Dot, ReplicaId};
///
/// let alice = ReplicaId::new(1);
/// let mut context = CausalContext::new();
/// context.insert(Dot::new(alice, 1));
/// context.insert(Dot::new(alice, 3)); // out of order: kept in the cloud
/// assert_eq!(context.version().get(alice), 1);
/// assert!(context.contains(Dot::new(alice, 3)));
/// assert!(!context.is_gap_free());
///
/// context.insert(Dot::new(alice, 2)); // fills the gap
/// assert_eq!(context.version().get(alice), 3);
/// assert!(context.is_gap_free());
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CausalContext {
    version: VersionVector,
    cloud: BTreeMap<ReplicaId, CounterRanges>,
}

impl CausalContext {
    /// The context that has seen nothing.
    pub const fn new() -> Self {
        Self {
            version: VersionVector::new(),
            cloud: BTreeMap::new(),
        }
    }

    /// The contiguous part of the context.
    pub fn version(&self) -> &VersionVector {
        &self.version
    }

    /// Whether the event `dot` is in the context.
    pub fn contains(&self, dot: Dot) -> bool {
        self.version.contains(dot)
            || self
                .cloud
                .get(&dot.replica())
                .is_some_and(|runs| runs.contains(dot.counter()))
    }

    /// Whether every event in the context is part of its version vector.
    pub fn is_gap_free(&self) -> bool {
        self.cloud.is_empty()
    }

    /// Adds one event.
    pub fn insert(&mut self, dot: Dot) {
        self.insert_run(dot.replica(), dot.counter(), dot.counter());
    }

    /// Adds the events `start..=end` of `replica`.
    pub fn insert_run(&mut self, replica: ReplicaId, start: u64, end: u64) {
        let start = start.max(1);
        if start > end || end <= self.version.get(replica) {
            return;
        }
        self.cloud.entry(replica).or_default().insert(start, end);
        self.compact_replica(replica);
    }

    /// The dot that `replica`'s next event gets: one past the highest it has used.
    pub fn next_dot(&self, replica: ReplicaId) -> Result<Dot, Error> {
        let last = self.cloud.get(&replica).and_then(CounterRanges::last);
        let highest = last.unwrap_or(0).max(self.version.get(replica));
        let counter = highest
            .checked_add(1)
            .ok_or(Error::DotsExhausted { replica })?;
        Ok(Dot::new(replica, counter))
    }

    /// Adds every event of `other`.
    pub fn join(&mut self, other: &Self) {
        for (replica, counter) in other.version.iter() {
            self.version.advance(replica, counter);
            self.compact_replica(replica);
        }
        for (&replica, runs) in &other.cloud {
            for run in runs.runs() {
                self.insert_run(replica, *run.start(), *run.end());
            }
        }
    }

    /// Whether joining `other` would leave every one of its events in the contiguous
    /// part: nothing in `other` depends on an event missing from both.
    pub fn absorbs_without_gap(&self, other: &Self) -> bool {
        let mut joined = self.clone();
        joined.join(other);
        let highest = |replica| {
            let cloud_top = other.cloud.get(&replica).and_then(CounterRanges::last);
            cloud_top.unwrap_or(0).max(other.version.get(replica))
        };
        let replicas = other.version.iter().map(|(replica, _)| replica);
        replicas
            .chain(other.cloud.keys().copied())
            .all(|replica| highest(replica) <= joined.version.get(replica))
    }

    /// The events of `self` that `version` does not cover.
    pub fn events_after(&self, version: &VersionVector) -> Self {
        let mut after = Self::new();
        for (replica, counter) in self.version.iter() {
            if let Some(first_missing) = version.get(replica).checked_add(1) {
                after.insert_run(replica, first_missing, counter);
            }
        }
        for (&replica, runs) in &self.cloud {
            let Some(first_missing) = version.get(replica).checked_add(1) else {
                continue;
            };
            for run in runs.runs() {
                after.insert_run(replica, (*run.start()).max(first_missing), *run.end());
            }
        }
        after
    }

    /// Moves every cloud dot that continues the version vector into it, and drops cloud
    /// dots the vector already covers.
    pub fn compact(&mut self) {
        let replicas: alloc::vec::Vec<ReplicaId> = self.cloud.keys().copied().collect();
        for replica in replicas {
            self.compact_replica(replica);
        }
    }

    fn compact_replica(&mut self, replica: ReplicaId) {
        let Some(runs) = self.cloud.get_mut(&replica) else {
            return;
        };
        let top = runs.absorb_into(self.version.get(replica));
        if runs.is_empty() {
            self.cloud.remove(&replica);
        }
        self.version.advance(replica, top);
    }

    /// Whether the context is compact and well formed, as every context built through
    /// this API is; decoded contexts are checked with this.
    pub(crate) fn is_canonical(&self) -> bool {
        self.version.is_canonical()
            && self.cloud.iter().all(|(&replica, runs)| {
                let floor = self.version.get(replica);
                !runs.is_empty()
                    && runs.is_canonical()
                    && runs
                        .runs()
                        .all(|run| *run.start() > floor.saturating_add(1))
            })
    }
}

impl From<VersionVector> for CausalContext {
    fn from(version: VersionVector) -> Self {
        Self {
            version,
            cloud: BTreeMap::new(),
        }
    }
}

impl fmt::Debug for CausalContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.cloud.is_empty() {
            return self.version.fmt(f);
        }
        f.debug_struct("CausalContext")
            .field("version", &self.version)
            .field("cloud", &self.cloud)
            .finish()
    }
}
