//! The compact form of a text's operations inside weft's envelope.
//!
//! An operation's dot is written as an index into a table of replicas plus nothing
//! else: in a batch of operations in causal order, the operations of one replica come
//! with consecutive counters, so each replica's first counter is written once and the
//! rest follow from the lengths. All inserted text is one string at the end, in operation
//! order; an insert that carries no text (a deleted run in a snapshot without deleted
//! content) says so with a flag.

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use super::op::{TextDelta, TextOp};
use crate::codec::Encode;
use crate::{Dot, Error, ReplicaId};

/// A dot as (index into the replica table, counter).
type PackedDot = (u32, u64);

#[derive(Serialize, Deserialize)]
enum PackedOp {
    Insert {
        replica: u32,
        len: u32,
        origin_left: Option<PackedDot>,
        origin_right: Option<PackedDot>,
        has_text: bool,
    },
    Delete {
        replica: u32,
        len: u32,
        target: PackedDot,
    },
}

/// The encoded form of a [`TextDelta`].
#[derive(Serialize, Deserialize)]
pub(crate) struct PackedDelta {
    /// Replicas, each with the counter its run of operations starts at; a replica
    /// whose operations skip counters has one entry per run.
    replicas: Vec<(ReplicaId, u64)>,
    ops: Vec<PackedOp>,
    text: String,
}

impl From<&TextDelta> for PackedDelta {
    fn from(delta: &TextDelta) -> Self {
        let mut table = Table::default();
        let mut text = String::new();
        let ops = delta
            .ops
            .iter()
            .map(|op| match op {
                TextOp::Insert {
                    id,
                    len,
                    origin_left,
                    origin_right,
                    text: chars,
                } => {
                    text.push_str(chars);
                    PackedOp::Insert {
                        replica: table.author(*id, *len),
                        len: *len,
                        origin_left: origin_left.map(|dot| table.reference(dot)),
                        origin_right: origin_right.map(|dot| table.reference(dot)),
                        has_text: !chars.is_empty(),
                    }
                }
                TextOp::Delete { id, len, target } => PackedOp::Delete {
                    replica: table.author(*id, *len),
                    len: *len,
                    target: table.reference(*target),
                },
            })
            .collect();
        Self {
            replicas: table.entries,
            ops,
            text,
        }
    }
}

/// The replica table being built: one entry per run of consecutive counters.
#[derive(Default)]
struct Table {
    entries: Vec<(ReplicaId, u64)>,
    /// The counter each entry's next operation must start at.
    expected: Vec<u64>,
}

impl Table {
    /// The entry for an operation by `id`'s replica starting at `id`, made if the
    /// counters do not continue an existing one.
    fn author(&mut self, id: Dot, len: u32) -> u32 {
        let found = self
            .entries
            .iter()
            .zip(&self.expected)
            .position(|(&(replica, _), &next)| replica == id.replica() && next == id.counter());
        let at = found.unwrap_or_else(|| {
            self.entries.push((id.replica(), id.counter()));
            self.expected.push(id.counter());
            self.entries.len() - 1
        });
        self.expected[at] = id.counter().saturating_add(u64::from(len));
        at as u32
    }

    /// A dot as an entry of its replica and its counter.
    fn reference(&mut self, dot: Dot) -> PackedDot {
        let found = self
            .entries
            .iter()
            .position(|&(replica, _)| replica == dot.replica());
        let at = found.unwrap_or_else(|| {
            self.entries.push((dot.replica(), 0));
            self.expected.push(0);
            self.entries.len() - 1
        });
        (at as u32, dot.counter())
    }
}

impl PackedDelta {
    /// Rebuilds the operations, refusing tables, counters and text that do not add up.
    pub(crate) fn unpack(self) -> Result<TextDelta, Error> {
        let malformed = Error::Invalid("text operations do not match their tables");
        let mut next: Vec<u64> = self.replicas.iter().map(|&(_, first)| first).collect();
        let replica_of = |index: u32| {
            self.replicas
                .get(index as usize)
                .map(|&(replica, _)| replica)
        };
        let dot = |(index, counter): PackedDot| {
            replica_of(index).map(|replica| Dot::new(replica, counter))
        };
        let mut text = self.text.chars();
        let mut ops = Vec::with_capacity(self.ops.len().min(self.text.len() + 1));
        for op in self.ops {
            let (replica, len) = match op {
                PackedOp::Insert { replica, len, .. } | PackedOp::Delete { replica, len, .. } => {
                    (replica, len)
                }
            };
            let counter = next.get_mut(replica as usize).ok_or(malformed.clone())?;
            let id = Dot::new(replica_of(replica).ok_or(malformed.clone())?, *counter);
            *counter = counter
                .checked_add(u64::from(len))
                .ok_or(malformed.clone())?;
            ops.push(match op {
                PackedOp::Insert {
                    origin_left,
                    origin_right,
                    has_text,
                    ..
                } => {
                    let chars: String = if has_text {
                        text.by_ref().take(len as usize).collect()
                    } else {
                        String::new()
                    };
                    TextOp::Insert {
                        id,
                        len,
                        origin_left: origin_left
                            .map(dot)
                            .map(|d| d.ok_or(malformed.clone()))
                            .transpose()?,
                        origin_right: origin_right
                            .map(dot)
                            .map(|d| d.ok_or(malformed.clone()))
                            .transpose()?,
                        text: chars,
                    }
                }
                PackedOp::Delete { target, .. } => TextOp::Delete {
                    id,
                    len,
                    target: dot(target).ok_or(malformed.clone())?,
                },
            });
        }
        if text.next().is_some() {
            return Err(malformed);
        }
        Ok(TextDelta { ops })
    }
}

impl Encode for PackedDelta {
    const KIND: u8 = 10;
}
