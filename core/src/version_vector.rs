//! Version vectors: what a replica has seen, one number per replica.

use alloc::vec::Vec;
use core::cmp::Ordering;
use core::fmt;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Dot, Error, ReplicaId};

/// For each replica, the highest counter up to which every event has been seen.
///
/// Version vectors are partially ordered: `a <= b` when `b` has seen everything `a`
/// has. Two vectors where each has seen something the other has not are concurrent,
/// and `partial_cmp` returns `None`. [`merge`](Self::merge) is the pointwise maximum.
///
/// ```
/// use weft_core::{Dot, ReplicaId, VersionVector};
///
/// let (alice, bob) = (ReplicaId::new(1), ReplicaId::new(2));
/// let mut a = VersionVector::new();
/// a.advance(alice, 3);
/// let mut b = VersionVector::new();
/// b.advance(bob, 1);
///
/// assert_eq!(a.partial_cmp(&b), None); // concurrent
/// assert!(a.contains(Dot::new(alice, 2)));
///
/// b.merge(&a);
/// assert!(a < b);
/// assert_eq!(b.get(alice), 3);
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct VersionVector {
    /// Sorted by replica, and replicas with counter 0 are left out, so equal vectors
    /// are equal lists. A sorted list rather than a tree: vectors are merged and
    /// compared far more often than single entries change, and both are linear walks
    /// over contiguous memory this way.
    counters: Vec<(ReplicaId, u64)>,
}

impl VersionVector {
    /// The vector of a replica that has seen nothing.
    pub const fn new() -> Self {
        Self {
            counters: Vec::new(),
        }
    }

    fn position(&self, replica: ReplicaId) -> Result<usize, usize> {
        self.counters
            .binary_search_by_key(&replica, |&(replica, _)| replica)
    }

    /// The highest contiguous counter seen from `replica` (0 for none).
    pub fn get(&self, replica: ReplicaId) -> u64 {
        self.position(replica)
            .map_or(0, |index| self.counters[index].1)
    }

    /// Whether the event `dot` is covered.
    pub fn contains(&self, dot: Dot) -> bool {
        dot.counter() <= self.get(dot.replica())
    }

    /// Records that every event of `replica` up to `counter` has been seen. A vector
    /// never goes backwards: a lower counter than the current one changes nothing.
    pub fn advance(&mut self, replica: ReplicaId, counter: u64) {
        match self.position(replica) {
            Ok(index) => {
                let known = &mut self.counters[index].1;
                *known = (*known).max(counter);
            }
            Err(index) if counter > 0 => self.counters.insert(index, (replica, counter)),
            Err(_) => {}
        }
    }

    /// The dot that `replica`'s next event gets.
    pub fn next_dot(&self, replica: ReplicaId) -> Result<Dot, Error> {
        let counter = self
            .get(replica)
            .checked_add(1)
            .ok_or(Error::DotsExhausted { replica })?;
        Ok(Dot::new(replica, counter))
    }

    /// The events both hold (pointwise minimum): what is causally stable among
    /// replicas whose versions these are.
    pub fn meet(&self, other: &Self) -> Self {
        let counters = self
            .counters
            .iter()
            .filter_map(|&(replica, counter)| {
                let shared = counter.min(other.get(replica));
                (shared > 0).then_some((replica, shared))
            })
            .collect();
        Self { counters }
    }

    /// Whether every event of `other` is here too (`other <= self`).
    pub fn includes(&self, other: &Self) -> bool {
        if other.counters.len() > self.counters.len() {
            return false;
        }
        // Both lists are sorted: walk them together.
        let mut mine = self.counters.iter();
        other.counters.iter().all(|&(replica, counter)| {
            mine.by_ref()
                .find(|&&(candidate, _)| candidate >= replica)
                .is_some_and(|&(candidate, known)| candidate == replica && known >= counter)
        })
    }

    /// Pointwise maximum: afterwards `self` covers everything either covered.
    pub fn merge(&mut self, other: &Self) {
        if other.counters.is_empty() {
            return;
        }
        // Most merges are between vectors of the same replicas (the peers of one
        // document): raise the counters in place, in one walk. Entries raised before
        // the walk meets another replica stay right for the general merge below.
        if self.counters.len() == other.counters.len()
            && self
                .counters
                .iter_mut()
                .zip(&other.counters)
                .all(|(mine, theirs)| {
                    let same = mine.0 == theirs.0;
                    if same {
                        mine.1 = mine.1.max(theirs.1);
                    }
                    same
                })
        {
            return;
        }
        // A change's few dependencies joined into a room's version: raise them one by
        // one rather than rebuild the whole list.
        if other.counters.len() * 8 <= self.counters.len() {
            for &(replica, counter) in &other.counters {
                self.advance(replica, counter);
            }
            return;
        }
        let mut merged = Vec::with_capacity(self.counters.len() + other.counters.len());
        let (mut mine, mut theirs) = (
            self.counters.iter().peekable(),
            other.counters.iter().peekable(),
        );
        loop {
            let next = match (mine.peek(), theirs.peek()) {
                (Some(&&a), Some(&&b)) => match a.0.cmp(&b.0) {
                    Ordering::Less => mine.next().copied(),
                    Ordering::Greater => theirs.next().copied(),
                    Ordering::Equal => {
                        mine.next();
                        theirs.next();
                        Some((a.0, a.1.max(b.1)))
                    }
                },
                (Some(_), None) => mine.next().copied(),
                (None, Some(_)) => theirs.next().copied(),
                (None, None) => None,
            };
            match next {
                Some(entry) => merged.push(entry),
                None => break,
            }
        }
        self.counters = merged;
    }

    /// The replicas with a non-zero counter, in ascending id order, with their counters.
    pub fn iter(&self) -> impl Iterator<Item = (ReplicaId, u64)> + '_ {
        self.counters.iter().copied()
    }

    /// How many replicas have a non-zero counter.
    pub fn len(&self) -> usize {
        self.counters.len()
    }

    /// Whether nothing has been seen.
    pub fn is_empty(&self) -> bool {
        self.counters.is_empty()
    }

    /// The total number of events covered.
    pub fn event_count(&self) -> u128 {
        self.counters.iter().map(|&(_, c)| u128::from(c)).sum()
    }

    /// Keeps the entries `keep` says yes to.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(ReplicaId, u64) -> bool) {
        self.counters
            .retain(|&(replica, counter)| keep(replica, counter));
    }

    /// The vector of `counters`, which a decoder has checked are sorted by replica,
    /// each replica once, with no zero counter: taken as they are, without a search
    /// per entry.
    pub(crate) fn from_sorted(counters: Vec<(ReplicaId, u64)>) -> Self {
        debug_assert!(
            counters.windows(2).all(|pair| pair[0].0 < pair[1].0)
                && counters.iter().all(|&(_, counter)| counter > 0)
        );
        Self { counters }
    }

    /// Whether the vector is in its canonical form (no zero counters), as every vector
    /// built through this API is; decoded vectors are checked with this.
    pub(crate) fn is_canonical(&self) -> bool {
        self.counters.iter().all(|&(_, c)| c > 0)
    }
}

impl PartialOrd for VersionVector {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        let self_le = self.iter().all(|(r, c)| c <= other.get(r));
        let other_le = other.iter().all(|(r, c)| c <= self.get(r));
        match (self_le, other_le) {
            (true, true) => Some(Ordering::Equal),
            (true, false) => Some(Ordering::Less),
            (false, true) => Some(Ordering::Greater),
            (false, false) => None,
        }
    }
}

impl FromIterator<(ReplicaId, u64)> for VersionVector {
    fn from_iter<I: IntoIterator<Item = (ReplicaId, u64)>>(iter: I) -> Self {
        let mut vector = Self::new();
        for (replica, counter) in iter {
            vector.advance(replica, counter);
        }
        vector
    }
}

impl fmt::Debug for VersionVector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// A map from replica to counter, as it always was on the wire.
impl Serialize for VersionVector {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

/// Entries must come in increasing replica order, as every encoder writes them.
impl<'de> Deserialize<'de> for VersionVector {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries;

        impl<'de> Visitor<'de> for Entries {
            type Value = VersionVector;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map from replica to counter, in replica order")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                // The hint comes from the input: trust it only so far.
                let mut counters = Vec::with_capacity(map.size_hint().unwrap_or(0).min(1024));
                while let Some((replica, counter)) = map.next_entry::<ReplicaId, u64>()? {
                    if counters
                        .last()
                        .is_some_and(|&(previous, _)| previous >= replica)
                    {
                        return Err(serde::de::Error::custom(
                            "version vector replicas out of order",
                        ));
                    }
                    counters.push((replica, counter));
                }
                Ok(VersionVector { counters })
            }
        }

        deserializer.deserialize_map(Entries)
    }
}

#[cfg(test)]
mod tests {
    use alloc::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;
    use crate::codec;

    /// The obvious model: a map without zero counters.
    fn model(entries: &[(u64, u64)]) -> BTreeMap<u64, u64> {
        let mut map = BTreeMap::new();
        for &(replica, counter) in entries {
            if counter > 0 {
                let known = map.entry(replica).or_insert(0);
                *known = counter.max(*known);
            }
        }
        map
    }

    fn vector(entries: &[(u64, u64)]) -> VersionVector {
        entries
            .iter()
            .map(|&(replica, counter)| (ReplicaId::new(replica), counter))
            .collect()
    }

    fn as_map(vector: &VersionVector) -> BTreeMap<u64, u64> {
        vector
            .iter()
            .map(|(replica, counter)| (replica.get(), counter))
            .collect()
    }

    /// The model's pointwise maximum.
    fn joined(a: &BTreeMap<u64, u64>, b: &BTreeMap<u64, u64>) -> BTreeMap<u64, u64> {
        let mut joined = a.clone();
        for (replica, counter) in b {
            let known = joined.entry(*replica).or_insert(0);
            *known = (*counter).max(*known);
        }
        joined
    }

    /// From a few replicas to dozens, so that merges meet vectors of every relative
    /// size.
    fn entries() -> impl Strategy<Value = Vec<(u64, u64)>> {
        (1..40u64).prop_flat_map(|replicas| {
            proptest::collection::vec((1..replicas + 1, 0..5u64), 0..replicas as usize)
        })
    }

    proptest! {
        #[test]
        fn operations_agree_with_a_map(a in entries(), b in entries()) {
            let (ma, mb) = (model(&a), model(&b));
            let (va, vb) = (vector(&a), vector(&b));
            prop_assert_eq!(as_map(&va), ma.clone());

            let mut merged = va.clone();
            merged.merge(&vb);
            prop_assert_eq!(as_map(&merged), joined(&ma, &mb));

            // And onto the same replicas with other counters, as versions of one
            // document are merged.
            let counters = b.iter().map(|&(_, c)| c + 1).chain(core::iter::repeat(1));
            let same: Vec<(u64, u64)> = ma.keys().copied().zip(counters).collect();
            let mut raised = va.clone();
            raised.merge(&vector(&same));
            prop_assert_eq!(as_map(&raised), joined(&ma, &model(&same)));

            let includes = mb.iter().all(|(r, c)| ma.get(r).copied().unwrap_or(0) >= *c);
            prop_assert_eq!(va.includes(&vb), includes);

            let meet: BTreeMap<u64, u64> = ma
                .iter()
                .filter_map(|(r, c)| {
                    let shared = (*c).min(mb.get(r).copied().unwrap_or(0));
                    (shared > 0).then_some((*r, shared))
                })
                .collect();
            prop_assert_eq!(as_map(&va.meet(&vb)), meet);

            let decoded: VersionVector = codec::decode(&codec::encode(&merged)).unwrap();
            prop_assert_eq!(decoded, merged);
        }
    }

    #[test]
    fn decoding_refuses_replicas_out_of_order() {
        let mut ordered = VersionVector::new();
        ordered.advance(ReplicaId::new(1), 4);
        ordered.advance(ReplicaId::new(2), 9);
        let bytes = codec::encode(&ordered);
        let (head, pairs) = bytes.split_at(bytes.len() - 4);
        // The (replica, counter) pairs end the encoding, one byte each here.
        assert_eq!(pairs, [1, 4, 2, 9]);
        let swapped = [head, &[2, 9, 1, 4]].concat();
        assert!(codec::decode::<VersionVector>(&swapped).is_err());
    }
}
