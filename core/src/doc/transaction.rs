//! Local edits, grouped into one change.

use alloc::string::String;
use alloc::vec::Vec;

use super::Document;
use super::change::{Change, Op, Stamp};
use super::container_id::{ContainerId, Kind};
use super::encoding::MAX_PATH;
use super::event::{DiffBuilder, DocEvent};
use super::state::Container;
use super::undo::Inverse;
use super::value::Value;
use crate::{Dot, Error, VersionVector};

/// A change being built: the operations of a transaction so far, with what becomes
/// their change's header and event.
#[derive(Clone, Debug)]
pub(crate) struct OpenChange {
    origin: Option<String>,
    first: Dot,
    lamport: u64,
    deps: VersionVector,
    ops: Vec<Op>,
    diffs: DiffBuilder,
    inverse: Vec<Inverse>,
}

impl OpenChange {
    pub(crate) fn new(doc: &Document, origin: Option<String>) -> Result<Self, Error> {
        Ok(Self {
            origin,
            first: doc.version.next_dot(doc.replica)?,
            lamport: doc
                .lamport
                .checked_add(1)
                .ok_or(Error::Invalid("Lamport time exhausted"))?,
            deps: doc.frontier.dependencies(doc.replica, &doc.version),
            ops: Vec::new(),
            diffs: DiffBuilder::new(doc.events_enabled),
            inverse: Vec::new(),
        })
    }

    /// Makes the operations one change of `doc`, with its event.
    pub(crate) fn commit(self, doc: &mut Document) {
        if self.ops.is_empty() {
            return;
        }
        let mut change = Change {
            id: self.first,
            lamport: self.lamport,
            deps: self.deps,
            ops: self.ops,
        };
        doc.record(&mut change);
        if self.diffs.is_off() {
            return;
        }
        let diffs = self.diffs.finish();
        doc.events.push(DocEvent {
            local: true,
            origin: self.origin,
            diffs,
            inverse: self.inverse,
        });
    }
}

/// The edits of one transaction ([`Document::transact`], or [`Document::edit`] between
/// [`Document::begin`] and [`Document::commit`]). Each method edits the document at
/// once (reads inside the transaction see the edit) and records an operation; the
/// operations become one change when the transaction ends.
pub struct Transaction<'a> {
    doc: &'a mut Document,
    open: OpenChange,
}

impl<'a> Transaction<'a> {
    pub(crate) fn new(doc: &'a mut Document, open: OpenChange) -> Self {
        Self { doc, open }
    }

    /// The document and the change, once the edits are made.
    pub(crate) fn into_parts(self) -> (&'a mut Document, OpenChange) {
        (self.doc, self.open)
    }

    /// The document as the transaction has left it so far.
    pub fn doc(&self) -> &Document {
        self.doc
    }

    /// Inserts `text` at character `position` of a text.
    pub fn text_insert(
        &mut self,
        id: &ContainerId,
        position: u64,
        text: &str,
    ) -> Result<(), Error> {
        self.text_insert_at(id, position, text).map(|_| ())
    }

    /// [`text_insert`](Self::text_insert), returning the dot of the first character.
    pub(crate) fn text_insert_at(
        &mut self,
        id: &ContainerId,
        position: u64,
        text: &str,
    ) -> Result<Dot, Error> {
        let replica = self.doc.replica;
        let Container::Text(target) = self.container(id, Kind::Text)? else {
            unreachable!("container() checked the kind")
        };
        let delta = target.insert(replica, position, text)?;
        self.open.diffs.text(id).insert(position, text.into());
        let first = delta.ops[0].id();
        self.push_sequence(id, delta, Vec::new());
        Ok(first)
    }

    /// Deletes `len` characters from `position` on.
    pub fn text_delete(&mut self, id: &ContainerId, position: u64, len: u64) -> Result<(), Error> {
        let replica = self.doc.replica;
        let Container::Text(target) = self.container(id, Kind::Text)? else {
            unreachable!("container() checked the kind")
        };
        let delta = target.delete(replica, position, len)?;
        self.open.diffs.text(id).delete(position, len);
        self.note(|| Inverse::deleted(id, &delta));
        self.push_sequence(id, delta, Vec::new());
        Ok(())
    }

    /// Inserts `values` at `index` of a list.
    pub fn list_insert(
        &mut self,
        id: &ContainerId,
        index: u64,
        values: Vec<Value>,
    ) -> Result<(), Error> {
        self.list_insert_at(id, index, values).map(|_| ())
    }

    /// Appends `value` to a list.
    pub fn list_push(&mut self, id: &ContainerId, value: impl Into<Value>) -> Result<(), Error> {
        let len = self.doc.list_len(id);
        self.list_insert(id, len, alloc::vec![value.into()])
    }

    /// Inserts a new container of `kind` at `index` of a list; returns its name.
    pub fn list_insert_container(
        &mut self,
        id: &ContainerId,
        index: u64,
        kind: Kind,
    ) -> Result<ContainerId, Error> {
        let (op, first_index, _) =
            self.list_insert_at(id, index, alloc::vec![Value::Container(kind)])?;
        Ok(ContainerId::element(op, first_index, kind))
    }

    /// Deletes `len` elements of a list from `index` on.
    pub fn list_delete(&mut self, id: &ContainerId, index: u64, len: u64) -> Result<(), Error> {
        let replica = self.doc.replica;
        let Container::List(target) = self.container(id, Kind::List)? else {
            unreachable!("container() checked the kind")
        };
        let delta = target.delete(replica, index, len)?;
        self.open.diffs.list(id).delete(index, len);
        self.note(|| Inverse::deleted(id, &delta));
        self.push_sequence(id, delta, Vec::new());
        Ok(())
    }

    /// Inserts `values` at `index` of a movable list.
    pub fn movable_insert(
        &mut self,
        id: &ContainerId,
        index: u64,
        values: Vec<Value>,
    ) -> Result<(), Error> {
        self.movable_insert_at(id, index, values).map(|_| ())
    }

    /// Inserts a new container of `kind` at `index` of a movable list; returns its
    /// name.
    pub fn movable_insert_container(
        &mut self,
        id: &ContainerId,
        index: u64,
        kind: Kind,
    ) -> Result<ContainerId, Error> {
        let (op, _) = self.movable_insert_at(id, index, alloc::vec![Value::Container(kind)])?;
        Ok(ContainerId::element(op, 0, kind))
    }

    /// Inserts into a movable list; returns the operation that names the elements and
    /// the first element's id.
    pub(crate) fn movable_insert_at(
        &mut self,
        id: &ContainerId,
        index: u64,
        values: Vec<Value>,
    ) -> Result<(Dot, Dot), Error> {
        let (replica, op, stamp) = (
            self.doc.replica,
            self.op_dot(self.open.ops.len()),
            self.next_stamp(),
        );
        let Container::MovableList(target) = self.container(id, Kind::MovableList)? else {
            unreachable!("container() checked the kind")
        };
        let delta = target.insert(replica, index, &values, op, stamp)?;
        self.open.diffs.list(id).insert(index, values.clone());
        let first = delta.ops[0].id();
        self.note(|| {
            Some(Inverse::MovableInserted {
                target: id.clone(),
                elements: (0..values.len() as u64)
                    .map(|offset| Dot::new(first.replica(), first.counter() + offset))
                    .collect(),
            })
        });
        self.open.ops.push(Op::List {
            target: id.clone(),
            delta,
            values,
        });
        Ok((op, first))
    }

    /// Deletes `len` elements of a movable list from `index` on.
    pub fn movable_delete(&mut self, id: &ContainerId, index: u64, len: u64) -> Result<(), Error> {
        let replica = self.doc.replica;
        let Container::MovableList(target) = self.container(id, Kind::MovableList)? else {
            unreachable!("container() checked the kind")
        };
        let removed: Vec<(Dot, Value)> = target
            .visible()
            .iter()
            .skip(index as usize)
            .take(len as usize)
            .map(|(element, state)| (*element, state.value().clone()))
            .collect();
        let delta = target.delete(replica, index, len)?;
        self.open.diffs.list(id).delete(index, len);
        self.note(|| {
            Some(Inverse::MovableDeleted {
                target: id.clone(),
                index,
                removed,
            })
        });
        self.open.ops.push(Op::List {
            target: id.clone(),
            delta,
            values: Vec::new(),
        });
        Ok(())
    }

    /// Moves the element at `from` of a movable list so that it ends up at `to`.
    pub fn movable_move(&mut self, id: &ContainerId, from: u64, to: u64) -> Result<(), Error> {
        let (replica, stamp) = (self.doc.replica, self.next_stamp());
        let Container::MovableList(target) = self.container(id, Kind::MovableList)? else {
            unreachable!("container() checked the kind")
        };
        let value = target.values().get(from as usize).cloned();
        let (element, delta) = target.move_element(replica, from, to, stamp)?;
        let diff = self.open.diffs.list(id);
        diff.delete(from, 1);
        diff.insert(to, value.into_iter().collect());
        self.note(|| {
            Some(Inverse::MovableMoved {
                target: id.clone(),
                element,
                from,
            })
        });
        self.open.ops.push(Op::Move {
            target: id.clone(),
            element,
            delta,
        });
        Ok(())
    }

    /// Replaces the value at `index` of a movable list.
    pub fn movable_set(
        &mut self,
        id: &ContainerId,
        index: u64,
        value: impl Into<Value>,
    ) -> Result<(), Error> {
        let (value, stamp) = (value.into(), self.next_stamp());
        let Container::MovableList(target) = self.container(id, Kind::MovableList)? else {
            unreachable!("container() checked the kind")
        };
        let previous = target.values().get(index as usize).cloned();
        let element = target.set(index, value.clone(), stamp)?;
        let diff = self.open.diffs.list(id);
        diff.delete(index, 1);
        diff.insert(index, alloc::vec![value.clone()]);
        self.note(|| {
            Some(Inverse::MovableReplaced {
                target: id.clone(),
                element,
                set: value.clone(),
                previous: previous?,
            })
        });
        self.open.ops.push(Op::Replace {
            target: id.clone(),
            element,
            value,
        });
        Ok(())
    }

    /// Sets `key` of a map to a scalar value, or to a new container with
    /// [`Value::Container`] (see [`map_insert_container`](Self::map_insert_container)).
    pub fn map_set(
        &mut self,
        id: &ContainerId,
        key: &str,
        value: impl Into<Value>,
    ) -> Result<(), Error> {
        self.map_write(id, key, Some(value.into()))
    }

    /// Deletes `key` from a map.
    pub fn map_delete(&mut self, id: &ContainerId, key: &str) -> Result<(), Error> {
        self.map_write(id, key, None)
    }

    /// Puts a container of `kind` under `key` of a map and returns its name. Replicas
    /// that do this concurrently share one container (see the module docs).
    pub fn map_insert_container(
        &mut self,
        id: &ContainerId,
        key: &str,
        kind: Kind,
    ) -> Result<ContainerId, Error> {
        if id.path.len() >= MAX_PATH {
            return Err(Error::Invalid("containers nest at most 64 maps deep"));
        }
        self.map_write(id, key, Some(Value::Container(kind)))?;
        Ok(id.child(key, kind))
    }

    /// Adds `amount` to a counter.
    pub fn counter_add(&mut self, id: &ContainerId, amount: i64) -> Result<(), Error> {
        let replica = self.doc.replica;
        let Container::Counter(target) = self.container(id, Kind::Counter)? else {
            unreachable!("container() checked the kind")
        };
        target.add(replica, amount);
        self.open.diffs.counter(id, amount);
        self.note(|| {
            Some(Inverse::CounterAdd {
                target: id.clone(),
                amount,
            })
        });
        match self.open.ops.last_mut() {
            Some(Op::CounterAdd {
                target,
                amount: total,
            }) if target == id => *total = total.wrapping_add(amount),
            _ => self.open.ops.push(Op::CounterAdd {
                target: id.clone(),
                amount,
            }),
        }
        Ok(())
    }

    /// Sets a register.
    pub fn register_set(&mut self, id: &ContainerId, value: impl Into<Value>) -> Result<(), Error> {
        let value = value.into();
        let stamp = self.next_stamp();
        let Container::Register(target) = self.container(id, Kind::Register)? else {
            unreachable!("container() checked the kind")
        };
        let previous = target.get().cloned();
        target.set(value.clone(), stamp);
        self.open.diffs.register(id, value.clone());
        self.note(|| {
            Some(Inverse::RegisterSet {
                target: id.clone(),
                set: value.clone(),
                previous,
            })
        });
        self.open.ops.push(Op::RegisterSet {
            target: id.clone(),
            value,
        });
        Ok(())
    }

    /// Inserts list values; returns the operation and index that name them, and the
    /// dot of the first one's element.
    pub(crate) fn list_insert_at(
        &mut self,
        id: &ContainerId,
        index: u64,
        values: Vec<Value>,
    ) -> Result<(Dot, u32, Dot), Error> {
        let replica = self.doc.replica;
        // Consecutive inserts into one list join the previous operation, so their
        // elements are numbered after its values.
        let (op, first_index) = match self.open.ops.last() {
            Some(Op::List { target, values, .. }) if target == id => (
                self.op_dot(self.open.ops.len() - 1),
                u32::try_from(values.len()).map_err(|_| Error::Invalid("too many values"))?,
            ),
            _ => (self.op_dot(self.open.ops.len()), 0),
        };
        let Container::List(target) = self.container(id, Kind::List)? else {
            unreachable!("container() checked the kind")
        };
        let delta = target.insert(replica, index, &values, op, first_index)?;
        self.open.diffs.list(id).insert(index, values.clone());
        let element = delta.ops[0].id();
        self.push_sequence(id, delta, values);
        Ok((op, first_index, element))
    }

    fn map_write(
        &mut self,
        id: &ContainerId,
        key: &str,
        value: Option<Value>,
    ) -> Result<(), Error> {
        let stamp = self.next_stamp();
        let Container::Map(target) = self.container(id, Kind::Map)? else {
            unreachable!("container() checked the kind")
        };
        let previous = target.get(key).cloned();
        target.set(key, value.clone(), stamp);
        self.open.diffs.map_key(id, key, value.clone());
        self.note(|| {
            Some(Inverse::MapSet {
                target: id.clone(),
                key: key.into(),
                set: value.clone(),
                previous,
            })
        });
        self.open.ops.push(Op::MapSet {
            target: id.clone(),
            key: key.into(),
            value,
        });
        Ok(())
    }

    /// Records a text or list edit, joining the previous operation when it edits the
    /// same container: typing makes one operation per transaction, not per key.
    fn push_sequence(&mut self, id: &ContainerId, delta: crate::TextDelta, values: Vec<Value>) {
        self.note(|| Inverse::inserted(id, &delta));
        match self.open.ops.last_mut() {
            Some(Op::Text {
                target,
                delta: last,
            }) if target == id => last.ops.extend(delta.ops),
            Some(Op::List {
                target,
                delta: last,
                values: last_values,
            }) if target == id => {
                last.ops.extend(delta.ops);
                last_values.extend(values);
            }
            _ if id.kind == Kind::Text => self.open.ops.push(Op::Text {
                target: id.clone(),
                delta,
            }),
            _ => self.open.ops.push(Op::List {
                target: id.clone(),
                delta,
                values,
            }),
        }
    }

    fn container(&mut self, id: &ContainerId, kind: Kind) -> Result<&mut Container, Error> {
        if id.kind != kind {
            return Err(Error::KindMismatch);
        }
        Ok(self
            .doc
            .containers
            .entry(id.clone())
            .or_insert_with(|| Container::new(kind)))
    }

    /// Records how to take an operation back, when the document records events (an
    /// [`UndoManager`](super::UndoManager) reads it from them).
    fn note(&mut self, inverse: impl FnOnce() -> Option<Inverse>) {
        if !self.open.diffs.is_off() {
            self.open.inverse.extend(inverse());
        }
    }

    fn op_dot(&self, index: usize) -> Dot {
        Dot::new(
            self.open.first.replica(),
            self.open.first.counter() + index as u64,
        )
    }

    fn next_stamp(&self) -> Stamp {
        Stamp {
            lamport: self.open.lamport + self.open.ops.len() as u64,
            replica: self.doc.replica,
        }
    }
}
