//! The identity of a replica.

use core::fmt;

use serde::{Deserialize, Serialize};

/// The identity of one replica: a browser tab, a process, a device.
///
/// Ids are random 64-bit numbers chosen by the caller (the core reads no randomness)
/// and are never reused: two replicas writing under one id would give two different
/// events the same [`Dot`](crate::Dot), and their states could no longer converge.
///
/// ```
/// use weft_core::ReplicaId;
///
/// let alice = ReplicaId::new(0x9e37_79b9_7f4a_7c15);
/// assert_eq!(alice.get(), 0x9e37_79b9_7f4a_7c15);
/// assert_eq!(alice.to_string(), "9e3779b97f4a7c15");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReplicaId(u64);

impl ReplicaId {
    /// Wraps a caller-chosen random number as a replica id.
    pub const fn new(id: u64) -> Self {
        Self(id)
    }

    /// The number behind the id.
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl From<u64> for ReplicaId {
    fn from(id: u64) -> Self {
        Self(id)
    }
}

impl fmt::Display for ReplicaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl fmt::Debug for ReplicaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReplicaId({self})")
    }
}
