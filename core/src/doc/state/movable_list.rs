//! A movable list: a list whose elements can also move and be replaced in place.
//!
//! The design of Loro's movable list (Gentle & Kleppmann's "moving elements in list
//! CRDTs"): elements sit in slots, the characters of an internal sequence; an
//! element's current slot and its value are last-writer-wins registers. A move
//! inserts a new slot and points the element at it, deleting the old slot; when two
//! replicas move one element concurrently, both new slots exist but only the winner
//! counts, so the element appears once. A delete marks the element deleted and wins
//! over concurrent moves.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use super::list::{check_values, placeholders};
use crate::doc::change::Stamp;
use crate::doc::encoding::{read_stamp, read_value, write_stamp, write_value};
use crate::doc::event::SeqDelta;
use crate::doc::value::Value;
use crate::doc::wire::{Reader, Writer};
use crate::text::read_ops;
use crate::{Dot, Error, ReplicaId, Text, TextDelta, TextOp};

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct MovableElement {
    /// The slot the element is in, and the stamp of the move that put it there.
    slot: (Stamp, Dot),
    value: (Stamp, Value),
    /// The list operation that inserted it, and its index there: they name a
    /// container the element holds.
    pub(crate) op: Dot,
    pub(crate) index: u32,
    deleted: bool,
}

impl MovableElement {
    pub(crate) fn value(&self) -> &Value {
        &self.value.1
    }
}

#[derive(Clone, Debug, Default)]
pub(crate) struct MovableListState {
    seq: Text,
    /// The element each slot was made for.
    slots: BTreeMap<Dot, Dot>,
    /// Elements by the slot they were first inserted into.
    elements: BTreeMap<Dot, MovableElement>,
}

impl MovableListState {
    /// The visible elements in order, with their ids.
    pub(crate) fn visible(&self) -> Vec<(Dot, &MovableElement)> {
        let mut out = Vec::new();
        self.seq.for_each_visible_dot(|slot| {
            if let Some(&id) = self.slots.get(&slot)
                && let Some(element) = self.elements.get(&id)
                && element.slot.1 == slot
                && !element.deleted
            {
                out.push((id, element));
            }
        });
        out
    }

    /// Where the element `id` is now, if it is visible.
    pub(crate) fn index_of(&self, id: Dot) -> Option<u64> {
        self.visible()
            .iter()
            .position(|(visible, _)| *visible == id)
            .map(|at| at as u64)
    }

    pub(crate) fn values(&self) -> Vec<Value> {
        self.visible()
            .into_iter()
            .map(|(_, element)| element.value.1.clone())
            .collect()
    }

    pub(crate) fn len(&self) -> u64 {
        self.visible().len() as u64
    }

    /// Where in the sequence a slot for visible index `index` goes, among `order`.
    fn seq_position(&self, order: &[(Dot, &MovableElement)], index: u64) -> Result<u64, Error> {
        match order.get(index as usize) {
            Some((_, element)) => Ok(self
                .seq
                .visible_position_of(element.slot.1)
                .expect("a visible element's slot is visible")),
            None if index as usize == order.len() => Ok(self.seq.len()),
            None => Err(Error::PositionOutOfBounds {
                position: index,
                len: order.len() as u64,
            }),
        }
    }

    /// Inserts `values` at `index`, as the list operation `op` with `stamp`.
    pub(crate) fn insert(
        &mut self,
        replica: ReplicaId,
        index: u64,
        values: &[Value],
        op: Dot,
        stamp: Stamp,
    ) -> Result<TextDelta, Error> {
        let position = self.seq_position(&self.visible(), index)?;
        let delta = self
            .seq
            .insert(replica, position, &placeholders(values.len()))?;
        self.record_inserts(&delta, values, op, stamp);
        Ok(delta)
    }

    /// Deletes `len` elements from `index` on.
    pub(crate) fn delete(
        &mut self,
        replica: ReplicaId,
        index: u64,
        len: u64,
    ) -> Result<TextDelta, Error> {
        let order = self.visible();
        let end = index
            .checked_add(len)
            .filter(|&end| end <= order.len() as u64);
        let Some(end) = end else {
            return Err(Error::PositionOutOfBounds {
                position: index.saturating_add(len),
                len: order.len() as u64,
            });
        };
        let doomed: Vec<(Dot, Dot)> = order[index as usize..end as usize]
            .iter()
            .map(|(id, element)| (*id, element.slot.1))
            .collect();
        let mut ops = Vec::new();
        for (id, slot) in doomed {
            let position = self.seq.visible_position_of(slot).expect("visible slot");
            ops.extend(self.seq.delete(replica, position, 1)?.ops);
            if let Some(element) = self.elements.get_mut(&id) {
                element.deleted = true;
            }
        }
        Ok(TextDelta { ops })
    }

    /// Moves the element at `from` so that it ends up at `to`; returns it and the
    /// sequence edits.
    pub(crate) fn move_element(
        &mut self,
        replica: ReplicaId,
        from: u64,
        to: u64,
        stamp: Stamp,
    ) -> Result<(Dot, TextDelta), Error> {
        let mut order = self.visible();
        let len = order.len() as u64;
        if from >= len || to >= len {
            return Err(Error::PositionOutOfBounds {
                position: from.max(to),
                len,
            });
        }
        let (id, element) = order.remove(from as usize);
        let old = element.slot.1;
        let position = self.seq_position(&order, to)?;
        let mut delta = self.seq.insert(replica, position, &placeholders(1))?;
        let new = delta.ops[0].id();
        let old_position = self.seq.visible_position_of(old).expect("visible slot");
        delta
            .ops
            .extend(self.seq.delete(replica, old_position, 1)?.ops);
        self.slots.insert(new, id);
        if let Some(element) = self.elements.get_mut(&id) {
            element.slot = element.slot.max((stamp, new));
        }
        Ok((id, delta))
    }

    /// Replaces the value of the element at `index`; returns the element.
    pub(crate) fn set(&mut self, index: u64, value: Value, stamp: Stamp) -> Result<Dot, Error> {
        let order = self.visible();
        let len = order.len() as u64;
        let (id, _) = *order
            .get(index as usize)
            .ok_or(Error::PositionOutOfBounds {
                position: index,
                len,
            })?;
        self.replace(id, value, stamp);
        Ok(id)
    }

    fn replace(&mut self, id: Dot, value: Value, stamp: Stamp) {
        if let Some(element) = self.elements.get_mut(&id)
            && element.value.0 < stamp
        {
            element.value = (stamp, value);
        }
    }

    fn record_inserts(&mut self, delta: &TextDelta, values: &[Value], op: Dot, stamp: Stamp) {
        let mut next = values.iter().cloned().zip(0u32..);
        for text_op in &delta.ops {
            if let TextOp::Insert { id, len, .. } = text_op {
                for offset in 0..u64::from(*len) {
                    let Some((value, index)) = next.next() else {
                        return;
                    };
                    let slot = Dot::new(id.replica(), id.counter() + offset);
                    self.slots.insert(slot, slot);
                    self.elements.entry(slot).or_insert(MovableElement {
                        slot: (stamp, slot),
                        value: (stamp, value.clone()),
                        op,
                        index,
                        deleted: false,
                    });
                }
            }
        }
    }

    /// Applies a remote change to the list, recording what readers see in `diff`
    /// (by comparing the elements before and after: O(n) per operation).
    pub(crate) fn apply(
        &mut self,
        edit: MovableEdit<'_>,
        stamp: Stamp,
        op: Dot,
        diff: &mut SeqDelta<Vec<Value>>,
    ) -> Result<(), Error> {
        let before = self.values();
        let result = match edit {
            MovableEdit::Insert { delta, values } => {
                check_values(delta, values)?;
                self.record_inserts(delta, values, op, stamp);
                for text_op in &delta.ops {
                    if let TextOp::Delete { target, len, .. } = text_op {
                        for offset in 0..u64::from(*len) {
                            let slot = Dot::new(target.replica(), target.counter() + offset);
                            if let Some(id) = self.slots.get(&slot)
                                && let Some(element) = self.elements.get_mut(id)
                            {
                                element.deleted = true;
                            }
                        }
                    }
                }
                self.seq.integrate(delta.clone())
            }
            MovableEdit::Move { element, delta } => {
                let new = delta.ops.iter().find_map(|op| match op {
                    TextOp::Insert { id, len: 1, .. } => Some(*id),
                    _ => None,
                });
                let Some(new) = new else {
                    return Err(Error::Invalid("a move that inserts no slot"));
                };
                let result = self.seq.integrate(delta.clone());
                self.slots.insert(new, element);
                if let Some(moved) = self.elements.get_mut(&element) {
                    moved.slot = moved.slot.max((stamp, new));
                }
                result
            }
            MovableEdit::Replace { element, value } => {
                self.replace(element, value.clone(), stamp);
                Ok(())
            }
        };
        record_change(&before, &self.values(), diff);
        result
    }

    /// Joins another state in.
    pub(crate) fn merge(
        &mut self,
        other: MovableListState,
        diff: &mut SeqDelta<Vec<Value>>,
    ) -> Result<(), Error> {
        let before = self.values();
        self.slots.extend(other.slots);
        for (id, theirs) in other.elements {
            match self.elements.get_mut(&id) {
                None => {
                    self.elements.insert(id, theirs);
                }
                Some(mine) => {
                    mine.slot = mine.slot.max(theirs.slot);
                    if mine.value.0 < theirs.value.0 {
                        mine.value = theirs.value;
                    }
                    mine.deleted |= theirs.deleted;
                }
            }
        }
        let result = self.seq.integrate(other.seq.snapshot());
        record_change(&before, &self.values(), diff);
        result
    }

    pub(crate) fn write(&self, with_deleted: bool, out: &mut Writer) {
        self.seq.write_state(with_deleted, &mut out.out);
        out.u64(self.slots.len() as u64);
        for (slot, id) in &self.slots {
            out.dot(*slot);
            out.dot(*id);
        }
        out.u64(self.elements.len() as u64);
        for (id, element) in &self.elements {
            out.dot(*id);
            write_stamp(out, element.slot.0);
            out.dot(element.slot.1);
            write_stamp(out, element.value.0);
            write_value(out, &element.value.1);
            out.dot(element.op);
            out.u64(u64::from(element.index));
            out.u8(u8::from(element.deleted));
        }
    }

    pub(crate) fn read(input: &mut Reader<'_>) -> Result<Self, Error> {
        let seq = Text::from_snapshot(input.with_raw(read_ops)?)?;
        let count = input.count(4)?;
        let mut slots = BTreeMap::new();
        for _ in 0..count {
            let slot = input.dot()?;
            let id = input.dot()?;
            if !seq.version().contains(slot) || slots.insert(slot, id).is_some() {
                return Err(Error::Malformed);
            }
        }
        let count = input.count(12)?;
        let mut elements = BTreeMap::new();
        for _ in 0..count {
            let id = input.dot()?;
            let element = MovableElement {
                slot: (read_stamp(input)?, input.dot()?),
                value: (read_stamp(input)?, read_value(input)?),
                op: input.dot()?,
                index: input.u32()?,
                deleted: input.bool()?,
            };
            if elements.insert(id, element).is_some() {
                return Err(Error::Malformed);
            }
        }
        Ok(Self {
            seq,
            slots,
            elements,
        })
    }
}

impl PartialEq for MovableListState {
    fn eq(&self, other: &Self) -> bool {
        self.values() == other.values()
    }
}

/// A remote operation on a movable list.
pub(crate) enum MovableEdit<'a> {
    Insert {
        delta: &'a TextDelta,
        values: &'a [Value],
    },
    Move {
        element: Dot,
        delta: &'a TextDelta,
    },
    Replace {
        element: Dot,
        value: &'a Value,
    },
}

/// Records the change from `before` to `after` as one replacement of the part
/// between their common prefix and suffix.
fn record_change(before: &[Value], after: &[Value], diff: &mut SeqDelta<Vec<Value>>) {
    let prefix = before.iter().zip(after).take_while(|(a, b)| a == b).count();
    let suffix = before[prefix..]
        .iter()
        .rev()
        .zip(after[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let removed = before.len() - prefix - suffix;
    let added = &after[prefix..after.len() - suffix];
    diff.delete(prefix as u64, removed as u64);
    diff.insert(prefix as u64, added.to_vec());
}
