//! Undo and redo of local transactions, scoped by origin.
//!
//! Undo takes back what a transaction did and nothing else: characters and elements
//! it inserted are deleted if still there, the ones it deleted come back where they
//! were (as new characters, so peers see an ordinary edit), map keys and registers
//! it set get their previous value back unless someone wrote them since, and counters
//! get the opposite amount. Edits by other replicas in between are kept, as in Yjs and
//! Loro. Undoing is itself a transaction, whose own inverse becomes the redo step.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use super::Document;
use super::container_id::{ContainerId, Kind};
use super::event::DocEvent;
use super::state::Container;
use super::transaction::Transaction;
use super::value::Value;
use crate::{Dot, Error, Text, TextDelta, TextOp};

/// The origin of the transactions [`UndoManager::undo`] makes.
pub const UNDO_ORIGIN: &str = "weft:undo";
/// The origin of the transactions [`UndoManager::redo`] makes.
pub const REDO_ORIGIN: &str = "weft:redo";

/// How to take back one operation of a local transaction.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Inverse {
    /// Characters or elements inserted, as runs of dots of the container's sequence.
    Inserted {
        target: ContainerId,
        runs: Vec<(Dot, u32)>,
    },
    /// Characters or elements deleted.
    Deleted {
        target: ContainerId,
        runs: Vec<(Dot, u32)>,
    },
    MapSet {
        target: ContainerId,
        key: String,
        set: Option<Value>,
        previous: Option<Value>,
    },
    CounterAdd {
        target: ContainerId,
        amount: i64,
    },
    /// Elements inserted into a movable list, by id.
    MovableInserted {
        target: ContainerId,
        elements: Vec<Dot>,
    },
    /// Elements deleted from a movable list at `index`, with their values.
    MovableDeleted {
        target: ContainerId,
        index: u64,
        removed: Vec<(Dot, Value)>,
    },
    MovableMoved {
        target: ContainerId,
        element: Dot,
        from: u64,
    },
    MovableReplaced {
        target: ContainerId,
        element: Dot,
        set: Value,
        previous: Value,
    },
    RegisterSet {
        target: ContainerId,
        set: Value,
        previous: Option<Value>,
    },
}

impl Inverse {
    pub(crate) fn inserted(target: &ContainerId, delta: &TextDelta) -> Option<Self> {
        let runs: Vec<(Dot, u32)> = delta
            .ops
            .iter()
            .filter_map(|op| match op {
                TextOp::Insert { id, len, .. } => Some((*id, *len)),
                TextOp::Delete { .. } => None,
            })
            .collect();
        (!runs.is_empty()).then(|| Self::Inserted {
            target: target.clone(),
            runs,
        })
    }

    pub(crate) fn deleted(target: &ContainerId, delta: &TextDelta) -> Option<Self> {
        let runs: Vec<(Dot, u32)> = delta
            .ops
            .iter()
            .filter_map(|op| match op {
                TextOp::Delete { target, len, .. } => Some((*target, *len)),
                TextOp::Insert { .. } => None,
            })
            .collect();
        (!runs.is_empty()).then(|| Self::Deleted {
            target: target.clone(),
            runs,
        })
    }
}

/// The undo and redo stacks of one user's local edits. Hand it every event the
/// document queues ([`record`](Self::record)); it keeps the local transactions in its
/// scope, merging those that follow each other within the merge interval into one
/// step, as typing should undo by words rather than keys.
///
/// ```
/// use weft_core::doc::UndoManager;
/// use weft_core::{ContainerId, Document, ReplicaId};
///
/// let body = ContainerId::text("body");
/// let mut doc = Document::new(ReplicaId::new(1));
/// let mut undo = UndoManager::new(None);
/// doc.transact(None, |tx| tx.text_insert(&body, 0, "hello"))?;
/// doc.take_events().iter().for_each(|event| undo.record(event, 0));
/// undo.undo(&mut doc)?;
/// assert_eq!(doc.text(&body).unwrap().to_string(), "");
/// undo.redo(&mut doc)?;
/// assert_eq!(doc.text(&body).unwrap().to_string(), "hello");
/// # Ok::<(), weft_core::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct UndoManager {
    scope: Option<String>,
    merge_interval_ms: u64,
    undo: Vec<Vec<Inverse>>,
    redo: Vec<Vec<Inverse>>,
    last_recorded_at: Option<u64>,
    /// Characters that undo or redo brought back as new ones, by the old dot.
    redirects: BTreeMap<(ContainerId, Dot), Dot>,
}

impl UndoManager {
    /// A manager of the local transactions with origin `scope` (all of them with
    /// `None`), merging steps that come within 500 ms of each other.
    pub fn new(scope: Option<&str>) -> Self {
        Self {
            scope: scope.map(String::from),
            merge_interval_ms: 500,
            ..Self::default()
        }
    }

    /// Sets how close in time transactions merge into one step (0: never).
    pub fn with_merge_interval(mut self, ms: u64) -> Self {
        self.merge_interval_ms = ms;
        self
    }

    /// Whether there is a step to undo.
    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    /// Whether there is a step to redo.
    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// Makes the next recorded transaction a step of its own.
    pub fn stop_capturing(&mut self) {
        self.last_recorded_at = None;
    }

    /// Takes note of an event at time `now` (milliseconds); keeps the local
    /// transactions in scope.
    pub fn record(&mut self, event: &DocEvent, now: u64) {
        let origin = event.origin.as_deref();
        let ours = matches!(origin, Some(UNDO_ORIGIN | REDO_ORIGIN));
        let in_scope = match &self.scope {
            None => true,
            Some(scope) => origin == Some(scope.as_str()),
        };
        if !event.local || ours || !in_scope || event.inverse.is_empty() {
            return;
        }
        let merge = self
            .last_recorded_at
            .is_some_and(|at| now.saturating_sub(at) < self.merge_interval_ms);
        match self.undo.last_mut() {
            Some(step) if merge => step.extend(event.inverse.iter().cloned()),
            _ => self.undo.push(event.inverse.clone()),
        }
        self.redo.clear();
        self.last_recorded_at = Some(now);
    }

    /// Takes back the last step; returns whether anything changed.
    pub fn undo(&mut self, doc: &mut Document) -> Result<bool, Error> {
        self.last_recorded_at = None;
        while let Some(step) = self.undo.pop() {
            if let Some(inverse) = self.apply(doc, &step, UNDO_ORIGIN)? {
                self.redo.push(inverse);
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Puts back the last step undone; returns whether anything changed.
    pub fn redo(&mut self, doc: &mut Document) -> Result<bool, Error> {
        self.last_recorded_at = None;
        while let Some(step) = self.redo.pop() {
            if let Some(inverse) = self.apply(doc, &step, REDO_ORIGIN)? {
                self.undo.push(inverse);
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Applies a step's inverses, newest first, in one transaction; returns the
    /// transaction's own inverse, or `None` if there was nothing left to take back.
    fn apply(
        &mut self,
        doc: &mut Document,
        step: &[Inverse],
        origin: &str,
    ) -> Result<Option<Vec<Inverse>>, Error> {
        let queued = doc.events.len();
        let redirects = &mut self.redirects;
        doc.transact(Some(origin), |tx| {
            step.iter()
                .rev()
                .try_for_each(|inverse| take_back(tx, inverse, redirects))
        })?;
        Ok((doc.events.len() > queued).then(|| {
            doc.events
                .last()
                .map(|event| event.inverse.clone())
                .unwrap_or_default()
        }))
    }
}

fn take_back(
    tx: &mut Transaction<'_>,
    inverse: &Inverse,
    redirects: &mut BTreeMap<(ContainerId, Dot), Dot>,
) -> Result<(), Error> {
    match inverse {
        Inverse::Inserted { target, runs } => {
            let Some(seq) = sequence(tx.doc(), target) else {
                return Ok(());
            };
            let mut positions: Vec<u64> = dots(runs)
                .filter_map(|dot| seq.visible_position_of(resolve(redirects, target, dot)))
                .collect();
            positions.sort_unstable();
            // Delete from the end, in runs of neighbouring positions.
            while let Some(last) = positions.pop() {
                let mut first = last;
                while first > 0 && positions.last() == Some(&(first - 1)) {
                    first -= 1;
                    positions.pop();
                }
                let len = last - first + 1;
                match target.kind {
                    Kind::Text => tx.text_delete(target, first, len)?,
                    _ => tx.list_delete(target, first, len)?,
                }
            }
        }
        Inverse::Deleted { target, runs } => restore(tx, target, runs, redirects)?,
        Inverse::MapSet {
            target,
            key,
            set,
            previous,
        } => {
            if tx.doc().map_get(target, key) == set.as_ref() {
                match previous {
                    Some(value) => tx.map_set(target, key, value.clone())?,
                    None => tx.map_delete(target, key)?,
                }
            }
        }
        Inverse::CounterAdd { target, amount } => tx.counter_add(target, amount.wrapping_neg())?,
        Inverse::MovableInserted { target, elements } => {
            let mut indices: Vec<u64> = elements
                .iter()
                .filter_map(|&element| {
                    movable_index(tx.doc(), target, resolve(redirects, target, element))
                })
                .collect();
            indices.sort_unstable();
            for index in indices.into_iter().rev() {
                tx.movable_delete(target, index, 1)?;
            }
        }
        Inverse::MovableDeleted {
            target,
            index,
            removed,
        } => {
            let at = (*index).min(tx.doc().list_len(target));
            let values = removed.iter().map(|(_, value)| value.clone()).collect();
            let (_, first) = tx.movable_insert_at(target, at, values)?;
            for (offset, (old, _)) in removed.iter().enumerate() {
                let new = Dot::new(first.replica(), first.counter() + offset as u64);
                redirects.insert((target.clone(), *old), new);
            }
        }
        Inverse::MovableMoved {
            target,
            element,
            from,
        } => {
            let element = resolve(redirects, target, *element);
            if let Some(now) = movable_index(tx.doc(), target, element) {
                let to = (*from).min(tx.doc().list_len(target) - 1);
                if now != to {
                    tx.movable_move(target, now, to)?;
                }
            }
        }
        Inverse::MovableReplaced {
            target,
            element,
            set,
            previous,
        } => {
            let element = resolve(redirects, target, *element);
            if let Some(index) = movable_index(tx.doc(), target, element)
                && tx.doc().list_get(target, index) == Some(set)
            {
                tx.movable_set(target, index, previous.clone())?;
            }
        }
        Inverse::RegisterSet {
            target,
            set,
            previous,
        } => {
            if tx.doc().register(target) == Some(set) {
                tx.register_set(target, previous.clone().unwrap_or(Value::Null))?;
            }
        }
    }
    Ok(())
}

/// Brings deleted characters or elements back where they were, as new ones.
fn restore(
    tx: &mut Transaction<'_>,
    target: &ContainerId,
    runs: &[(Dot, u32)],
    redirects: &mut BTreeMap<(ContainerId, Dot), Dot>,
) -> Result<(), Error> {
    /// Neighbouring deleted items, to bring back with one insert.
    struct Group {
        position: u64,
        order: u64,
        olds: Vec<Dot>,
        chars: String,
        values: Vec<Value>,
    }
    let doc = tx.doc();
    let Some(seq) = sequence(doc, target) else {
        return Ok(());
    };
    let mut groups: Vec<Group> = Vec::new();
    for old in dots(runs) {
        let dot = resolve(redirects, target, old);
        let Some(character) = seq.character(dot).filter(|c| c.deleted) else {
            continue;
        };
        let value = match doc.containers.get(target) {
            Some(Container::List(list)) => match list.element(dot) {
                Some(element) => Some(element.value.clone()),
                None => continue,
            },
            _ => None,
        };
        if target.kind == Kind::Text && character.value.is_none() {
            continue;
        }
        match groups.last_mut() {
            Some(group)
                if group.position == character.position
                    && group.order + group.olds.len() as u64 == character.order =>
            {
                group.olds.push(old);
                group.chars.extend(character.value);
                group.values.extend(value);
            }
            _ => groups.push(Group {
                position: character.position,
                order: character.order,
                olds: alloc::vec![old],
                chars: character.value.into_iter().collect(),
                values: value.into_iter().collect(),
            }),
        }
    }
    // Later groups first, so earlier positions stay put; at one position, the group
    // later in the document first, so the earlier one lands before it.
    groups.sort_by_key(|group| core::cmp::Reverse((group.position, group.order)));
    for group in groups {
        let first = match target.kind {
            Kind::Text => tx.text_insert_at(target, group.position, &group.chars)?,
            _ => tx.list_insert_at(target, group.position, group.values)?.2,
        };
        for (offset, old) in group.olds.into_iter().enumerate() {
            let new = Dot::new(first.replica(), first.counter() + offset as u64);
            redirects.insert((target.clone(), old), new);
        }
    }
    Ok(())
}

fn movable_index(doc: &Document, target: &ContainerId, element: Dot) -> Option<u64> {
    match doc.containers.get(target)? {
        Container::MovableList(list) => list.index_of(element),
        _ => None,
    }
}

fn sequence<'a>(doc: &'a Document, target: &ContainerId) -> Option<&'a Text> {
    match doc.containers.get(target)? {
        Container::Text(text) => Some(text),
        Container::List(list) => Some(list.seq()),
        _ => None,
    }
}

fn dots(runs: &[(Dot, u32)]) -> impl Iterator<Item = Dot> + '_ {
    runs.iter().flat_map(|&(first, len)| {
        (0..u64::from(len)).map(move |offset| Dot::new(first.replica(), first.counter() + offset))
    })
}

/// The dot that stands for `dot` now, after undo and redo brought it back.
fn resolve(redirects: &BTreeMap<(ContainerId, Dot), Dot>, target: &ContainerId, dot: Dot) -> Dot {
    let mut current = dot;
    while let Some(&next) = redirects.get(&(target.clone(), current)) {
        current = next;
    }
    current
}
