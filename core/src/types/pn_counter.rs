//! Counter that goes up and down.

use alloc::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::types::g_counter::Contribution;
use crate::{DeltaCrdt, Error, Lattice, ReplicaId, VersionVector};

/// One replica's increments and decrements, each summed separately so that both only
/// grow and the join can take maxima.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
struct Tally {
    up: Contribution,
    down: Contribution,
}

impl Tally {
    fn events(&self) -> u64 {
        self.up.events.saturating_add(self.down.events)
    }
}

/// A counter that can be incremented and decremented: two grow-only sums per replica.
///
/// ```
/// use weft_core::{Lattice, PNCounter, ReplicaId};
///
/// let (alice, bob) = (ReplicaId::new(1), ReplicaId::new(2));
/// let mut a = PNCounter::new();
/// let mut b = PNCounter::new();
/// let delta = a.increment(alice, 10)?;
/// b.decrement(bob, 15)?;
/// b.join(delta);
/// assert_eq!(b.value(), -5);
/// # Ok::<(), weft_core::Error>(())
/// ```
#[derive(Clone, Default, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PNCounter {
    tallies: BTreeMap<ReplicaId, Tally>,
}

impl PNCounter {
    /// A counter at zero.
    pub const fn new() -> Self {
        Self {
            tallies: BTreeMap::new(),
        }
    }

    /// Adds `amount` as `replica` and returns the delta; fails with
    /// [`Error::CounterOverflow`], changing nothing, if the replica's sum of increments
    /// would pass `u64::MAX`.
    pub fn increment(&mut self, replica: ReplicaId, amount: u64) -> Result<Self, Error> {
        self.record(replica, |tally| {
            tally.up = tally.up.add(amount, replica)?;
            Ok(())
        })
    }

    /// Subtracts `amount` as `replica` and returns the delta; fails with
    /// [`Error::CounterOverflow`], changing nothing, if the replica's sum of
    /// decrements would pass `u64::MAX`.
    pub fn decrement(&mut self, replica: ReplicaId, amount: u64) -> Result<Self, Error> {
        self.record(replica, |tally| {
            tally.down = tally.down.add(amount, replica)?;
            Ok(())
        })
    }

    fn record(
        &mut self,
        replica: ReplicaId,
        change: impl FnOnce(&mut Tally) -> Result<(), Error>,
    ) -> Result<Self, Error> {
        let mut tally = self.tallies.get(&replica).copied().unwrap_or_default();
        change(&mut tally)?;
        self.tallies.insert(replica, tally);
        Ok(Self {
            tallies: BTreeMap::from([(replica, tally)]),
        })
    }

    /// Increments minus decrements, over every replica. An `i128` holds any result
    /// exactly.
    pub fn value(&self) -> i128 {
        self.tallies
            .values()
            .map(|t| i128::from(t.up.total) - i128::from(t.down.total))
            .sum()
    }
}

impl Lattice for PNCounter {
    fn join(&mut self, other: Self) {
        for (replica, theirs) in other.tallies {
            let ours = self.tallies.entry(replica).or_default();
            ours.up.join(theirs.up);
            ours.down.join(theirs.down);
        }
    }
}

impl DeltaCrdt for PNCounter {
    fn version(&self) -> VersionVector {
        self.tallies
            .iter()
            .map(|(&replica, tally)| (replica, tally.events()))
            .collect()
    }

    fn delta_since(&self, version: &VersionVector) -> Self {
        let tallies = self
            .tallies
            .iter()
            .filter(|&(&replica, tally)| tally.events() > version.get(replica))
            .map(|(&replica, &tally)| (replica, tally))
            .collect();
        Self { tallies }
    }
}
