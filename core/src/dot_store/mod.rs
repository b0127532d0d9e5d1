//! Dot stores: the payloads of causal CRDTs (Almeida, Shoker & Baquero, "Delta State
//! Replicated Data Types", 2018, section 6).
//!
//! A dot store maps events to what they wrote. Paired with a [`CausalContext`] it tells
//! apart "never seen" (the dot is not in the context) from "seen and since removed" (in
//! the context, not in the store), and that is all a join needs to converge without
//! tombstones in the store.
//!
//! Maps may hold empty entries in deltas: they name keys a mutation touched without
//! adding to them (a removal). States never keep them, and every accessor skips them.

mod dot_fun;
mod dot_map;
mod dot_set;

pub use dot_fun::DotFun;
pub use dot_map::DotMap;
pub use dot_set::DotSet;

use core::fmt::Debug;

use crate::{CausalContext, Dot};

/// The payload of a causal CRDT: the three stores of this module, and every type built
/// on them.
pub trait DotStore: Clone + Default + PartialEq + Debug {
    /// Whether the store holds no dot (the bottom element).
    fn is_bottom(&self) -> bool;

    /// Calls `visit` with every dot in the store.
    fn for_each_dot(&self, visit: &mut dyn FnMut(Dot));

    /// Joins `other` into `self`. `context` is the context of `self` and
    /// `other_context` that of `other`: a dot survives when both stores hold it, or when
    /// one holds it and the other side has never seen it.
    fn join(&mut self, context: &CausalContext, other: Self, other_context: &CausalContext);

    /// Like [`join`](Self::join), but leaves alone what `other` does not name: the
    /// entries of a map under keys that `other` lacks. A delta from one mutation names
    /// every key it touches, with an empty value where it only removes, so joining it
    /// costs what it touches rather than the size of the state. It equals `join` when
    /// every dot that `other`'s side removes from `self` lies under the named keys;
    /// [`for_each_dot_within`](Self::for_each_dot_within) lets the caller check that.
    fn join_within(&mut self, context: &CausalContext, other: Self, other_context: &CausalContext) {
        self.join(context, other, other_context);
    }

    /// Calls `visit` with every dot of `self` that lies under what `named` names.
    fn for_each_dot_within(&self, named: &Self, visit: &mut dyn FnMut(Dot)) {
        let _ = named;
        self.for_each_dot(visit);
    }

    /// A copy of the part of the store whose dots satisfy `keep`, without empty entries.
    fn restricted(&self, keep: &mut dyn FnMut(Dot) -> bool) -> Self;

    /// Whether every dot in the store names an event (counter 0 names none). Decoded
    /// stores are checked with this.
    fn is_canonical(&self) -> bool;
}
