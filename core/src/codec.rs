//! The versioned envelope that states and deltas travel in.
//!
//! ```text
//! +------+------+---------+------+-----------------------------+
//! | 0x77 | 0x66 | version | kind | body (postcard, LEB128 ints) |
//! +------+------+---------+------+-----------------------------+
//! ```
//!
//! The two magic bytes (`"wf"`) tell weft data from anything else; `version` is the
//! format version (a reader refuses newer ones with [`Error::NewerFormat`]); `kind`
//! says which type the body holds, so a set's bytes never decode as a register. Kind
//! numbers are never reused once retired. Decoding is total: any byte string gives a
//! value or an [`Error`], after checking that the value is one a replica could reach.

use alloc::vec::Vec;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{
    AWSet, Causal, DWFlag, DotStore, EWFlag, Error, GCounter, LWWRegister, MVRegister, ORMap,
    PNCounter, RWSet, VersionVector,
};

/// The first two bytes of every encoding.
pub const MAGIC: [u8; 2] = *b"wf";

/// The format version this build writes, and the newest it reads.
pub const FORMAT_VERSION: u8 = 1;

/// A type that can be encoded in the envelope.
pub trait Encode: Serialize + DeserializeOwned {
    /// The kind number written after the version.
    const KIND: u8;

    /// Rejects decoded values that no replica could have produced.
    fn check(&mut self) -> Result<(), Error> {
        Ok(())
    }
}

/// A causal type's kind number, for the envelope of `Causal<Self>`.
pub trait CausalKind {
    /// The kind number written after the version.
    const KIND: u8;
}

/// Encodes `value` with the envelope.
///
/// ```
/// use weft_core::codec::{decode, encode};
/// use weft_core::{GCounter, ReplicaId};
///
/// let mut counter = GCounter::new();
/// counter.increment(ReplicaId::new(1), 5)?;
/// let bytes = encode(&counter);
/// assert_eq!(decode::<GCounter>(&bytes)?, counter);
/// # Ok::<(), weft_core::Error>(())
/// ```
pub fn encode<T: Encode>(value: &T) -> Vec<u8> {
    let header = [MAGIC[0], MAGIC[1], FORMAT_VERSION, T::KIND];
    postcard::to_extend(value, Vec::from(header))
        .expect("serializing into a Vec fails only when out of memory")
}

/// Decodes a value written by [`encode`]. Never panics: bytes that are not weft data,
/// from a newer version, of another kind, truncated, or describing an impossible state
/// give an error.
pub fn decode<T: Encode>(bytes: &[u8]) -> Result<T, Error> {
    let body = open(bytes, T::KIND)?;
    let (mut value, rest) = postcard::take_from_bytes::<T>(body).map_err(|_| Error::Malformed)?;
    if !rest.is_empty() {
        return Err(Error::Malformed);
    }
    value.check()?;
    Ok(value)
}

/// Checks the envelope (magic, format version, kind) and returns the body.
pub(crate) fn open(bytes: &[u8], kind: u8) -> Result<&[u8], Error> {
    let [m0, m1, version, found, body @ ..] = bytes else {
        return Err(if bytes.starts_with(&MAGIC[..bytes.len().min(2)]) {
            Error::Malformed
        } else {
            Error::NotWeft
        });
    };
    if [*m0, *m1] != MAGIC {
        return Err(Error::NotWeft);
    }
    if *version > FORMAT_VERSION {
        return Err(Error::NewerFormat {
            found: *version,
            supported: FORMAT_VERSION,
        });
    }
    if *found != kind {
        return Err(Error::WrongKind {
            expected: kind,
            found: *found,
        });
    }
    Ok(body)
}

impl Encode for GCounter {
    const KIND: u8 = 1;
}

/// A version vector travels on its own when a peer asks for what it lacks.
impl Encode for VersionVector {
    const KIND: u8 = 14;

    fn check(&mut self) -> Result<(), Error> {
        if self.iter().any(|(_, counter)| counter == 0) {
            return Err(Error::Invalid("a version vector with a zero entry"));
        }
        Ok(())
    }
}

impl Encode for PNCounter {
    const KIND: u8 = 2;
}

impl<S: DotStore + CausalKind + Serialize + DeserializeOwned> Encode for Causal<S> {
    const KIND: u8 = S::KIND;

    fn check(&mut self) -> Result<(), Error> {
        Causal::check(self)
    }
}

impl CausalKind for EWFlag {
    const KIND: u8 = 3;
}

impl CausalKind for DWFlag {
    const KIND: u8 = 4;
}

impl<E: Ord> CausalKind for AWSet<E> {
    const KIND: u8 = 5;
}

impl<E: Ord> CausalKind for RWSet<E> {
    const KIND: u8 = 6;
}

impl<T> CausalKind for MVRegister<T> {
    const KIND: u8 = 7;
}

impl<T> CausalKind for LWWRegister<T> {
    const KIND: u8 = 8;
}

impl<K: Ord, V> CausalKind for ORMap<K, V> {
    const KIND: u8 = 9;
}
