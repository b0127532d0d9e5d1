//! Enable-wins flag.

use serde::{Deserialize, Serialize};

use super::forward_dot_store;
use crate::{Causal, DotSet, DotStore, Error, Event, ReplicaId};

/// A boolean where a concurrent enable beats a disable. It starts disabled.
///
/// The flag is on while some enable event is live; a disable removes the enables it has
/// seen, so an enable it has not seen survives.
///
/// ```
/// use weft_core::{Causal, EWFlag, Lattice, ReplicaId};
///
/// let (alice, bob) = (ReplicaId::new(1), ReplicaId::new(2));
/// let mut a: Causal<EWFlag> = Causal::new();
/// a.enable(alice)?;
/// let mut b = a.clone();
///
/// let disable = a.disable(alice)?;
/// let enable = b.enable(bob)?; // concurrent with the disable
/// a.join(enable);
/// b.join(disable);
/// assert!(a.is_enabled() && b.is_enabled());
/// # Ok::<(), weft_core::Error>(())
/// ```
#[derive(Clone, Default, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EWFlag(DotSet);

impl EWFlag {
    /// Whether the flag is on.
    pub fn is_enabled(&self) -> bool {
        !self.0.is_bottom()
    }

    /// The delta store of turning the flag on.
    pub fn enable(&self, event: &mut Event) -> Self {
        event.remove_all(self);
        Self(DotSet::from_iter([event.dot()]))
    }

    /// The delta store of turning the flag off.
    pub fn disable(&self, event: &mut Event) -> Self {
        event.remove_all(self);
        Self::default()
    }
}

forward_dot_store!(EWFlag where);

impl Causal<EWFlag> {
    /// Turns the flag on as `replica`; returns the delta.
    pub fn enable(&mut self, replica: ReplicaId) -> Result<Self, Error> {
        self.apply(replica, EWFlag::enable)
    }

    /// Turns the flag off as `replica`; returns the delta.
    pub fn disable(&mut self, replica: ReplicaId) -> Result<Self, Error> {
        self.apply(replica, EWFlag::disable)
    }
}
