//! Remove-wins set.

use core::fmt::Debug;

use serde::{Deserialize, Serialize};

use super::forward_dot_store;
use crate::{Causal, DWFlag, DotMap, Error, Event, ReplicaId};

/// A set where a remove concurrent with an add of the same element wins. Each element
/// is a [`DWFlag`]; a removed element keeps its live remove until a later add that has
/// seen it overwrites it.
///
/// ```
/// use weft_core::{Causal, Lattice, RWSet, ReplicaId};
///
/// let (alice, bob) = (ReplicaId::new(1), ReplicaId::new(2));
/// let mut a: Causal<RWSet<&str>> = Causal::new();
/// let mut b = a.clone();
///
/// let add = a.add(alice, "eggs")?;
/// let remove = b.remove(bob, "eggs")?; // concurrent with the add
/// a.join(remove);
/// b.join(add);
/// assert!(!a.contains(&"eggs") && !b.contains(&"eggs"));
/// # Ok::<(), weft_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(serialize = "E: Serialize", deserialize = "E: Deserialize<'de> + Ord"))]
pub struct RWSet<E: Ord>(DotMap<E, DWFlag>);

impl<E: Ord + Clone + Debug> RWSet<E> {
    /// Whether `element` is in the set.
    pub fn contains(&self, element: &E) -> bool {
        self.0.get(element).is_some_and(DWFlag::is_enabled)
    }

    /// The elements, in order.
    pub fn iter(&self) -> impl Iterator<Item = &E> + '_ {
        self.0
            .iter()
            .filter(|(_, flag)| flag.is_enabled())
            .map(|(element, _)| element)
    }

    /// How many elements the set holds.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// The delta store of adding `element`.
    pub fn add(&self, event: &mut Event, element: E) -> Self {
        let flag = self.0.get(&element).cloned().unwrap_or_default();
        Self(DotMap::from_iter([(element, flag.enable(event))]))
    }

    /// The delta store of removing `element`.
    pub fn remove(&self, event: &mut Event, element: E) -> Self {
        let flag = self.0.get(&element).cloned().unwrap_or_default();
        Self(DotMap::from_iter([(element, flag.disable(event))]))
    }
}

impl<E: Ord> Default for RWSet<E> {
    fn default() -> Self {
        Self(DotMap::new())
    }
}

forward_dot_store!(RWSet<E> where E: Ord + Clone + Debug);

impl<E: Ord + Clone + Debug> Causal<RWSet<E>> {
    /// Adds `element` as `replica`; returns the delta.
    pub fn add(&mut self, replica: ReplicaId, element: E) -> Result<Self, Error> {
        self.apply(replica, |set, event| set.add(event, element))
    }

    /// Removes `element` as `replica`; returns the delta. The remove wins over adds it
    /// has not seen, even of an element this replica does not hold.
    pub fn remove(&mut self, replica: ReplicaId, element: E) -> Result<Self, Error> {
        self.apply(replica, |set, event| set.remove(event, element))
    }
}
