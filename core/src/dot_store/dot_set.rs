use alloc::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::{CausalContext, Dot, DotStore};

/// A set of dots: the events that are still "live". Flags and set elements are live
/// while their set is non-empty.
///
/// ```
/// use weft_core::{CausalContext, Dot, DotSet, DotStore, ReplicaId};
///
/// let alice = ReplicaId::new(1);
/// let (d1, d2) = (Dot::new(alice, 1), Dot::new(alice, 2));
/// // One side saw d1 and removed it; the other still holds d1 and never saw d2.
/// let mut removed = DotSet::new();
/// let mut removed_context = CausalContext::new();
/// removed_context.insert(d1);
/// removed.insert(d2);
/// removed_context.insert(d2);
///
/// let mut holder = DotSet::from_iter([d1]);
/// let mut holder_context = CausalContext::new();
/// holder_context.insert(d1);
///
/// holder.join(&holder_context, removed, &removed_context);
/// assert_eq!(holder, DotSet::from_iter([d2]));
/// ```
#[derive(Clone, Default, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DotSet {
    dots: BTreeSet<Dot>,
}

impl DotSet {
    /// The empty set.
    pub const fn new() -> Self {
        Self {
            dots: BTreeSet::new(),
        }
    }

    /// Adds `dot`.
    pub fn insert(&mut self, dot: Dot) {
        self.dots.insert(dot);
    }

    /// Whether `dot` is in the set.
    pub fn contains(&self, dot: Dot) -> bool {
        self.dots.contains(&dot)
    }

    /// The dots, in order.
    pub fn iter(&self) -> impl Iterator<Item = Dot> + '_ {
        self.dots.iter().copied()
    }

    /// How many dots the set holds.
    pub fn len(&self) -> usize {
        self.dots.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.dots.is_empty()
    }
}

impl FromIterator<Dot> for DotSet {
    fn from_iter<I: IntoIterator<Item = Dot>>(iter: I) -> Self {
        Self {
            dots: iter.into_iter().collect(),
        }
    }
}

impl DotStore for DotSet {
    fn is_bottom(&self) -> bool {
        self.dots.is_empty()
    }

    fn for_each_dot(&self, visit: &mut dyn FnMut(Dot)) {
        self.dots.iter().for_each(|&dot| visit(dot));
    }

    fn join(&mut self, context: &CausalContext, other: Self, other_context: &CausalContext) {
        self.dots
            .retain(|&dot| other.dots.contains(&dot) || !other_context.contains(dot));
        self.dots
            .extend(other.dots.into_iter().filter(|&dot| !context.contains(dot)));
    }

    fn restricted(&self, keep: &mut dyn FnMut(Dot) -> bool) -> Self {
        self.dots.iter().copied().filter(|&dot| keep(dot)).collect()
    }

    fn is_canonical(&self) -> bool {
        self.dots.iter().all(|dot| dot.counter() > 0)
    }
}
