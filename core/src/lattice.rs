//! The two traits every replicated type implements.

use crate::VersionVector;

/// A join-semilattice: `join` is associative, commutative and idempotent, so replicas
/// that have joined the same states are equal, whatever the order and repetition.
pub trait Lattice {
    /// Merges `other` into `self`: afterwards `self` reflects everything either did.
    fn join(&mut self, other: Self);
}

/// A delta-state CRDT: a lattice whose mutators return small deltas (themselves states
/// of the type), and which can tell any peer exactly what it is missing.
///
/// The whole protocol between two replicas fits in three calls: the receiver sends its
/// [`version`](Self::version), the sender answers with
/// [`delta_since`](Self::delta_since) of it, and the receiver
/// [`integrate`](crate::Replica::integrate)s (or [`join`](Lattice::join)s) that delta.
pub trait DeltaCrdt: Lattice + Clone + Default + PartialEq {
    /// The events this state reflects.
    fn version(&self) -> VersionVector;

    /// What a replica at `version` is missing: joined into such a replica, the result
    /// equals the join of the full states. Removals are included.
    fn delta_since(&self, version: &VersionVector) -> Self;

    /// Whether `delta` can be joined now without leaving a gap in what this state has
    /// seen: every event it builds on is already here or in the delta. A delta that is
    /// not ready waits in a [`Replica`](crate::Replica)'s backlog.
    fn is_ready(&self, delta: &Self) -> bool {
        let _ = delta;
        true
    }
}
