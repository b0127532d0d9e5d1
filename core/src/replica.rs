//! A replica: a state plus a backlog of deltas that arrived early.

use alloc::vec::Vec;
use core::ops::{Deref, DerefMut};

use crate::DeltaCrdt;

/// What [`Replica::integrate`] did with a delta.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Integration {
    /// The delta was joined, and with it `released` deltas from the backlog that it
    /// made ready.
    Applied {
        /// How many backlogged deltas were joined after it.
        released: usize,
    },
    /// The delta builds on events not seen yet; it waits in the backlog.
    Deferred,
}

/// A replicated state with a backlog for deltas that arrive before what they build on.
///
/// A deferred delta is neither dropped nor half-applied: it is joined whole as soon as
/// the events it depends on arrive, so the state's version vector never has a gap and
/// [`delta_since`](DeltaCrdt::delta_since) answers stay exact. Local mutators are
/// reached through `Deref`.
///
/// ```
/// use weft_core::{AWSet, Causal, Integration, Replica, ReplicaId};
///
/// let alice = ReplicaId::new(1);
/// let mut author: Causal<AWSet<u32>> = Causal::new();
/// let first = author.add(alice, 1)?;
/// let second = author.add(alice, 2)?;
///
/// let mut reader = Replica::new(Causal::<AWSet<u32>>::new());
/// assert_eq!(reader.integrate(second), Integration::Deferred);
/// assert!(!reader.contains(&2));
/// assert_eq!(reader.integrate(first), Integration::Applied { released: 1 });
/// assert!(reader.contains(&1) && reader.contains(&2));
/// # Ok::<(), weft_core::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Replica<T> {
    state: T,
    backlog: Vec<T>,
}

impl<T: DeltaCrdt> Replica<T> {
    /// A replica starting from `state`.
    pub fn new(state: T) -> Self {
        Self {
            state,
            backlog: Vec::new(),
        }
    }

    /// Joins `delta` if everything it builds on is here, then any backlogged deltas that
    /// became ready; otherwise keeps it in the backlog.
    pub fn integrate(&mut self, delta: T) -> Integration {
        if !self.state.is_ready(&delta) {
            self.backlog.push(delta);
            return Integration::Deferred;
        }
        self.state.join(delta);
        let mut released = 0;
        while let Some(index) = self
            .backlog
            .iter()
            .position(|early| self.state.is_ready(early))
        {
            let early = self.backlog.swap_remove(index);
            self.state.join(early);
            released += 1;
        }
        Integration::Applied { released }
    }

    /// How many deltas wait for events not seen yet.
    pub fn backlog_len(&self) -> usize {
        self.backlog.len()
    }

    /// The state, without the backlog.
    pub fn state(&self) -> &T {
        &self.state
    }

    /// Gives up the backlog and returns the state.
    pub fn into_state(self) -> T {
        self.state
    }
}

impl<T> Deref for Replica<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.state
    }
}

impl<T> DerefMut for Replica<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.state
    }
}
