//! The event a mutation records.

use alloc::collections::BTreeSet;

use crate::{Dot, DotStore};

/// One mutation in progress: the fresh dot that names it, and the dots of earlier
/// events it removes or overwrites.
///
/// Every mutation of a causal type gets its own dot, removals included. That is what
/// makes [`delta_since`](crate::DeltaCrdt::delta_since) exact: a removal is an event a
/// peer either has seen or not, like any other.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    dot: Dot,
    removed: BTreeSet<Dot>,
}

impl Event {
    pub(crate) fn new(dot: Dot) -> Self {
        Self {
            dot,
            removed: BTreeSet::new(),
        }
    }

    /// The dot that names this event.
    pub fn dot(&self) -> Dot {
        self.dot
    }

    /// Records that this event removes (or overwrites) every dot in `store`.
    pub fn remove_all(&mut self, store: &impl DotStore) {
        store.for_each_dot(&mut |dot| {
            self.removed.insert(dot);
        });
    }

    /// The dots this event removes.
    pub fn removed(&self) -> impl Iterator<Item = Dot> + '_ {
        self.removed.iter().copied()
    }

    pub(crate) fn into_removed(self) -> BTreeSet<Dot> {
        self.removed
    }
}
