use alloc::collections::BTreeMap;
use core::fmt::Debug;

use serde::{Deserialize, Serialize};

use crate::{CausalContext, Dot, DotStore};

/// A map from dots to the values their events wrote. Registers keep each concurrent
/// write under its dot.
///
/// A dot names one event, so two stores that both hold a dot hold the same value under
/// it; the join keeps the value already present.
///
/// ```
/// use weft_core::{Dot, DotFun, ReplicaId};
///
/// let mut writes = DotFun::new();
/// writes.insert(Dot::new(ReplicaId::new(1), 1), "draft");
/// assert_eq!(writes.get(Dot::new(ReplicaId::new(1), 1)), Some(&"draft"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DotFun<V> {
    values: BTreeMap<Dot, V>,
}

impl<V> DotFun<V> {
    /// The empty map.
    pub const fn new() -> Self {
        Self {
            values: BTreeMap::new(),
        }
    }

    /// Records that the event `dot` wrote `value`.
    pub fn insert(&mut self, dot: Dot, value: V) {
        self.values.insert(dot, value);
    }

    /// The value written by `dot`, if it is still live.
    pub fn get(&self, dot: Dot) -> Option<&V> {
        self.values.get(&dot)
    }

    /// The live writes, in dot order.
    pub fn iter(&self) -> impl Iterator<Item = (Dot, &V)> + '_ {
        self.values.iter().map(|(&dot, value)| (dot, value))
    }

    /// How many writes are live.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether no write is live.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

impl<V> Default for DotFun<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V> FromIterator<(Dot, V)> for DotFun<V> {
    fn from_iter<I: IntoIterator<Item = (Dot, V)>>(iter: I) -> Self {
        Self {
            values: iter.into_iter().collect(),
        }
    }
}

impl<V: Clone + PartialEq + Debug> DotStore for DotFun<V> {
    fn is_bottom(&self) -> bool {
        self.values.is_empty()
    }

    fn for_each_dot(&self, visit: &mut dyn FnMut(Dot)) {
        self.values.keys().for_each(|&dot| visit(dot));
    }

    fn join(&mut self, context: &CausalContext, other: Self, other_context: &CausalContext) {
        self.values
            .retain(|dot, _| other.values.contains_key(dot) || !other_context.contains(*dot));
        for (dot, value) in other.values {
            if !context.contains(dot) {
                self.values.entry(dot).or_insert(value);
            }
        }
    }

    fn restricted(&self, keep: &mut dyn FnMut(Dot) -> bool) -> Self {
        self.values
            .iter()
            .filter(|&(&dot, _)| keep(dot))
            .map(|(&dot, value)| (dot, value.clone()))
            .collect()
    }

    fn is_canonical(&self) -> bool {
        self.values.keys().all(|dot| dot.counter() > 0)
    }
}
