//! The operations of a text, as they travel between replicas.

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use super::encoding::{OpRef, PackedDelta};
use crate::{Dot, Error, codec};

/// One operation on a text. Each character inserted and each character deleted is an
/// event with its own dot, so a run of `len` of them takes the dots `id` to
/// `id + len - 1` of one replica.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TextOp {
    /// Characters typed one after the other.
    Insert {
        /// The dot of the first character.
        id: Dot,
        /// How many characters.
        len: u32,
        /// The character left of the first one when it was typed (`None`: the start).
        origin_left: Option<Dot>,
        /// The character right of the run when it was typed (`None`: the end).
        origin_right: Option<Dot>,
        /// The characters, or empty when a snapshot left out deleted content.
        text: String,
    },
    /// Deletes the characters named `target` to `target + len - 1`.
    Delete {
        /// The dot of the first deletion event.
        id: Dot,
        /// How many characters.
        len: u32,
        /// The first character deleted.
        target: Dot,
    },
}

impl TextOp {
    /// The dot of the op's first event.
    pub fn id(&self) -> Dot {
        match self {
            Self::Insert { id, .. } | Self::Delete { id, .. } => *id,
        }
    }

    /// How many events (characters) the op holds.
    pub fn len(&self) -> u32 {
        match self {
            Self::Insert { len, .. } | Self::Delete { len, .. } => *len,
        }
    }

    /// Whether the op holds no event; such ops are invalid.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A batch of text operations in causal order: what a mutation returns, what
/// [`Text::delta_since`](crate::Text::delta_since) produces, and what a snapshot holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextDelta {
    /// The operations; each comes after everything it builds on.
    pub ops: Vec<TextOp>,
}

impl TextDelta {
    /// The delta in weft's envelope, compactly (see the crate's wire format notes).
    pub fn encode(&self) -> Vec<u8> {
        codec::encode(&self.ops.iter().map(OpRef::from).collect::<PackedDelta>())
    }

    /// Decodes a delta written by [`encode`](Self::encode). Never panics: bytes that
    /// are not such a delta give an error.
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        codec::decode::<PackedDelta>(bytes)?.unpack()
    }
}
