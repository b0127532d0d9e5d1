//! Disable-wins flag.

use serde::{Deserialize, Serialize};

use super::forward_dot_store;
use crate::{Causal, DotFun, Error, Event, ReplicaId};

/// A boolean where a concurrent disable beats an enable. It starts disabled.
///
/// Each enable or disable is a write that overwrites the writes it has seen. The flag is
/// on when some write is live and every live write is an enable: a disable concurrent
/// with an enable stays live beside it and wins.
///
/// ```
/// use weft_core::{Causal, DWFlag, Lattice, ReplicaId};
///
/// let (alice, bob) = (ReplicaId::new(1), ReplicaId::new(2));
/// let mut a: Causal<DWFlag> = Causal::new();
/// let mut b = a.clone();
///
/// let enable = a.enable(alice)?;
/// let disable = b.disable(bob)?; // concurrent with the enable
/// a.join(disable);
/// b.join(enable);
/// assert!(!a.is_enabled() && !b.is_enabled());
///
/// a.enable(alice)?; // an enable that has seen the disable turns it on
/// assert!(a.is_enabled());
/// # Ok::<(), weft_core::Error>(())
/// ```
#[derive(Clone, Default, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DWFlag(DotFun<bool>);

impl DWFlag {
    /// Whether the flag is on.
    pub fn is_enabled(&self) -> bool {
        !self.0.is_empty() && self.0.iter().all(|(_, &enabled)| enabled)
    }

    /// The delta store of turning the flag on.
    pub fn enable(&self, event: &mut Event) -> Self {
        self.write(event, true)
    }

    /// The delta store of turning the flag off.
    pub fn disable(&self, event: &mut Event) -> Self {
        self.write(event, false)
    }

    fn write(&self, event: &mut Event, enabled: bool) -> Self {
        event.remove_all(self);
        Self(DotFun::from_iter([(event.dot(), enabled)]))
    }
}

forward_dot_store!(DWFlag where);

impl Causal<DWFlag> {
    /// Turns the flag on as `replica`; returns the delta.
    pub fn enable(&mut self, replica: ReplicaId) -> Result<Self, Error> {
        self.apply(replica, DWFlag::enable)
    }

    /// Turns the flag off as `replica`; returns the delta.
    pub fn disable(&mut self, replica: ReplicaId) -> Result<Self, Error> {
        self.apply(replica, DWFlag::disable)
    }
}
