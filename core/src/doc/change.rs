//! What replicas of a document exchange: changes made of operations.

use alloc::string::String;
use alloc::vec::Vec;

use super::container_id::ContainerId;
use super::value::Value;
use crate::{Dot, ReplicaId, TextDelta, VersionVector};

/// The order of concurrent writes to one map key or register: Lamport time, then the
/// replica. Every operation has a distinct stamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp {
    /// The operation's Lamport timestamp.
    pub lamport: u64,
    /// Its author.
    pub replica: ReplicaId,
}

/// One operation on one container.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// Edits a text.
    Text {
        /// The text.
        target: ContainerId,
        /// The edits, in the text's own operations.
        delta: TextDelta,
    },
    /// Inserts or deletes list elements. Elements are the characters of a sequence
    /// CRDT, so lists share the text's ordering; `values` holds one value per inserted
    /// element, in the order of the delta's inserts.
    List {
        /// The list (plain or movable).
        target: ContainerId,
        /// The sequence edits.
        delta: TextDelta,
        /// The inserted values.
        values: Vec<Value>,
    },
    /// Moves an element of a movable list to the slot `delta` inserts.
    Move {
        /// The movable list.
        target: ContainerId,
        /// The element, by the slot it was first inserted into.
        element: Dot,
        /// Inserts the new slot and deletes the old one.
        delta: TextDelta,
    },
    /// Replaces the value of an element of a movable list.
    Replace {
        /// The movable list.
        target: ContainerId,
        /// The element.
        element: Dot,
        /// The new value.
        value: Value,
    },
    /// Sets a map key (`Some`) or deletes it (`None`).
    MapSet {
        /// The map.
        target: ContainerId,
        /// The key.
        key: String,
        /// The new value.
        value: Option<Value>,
    },
    /// Adds to a counter.
    CounterAdd {
        /// The counter.
        target: ContainerId,
        /// How much (negative: subtracts).
        amount: i64,
    },
    /// Sets a register.
    RegisterSet {
        /// The register.
        target: ContainerId,
        /// The new value.
        value: Value,
    },
}

impl Op {
    /// The container the operation edits.
    pub fn target(&self) -> &ContainerId {
        match self {
            Op::Text { target, .. }
            | Op::List { target, .. }
            | Op::Move { target, .. }
            | Op::Replace { target, .. }
            | Op::MapSet { target, .. }
            | Op::CounterAdd { target, .. }
            | Op::RegisterSet { target, .. } => target,
        }
    }
}

/// The operations of one transaction, as they travel: the `n`-th operation has the dot
/// `id + n` and the Lamport time `lamport + n`.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    /// The dot of the first operation.
    pub id: Dot,
    /// The Lamport time of the first operation.
    pub lamport: u64,
    /// What the change builds on: the author's previous change and the newest
    /// changes the author had seen, as dots, with everything those build on in turn.
    /// The change applies once they are here. A replica names as few as it can (the
    /// changes nothing it held built on yet); naming more, up to the whole version
    /// the author had seen, means the same.
    pub deps: VersionVector,
    /// The operations, at least one.
    pub ops: Vec<Op>,
}

impl Change {
    /// The counter of the last operation.
    pub fn last_counter(&self) -> u64 {
        self.id.counter() + self.ops.len() as u64 - 1
    }

    /// The stamp of the `index`-th operation.
    pub fn stamp(&self, index: usize) -> Stamp {
        Stamp {
            lamport: self.lamport + index as u64,
            replica: self.id.replica(),
        }
    }

    /// The operations up to counter `last`, or `None` if there are none.
    pub(crate) fn up_to(mut self, last: u64) -> Option<Change> {
        let keep = usize::try_from(last.checked_sub(self.id.counter())? + 1).ok()?;
        self.ops.truncate(keep);
        Some(self)
    }

    /// The operations up to counter `last`, and those after it: the later part
    /// depends on the earlier.
    pub(crate) fn split_after(self, last: u64) -> (Option<Change>, Option<Change>) {
        let Some(before) = last.checked_sub(self.id.counter()).map(|n| n + 1) else {
            return (None, Some(self));
        };
        let before = usize::try_from(before).unwrap_or(usize::MAX);
        if before >= self.ops.len() {
            return (Some(self), None);
        }
        // The later part builds on the earlier, and through it on all the earlier
        // part builds on.
        let mut deps = VersionVector::new();
        deps.advance(self.id.replica(), last);
        let after = Change {
            id: self.op_dot(before),
            lamport: self.lamport + before as u64,
            deps,
            ops: self.ops[before..].to_vec(),
        };
        let mut head = self;
        head.ops.truncate(before);
        (Some(head), Some(after))
    }

    /// The dot of the `index`-th operation.
    pub fn op_dot(&self, index: usize) -> Dot {
        Dot::new(self.id.replica(), self.id.counter() + index as u64)
    }
}
