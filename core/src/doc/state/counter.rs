//! A counter that replicas add to and subtract from.

use alloc::collections::BTreeMap;

use crate::doc::wire::{Reader, Writer};
use crate::{Error, ReplicaId};

/// What each replica added and subtracted, kept apart so that states join by maximum
/// (each only grows) and a snapshot merges into a replica that has seen part of it.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct CounterState {
    by_replica: BTreeMap<ReplicaId, (u64, u64)>,
}

impl CounterState {
    pub(crate) fn value(&self) -> i64 {
        let (up, down) = self
            .by_replica
            .values()
            .fold((0u64, 0u64), |(up, down), &(u, d)| {
                (up.wrapping_add(u), down.wrapping_add(d))
            });
        up.wrapping_sub(down) as i64
    }

    pub(crate) fn add(&mut self, replica: ReplicaId, amount: i64) {
        let (up, down) = self.by_replica.entry(replica).or_default();
        if amount >= 0 {
            *up = up.saturating_add(amount.unsigned_abs());
        } else {
            *down = down.saturating_add(amount.unsigned_abs());
        }
    }

    /// Joins another state in; returns how much the value changed.
    pub(crate) fn merge(&mut self, other: CounterState) -> i64 {
        let before = self.value();
        for (replica, (up, down)) in other.by_replica {
            let mine = self.by_replica.entry(replica).or_default();
            mine.0 = mine.0.max(up);
            mine.1 = mine.1.max(down);
        }
        self.value().wrapping_sub(before)
    }

    pub(crate) fn write(&self, out: &mut Writer) {
        out.u64(self.by_replica.len() as u64);
        for (replica, &(up, down)) in &self.by_replica {
            out.u64(replica.get());
            out.u64(up);
            out.u64(down);
        }
    }

    pub(crate) fn read(input: &mut Reader<'_>) -> Result<Self, Error> {
        let count = input.count(3)?;
        let mut by_replica = BTreeMap::new();
        for _ in 0..count {
            let replica = ReplicaId::new(input.u64()?);
            let counts = (input.u64()?, input.u64()?);
            if by_replica.insert(replica, counts).is_some() {
                return Err(Error::Malformed);
            }
        }
        Ok(Self { by_replica })
    }
}
