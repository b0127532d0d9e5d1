//! Observed-remove map with nested causal values.

use core::fmt::Debug;

use serde::{Deserialize, Serialize};

use super::forward_dot_store;
use crate::{Causal, DotMap, DotStore, Error, Event, ReplicaId};

/// A map from keys to nested causal values (sets, flags, registers, maps), sharing one
/// causal context. A key is present while its value holds a live dot.
///
/// Removing a key removes the parts of its value the remover has seen: an update
/// concurrent with the removal survives, with exactly what that update wrote. Two
/// replicas that concurrently update the same key both keep their updates, merged by
/// the value's own join, so a map of maps of sets loses nothing.
///
/// ```
/// use weft_core::{AWSet, Causal, Lattice, ORMap, ReplicaId};
///
/// type Tags = ORMap<&'static str, AWSet<&'static str>>;
/// let (alice, bob) = (ReplicaId::new(1), ReplicaId::new(2));
/// let mut a: Causal<Tags> = Causal::new();
/// let mut b = a.clone();
///
/// let from_a = a.update(alice, "bug-17", |tags, event| tags.add(event, "urgent"))?;
/// let from_b = b.update(bob, "bug-17", |tags, event| tags.add(event, "ui"))?;
/// a.join(from_b);
/// b.join(from_a);
/// let tags = a.get(&"bug-17").unwrap();
/// assert!(tags.contains(&"urgent") && tags.contains(&"ui"));
/// assert_eq!(a, b);
/// # Ok::<(), weft_core::Error>(())
/// ```
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(bound(
    serialize = "K: Serialize, V: Serialize",
    deserialize = "K: Deserialize<'de> + Ord, V: Deserialize<'de>"
))]
pub struct ORMap<K: Ord, V>(DotMap<K, V>);

impl<K: Ord + Clone + Debug, V: DotStore> ORMap<K, V> {
    /// The value under `key`.
    pub fn get(&self, key: &K) -> Option<&V> {
        self.0.get(key)
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &K) -> bool {
        self.0.get(key).is_some()
    }

    /// The keys and values, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> + '_ {
        self.0.iter()
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &K> + '_ {
        self.0.iter().map(|(key, _)| key)
    }

    /// How many keys are present.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no key is present.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The delta store of running the nested mutation `mutate` on the value under
    /// `key` (a default value when the key is absent).
    pub fn update(
        &self,
        event: &mut Event,
        key: K,
        mutate: impl FnOnce(&V, &mut Event) -> V,
    ) -> Self {
        let value = match self.0.get(&key) {
            Some(value) => mutate(value, event),
            None => mutate(&V::default(), event),
        };
        Self(DotMap::from_iter([(key, value)]))
    }

    /// The delta store of removing `key` and everything under it.
    pub fn remove(&self, event: &mut Event, key: &K) -> Self {
        if let Some(value) = self.0.get(key) {
            event.remove_all(value);
        }
        Self(DotMap::from_iter([(key.clone(), V::default())]))
    }
}

impl<K: Ord, V: DotStore> PartialEq for ORMap<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl<K: Ord, V: DotStore + Eq> Eq for ORMap<K, V> {}

impl<K: Ord, V> Default for ORMap<K, V> {
    fn default() -> Self {
        Self(DotMap::new())
    }
}

forward_dot_store!(ORMap<K, V> where K: Ord + Clone + Debug, V: DotStore);

impl<K: Ord + Clone + Debug, V: DotStore> Causal<ORMap<K, V>> {
    /// Runs the nested mutation `mutate` on the value under `key` as `replica`;
    /// returns the delta.
    pub fn update(
        &mut self,
        replica: ReplicaId,
        key: K,
        mutate: impl FnOnce(&V, &mut Event) -> V,
    ) -> Result<Self, Error> {
        self.apply(replica, |map, event| map.update(event, key, mutate))
    }

    /// Removes `key` as `replica`; returns the delta.
    pub fn remove(&mut self, replica: ReplicaId, key: &K) -> Result<Self, Error> {
        self.apply(replica, |map, event| map.remove(event, key))
    }
}
