//! Grow-only counter.

use alloc::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{DeltaCrdt, Error, Lattice, ReplicaId, VersionVector};

/// What one replica has added, and in how many increments.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) struct Contribution {
    /// Increments made: the replica's event counter, so the counter has a version.
    pub(crate) events: u64,
    /// Their sum.
    pub(crate) total: u64,
}

impl Contribution {
    pub(crate) fn add(self, amount: u64, replica: ReplicaId) -> Result<Self, Error> {
        Ok(Self {
            events: self
                .events
                .checked_add(1)
                .ok_or(Error::DotsExhausted { replica })?,
            total: self
                .total
                .checked_add(amount)
                .ok_or(Error::CounterOverflow)?,
        })
    }

    pub(crate) fn join(&mut self, other: Self) {
        self.events = self.events.max(other.events);
        self.total = self.total.max(other.total);
    }
}

/// A counter that only goes up. Each replica keeps the sum of its own increments; the
/// value is the sum over replicas, and the join takes each replica's larger sum.
///
/// ```
/// use weft_core::{GCounter, Lattice, ReplicaId};
///
/// let (alice, bob) = (ReplicaId::new(1), ReplicaId::new(2));
/// let mut a = GCounter::new();
/// let mut b = GCounter::new();
/// let delta = a.increment(alice, 3)?;
/// b.increment(bob, 4)?;
/// b.join(delta);
/// assert_eq!(b.value(), 7);
/// # Ok::<(), weft_core::Error>(())
/// ```
#[derive(Clone, Default, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GCounter {
    contributions: BTreeMap<ReplicaId, Contribution>,
}

impl GCounter {
    /// A counter at zero.
    pub const fn new() -> Self {
        Self {
            contributions: BTreeMap::new(),
        }
    }

    /// Adds `amount` as `replica` and returns the delta. Fails with
    /// [`Error::CounterOverflow`], changing nothing, if the replica's own sum would
    /// pass `u64::MAX`.
    pub fn increment(&mut self, replica: ReplicaId, amount: u64) -> Result<Self, Error> {
        let current = self
            .contributions
            .get(&replica)
            .copied()
            .unwrap_or_default();
        let updated = current.add(amount, replica)?;
        self.contributions.insert(replica, updated);
        Ok(Self {
            contributions: BTreeMap::from([(replica, updated)]),
        })
    }

    /// The sum of every replica's increments. It is a `u128` because the sums of many
    /// replicas together may pass `u64::MAX`.
    pub fn value(&self) -> u128 {
        self.contributions
            .values()
            .map(|c| u128::from(c.total))
            .sum()
    }
}

impl Lattice for GCounter {
    fn join(&mut self, other: Self) {
        for (replica, theirs) in other.contributions {
            self.contributions.entry(replica).or_default().join(theirs);
        }
    }
}

impl DeltaCrdt for GCounter {
    fn version(&self) -> VersionVector {
        self.contributions
            .iter()
            .map(|(&replica, c)| (replica, c.events))
            .collect()
    }

    fn delta_since(&self, version: &VersionVector) -> Self {
        let contributions = self
            .contributions
            .iter()
            .filter(|&(&replica, c)| c.events > version.get(replica))
            .map(|(&replica, &c)| (replica, c))
            .collect();
        Self { contributions }
    }
}
