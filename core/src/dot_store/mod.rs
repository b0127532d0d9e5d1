//! Dot stores: the payloads of causal CRDTs (Almeida, Shoker & Baquero, "Delta State
//! Replicated Data Types", 2018, section 6).
//!
//! A dot store maps events to what they wrote. Paired with a [`CausalContext`] it tells
//! apart "never seen" (the dot is not in the context) from "seen and since removed" (in
//! the context, not in the store), and that is all a join needs to converge without
//! tombstones in the store.

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

    /// A copy of the part of the store whose dots satisfy `keep`.
    fn restricted(&self, keep: &mut dyn FnMut(Dot) -> bool) -> Self;

    /// Whether the store is in the form every join produces (no bottom entries inside
    /// maps, no counter-0 dots). Decoded stores are checked with this.
    fn is_canonical(&self) -> bool;
}
