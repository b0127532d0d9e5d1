//! Add-wins set (observed-remove set).

use core::fmt::Debug;

use serde::{Deserialize, Serialize};

use super::forward_dot_store;
use crate::{Causal, DotMap, EWFlag, Error, Event, ReplicaId};

/// A set where an add concurrent with a remove of the same element wins: a remove takes
/// out only the adds it has seen. Each element is an [`EWFlag`].
///
/// ```
/// use weft_core::{AWSet, Causal, Lattice, ReplicaId};
///
/// let (alice, bob) = (ReplicaId::new(1), ReplicaId::new(2));
/// let mut a: Causal<AWSet<&str>> = Causal::new();
/// a.add(alice, "eggs")?;
/// let mut b = a.clone();
///
/// let remove = a.remove(alice, &"eggs")?;
/// let add = b.add(bob, "eggs")?; // concurrent with the remove
/// a.join(add);
/// b.join(remove);
/// assert!(a.contains(&"eggs") && b.contains(&"eggs"));
/// assert_eq!(a, b);
/// # Ok::<(), weft_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(serialize = "E: Serialize", deserialize = "E: Deserialize<'de> + Ord"))]
pub struct AWSet<E: Ord>(DotMap<E, EWFlag>);

impl<E: Ord + Clone + Debug> AWSet<E> {
    /// Whether `element` is in the set.
    pub fn contains(&self, element: &E) -> bool {
        self.0.get(element).is_some()
    }

    /// The elements, in order.
    pub fn iter(&self) -> impl Iterator<Item = &E> + '_ {
        self.0.iter().map(|(element, _)| element)
    }

    /// How many elements the set holds.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The delta store of adding `element`.
    pub fn add(&self, event: &mut Event, element: E) -> Self {
        let flag = self.0.get(&element).cloned().unwrap_or_default();
        Self(DotMap::from_iter([(element, flag.enable(event))]))
    }

    /// The delta store of removing `element`.
    pub fn remove(&self, event: &mut Event, element: &E) -> Self {
        let flag = self.0.get(element).cloned().unwrap_or_default();
        Self(DotMap::from_iter([(element.clone(), flag.disable(event))]))
    }

    /// The delta store of removing every element.
    pub fn clear(&self, event: &mut Event) -> Self {
        let disabled = self
            .0
            .iter()
            .map(|(element, flag)| (element.clone(), flag.disable(event)));
        Self(disabled.collect())
    }
}

impl<E: Ord> Default for AWSet<E> {
    fn default() -> Self {
        Self(DotMap::new())
    }
}

forward_dot_store!(AWSet<E> where E: Ord + Clone + Debug);

impl<E: Ord + Clone + Debug> Causal<AWSet<E>> {
    /// Adds `element` as `replica`; returns the delta.
    pub fn add(&mut self, replica: ReplicaId, element: E) -> Result<Self, Error> {
        self.apply(replica, |set, event| set.add(event, element))
    }

    /// Removes `element` as `replica`; returns the delta.
    pub fn remove(&mut self, replica: ReplicaId, element: &E) -> Result<Self, Error> {
        self.apply(replica, |set, event| set.remove(event, element))
    }

    /// Removes every element `replica` has seen; returns the delta.
    pub fn clear(&mut self, replica: ReplicaId) -> Result<Self, Error> {
        self.apply(replica, AWSet::clear)
    }
}
