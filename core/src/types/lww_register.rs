//! Last-writer-wins register.

use core::fmt::Debug;

use serde::{Deserialize, Serialize};

use super::forward_dot_store;
use crate::{Causal, Dot, DotFun, Error, Event, ReplicaId};

/// A value with the timestamp its writer gave it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Stamped<T> {
    timestamp: u64,
    value: T,
}

/// A register where, among concurrent writes, the one with the highest timestamp wins;
/// equal timestamps are broken by the writes' dots, so every replica picks the same.
///
/// A write always replaces the writes its replica has seen, whatever their timestamps:
/// timestamps (the caller's clock, since the core reads none) only order writes that
/// did not see each other. A skewed clock therefore cannot undo a causally later write.
///
/// ```
/// use weft_core::{Causal, LWWRegister, Lattice, ReplicaId};
///
/// let (alice, bob) = (ReplicaId::new(1), ReplicaId::new(2));
/// let mut a: Causal<LWWRegister<&str>> = Causal::new();
/// let mut b = a.clone();
/// let from_a = a.write(alice, "draft", 1_700_000_000_000)?;
/// let from_b = b.write(bob, "final", 1_700_000_000_500)?;
/// a.join(from_b);
/// b.join(from_a);
/// assert_eq!(a.value(), Some(&"final"));
/// assert_eq!(b.value(), Some(&"final"));
/// # Ok::<(), weft_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LWWRegister<T>(DotFun<Stamped<T>>);

impl<T: Clone + PartialEq + Debug> LWWRegister<T> {
    /// The winning value, or `None` before the first write.
    pub fn value(&self) -> Option<&T> {
        self.winner().map(|(_, stamped)| &stamped.value)
    }

    /// The timestamp of the winning write.
    pub fn timestamp(&self) -> Option<u64> {
        self.winner().map(|(_, stamped)| stamped.timestamp)
    }

    fn winner(&self) -> Option<(Dot, &Stamped<T>)> {
        self.0
            .iter()
            .max_by_key(|&(dot, stamped)| (stamped.timestamp, dot))
    }

    /// The delta store of writing `value` at `timestamp`.
    pub fn write(&self, event: &mut Event, value: T, timestamp: u64) -> Self {
        event.remove_all(self);
        Self(DotFun::from_iter([(
            event.dot(),
            Stamped { timestamp, value },
        )]))
    }
}

impl<T> Default for LWWRegister<T> {
    fn default() -> Self {
        Self(DotFun::new())
    }
}

forward_dot_store!(LWWRegister<T> where T: Clone + PartialEq + Debug);

impl<T: Clone + PartialEq + Debug> Causal<LWWRegister<T>> {
    /// Writes `value` as `replica` at `timestamp` (the caller's clock, for example
    /// milliseconds since the Unix epoch); returns the delta.
    pub fn write(&mut self, replica: ReplicaId, value: T, timestamp: u64) -> Result<Self, Error> {
        self.apply(replica, |register, event| {
            register.write(event, value, timestamp)
        })
    }
}
