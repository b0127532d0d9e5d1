//! Dots: the names of events.

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::ReplicaId;

/// The unique name of one event: the replica that made it and its position in that
/// replica's sequence of events.
///
/// Counters of one replica start at 1 and are contiguous, so the events a replica has
/// seen from another compress to a single number, which is what a
/// [`VersionVector`](crate::VersionVector) stores.
///
/// ```
/// use weft_core::{Dot, ReplicaId};
///
/// let first = Dot::new(ReplicaId::new(7), 1);
/// assert_eq!(first.replica(), ReplicaId::new(7));
/// assert_eq!(first.counter(), 1);
/// assert!(first < Dot::new(ReplicaId::new(7), 2));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Dot {
    replica: ReplicaId,
    counter: u64,
}

impl Dot {
    /// The event numbered `counter` (from 1) of `replica`.
    pub const fn new(replica: ReplicaId, counter: u64) -> Self {
        Self { replica, counter }
    }

    /// The replica that made the event.
    pub const fn replica(self) -> ReplicaId {
        self.replica
    }

    /// The event's position in its replica's sequence, from 1.
    pub const fn counter(self) -> u64 {
        self.counter
    }
}

impl fmt::Debug for Dot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.counter, self.replica)
    }
}
