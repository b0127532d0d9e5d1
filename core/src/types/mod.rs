//! The replicated types, one per file.
//!
//! Counters are plain lattices. Every other type is a dot store, replicated as a
//! [`Causal`](crate::Causal) state; its methods here take an [`Event`](crate::Event) and
//! return the delta's store, and the same methods on `Causal<Type>` take a replica id and
//! return the whole delta.

mod aw_set;
mod dw_flag;
mod ew_flag;
pub(crate) mod g_counter;
mod lww_register;
mod mv_register;
mod or_map;
mod pn_counter;
mod rw_set;

pub use aw_set::AWSet;
pub use dw_flag::DWFlag;
pub use ew_flag::EWFlag;
pub use g_counter::GCounter;
pub use lww_register::LWWRegister;
pub use mv_register::MVRegister;
pub use or_map::ORMap;
pub use pn_counter::PNCounter;
pub use rw_set::RWSet;

/// Implements [`DotStore`](crate::DotStore) for a newtype by forwarding to the store it
/// wraps, which must already be canonical-preserving under the newtype's mutators.
macro_rules! forward_dot_store {
    ($name:ident $(<$($param:ident),*>)? where $($bounds:tt)*) => {
        impl $(<$($param),*>)? $crate::DotStore for $name $(<$($param),*>)? where $($bounds)* {
            fn is_bottom(&self) -> bool {
                self.0.is_bottom()
            }

            fn for_each_dot(&self, visit: &mut dyn FnMut($crate::Dot)) {
                self.0.for_each_dot(visit);
            }

            fn join(
                &mut self,
                context: &$crate::CausalContext,
                other: Self,
                other_context: &$crate::CausalContext,
            ) {
                self.0.join(context, other.0, other_context);
            }

            fn join_within(
                &mut self,
                context: &$crate::CausalContext,
                other: Self,
                other_context: &$crate::CausalContext,
            ) {
                self.0.join_within(context, other.0, other_context);
            }

            fn for_each_dot_within(&self, named: &Self, visit: &mut dyn FnMut($crate::Dot)) {
                self.0.for_each_dot_within(&named.0, visit);
            }

            fn restricted(&self, keep: &mut dyn FnMut($crate::Dot) -> bool) -> Self {
                Self(self.0.restricted(keep))
            }

            fn is_canonical(&self) -> bool {
                self.0.is_canonical()
            }
        }
    };
}
use forward_dot_store;
