//! A dot store paired with its causal context: the state of a causal CRDT.

use alloc::collections::BTreeMap;
use core::ops::Deref;

use serde::{Deserialize, Serialize};

use crate::{
    CausalContext, DeltaCrdt, Dot, DotSet, DotStore, Error, Event, Lattice, ReplicaId,
    VersionVector,
};

/// The replicated state of a causal type `S` (a set, a flag, a register, a map...):
/// what is live ([`DotStore`]), what has been seen ([`CausalContext`]), and which
/// events removed which dots.
///
/// Local mutations go through [`apply`](Self::apply), or through the typed methods each
/// type adds here (`Causal<AWSet<_>>::add`, ...). They update the state and return the
/// delta to send to other replicas; a delta is itself a `Causal<S>`, to be joined.
///
/// ```
/// use weft_core::{AWSet, Causal, DeltaCrdt, Lattice, ReplicaId};
///
/// let (alice, bob) = (ReplicaId::new(1), ReplicaId::new(2));
/// let mut a: Causal<AWSet<&str>> = Causal::new();
/// let mut b = a.clone();
///
/// let delta = a.add(alice, "milk")?;
/// b.join(delta);
/// b.remove(bob, &"milk")?;
///
/// // Anti-entropy: a asks b for what it lacks, removals included.
/// a.join(b.delta_since(&a.version()));
/// assert_eq!(a, b);
/// assert!(!a.contains(&"milk"));
/// # Ok::<(), weft_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Causal<S> {
    store: S,
    context: CausalContext,
    /// For each event that removed or overwrote dots, the dots it removed. A peer that
    /// still holds those dots learns of the removal from here, whatever else it has seen.
    removals: BTreeMap<Dot, DotSet>,
}

impl<S: DotStore> Causal<S> {
    /// The state of a replica that has seen nothing.
    pub fn new() -> Self {
        Self {
            store: S::default(),
            context: CausalContext::new(),
            removals: BTreeMap::new(),
        }
    }

    /// What is live.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// What has been seen.
    pub fn context(&self) -> &CausalContext {
        &self.context
    }

    /// Runs a local mutation as `replica` and returns its delta.
    ///
    /// `mutate` receives the current store and the [`Event`] naming the mutation; it
    /// records on the event the dots it removes and returns the dots it adds, as a
    /// store. Every type's mutators are written this way, which is how they compose
    /// inside an [`ORMap`](crate::ORMap).
    pub fn apply(
        &mut self,
        replica: ReplicaId,
        mutate: impl FnOnce(&S, &mut Event) -> S,
    ) -> Result<Self, Error> {
        let mut event = Event::new(self.context.next_dot(replica)?);
        let store = mutate(&self.store, &mut event);
        let delta = Self::from_event(store, event);
        self.join(delta.clone());
        Ok(delta)
    }

    fn from_event(store: S, event: Event) -> Self {
        let dot = event.dot();
        let mut context = CausalContext::new();
        context.insert(dot);
        store.for_each_dot(&mut |added| context.insert(added));
        let removed: DotSet = event.into_removed().into_iter().collect();
        let mut removals = BTreeMap::new();
        if !removed.is_empty() {
            removals.insert(dot, removed);
        }
        Self {
            store,
            context,
            removals,
        }
    }

    /// Checks what decoding cannot: the state is one that some replica could reach.
    pub(crate) fn check(&mut self) -> Result<(), Error> {
        self.context.compact();
        if !self.context.is_canonical() {
            return Err(Error::Invalid("causal context out of order"));
        }
        if !self.store.is_canonical() {
            return Err(Error::Invalid("empty entry or counter 0 in a store"));
        }
        let mut unseen = false;
        self.store
            .for_each_dot(&mut |dot| unseen |= !self.context.contains(dot));
        for (&event, removed) in &self.removals {
            unseen |= !self.context.contains(event) || removed.is_empty();
        }
        if unseen {
            return Err(Error::Invalid(
                "a live dot or a removal is not in the context",
            ));
        }
        Ok(())
    }

    /// The context extended with the dots `self`'s removals took out, when some are
    /// outside it (only in deltas: a replica's own state always covers them).
    fn seen_including_removed(&self) -> Option<CausalContext> {
        let mut foreign = self.foreign_removed_dots().peekable();
        foreign.peek()?;
        let mut seen = self.context.clone();
        foreign.for_each(|dot| seen.insert(dot));
        Some(seen)
    }

    /// The dots removed by events of `self` that `self`'s context does not cover.
    /// A delta carries only the events in its context, with all their effects; the dots
    /// its removals take out are dependencies the receiver must already hold.
    fn foreign_removed_dots(&self) -> impl Iterator<Item = Dot> + '_ {
        self.removals
            .values()
            .flat_map(DotSet::iter)
            .filter(|&dot| !self.context.contains(dot))
    }
}

impl<S: DotStore> Default for Causal<S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S> Deref for Causal<S> {
    type Target = S;

    fn deref(&self) -> &S {
        &self.store
    }
}

impl<S: DotStore> Lattice for Causal<S> {
    fn join(&mut self, other: Self) {
        // The store join reads "seen, but not in the store" as "removed", so on each side
        // it must also count the dots that side's removals took out.
        let ours = self.seen_including_removed();
        let theirs = other.seen_including_removed();
        self.store.join(
            ours.as_ref().unwrap_or(&self.context),
            other.store,
            theirs.as_ref().unwrap_or(&other.context),
        );
        self.context.join(&other.context);
        for (event, removed) in other.removals {
            self.removals.entry(event).or_insert(removed);
        }
    }
}

impl<S: DotStore> DeltaCrdt for Causal<S> {
    fn version(&self) -> VersionVector {
        self.context.version().clone()
    }

    fn delta_since(&self, version: &VersionVector) -> Self {
        let store = self.store.restricted(&mut |dot| !version.contains(dot));
        let context = self.context.events_after(version);
        let removals = self
            .removals
            .iter()
            .filter(|&(&event, _)| !version.contains(event))
            .map(|(&event, removed)| (event, removed.clone()))
            .collect();
        Self {
            store,
            context,
            removals,
        }
    }

    fn is_ready(&self, delta: &Self) -> bool {
        self.context.absorbs_without_gap(&delta.context)
            && delta
                .foreign_removed_dots()
                .all(|dot| self.context.contains(dot))
    }
}
