//! JavaScript counts string positions in UTF-16 code units; the core counts
//! characters. These convert between the two, refusing a position inside a
//! surrogate pair.

use weft_core::Error;

/// The character index of UTF-16 position `units` in `text`.
pub fn char_index(text: &str, units: u32) -> Result<u64, Error> {
    let mut seen = 0u32;
    for (index, c) in text.chars().enumerate() {
        if seen == units {
            return Ok(index as u64);
        }
        seen += c.len_utf16() as u32;
        if seen > units {
            return Err(Error::Invalid("a position inside a surrogate pair"));
        }
    }
    if seen == units {
        return Ok(text.chars().count() as u64);
    }
    Err(Error::PositionOutOfBounds {
        position: u64::from(units),
        len: u64::from(seen),
    })
}

/// The length of `text` in UTF-16 code units.
pub fn len(text: &str) -> u32 {
    text.chars().map(|c| c.len_utf16() as u32).sum()
}
