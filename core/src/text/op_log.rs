//! Every operation a text has integrated, in the order it integrated them.

use alloc::vec::Vec;

use crate::{Dot, VersionVector};

/// An operation as the log keeps it: just its dots (and a delete's target). An
/// insert's origins and text live in the tree's spans, which the log's reader looks up,
/// so the log costs a few words per run of keystrokes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Logged {
    Insert { id: Dot, len: u32 },
    Delete { id: Dot, len: u32, target: Dot },
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

    /// The entry without its first `skip` events.
    fn without_first(self, skip: u32) -> Self {
        let shift = |dot: Dot| Dot::new(dot.replica(), dot.counter() + u64::from(skip));
        match self {
            Self::Insert { id, len } => Self::Insert {
                id: shift(id),
                len: len - skip,
            },
            Self::Delete { id, len, target } => Self::Delete {
                id: shift(id),
                len: len - skip,
                target: shift(target),
            },
        }
    }
}

/// What an insert that continues the last logged one must match: its right origin,
/// and where its text must start (or `None` for text that was not sent).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct InsertTail {
    pub(crate) origin_right: Option<Dot>,
    pub(crate) content_end: Option<u32>,
}

/// The log: a causal order of every operation, so that replaying any suffix of it in
/// order never meets an operation before what it builds on. Consecutive keystrokes
/// are merged into one entry.
#[derive(Clone, Debug, Default)]
pub(crate) struct OpLog {
    entries: Vec<Logged>,
    /// How the last entry, if an insert, can be continued.
    tail: Option<InsertTail>,
}

impl OpLog {
    /// Logs an insert whose first character has left origin `origin_left`; `shape` is
    /// its right origin and where its text starts, `content_end` where it ends.
    pub(crate) fn push_insert(
        &mut self,
        id: Dot,
        len: u32,
        origin_left: Option<Dot>,
        shape: InsertTail,
        content_end: Option<u32>,
    ) {
        let continues = match (self.entries.last_mut(), self.tail) {
            (
                Some(Logged::Insert {
                    id: last,
                    len: last_len,
                }),
                Some(tail),
            ) => {
                // An entry's length is a u32: a run that would outgrow it starts anew.
                let follows = last_len.checked_add(len).is_some()
                    && last.replica() == id.replica()
                    && last.counter() + u64::from(*last_len) == id.counter()
                    && origin_left == Some(Dot::new(id.replica(), id.counter() - 1))
                    && tail == shape;
                if follows {
                    *last_len += len;
                }
                follows
            }
            _ => false,
        };
        if !continues {
            self.entries.push(Logged::Insert { id, len });
        }
        self.tail = Some(InsertTail {
            origin_right: shape.origin_right,
            content_end,
        });
    }

    /// Logs a delete, merged with the last entry when it continues it.
    pub(crate) fn push_delete(&mut self, id: Dot, len: u32, target: Dot) {
        self.tail = None;
        if let Some(Logged::Delete {
            id: last,
            len: last_len,
            target: last_target,
        }) = self.entries.last_mut()
            && last_len.checked_add(len).is_some()
            && last.replica() == id.replica()
            && last.counter() + u64::from(*last_len) == id.counter()
            && last_target.replica() == target.replica()
            && last_target.counter() + u64::from(*last_len) == target.counter()
        {
            *last_len += len;
            return;
        }
        self.entries.push(Logged::Delete { id, len, target });
    }

    /// The entries a replica at `version` lacks, in causal order; runs partly known
    /// to it are trimmed.
    pub(crate) fn since<'a>(
        &'a self,
        version: &'a VersionVector,
    ) -> impl Iterator<Item = Logged> + 'a {
        self.entries.iter().filter_map(move |entry| {
            let known = version.get(entry.id().replica());
            let skip = known.saturating_sub(entry.id().counter() - 1);
            (skip < u64::from(entry.len())).then(|| entry.without_first(skip as u32))
        })
    }
}
