//! LEB128 variable-length integers, the building block of weft's compact encodings.

use alloc::vec::Vec;

use crate::Error;

/// Appends `value` in unsigned LEB128: seven bits a byte, low bits first.
pub(crate) fn write_u64(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Appends `value` zigzag-encoded, so that small negative numbers stay short.
pub(crate) fn write_i64(out: &mut Vec<u8>, value: i64) {
    write_u64(out, ((value << 1) ^ (value >> 63)) as u64);
}

/// Reads an unsigned LEB128 integer from the front of `input`, refusing encodings
/// that run out of bytes or do not fit in 64 bits.
pub(crate) fn read_u64(input: &mut &[u8]) -> Result<u64, Error> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = input.split_first().ok_or(Error::Malformed)?;
        *input = rest;
        let bits = u64::from(byte & 0x7f);
        if shift == 63 && bits > 1 {
            return Err(Error::Malformed);
        }
        value |= bits << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(Error::Malformed)
}

/// Reads a zigzag-encoded signed integer.
pub(crate) fn read_i64(input: &mut &[u8]) -> Result<i64, Error> {
    let raw = read_u64(input)?;
    Ok(((raw >> 1) as i64) ^ -((raw & 1) as i64))
}

/// Reads an unsigned integer that must fit in 32 bits.
pub(crate) fn read_u32(input: &mut &[u8]) -> Result<u32, Error> {
    u32::try_from(read_u64(input)?).map_err(|_| Error::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_extremes_and_refuses_overlong_input() {
        for value in [0, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            let mut out = Vec::new();
            write_u64(&mut out, value);
            assert_eq!(read_u64(&mut out.as_slice()), Ok(value));
        }
        for value in [0, -1, 1, -64, 64, i64::MIN, i64::MAX] {
            let mut out = Vec::new();
            write_i64(&mut out, value);
            assert!(out.len() <= 10);
            assert_eq!(read_i64(&mut out.as_slice()), Ok(value));
        }
        assert_eq!(
            read_u64(&mut [0x80u8; 11].as_slice()),
            Err(Error::Malformed)
        );
        assert_eq!(
            read_u64(&mut [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02].as_slice()),
            Err(Error::Malformed)
        );
        assert_eq!(read_u64(&mut [0x80u8].as_slice()), Err(Error::Malformed));
        let mut two = [0x05u8, 0x06].as_slice();
        assert_eq!(read_u64(&mut two), Ok(5));
        assert_eq!(two, [0x06]);
    }
}
