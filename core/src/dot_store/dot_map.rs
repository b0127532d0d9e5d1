use alloc::collections::BTreeMap;
use alloc::collections::btree_map::Entry;
use core::fmt::Debug;

use serde::{Deserialize, Serialize};

use crate::{CausalContext, Dot, DotStore};

/// A map from keys to nested dot stores, all sharing one causal context. A key is
/// present while its store holds a dot, so the map needs no tombstones for removed keys.
///
/// ```
/// use weft_core::{CausalContext, Dot, DotMap, DotSet, DotStore, ReplicaId};
///
/// let dot = Dot::new(ReplicaId::new(1), 1);
/// let mut tags: DotMap<&str, DotSet> = DotMap::new();
/// tags.insert("urgent", DotSet::from_iter([dot]));
/// assert!(tags.get(&"urgent").is_some_and(|dots| dots.contains(dot)));
///
/// // Joined with a side that saw `dot` and removed it, the key disappears.
/// let mut seen = CausalContext::new();
/// seen.insert(dot);
/// tags.join(&seen, DotMap::new(), &seen);
/// assert!(tags.is_empty());
/// ```
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DotMap<K: Ord, V> {
    entries: BTreeMap<K, V>,
}

impl<K: Ord, V> DotMap<K, V> {
    /// The empty map.
    pub const fn new() -> Self {
        Self {
            entries: BTreeMap::new(),
        }
    }

    /// Sets the store under `key`.
    pub fn insert(&mut self, key: K, store: V) {
        self.entries.insert(key, store);
    }
}

impl<K: Ord, V: DotStore> DotMap<K, V> {
    /// The store under `key`, if it holds a dot.
    pub fn get(&self, key: &K) -> Option<&V> {
        self.entries.get(key).filter(|store| !store.is_bottom())
    }

    /// The keys whose stores hold a dot, with their stores, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> + '_ {
        self.entries.iter().filter(|(_, store)| !store.is_bottom())
    }

    /// How many keys hold a dot.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether no key holds a dot.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }
}

impl<K: Ord, V: DotStore> PartialEq for DotMap<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl<K: Ord, V: DotStore + Eq> Eq for DotMap<K, V> {}

impl<K: Ord, V> Default for DotMap<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for DotMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self {
            entries: iter.into_iter().collect(),
        }
    }
}

impl<K: Ord + Clone + Debug, V: DotStore> DotStore for DotMap<K, V> {
    fn is_bottom(&self) -> bool {
        self.entries.values().all(V::is_bottom)
    }

    fn for_each_dot(&self, visit: &mut dyn FnMut(Dot)) {
        self.entries
            .values()
            .for_each(|store| store.for_each_dot(visit));
    }

    fn join(&mut self, context: &CausalContext, mut other: Self, other_context: &CausalContext) {
        self.entries.retain(|key, store| {
            let theirs = other.entries.remove(key).unwrap_or_default();
            store.join(context, theirs, other_context);
            !store.is_bottom()
        });
        for (key, theirs) in other.entries {
            let mut store = V::default();
            store.join(context, theirs, other_context);
            if !store.is_bottom() {
                self.entries.insert(key, store);
            }
        }
    }

    fn join_within(&mut self, context: &CausalContext, other: Self, other_context: &CausalContext) {
        for (key, theirs) in other.entries {
            match self.entries.entry(key) {
                Entry::Occupied(mut slot) => {
                    slot.get_mut().join_within(context, theirs, other_context);
                    if slot.get().is_bottom() {
                        slot.remove();
                    }
                }
                Entry::Vacant(slot) => {
                    let mut store = V::default();
                    store.join_within(context, theirs, other_context);
                    if !store.is_bottom() {
                        slot.insert(store);
                    }
                }
            }
        }
    }

    fn for_each_dot_within(&self, named: &Self, visit: &mut dyn FnMut(Dot)) {
        for (key, theirs) in &named.entries {
            if let Some(store) = self.entries.get(key) {
                store.for_each_dot_within(theirs, visit);
            }
        }
    }

    fn restricted(&self, keep: &mut dyn FnMut(Dot) -> bool) -> Self {
        self.entries
            .iter()
            .map(|(key, store)| (key.clone(), store.restricted(keep)))
            .filter(|(_, store)| !store.is_bottom())
            .collect()
    }

    fn is_canonical(&self) -> bool {
        self.entries.values().all(V::is_canonical)
    }
}
