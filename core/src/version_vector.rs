//! Version vectors: what a replica has seen, one number per replica.

use alloc::collections::BTreeMap;
use core::cmp::Ordering;
use core::fmt;

use serde::{Deserialize, Serialize};

use crate::{Dot, Error, ReplicaId};

/// For each replica, the highest counter up to which every event has been seen.
///
/// Version vectors are partially ordered: `a <= b` when `b` has seen everything `a`
/// has. Two vectors where each has seen something the other has not are concurrent,
/// and `partial_cmp` returns `None`. [`merge`](Self::merge) is the pointwise maximum.
///
/// ```
/// use weft_core::{Dot, ReplicaId, VersionVector};
///
/// let (alice, bob) = (ReplicaId::new(1), ReplicaId::new(2));
/// let mut a = VersionVector::new();
/// a.advance(alice, 3);
/// let mut b = VersionVector::new();
/// b.advance(bob, 1);
///
/// assert_eq!(a.partial_cmp(&b), None); // concurrent
/// assert!(a.contains(Dot::new(alice, 2)));
///
/// b.merge(&a);
/// assert!(a < b);
/// assert_eq!(b.get(alice), 3);
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VersionVector {
    /// Replicas with counter 0 are left out, so equal vectors are equal maps.
    counters: BTreeMap<ReplicaId, u64>,
}

impl VersionVector {
    /// The vector of a replica that has seen nothing.
    pub const fn new() -> Self {
        Self {
            counters: BTreeMap::new(),
        }
    }

    /// The highest contiguous counter seen from `replica` (0 for none).
    pub fn get(&self, replica: ReplicaId) -> u64 {
        self.counters.get(&replica).copied().unwrap_or(0)
    }

    /// Whether the event `dot` is covered.
    pub fn contains(&self, dot: Dot) -> bool {
        dot.counter() <= self.get(dot.replica())
    }

    /// Records that every event of `replica` up to `counter` has been seen. A vector
    /// never goes backwards: a lower counter than the current one changes nothing.
    pub fn advance(&mut self, replica: ReplicaId, counter: u64) {
        if counter > self.get(replica) {
            self.counters.insert(replica, counter);
        }
    }

    /// The dot that `replica`'s next event gets.
    pub fn next_dot(&self, replica: ReplicaId) -> Result<Dot, Error> {
        let counter = self
            .get(replica)
            .checked_add(1)
            .ok_or(Error::DotsExhausted { replica })?;
        Ok(Dot::new(replica, counter))
    }

    /// The events both hold (pointwise minimum): what is causally stable among
    /// replicas whose versions these are.
    pub fn meet(&self, other: &Self) -> Self {
        let mut meet = Self::new();
        for (replica, counter) in self.iter() {
            let shared = counter.min(other.get(replica));
            if shared > 0 {
                meet.advance(replica, shared);
            }
        }
        meet
    }

    /// Whether every event of `other` is here too (`other <= self`).
    pub fn includes(&self, other: &Self) -> bool {
        other
            .iter()
            .all(|(replica, counter)| self.get(replica) >= counter)
    }

    /// Pointwise maximum: afterwards `self` covers everything either covered.
    pub fn merge(&mut self, other: &Self) {
        for (&replica, &counter) in &other.counters {
            self.advance(replica, counter);
        }
    }

    /// The replicas with a non-zero counter, in ascending id order, with their counters.
    pub fn iter(&self) -> impl Iterator<Item = (ReplicaId, u64)> + '_ {
        self.counters
            .iter()
            .map(|(&replica, &counter)| (replica, counter))
    }

    /// How many replicas have a non-zero counter.
    pub fn len(&self) -> usize {
        self.counters.len()
    }

    /// Whether nothing has been seen.
    pub fn is_empty(&self) -> bool {
        self.counters.is_empty()
    }

    /// The total number of events covered.
    pub fn event_count(&self) -> u128 {
        self.counters.values().map(|&c| u128::from(c)).sum()
    }

    /// Whether the vector is in its canonical form (no zero counters), as every vector
    /// built through this API is; decoded vectors are checked with this.
    pub(crate) fn is_canonical(&self) -> bool {
        self.counters.values().all(|&c| c > 0)
    }
}

impl PartialOrd for VersionVector {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        let self_le = self.iter().all(|(r, c)| c <= other.get(r));
        let other_le = other.iter().all(|(r, c)| c <= self.get(r));
        match (self_le, other_le) {
            (true, true) => Some(Ordering::Equal),
            (true, false) => Some(Ordering::Less),
            (false, true) => Some(Ordering::Greater),
            (false, false) => None,
        }
    }
}

impl FromIterator<(ReplicaId, u64)> for VersionVector {
    fn from_iter<I: IntoIterator<Item = (ReplicaId, u64)>>(iter: I) -> Self {
        let mut vector = Self::new();
        for (replica, counter) in iter {
            vector.advance(replica, counter);
        }
        vector
    }
}

impl fmt::Debug for VersionVector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.counters.iter()).finish()
    }
}
