//! The state of each kind of container.

mod counter;
mod list;
mod map;
mod movable_list;
mod register;

pub(crate) use counter::CounterState;
pub(crate) use list::{ListState, placeholders};
pub(crate) use map::MapState;
pub(crate) use movable_list::{MovableEdit, MovableListState};
pub(crate) use register::RegisterState;

use super::container_id::Kind;
use super::wire::{Reader, Writer};
use crate::text::read_ops;
use crate::{Error, Text};

/// One container's state.
#[derive(Clone, Debug)]
pub(crate) enum Container {
    Text(Text),
    Map(MapState),
    List(ListState),
    MovableList(MovableListState),
    Counter(CounterState),
    Register(RegisterState),
}

impl Container {
    pub(crate) fn new(kind: Kind) -> Self {
        match kind {
            Kind::Text => Self::Text(Text::new()),
            Kind::Map => Self::Map(MapState::default()),
            Kind::List => Self::List(ListState::default()),
            Kind::MovableList => Self::MovableList(MovableListState::default()),
            Kind::Counter => Self::Counter(CounterState::default()),
            Kind::Register => Self::Register(RegisterState::default()),
        }
    }

    pub(crate) fn write(&self, with_deleted: bool, out: &mut Writer) {
        match self {
            Self::Text(text) => text.write_state(with_deleted, &mut out.out),
            Self::Map(map) => map.write(out),
            Self::List(list) => list.write(with_deleted, out),
            Self::MovableList(list) => list.write(with_deleted, out),
            Self::Counter(counter) => counter.write(out),
            Self::Register(register) => register.write(out),
        }
    }

    pub(crate) fn read(kind: Kind, input: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(match kind {
            Kind::Text => Self::Text(Text::from_snapshot(input.with_raw(read_ops)?)?),
            Kind::Map => Self::Map(MapState::read(input)?),
            Kind::List => Self::List(ListState::read(input)?),
            Kind::MovableList => Self::MovableList(MovableListState::read(input)?),
            Kind::Counter => Self::Counter(CounterState::read(input)?),
            Kind::Register => Self::Register(RegisterState::read(input)?),
        })
    }
}
