//! Cursors: positions in a text that follow its edits.
//!
//! A position number goes stale as soon as anyone edits before it. A cursor names a
//! character instead, by its dot, and which side of it the position is on; the
//! position is worked out again whenever it is needed, so it moves with local and
//! remote edits alike. A deleted character keeps its place among the tombstones, so a
//! cursor whose character was deleted stays where the character was.

use alloc::vec::Vec;

use super::Document;
use super::container_id::ContainerId;
use super::encoding::{envelope, read_id, write_id};
use super::wire::Reader;
use crate::codec::open;
use crate::{Dot, Error};

/// Envelope kind of an encoded [`Cursor`].
pub const CURSOR_KIND: u8 = 15;

/// Which side of its character a cursor keeps to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// Just before the character: text typed at the cursor goes before it.
    Before,
    /// Just after the character: the cursor stays with the text on its left.
    After,
}

/// A position in a text that survives edits: it names a character and a side of it,
/// and its position is worked out again whenever it is needed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    /// The text.
    pub container: ContainerId,
    /// The character, or `None` for the end (side `Before`) or the start (side
    /// `After`) of the text.
    pub anchor: Option<Dot>,
    /// Which side of the character.
    pub side: Side,
}

impl Cursor {
    /// The cursor as bytes, to store or send.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = envelope(CURSOR_KIND);
        write_id(&mut out, &self.container);
        match (self.anchor, self.side) {
            (None, Side::Before) => out.u8(0),
            (None, Side::After) => out.u8(1),
            (Some(dot), Side::Before) => {
                out.u8(2);
                out.dot(dot);
            }
            (Some(dot), Side::After) => {
                out.u8(3);
                out.dot(dot);
            }
        }
        out.out
    }

    /// Reads bytes [`encode`](Self::encode) wrote.
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let mut input = Reader::new(open(bytes, CURSOR_KIND)?);
        let container = read_id(&mut input)?;
        let (anchor, side) = match input.u8()? {
            0 => (None, Side::Before),
            1 => (None, Side::After),
            2 => (Some(input.dot()?), Side::Before),
            3 => (Some(input.dot()?), Side::After),
            _ => return Err(Error::Malformed),
        };
        if !input.is_empty() {
            return Err(Error::Malformed);
        }
        Ok(Self {
            container,
            anchor,
            side,
        })
    }
}

impl Document {
    /// A cursor at character `position` of a text: before the character there
    /// ([`Side::Before`]), or after the one before it ([`Side::After`]).
    pub fn cursor(&self, id: &ContainerId, position: u64, side: Side) -> Result<Cursor, Error> {
        let len = self.text(id).map_or(0, |text| text.len());
        if position > len {
            return Err(Error::PositionOutOfBounds { position, len });
        }
        let text = self.text(id);
        let anchor = match side {
            Side::Before if position < len => text.and_then(|text| text.dot_at(position)),
            Side::After if position > 0 => text.and_then(|text| text.dot_at(position - 1)),
            _ => None,
        };
        Ok(Cursor {
            container: id.clone(),
            anchor,
            side,
        })
    }

    /// Where a cursor is now, in characters; `None` if its character never reached
    /// this replica.
    pub fn cursor_position(&self, cursor: &Cursor) -> Option<u64> {
        let text = self.text(&cursor.container);
        let Some(anchor) = cursor.anchor else {
            return Some(match cursor.side {
                Side::Before => text.map_or(0, |text| text.len()),
                Side::After => 0,
            });
        };
        let character = text?.character(anchor)?;
        Some(match cursor.side {
            Side::After if !character.deleted => character.position + 1,
            _ => character.position,
        })
    }
}
