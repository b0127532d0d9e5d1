//! JavaScript counts string positions in UTF-16 code units; the core counts
//! characters. The two agree until a character past U+FFFF (an emoji) enters a text,
//! which the core tracks; only then do positions need converting, by a walk over the
//! text.

use weft_core::{Error, Text};

/// The character position of UTF-16 position `units` in `text`. Refuses a position
/// inside a surrogate pair or past the end.
pub fn to_chars(text: Option<&Text>, units: u32) -> Result<u64, Error> {
    let Some(text) = text else {
        return match units {
            0 => Ok(0),
            _ => Err(Error::PositionOutOfBounds {
                position: u64::from(units),
                len: 0,
            }),
        };
    };
    if text.positions_match_utf16() {
        return if u64::from(units) <= text.len() {
            Ok(u64::from(units))
        } else {
            Err(Error::PositionOutOfBounds {
                position: u64::from(units),
                len: text.len(),
            })
        };
    }
    let content = text.to_string();
    let mut seen = 0u32;
    for (index, c) in content.chars().enumerate() {
        if seen == units {
            return Ok(index as u64);
        }
        seen += c.len_utf16() as u32;
        if seen > units {
            return Err(Error::Invalid("a position inside a surrogate pair"));
        }
    }
    if seen == units {
        return Ok(text.len());
    }
    Err(Error::PositionOutOfBounds {
        position: u64::from(units),
        len: u64::from(seen),
    })
}

/// The UTF-16 position of character position `chars` in `text`.
pub fn to_units(text: Option<&Text>, chars: u64) -> u32 {
    match text {
        None => 0,
        Some(text) if text.positions_match_utf16() => chars as u32,
        Some(text) => text
            .to_string()
            .chars()
            .take(usize::try_from(chars).unwrap_or(usize::MAX))
            .map(|c| c.len_utf16() as u32)
            .sum(),
    }
}

/// The length of `text` in UTF-16 code units.
pub fn len(text: Option<&Text>) -> u32 {
    to_units(text, text.map_or(0, Text::len))
}
