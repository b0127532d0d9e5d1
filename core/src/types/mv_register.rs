//! Multi-value register.

use core::fmt::Debug;

use serde::{Deserialize, Serialize};

use super::forward_dot_store;
use crate::{Causal, DotFun, Error, Event, ReplicaId};

/// A register that keeps every concurrent write: reading it after a conflict shows all
/// the values, and the next write, having seen them, replaces them all.
///
/// ```
/// use weft_core::{Causal, Lattice, MVRegister, ReplicaId};
///
/// let (alice, bob) = (ReplicaId::new(1), ReplicaId::new(2));
/// let mut a: Causal<MVRegister<&str>> = Causal::new();
/// let mut b = a.clone();
/// let from_a = a.write(alice, "tea")?;
/// let from_b = b.write(bob, "coffee")?;
/// a.join(from_b);
/// b.join(from_a);
/// assert_eq!(a.values().collect::<Vec<_>>(), [&"tea", &"coffee"]);
///
/// a.write(alice, "both")?;
/// assert_eq!(a.values().collect::<Vec<_>>(), [&"both"]);
/// # Ok::<(), weft_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MVRegister<T>(DotFun<T>);

impl<T: Clone + PartialEq + Debug> MVRegister<T> {
    /// The live values, one per concurrent write, in dot order.
    pub fn values(&self) -> impl Iterator<Item = &T> + '_ {
        self.0.iter().map(|(_, value)| value)
    }

    /// The delta store of writing `value`.
    pub fn write(&self, event: &mut Event, value: T) -> Self {
        event.remove_all(self);
        Self(DotFun::from_iter([(event.dot(), value)]))
    }
}

impl<T> Default for MVRegister<T> {
    fn default() -> Self {
        Self(DotFun::new())
    }
}

forward_dot_store!(MVRegister<T> where T: Clone + PartialEq + Debug);

impl<T: Clone + PartialEq + Debug> Causal<MVRegister<T>> {
    /// Writes `value` as `replica`; returns the delta.
    pub fn write(&mut self, replica: ReplicaId, value: T) -> Result<Self, Error> {
        self.apply(replica, |register, event| register.write(event, value))
    }
}
