//! Every operation a text has integrated, in the order it integrated them.

use alloc::string::String;
use alloc::vec::Vec;

use super::op::TextOp;
use crate::{Dot, VersionVector};

/// An operation as the log keeps it: inserted text stays in the document's content
/// buffer, and the log points into it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Logged {
    Insert {
        id: Dot,
        len: u32,
        origin_left: Option<Dot>,
        origin_right: Option<Dot>,
        /// Byte range of the text in the content buffer; empty when it was not sent.
        content: u32,
        bytes: u32,
    },
    Delete {
        id: Dot,
        len: u32,
        target: Dot,
    },
}

impl Logged {
    fn id(&self) -> Dot {
        match self {
            Self::Insert { id, .. } | Self::Delete { id, .. } => *id,
        }
    }

    fn len(&self) -> u32 {
        match self {
            Self::Insert { len, .. } | Self::Delete { len, .. } => *len,
        }
    }
}

/// The log: a causal order of every operation, so that replaying any suffix of it in
/// order never meets an operation before what it builds on. Consecutive keystrokes
/// are merged into one entry.
#[derive(Clone, Debug, Default)]
pub(crate) struct OpLog {
    entries: Vec<Logged>,
}

impl OpLog {
    pub(crate) fn push(&mut self, op: Logged) {
        if let Some(last) = self.entries.last_mut()
            && extend(last, &op)
        {
            return;
        }
        self.entries.push(op);
    }

    /// The operations a replica at `version` lacks, in causal order, with their text
    /// taken from `content`. Runs partly known to the replica are trimmed.
    pub(crate) fn since(&self, version: &VersionVector, content: &str) -> Vec<TextOp> {
        self.entries
            .iter()
            .filter_map(|entry| {
                let known = version.get(entry.id().replica());
                let first = entry.id().counter();
                let skip = known.saturating_sub(first - 1);
                (skip < u64::from(entry.len())).then(|| to_op(entry, skip as u32, content))
            })
            .collect()
    }
}

/// Extends `last` with `next` when `next` continues it; returns whether it did.
fn extend(last: &mut Logged, next: &Logged) -> bool {
    match (last, next) {
        (
            Logged::Insert {
                id,
                len,
                origin_right,
                content,
                bytes,
                ..
            },
            Logged::Insert {
                id: next_id,
                len: next_len,
                origin_left: next_left,
                origin_right: next_right,
                content: next_content,
                bytes: next_bytes,
            },
        ) => {
            let continues = next_id.replica() == id.replica()
                && next_id.counter() == id.counter() + u64::from(*len)
                && *next_left == Some(Dot::new(id.replica(), next_id.counter() - 1))
                && next_right == origin_right
                && *next_content == *content + *bytes
                && (*bytes == 0) == (*next_bytes == 0);
            if continues {
                *len += next_len;
                *bytes += next_bytes;
            }
            continues
        }
        (
            Logged::Delete { id, len, target },
            Logged::Delete {
                id: next_id,
                len: next_len,
                target: next_target,
            },
        ) => {
            let continues = next_id.replica() == id.replica()
                && next_id.counter() == id.counter() + u64::from(*len)
                && next_target.replica() == target.replica()
                && next_target.counter() == target.counter() + u64::from(*len);
            if continues {
                *len += next_len;
            }
            continues
        }
        _ => false,
    }
}

/// The wire form of `entry` without its first `skip` events.
fn to_op(entry: &Logged, skip: u32, content: &str) -> TextOp {
    let shift = |dot: Dot| Dot::new(dot.replica(), dot.counter() + u64::from(skip));
    match *entry {
        Logged::Insert {
            id,
            len,
            origin_left,
            origin_right,
            content: start,
            bytes,
        } => {
            let text = &content[start as usize..(start + bytes) as usize];
            let text: String = if bytes == 0 {
                String::new()
            } else {
                text.chars().skip(skip as usize).collect()
            };
            TextOp::Insert {
                id: shift(id),
                len: len - skip,
                origin_left: if skip == 0 {
                    origin_left
                } else {
                    Some(Dot::new(id.replica(), id.counter() + u64::from(skip) - 1))
                },
                origin_right,
                text,
            }
        }
        Logged::Delete { id, len, target } => TextOp::Delete {
            id: shift(id),
            len: len - skip,
            target: shift(target),
        },
    }
}
