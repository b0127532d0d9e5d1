//! A register: one value, the last writer winning.

use crate::Error;
use crate::doc::change::Stamp;
use crate::doc::encoding::{read_stamp, read_value, write_stamp, write_value};
use crate::doc::value::Value;
use crate::doc::wire::{Reader, Writer};

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct RegisterState {
    current: Option<(Stamp, Value)>,
}

impl RegisterState {
    pub(crate) fn get(&self) -> Option<&Value> {
        self.current.as_ref().map(|(_, value)| value)
    }

    /// Applies a write; returns whether it won.
    pub(crate) fn set(&mut self, value: Value, stamp: Stamp) -> bool {
        if self.current.as_ref().is_some_and(|(now, _)| *now >= stamp) {
            return false;
        }
        self.current = Some((stamp, value));
        true
    }

    /// Joins another state in; returns the new value if it changed.
    pub(crate) fn merge(&mut self, other: RegisterState) -> Option<&Value> {
        let (stamp, value) = other.current?;
        self.set(value, stamp).then(|| self.get()).flatten()
    }

    pub(crate) fn write(&self, out: &mut Writer) {
        match &self.current {
            None => out.u8(0),
            Some((stamp, value)) => {
                out.u8(1);
                write_stamp(out, *stamp);
                write_value(out, value);
            }
        }
    }

    pub(crate) fn read(input: &mut Reader<'_>) -> Result<Self, Error> {
        let current = if input.bool()? {
            Some((read_stamp(input)?, read_value(input)?))
        } else {
            None
        };
        Ok(Self { current })
    }
}
