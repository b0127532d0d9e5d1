//! A dot store paired with its causal context: the state of a causal CRDT.

use alloc::borrow::Cow;
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
    /// The dots that `removals` take out but `context` does not cover: a delta carries
    /// only the events in its context, and the dots its removals take out are
    /// dependencies. Empty in a replica's own state; derived, so never encoded.
    #[serde(skip)]
    removed_unseen: DotSet,
}

impl<S: DotStore> Causal<S> {
    /// The state of a replica that has seen nothing.
    pub fn new() -> Self {
        Self {
            store: S::default(),
            context: CausalContext::new(),
            removals: BTreeMap::new(),
            removed_unseen: DotSet::new(),
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
    /// store that names (with an empty value if need be) every map key it touched.
    /// Every type's mutators are written this way, which is how they compose inside an
    /// [`ORMap`](crate::ORMap).
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
        let removed_unseen = unseen_removed(&removals, &context);
        Self {
            store,
            context,
            removals,
            removed_unseen,
        }
    }

    /// Checks what decoding cannot: the state is one that some replica could reach.
    pub(crate) fn check(&mut self) -> Result<(), Error> {
        self.context.compact();
        if !self.context.is_canonical() {
            return Err(Error::Invalid("causal context out of order"));
        }
        if !self.store.is_canonical() {
            return Err(Error::Invalid("a dot with counter 0 in a store"));
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
        self.removed_unseen = unseen_removed(&self.removals, &self.context);
        Ok(())
    }

    /// Whether everything `other` removes from this state lies under the keys that
    /// `other`'s store names, so that joining just those keys is the whole join.
    fn removes_only_named_keys(&self, other: &Self) -> bool {
        let mut named = DotSet::new();
        self.store
            .for_each_dot_within(&other.store, &mut |dot| named.insert(dot));
        other
            .removals
            .values()
            .flat_map(DotSet::iter)
            .all(|dot| named.contains(dot) || !self.context.contains(dot))
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
        // A dot the other side removed is gone for good, even where that side never
        // saw the event that made it; so each side's store reads its removed dots as
        // seen. The narrow join costs what the delta touches, not what the state holds.
        let narrow = self.removes_only_named_keys(&other);
        let ours = seen_with_removed(&self.context, &self.removed_unseen);
        let theirs = seen_with_removed(&other.context, &other.removed_unseen);
        if narrow {
            self.store.join_within(&ours, other.store, &theirs);
        } else {
            self.store.join(&ours, other.store, &theirs);
        }
        self.context.join(&other.context);
        for (event, removed) in other.removals {
            self.removals.entry(event).or_insert(removed);
        }
        let context = &self.context;
        self.removed_unseen = self
            .removed_unseen
            .iter()
            .chain(other.removed_unseen.iter())
            .filter(|&dot| !context.contains(dot))
            .collect();
    }
}

impl<S: DotStore> DeltaCrdt for Causal<S> {
    fn version(&self) -> VersionVector {
        self.context.version().clone()
    }

    fn delta_since(&self, version: &VersionVector) -> Self {
        let store = self.store.restricted(&mut |dot| !version.contains(dot));
        let context = self.context.events_after(version);
        let removals: BTreeMap<Dot, DotSet> = self
            .removals
            .iter()
            .filter(|&(&event, _)| !version.contains(event))
            .map(|(&event, removed)| (event, removed.clone()))
            .collect();
        let removed_unseen = unseen_removed(&removals, &context);
        Self {
            store,
            context,
            removals,
            removed_unseen,
        }
    }

    fn is_ready(&self, delta: &Self) -> bool {
        self.context.absorbs_without_gap(&delta.context)
            && delta
                .removed_unseen
                .iter()
                .all(|dot| self.context.contains(dot))
    }
}

/// The dots that `removals` take out and `context` does not cover.
fn unseen_removed(removals: &BTreeMap<Dot, DotSet>, context: &CausalContext) -> DotSet {
    removals
        .values()
        .flat_map(DotSet::iter)
        .filter(|&dot| !context.contains(dot))
        .collect()
}

/// `context` plus the removed-but-unseen dots: what a store join must read as "seen".
/// Borrowed when there are none, as in every replica's own state.
fn seen_with_removed<'a>(
    context: &'a CausalContext,
    removed_unseen: &DotSet,
) -> Cow<'a, CausalContext> {
    if removed_unseen.is_empty() {
        return Cow::Borrowed(context);
    }
    let mut seen = context.clone();
    removed_unseen.iter().for_each(|dot| seen.insert(dot));
    Cow::Owned(seen)
}
