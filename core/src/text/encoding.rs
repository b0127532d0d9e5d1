//! The compact form of a text's operations inside weft's envelope.
//!
//! A batch of operations in causal order has a lot of structure, and the encoding
//! leans on it:
//!
//! - an operation's dot is implied: the operations of one replica come with
//!   consecutive counters, so a table gives each replica's first counter once, and an
//!   operation only names its table entry when it differs from the previous one's;
//! - origins and delete targets from the operation's own replica are written as the
//!   difference from the operation's counter (usually a byte), others as a table
//!   entry and a counter;
//! - all inserted text is one string at the end, in operation order; an insert that
//!   carries no text (a deleted run in a snapshot without deleted content) says so.
//!
//! Each operation is a header byte of flags, then LEB128 numbers. The layout is
//! specified with the rest of the format in `docs/wire-format.md`.

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use super::op::{TextDelta, TextOp};
use crate::codec::Encode;
use crate::leb128::{read_i64, read_u32, read_u64, write_i64, write_u64};
use crate::{Dot, Error, ReplicaId};

const DELETE: u64 = 1;
const NEW_ENTRY: u64 = 1 << 1;
/// Insert: has a left origin. Delete: the target is from another replica.
const LEFT: u64 = 1 << 2;
const LEFT_FOREIGN: u64 = 1 << 3;
const RIGHT: u64 = 1 << 4;
const RIGHT_FOREIGN: u64 = 1 << 5;
const HAS_TEXT: u64 = 1 << 6;
const INSERT_FLAGS: u64 = NEW_ENTRY | LEFT | LEFT_FOREIGN | RIGHT | RIGHT_FOREIGN | HAS_TEXT;
const DELETE_FLAGS: u64 = DELETE | NEW_ENTRY | LEFT;

/// The encoded form of a [`TextDelta`].
#[derive(Serialize, Deserialize)]
pub(crate) struct PackedDelta {
    /// Replicas, each with the counter its run of operations starts at; a replica
    /// whose operations skip counters has one entry per run.
    replicas: Vec<(ReplicaId, u64)>,
    ops: Vec<u8>,
    text: String,
}

impl Encode for PackedDelta {
    const KIND: u8 = 10;
}

/// An operation to encode, borrowing its text.
#[derive(Clone, Copy, Debug)]
pub(crate) enum OpRef<'a> {
    Insert {
        id: Dot,
        len: u32,
        origin_left: Option<Dot>,
        origin_right: Option<Dot>,
        text: &'a str,
    },
    Delete {
        id: Dot,
        len: u32,
        target: Dot,
    },
}

impl<'a> From<&'a TextOp> for OpRef<'a> {
    fn from(op: &'a TextOp) -> Self {
        match op {
            TextOp::Insert {
                id,
                len,
                origin_left,
                origin_right,
                text,
            } => Self::Insert {
                id: *id,
                len: *len,
                origin_left: *origin_left,
                origin_right: *origin_right,
                text,
            },
            TextOp::Delete { id, len, target } => Self::Delete {
                id: *id,
                len: *len,
                target: *target,
            },
        }
    }
}

impl<'a> FromIterator<OpRef<'a>> for PackedDelta {
    fn from_iter<I: IntoIterator<Item = OpRef<'a>>>(ops: I) -> Self {
        let mut table = Table::default();
        let mut packed = Vec::new();
        let mut text = String::new();
        let mut body = Vec::new();
        let mut previous = None;
        for op in ops {
            let (id, len) = match op {
                OpRef::Insert { id, len, .. } | OpRef::Delete { id, len, .. } => (id, len),
            };
            let entry = table.author(id, len);
            let mut header = if previous == Some(entry) {
                0
            } else {
                NEW_ENTRY
            };
            previous = Some(entry);
            body.clear();
            if header & NEW_ENTRY != 0 {
                write_u64(&mut body, u64::from(entry));
            }
            write_u64(&mut body, u64::from(len));
            match op {
                OpRef::Insert {
                    origin_left,
                    origin_right,
                    text: chars,
                    ..
                } => {
                    for (origin, present, foreign) in [
                        (origin_left, LEFT, LEFT_FOREIGN),
                        (origin_right, RIGHT, RIGHT_FOREIGN),
                    ] {
                        if let Some(dot) = origin {
                            header |= present;
                            if table.write_dot(&mut body, id, dot) {
                                header |= foreign;
                            }
                        }
                    }
                    if !chars.is_empty() {
                        header |= HAS_TEXT;
                        text.push_str(chars);
                    }
                }
                OpRef::Delete { target, .. } => {
                    header |= DELETE;
                    if table.write_dot(&mut body, id, target) {
                        header |= LEFT;
                    }
                }
            }
            write_u64(&mut packed, header);
            packed.extend_from_slice(&body);
        }
        Self {
            replicas: table.entries,
            ops: packed,
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

    /// Writes `dot` as seen from an operation at `id`; returns whether it is foreign
    /// (from another replica, written as table entry and counter).
    fn write_dot(&mut self, out: &mut Vec<u8>, id: Dot, dot: Dot) -> bool {
        if dot.replica() == id.replica() {
            write_i64(out, dot.counter().wrapping_sub(id.counter()) as i64);
            return false;
        }
        let found = self
            .entries
            .iter()
            .position(|&(replica, _)| replica == dot.replica());
        let at = found.unwrap_or_else(|| {
            self.entries.push((dot.replica(), 0));
            self.expected.push(0);
            self.entries.len() - 1
        });
        write_u64(out, at as u64);
        write_u64(out, dot.counter());
        true
    }
}

impl PackedDelta {
    /// Writes the parts length-prefixed, for embedding in a document's encoding.
    pub(crate) fn write_raw(&self, out: &mut Vec<u8>) {
        self.write_raw_with(out, &mut ReplicaId::get);
    }

    /// [`write_raw`](Self::write_raw), naming each replica by the number `name`
    /// gives it (an index into a table the reader has).
    pub(crate) fn write_raw_with(&self, out: &mut Vec<u8>, name: &mut dyn FnMut(ReplicaId) -> u64) {
        write_u64(out, self.replicas.len() as u64);
        for &(replica, first) in &self.replicas {
            write_u64(out, name(replica));
            write_u64(out, first);
        }
        write_u64(out, self.ops.len() as u64);
        out.extend_from_slice(&self.ops);
        write_u64(out, self.text.len() as u64);
        out.extend_from_slice(self.text.as_bytes());
    }

    /// Reads what [`write_raw`](Self::write_raw) wrote, checking every length against
    /// the input before allocating.
    pub(crate) fn read_raw(input: &mut &[u8]) -> Result<Self, Error> {
        Self::read_raw_with(input, &|id| Ok(ReplicaId::new(id)))
    }

    /// Reads what [`write_raw_with`](Self::write_raw_with) wrote, turning each number
    /// back into its replica with `replica`.
    pub(crate) fn read_raw_with(
        input: &mut &[u8],
        replica: &dyn Fn(u64) -> Result<ReplicaId, Error>,
    ) -> Result<Self, Error> {
        let count = read_u64(input)?;
        if count > (input.len() / 2) as u64 {
            return Err(Error::Malformed);
        }
        let mut replicas = Vec::with_capacity(count as usize);
        for _ in 0..count {
            replicas.push((replica(read_u64(input)?)?, read_u64(input)?));
        }
        let ops = take(input)?.to_vec();
        let text = core::str::from_utf8(take(input)?)
            .map_err(|_| Error::Malformed)?
            .into();
        Ok(Self {
            replicas,
            ops,
            text,
        })
    }

    /// Rebuilds the operations, refusing anything that does not add up.
    pub(crate) fn unpack(self) -> Result<TextDelta, Error> {
        let mut next: Vec<u64> = self.replicas.iter().map(|&(_, first)| first).collect();
        let mut input = self.ops.as_slice();
        let mut chars = self.text.chars();
        // Grown as operations are read, not sized for the most the input could hold:
        // a keystroke's one operation would take a kilobyte or more, and allocations
        // that size make the allocator sweep up its small free blocks every time.
        let mut ops = Vec::new();
        let mut entry = None;
        while !input.is_empty() {
            let header = read_u64(&mut input)?;
            let allowed = if header & DELETE != 0 {
                DELETE_FLAGS
            } else {
                INSERT_FLAGS
            };
            if header & !allowed != 0 {
                return Err(Error::Malformed);
            }
            if header & NEW_ENTRY != 0 {
                entry = Some(read_u64(&mut input)? as usize);
            }
            let at = entry.ok_or(Error::Malformed)?;
            let counter = next.get_mut(at).ok_or(Error::Malformed)?;
            let id = Dot::new(self.replicas[at].0, *counter);
            let len = read_u32(&mut input)?;
            *counter = counter
                .checked_add(u64::from(len))
                .ok_or(Error::Malformed)?;
            let dot =
                |input: &mut &[u8], foreign: bool| read_dot(input, &self.replicas, id, foreign);
            ops.push(if header & DELETE != 0 {
                TextOp::Delete {
                    id,
                    len,
                    target: dot(&mut input, header & LEFT != 0)?,
                }
            } else {
                let origin_left = (header & LEFT != 0)
                    .then(|| dot(&mut input, header & LEFT_FOREIGN != 0))
                    .transpose()?;
                let origin_right = (header & RIGHT != 0)
                    .then(|| dot(&mut input, header & RIGHT_FOREIGN != 0))
                    .transpose()?;
                let text: String = if header & HAS_TEXT != 0 {
                    chars.by_ref().take(len as usize).collect()
                } else {
                    String::new()
                };
                TextOp::Insert {
                    id,
                    len,
                    origin_left,
                    origin_right,
                    text,
                }
            });
        }
        if chars.next().is_some() {
            return Err(Error::Malformed);
        }
        Ok(TextDelta { ops })
    }
}

fn take<'a>(input: &mut &'a [u8]) -> Result<&'a [u8], Error> {
    let len = read_u64(input)?;
    if len > input.len() as u64 {
        return Err(Error::Malformed);
    }
    let (taken, rest) = input.split_at(len as usize);
    *input = rest;
    Ok(taken)
}

fn read_dot(
    input: &mut &[u8],
    replicas: &[(ReplicaId, u64)],
    id: Dot,
    foreign: bool,
) -> Result<Dot, Error> {
    if !foreign {
        let counter = id.counter().wrapping_add(read_i64(input)? as u64);
        return Ok(Dot::new(id.replica(), counter));
    }
    let at = read_u64(input)? as usize;
    let &(replica, _) = replicas.get(at).ok_or(Error::Malformed)?;
    Ok(Dot::new(replica, read_u64(input)?))
}

impl From<OpRef<'_>> for TextOp {
    fn from(op: OpRef<'_>) -> Self {
        match op {
            OpRef::Insert {
                id,
                len,
                origin_left,
                origin_right,
                text,
            } => Self::Insert {
                id,
                len,
                origin_left,
                origin_right,
                text: text.into(),
            },
            OpRef::Delete { id, len, target } => Self::Delete { id, len, target },
        }
    }
}
