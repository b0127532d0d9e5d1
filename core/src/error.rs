//! The errors of the core.

use core::fmt;

use crate::ReplicaId;

/// Everything that can go wrong in the core. No operation panics on bad input: it
/// returns one of these and leaves the state it was called on unchanged.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A counter's value would pass `u64::MAX`.
    CounterOverflow,
    /// A replica has used every one of its 2^64 event numbers.
    DotsExhausted {
        /// The replica whose counter ran out.
        replica: ReplicaId,
    },
    /// A text position past the end of the text.
    PositionOutOfBounds {
        /// The position asked for, in characters.
        position: u64,
        /// The text's length, in characters.
        len: u64,
    },
    /// An insert of no characters or a delete of none: an edit that would name no event.
    EmptyEdit,
    /// The bytes do not start with weft's magic number.
    NotWeft,
    /// The bytes were written by a newer weft, in a format version this one cannot read.
    NewerFormat {
        /// The format version found in the bytes.
        found: u8,
        /// The newest format version this build reads.
        supported: u8,
    },
    /// The bytes hold a different kind of value than the one asked for.
    WrongKind {
        /// The kind tag that was asked for.
        expected: u8,
        /// The kind tag found in the bytes.
        found: u8,
    },
    /// The bytes end early or do not follow the format.
    Malformed,
    /// The bytes decode but describe a state no replica can reach.
    Invalid(&'static str),
    /// The history asked for was compacted away; a snapshot carries the state instead.
    Compacted,
    /// A container of another kind than the operation needs.
    KindMismatch,
    /// A sync peer speaks a protocol version this build does not.
    ProtocolVersion {
        /// The peer's version.
        found: u32,
        /// The version this build speaks.
        supported: u32,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CounterOverflow => f.write_str("counter overflow: the value would pass u64::MAX"),
            Self::DotsExhausted { replica } => write!(
                f,
                "replica {replica} has no event numbers left; continue under a new replica id"
            ),
            Self::PositionOutOfBounds { position, len } => write!(
                f,
                "position {position} is past the end of the text ({len} characters)"
            ),
            Self::EmptyEdit => f.write_str("an edit must insert or delete at least one character"),
            Self::NotWeft => f.write_str("these bytes are not weft data (bad magic number)"),
            Self::NewerFormat { found, supported } => write!(
                f,
                "encoded by a newer weft (format {found}, this build reads up to {supported}); upgrade"
            ),
            Self::WrongKind { expected, found } => write!(
                f,
                "these bytes hold a value of kind {found}, not the kind {expected} asked for"
            ),
            Self::Malformed => f.write_str("malformed weft data: truncated or corrupted bytes"),
            Self::Invalid(why) => write!(f, "invalid weft data: {why}"),
            Self::Compacted => f.write_str(
                "the history asked for was compacted at causal stability; send a snapshot",
            ),
            Self::KindMismatch => {
                f.write_str("the container is of another kind than the operation needs")
            }
            Self::ProtocolVersion { found, supported } => write!(
                f,
                "the peer speaks sync protocol {found}, this build speaks {supported}"
            ),
        }
    }
}

impl core::error::Error for Error {}
