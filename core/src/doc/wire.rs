//! The building blocks of the document's binary format: LEB128 numbers, length-checked
//! strings and byte strings, and run-length columns.
//!
//! Reading is total: every length is checked against the bytes that remain before
//! anything is allocated, so no input makes the decoder allocate more than a small
//! multiple of its size.

use alloc::string::String;
use alloc::vec::Vec;

use crate::leb128::{read_i64, read_u64, write_i64, write_u64};
use crate::{Dot, Error, ReplicaId, VersionVector};

/// Appends to an encoding.
#[derive(Default)]
pub(crate) struct Writer {
    pub(crate) out: Vec<u8>,
}

impl Writer {
    pub(crate) fn u64(&mut self, value: u64) {
        write_u64(&mut self.out, value);
    }

    pub(crate) fn i64(&mut self, value: i64) {
        write_i64(&mut self.out, value);
    }

    pub(crate) fn u8(&mut self, value: u8) {
        self.out.push(value);
    }

    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        self.u64(bytes.len() as u64);
        self.out.extend_from_slice(bytes);
    }

    pub(crate) fn str(&mut self, value: &str) {
        self.bytes(value.as_bytes());
    }

    pub(crate) fn dot(&mut self, dot: Dot) {
        self.u64(dot.replica().get());
        self.u64(dot.counter());
    }

    pub(crate) fn version(&mut self, version: &VersionVector) {
        self.u64(version.len() as u64);
        for (replica, counter) in version.iter() {
            self.u64(replica.get());
            self.u64(counter);
        }
    }

    /// A column of numbers as runs: (value, how many times) pairs, neighbouring runs
    /// of the same value joined.
    pub(crate) fn rle_runs(&mut self, runs: impl IntoIterator<Item = (u64, u64)>) {
        let mut joined: Vec<(u64, u64)> = Vec::new();
        for (value, count) in runs {
            match joined.last_mut() {
                Some((last, total)) if *last == value => *total += count,
                _ => joined.push((value, count)),
            }
        }
        self.u64(joined.len() as u64);
        for (value, count) in joined {
            self.u64(value);
            self.u64(count);
        }
    }
}

/// Reads an encoding, refusing anything that does not add up.
pub(crate) struct Reader<'a> {
    input: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(input: &'a [u8]) -> Self {
        Self { input }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.input.is_empty()
    }

    pub(crate) fn remaining(&self) -> usize {
        self.input.len()
    }

    pub(crate) fn u64(&mut self) -> Result<u64, Error> {
        read_u64(&mut self.input)
    }

    pub(crate) fn u32(&mut self) -> Result<u32, Error> {
        u32::try_from(self.u64()?).map_err(|_| Error::Malformed)
    }

    pub(crate) fn i64(&mut self) -> Result<i64, Error> {
        read_i64(&mut self.input)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, Error> {
        let (&byte, rest) = self.input.split_first().ok_or(Error::Malformed)?;
        self.input = rest;
        Ok(byte)
    }

    /// Hands the input to a reader of raw slices (the text's compact form).
    pub(crate) fn with_raw<T>(
        &mut self,
        read: impl FnOnce(&mut &'a [u8]) -> Result<T, Error>,
    ) -> Result<T, Error> {
        read(&mut self.input)
    }

    pub(crate) fn bool(&mut self) -> Result<bool, Error> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(Error::Malformed),
        }
    }

    /// A count of items that take at least `min_bytes` each: refused if the rest of
    /// the input could not hold them.
    pub(crate) fn count(&mut self, min_bytes: usize) -> Result<usize, Error> {
        let count = usize::try_from(self.u64()?).map_err(|_| Error::Malformed)?;
        if count.saturating_mul(min_bytes.max(1)) > self.input.len() {
            return Err(Error::Malformed);
        }
        Ok(count)
    }

    pub(crate) fn take(&mut self, len: usize) -> Result<&'a [u8], Error> {
        if len > self.input.len() {
            return Err(Error::Malformed);
        }
        let (taken, rest) = self.input.split_at(len);
        self.input = rest;
        Ok(taken)
    }

    pub(crate) fn bytes(&mut self) -> Result<&'a [u8], Error> {
        let len = self.count(1)?;
        self.take(len)
    }

    pub(crate) fn str(&mut self) -> Result<&'a str, Error> {
        core::str::from_utf8(self.bytes()?).map_err(|_| Error::Malformed)
    }

    pub(crate) fn string(&mut self) -> Result<String, Error> {
        self.str().map(String::from)
    }

    pub(crate) fn dot(&mut self) -> Result<Dot, Error> {
        let replica = ReplicaId::new(self.u64()?);
        Ok(Dot::new(replica, self.u64()?))
    }

    /// A version vector, with replicas in increasing order and no zero entries, as
    /// the writer produces it.
    pub(crate) fn version(&mut self) -> Result<VersionVector, Error> {
        // At least two bytes an entry: the input bounds the allocation.
        let len = self.count(2)?;
        let mut counters: Vec<(ReplicaId, u64)> = Vec::with_capacity(len);
        for _ in 0..len {
            let replica = ReplicaId::new(self.u64()?);
            let counter = self.u64()?;
            if counter == 0 || counters.last().is_some_and(|&(last, _)| last >= replica) {
                return Err(Error::Malformed);
            }
            counters.push((replica, counter));
        }
        Ok(VersionVector::from_sorted(counters))
    }

    /// A run-length column that must expand to exactly `len` numbers.
    pub(crate) fn rle_column(&mut self, len: usize) -> Result<Vec<u64>, Error> {
        let runs = self.count(2)?;
        let mut values = Vec::with_capacity(len.min(self.input.len() * 8));
        for _ in 0..runs {
            let value = self.u64()?;
            let count = usize::try_from(self.u64()?).map_err(|_| Error::Malformed)?;
            if count == 0 || count > len - values.len() {
                return Err(Error::Malformed);
            }
            values.extend(core::iter::repeat_n(value, count));
        }
        if values.len() != len {
            return Err(Error::Malformed);
        }
        Ok(values)
    }
}
