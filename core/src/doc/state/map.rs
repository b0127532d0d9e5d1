//! A map: string keys to values, the last writer winning per key.

use alloc::collections::BTreeMap;
use alloc::string::String;

use crate::Error;
use crate::doc::change::Stamp;
use crate::doc::encoding::{read_stamp, read_value, write_stamp, write_value};
use crate::doc::value::Value;
use crate::doc::wire::{Reader, Writer};

/// A key's latest write; a deletion stays as a tombstone so that an older concurrent
/// write cannot bring the key back.
#[derive(Clone, Debug, PartialEq)]
struct Entry {
    stamp: Stamp,
    value: Option<Value>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct MapState {
    entries: BTreeMap<String, Entry>,
}

impl MapState {
    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        self.entries.get(key)?.value.as_ref()
    }

    /// The keys that have a value, with it.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries
            .iter()
            .filter_map(|(key, entry)| Some((key.as_str(), entry.value.as_ref()?)))
    }

    /// Applies a write; returns whether it won, and so changed what readers see.
    pub(crate) fn set(&mut self, key: &str, value: Option<Value>, stamp: Stamp) -> bool {
        match self.entries.get_mut(key) {
            Some(entry) if entry.stamp >= stamp => false,
            Some(entry) => {
                *entry = Entry { stamp, value };
                true
            }
            None => {
                self.entries.insert(key.into(), Entry { stamp, value });
                true
            }
        }
    }

    /// Joins another state in; calls `changed` for every key whose value changed.
    pub(crate) fn merge(&mut self, other: MapState, mut changed: impl FnMut(&str, Option<&Value>)) {
        for (key, entry) in other.entries {
            if self.set(&key, entry.value, entry.stamp) {
                changed(&key, self.get(&key));
            }
        }
    }

    pub(crate) fn write(&self, out: &mut Writer) {
        out.u64(self.entries.len() as u64);
        for (key, entry) in &self.entries {
            out.str(key);
            write_stamp(out, entry.stamp);
            match &entry.value {
                None => out.u8(0),
                Some(value) => {
                    out.u8(1);
                    write_value(out, value);
                }
            }
        }
    }

    pub(crate) fn read(input: &mut Reader<'_>) -> Result<Self, Error> {
        let count = input.count(4)?;
        let mut entries = BTreeMap::new();
        let mut previous: Option<String> = None;
        for _ in 0..count {
            let key = input.string()?;
            if previous.as_ref().is_some_and(|previous| *previous >= key) {
                return Err(Error::Malformed);
            }
            let stamp = read_stamp(input)?;
            let value = if input.bool()? {
                Some(read_value(input)?)
            } else {
                None
            };
            previous = Some(key.clone());
            entries.insert(key, Entry { stamp, value });
        }
        Ok(Self { entries })
    }
}
