//! Typing, written compactly. An app that makes every keystroke a transaction gives
//! its history one text insert per keystroke, each naming its first character, its
//! neighbours and its text: about fifteen bytes for one character. But each one goes
//! on where the one before stopped: its first character is the next dot, its left
//! neighbour the last character typed, its right neighbour the same. Such an insert is
//! written as a `TYPED` operation holding only its text, and read back from the insert
//! before it in the same run.

use alloc::vec;

use super::change::Op;
use super::container_id::ContainerId;
use super::wire::Reader;
use crate::text::TextOp;
use crate::{Dot, Error, TextDelta};

/// Where the last text insert of a run stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Typing {
    /// The container's number in the run's table.
    target: u64,
    /// The dot the next typed character takes.
    next: Dot,
    origin_right: Option<Dot>,
}

/// The single insert `op` holds, if that is all it holds.
fn single_insert(op: &Op) -> Option<&TextOp> {
    match op {
        Op::Text { delta, .. } => match delta.ops.as_slice() {
            [insert @ TextOp::Insert { .. }] => Some(insert),
            _ => None,
        },
        _ => None,
    }
}

impl Typing {
    /// Where typing stands after `op`, an operation on container number `target`.
    pub(crate) fn after(op: &Op, target: u64) -> Option<Self> {
        let TextOp::Insert {
            id,
            len,
            origin_right,
            ..
        } = single_insert(op)?
        else {
            return None;
        };
        let next = id.counter().checked_add(u64::from(*len))?;
        Some(Self {
            target,
            next: Dot::new(id.replica(), next),
            origin_right: *origin_right,
        })
    }

    fn last_typed(&self) -> Dot {
        Dot::new(self.next.replica(), self.next.counter() - 1)
    }

    /// The text of `op` if it goes on from here, so that it can be written as typed.
    pub(crate) fn continued_by<'a>(&self, op: &'a Op, target: u64) -> Option<&'a str> {
        let TextOp::Insert {
            id,
            len,
            origin_left,
            origin_right,
            text,
        } = single_insert(op)?
        else {
            return None;
        };
        let goes_on = target == self.target
            && *id == self.next
            && *origin_left == Some(self.last_typed())
            && *origin_right == self.origin_right
            && !text.is_empty()
            && text.chars().count() == *len as usize;
        goes_on.then_some(text.as_str())
    }

    /// Reads a typed insert into `container` (number `target`) from `fields`.
    pub(crate) fn read(
        typing: Option<Self>,
        target: u64,
        container: ContainerId,
        fields: &mut Reader<'_>,
    ) -> Result<Op, Error> {
        let typing = typing
            .filter(|typing| typing.target == target)
            .ok_or(Error::Malformed)?;
        let text = fields.string()?;
        let len = u32::try_from(text.chars().count()).map_err(|_| Error::Malformed)?;
        if len == 0 {
            return Err(Error::Malformed);
        }
        Ok(Op::Text {
            target: container,
            delta: TextDelta {
                ops: vec![TextOp::Insert {
                    id: typing.next,
                    len,
                    origin_left: Some(typing.last_typed()),
                    origin_right: typing.origin_right,
                    text,
                }],
            },
        })
    }
}
