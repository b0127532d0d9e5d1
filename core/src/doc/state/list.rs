//! A list: values ordered by the same sequence CRDT as text.
//!
//! Each element is a character of an internal [`Text`] (a placeholder), so lists get
//! the text's non-interleaving order, its run-length storage and its O(log n)
//! positions for free; the values sit beside it, by the dot of their character.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use crate::doc::encoding::{read_value, write_value};
use crate::doc::event::SeqDelta;
use crate::doc::value::Value;
use crate::doc::wire::{Reader, Writer};
use crate::text::read_ops;
use crate::{Dot, Error, ReplicaId, Text, TextDelta, TextEdit, TextOp};

/// The character that stands for an element in the internal text.
pub(crate) const PLACEHOLDER: char = '\u{fffc}';

/// `count` placeholder characters: the internal text of `count` new elements.
pub(crate) fn placeholders(count: usize) -> String {
    core::iter::repeat_n(PLACEHOLDER, count).collect()
}

/// Checks that a list operation carries one value per element it inserts.
pub(crate) fn check_values(delta: &TextDelta, values: &[Value]) -> Result<(), Error> {
    let inserted: usize = delta
        .ops
        .iter()
        .filter_map(|op| match op {
            TextOp::Insert { len, .. } => Some(*len as usize),
            TextOp::Delete { .. } => None,
        })
        .sum();
    if inserted != values.len() {
        return Err(Error::Invalid(
            "a list operation without one value per element",
        ));
    }
    Ok(())
}

/// An element's value and where it came from: the list operation that inserted it
/// and its index there, which name a container the element holds.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Element {
    pub(crate) value: Value,
    pub(crate) op: Dot,
    pub(crate) index: u32,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct ListState {
    seq: Text,
    elements: BTreeMap<Dot, Element>,
}

impl PartialEq for ListState {
    fn eq(&self, other: &Self) -> bool {
        self.seq.version() == other.seq.version() && self.visible() == other.visible()
    }
}

impl ListState {
    pub(crate) fn len(&self) -> u64 {
        self.seq.len()
    }

    /// The sequence the elements are characters of.
    pub(crate) fn seq(&self) -> &Text {
        &self.seq
    }

    /// The element named by its character's dot, deleted or not.
    pub(crate) fn element(&self, dot: Dot) -> Option<&Element> {
        self.elements.get(&dot)
    }

    pub(crate) fn get(&self, index: u64) -> Option<&Element> {
        self.elements.get(&self.seq.dot_at(index)?)
    }

    /// The elements in order.
    pub(crate) fn visible(&self) -> Vec<&Element> {
        let mut out = Vec::with_capacity(self.seq.len() as usize);
        self.seq.for_each_visible_dot(|dot| {
            if let Some(element) = self.elements.get(&dot) {
                out.push(element);
            }
        });
        out
    }

    /// Inserts `values` at `index` as `replica`, as the values from `first_index` on
    /// of the list operation `op`.
    pub(crate) fn insert(
        &mut self,
        replica: ReplicaId,
        index: u64,
        values: &[Value],
        op: Dot,
        first_index: u32,
    ) -> Result<TextDelta, Error> {
        let delta = self
            .seq
            .insert(replica, index, &placeholders(values.len()))?;
        self.record_values(&delta, values, op, first_index);
        Ok(delta)
    }

    pub(crate) fn delete(
        &mut self,
        replica: ReplicaId,
        index: u64,
        len: u64,
    ) -> Result<TextDelta, Error> {
        self.seq.delete(replica, index, len)
    }

    /// Applies a remote list operation, recording what readers see in `diff`.
    pub(crate) fn apply(
        &mut self,
        delta: TextDelta,
        values: &[Value],
        op: Dot,
        diff: &mut SeqDelta<Vec<Value>>,
    ) -> Result<(), Error> {
        check_values(&delta, values)?;
        self.record_values(&delta, values, op, 0);
        self.integrate(delta, diff)
    }

    /// Integrates sequence edits whose values are already recorded.
    fn integrate(
        &mut self,
        delta: TextDelta,
        diff: &mut SeqDelta<Vec<Value>>,
    ) -> Result<(), Error> {
        let elements = &self.elements;
        self.seq.integrate_observed(delta, &mut |edit| match edit {
            TextEdit::Insert {
                id, position, len, ..
            } => {
                // A run that travelled without its content is deleted later in the
                // same delta: its elements show as nulls until then.
                let values = (0..u64::from(len))
                    .map(|offset| {
                        let dot = Dot::new(id.replica(), id.counter() + offset);
                        elements
                            .get(&dot)
                            .map_or(Value::Null, |element| element.value.clone())
                    })
                    .collect();
                diff.insert(position, values);
            }
            TextEdit::Delete { position, len } => diff.delete(position, u64::from(len)),
        })
    }

    fn record_values(&mut self, delta: &TextDelta, values: &[Value], op: Dot, first_index: u32) {
        let mut next = values.iter().cloned().zip(first_index..);
        for text_op in &delta.ops {
            if let TextOp::Insert { id, len, .. } = text_op {
                for offset in 0..u64::from(*len) {
                    let Some((value, index)) = next.next() else {
                        return;
                    };
                    let dot = Dot::new(id.replica(), id.counter() + offset);
                    self.elements
                        .entry(dot)
                        .or_insert(Element { value, op, index });
                }
            }
        }
    }

    /// Joins another state in.
    pub(crate) fn merge(
        &mut self,
        other: ListState,
        diff: &mut SeqDelta<Vec<Value>>,
    ) -> Result<(), Error> {
        for (dot, element) in other.elements {
            self.elements.entry(dot).or_insert(element);
        }
        self.integrate(other.seq.snapshot(), diff)
    }

    pub(crate) fn write(&self, with_deleted: bool, out: &mut Writer) {
        self.seq.write_state(with_deleted, &mut out.out);
        let mut kept = Vec::new();
        if with_deleted {
            kept.extend(self.elements.iter());
        } else {
            self.seq.for_each_visible_dot(|dot| {
                if let Some(element) = self.elements.get_key_value(&dot) {
                    kept.push(element);
                }
            });
            kept.sort_by_key(|(dot, _)| **dot);
        }
        out.u64(kept.len() as u64);
        for (dot, element) in kept {
            out.dot(*dot);
            write_value(out, &element.value);
            out.dot(element.op);
            out.u64(u64::from(element.index));
        }
    }

    pub(crate) fn read(input: &mut Reader<'_>) -> Result<Self, Error> {
        let seq = Text::from_snapshot(input.with_raw(read_ops)?)?;
        let count = input.count(6)?;
        let mut elements = BTreeMap::new();
        for _ in 0..count {
            let dot = input.dot()?;
            let value = read_value(input)?;
            let op = input.dot()?;
            let index = input.u32()?;
            if !seq.version().contains(dot)
                || elements.insert(dot, Element { value, op, index }).is_some()
            {
                return Err(Error::Malformed);
            }
        }
        Ok(Self { seq, elements })
    }
}
