//! What observers of a document receive: changes in editor terms.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use super::container_id::ContainerId;
use super::undo::Inverse;
use super::value::Value;

/// One step of a sequence delta, in the form of Quill and Yjs: walk the old sequence,
/// keeping (`Retain`), adding (`Insert`) and removing (`Delete`).
#[derive(Clone, Debug, PartialEq)]
pub enum DeltaItem<T> {
    /// Keep this many items.
    Retain(u64),
    /// Insert these items.
    Insert(T),
    /// Remove this many items.
    Delete(u64),
}

/// Content a sequence delta inserts: characters of a text or values of a list.
pub trait Piece: Clone + Default {
    /// How many items.
    fn len(&self) -> u64;
    /// Whether there are no items.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Splits after `at` items.
    fn split_off(&mut self, at: u64) -> Self;
    /// Appends `other`.
    fn append(&mut self, other: Self);
}

impl Piece for String {
    fn len(&self) -> u64 {
        self.chars().count() as u64
    }

    fn split_off(&mut self, at: u64) -> Self {
        let byte = self
            .char_indices()
            .nth(at as usize)
            .map_or(self.len(), |(byte, _)| byte);
        String::split_off(self, byte)
    }

    fn append(&mut self, other: Self) {
        self.push_str(&other);
    }
}

impl Piece for Vec<Value> {
    fn len(&self) -> u64 {
        <[Value]>::len(self) as u64
    }

    fn split_off(&mut self, at: u64) -> Self {
        Vec::split_off(self, at as usize)
    }

    fn append(&mut self, mut other: Self) {
        Vec::append(self, &mut other);
    }
}

/// Most items a chunk of a [`SeqDelta`] holds before it splits.
const CHUNK: usize = 64;

/// Consecutive items of a delta, with how long a stretch of the new sequence they
/// cover, so that finding a position skips whole chunks.
#[derive(Clone, Debug, PartialEq)]
struct Chunk<T> {
    items: Vec<DeltaItem<T>>,
    len: u64,
}

/// A delta built from positional edits made one after another: each edit's position
/// counts the sequence as the edits before it left it, and the result is one delta
/// against the sequence before all of them. Items live in chunks, so an edit costs
/// the number of chunks plus one chunk's items, not the whole delta: an import of many
/// scattered edits stays fast.
#[derive(Clone, Debug, PartialEq)]
pub struct SeqDelta<T> {
    chunks: Vec<Chunk<T>>,
    /// Drops every edit: for documents that record no events.
    ignoring: bool,
}

impl<T> Default for SeqDelta<T> {
    fn default() -> Self {
        Self {
            chunks: Vec::new(),
            ignoring: false,
        }
    }
}

impl<T> SeqDelta<T> {
    fn ignoring() -> Self {
        Self {
            chunks: Vec::new(),
            ignoring: true,
        }
    }
}

/// How much of the new sequence an item covers.
fn covered<T: Piece>(item: &DeltaItem<T>) -> u64 {
    match item {
        DeltaItem::Retain(n) => *n,
        DeltaItem::Insert(content) => content.len(),
        DeltaItem::Delete(_) => 0,
    }
}

impl<T: Piece> SeqDelta<T> {
    /// The steps, without a trailing retain.
    pub fn into_items(self) -> Vec<DeltaItem<T>> {
        normalized(self.chunks.into_iter().flat_map(|chunk| chunk.items))
    }

    /// Whether the delta changes nothing.
    pub fn is_empty(&self) -> bool {
        self.chunks
            .iter()
            .flat_map(|chunk| &chunk.items)
            .all(|item| matches!(item, DeltaItem::Retain(_)))
    }

    /// Records that `content` was inserted at `position`.
    pub fn insert(&mut self, position: u64, content: T) {
        if self.ignoring || content.len() == 0 {
            return;
        }
        let (chunk, index) = self.cut(position);
        self.put(chunk, index, DeltaItem::Insert(content));
    }

    /// Records that `len` items from `position` on were removed.
    pub fn delete(&mut self, position: u64, len: u64) {
        if self.ignoring || len == 0 {
            return;
        }
        self.cut(position + len);
        let (mut chunk, mut index) = self.cut(position);
        let (mut done, mut removed) = (0, 0);
        while done < len && chunk < self.chunks.len() {
            let items = &mut self.chunks[chunk].items;
            let Some(item) = items.get(index) else {
                chunk += 1;
                index = 0;
                continue;
            };
            let n = covered(item);
            if n == 0 {
                index += 1;
                continue;
            }
            // A retained item was in the old sequence and is now deleted; an inserted
            // one never existed for the reader.
            if let DeltaItem::Retain(kept) = item {
                removed += *kept;
            }
            items.remove(index);
            self.chunks[chunk].len -= n;
            done += n;
        }
        if removed > 0 {
            let chunk = chunk.min(self.chunks.len() - 1);
            let index = index.min(self.chunks[chunk].items.len());
            self.put(chunk, index, DeltaItem::Delete(removed));
        }
    }

    /// The place of the first item at or after `position` of the new sequence,
    /// splitting an item that straddles it and padding with a retain past the end.
    fn cut(&mut self, position: u64) -> (usize, usize) {
        let mut seen = 0;
        for chunk in 0..self.chunks.len() {
            if seen + self.chunks[chunk].len <= position {
                seen += self.chunks[chunk].len;
                continue;
            }
            for index in 0..self.chunks[chunk].items.len() {
                let n = covered(&self.chunks[chunk].items[index]);
                if seen + n <= position {
                    seen += n;
                    continue;
                }
                let at = position - seen;
                if at == 0 {
                    return (chunk, index);
                }
                let rest = match &mut self.chunks[chunk].items[index] {
                    DeltaItem::Retain(n) => {
                        let rest = *n - at;
                        *n = at;
                        DeltaItem::Retain(rest)
                    }
                    DeltaItem::Insert(content) => DeltaItem::Insert(content.split_off(at)),
                    DeltaItem::Delete(_) => unreachable!("deletes cover nothing"),
                };
                // The two halves cover what the item did: the chunk's length stays.
                self.chunks[chunk].items.insert(index + 1, rest);
                return self.split_if_full(chunk, index + 1);
            }
        }
        if self.chunks.is_empty() {
            self.chunks.push(Chunk {
                items: Vec::new(),
                len: 0,
            });
        }
        let last = self.chunks.len() - 1;
        if position > seen {
            self.put(
                last,
                self.chunks[last].items.len(),
                DeltaItem::Retain(position - seen),
            );
        }
        let last = self.chunks.len() - 1;
        (last, self.chunks[last].items.len())
    }

    /// Puts `item` at `index` of `chunk`.
    fn put(&mut self, chunk: usize, index: usize, item: DeltaItem<T>) {
        self.chunks[chunk].len += covered(&item);
        self.chunks[chunk].items.insert(index, item);
        self.split_if_full(chunk, index);
    }

    /// Splits `chunk` in two if it grew too big; returns where the item at `index`
    /// is afterwards.
    fn split_if_full(&mut self, chunk: usize, index: usize) -> (usize, usize) {
        if self.chunks[chunk].items.len() <= CHUNK {
            return (chunk, index);
        }
        let half = self.chunks[chunk].items.len() / 2;
        let items = self.chunks[chunk].items.split_off(half);
        let len: u64 = items.iter().map(covered).sum();
        self.chunks[chunk].len -= len;
        self.chunks.insert(chunk + 1, Chunk { items, len });
        if index < half {
            (chunk, index)
        } else {
            (chunk + 1, index - half)
        }
    }
}

/// Drops empty items, merges neighbours of the same sort and puts inserts before
/// deletes at the same place, and drops a trailing retain.
fn normalized<T: Piece>(all: impl Iterator<Item = DeltaItem<T>>) -> Vec<DeltaItem<T>> {
    let mut items: Vec<DeltaItem<T>> = Vec::new();
    for item in all {
        let empty = match &item {
            DeltaItem::Retain(n) | DeltaItem::Delete(n) => *n == 0,
            DeltaItem::Insert(content) => content.len() == 0,
        };
        if empty {
            continue;
        }
        match (items.last_mut(), item) {
            (Some(DeltaItem::Retain(a)), DeltaItem::Retain(b)) => *a += b,
            (Some(DeltaItem::Delete(a)), DeltaItem::Delete(b)) => *a += b,
            (Some(DeltaItem::Insert(a)), DeltaItem::Insert(b)) => a.append(b),
            (Some(DeltaItem::Delete(n)), DeltaItem::Insert(content)) => {
                let n = *n;
                items.pop();
                match items.last_mut() {
                    Some(DeltaItem::Insert(previous)) => previous.append(content),
                    _ => items.push(DeltaItem::Insert(content)),
                }
                items.push(DeltaItem::Delete(n));
            }
            (_, item) => items.push(item),
        }
    }
    if let Some(DeltaItem::Retain(_)) = items.last() {
        items.pop();
    }
    items
}

/// How one container changed.
#[derive(Clone, Debug, PartialEq)]
pub enum Diff {
    /// A text's characters.
    Text(Vec<DeltaItem<String>>),
    /// A list's elements.
    List(Vec<DeltaItem<Vec<Value>>>),
    /// A map's keys, each with its new value (`None`: deleted).
    Map(BTreeMap<String, Option<Value>>),
    /// A counter, by how much.
    Counter(i64),
    /// A register's new value.
    Register(Value),
}

/// A container and how it changed.
#[derive(Clone, Debug, PartialEq)]
pub struct ContainerDiff {
    /// The container.
    pub target: ContainerId,
    /// The change.
    pub diff: Diff,
}

/// Everything one transaction or one import changed.
#[derive(Clone, Debug, PartialEq)]
pub struct DocEvent {
    /// Whether a local transaction made the change (not an import).
    pub local: bool,
    /// The origin the transaction or import was given.
    pub origin: Option<String>,
    /// The containers that changed, in the order of their names.
    pub diffs: Vec<ContainerDiff>,
    /// How to take a local transaction back, for an [`UndoManager`](super::UndoManager).
    pub(crate) inverse: Vec<Inverse>,
}

/// Collects the diffs of one transaction or import, container by container; or,
/// for a document that records no events, nothing.
#[derive(Clone, Debug, Default)]
pub(crate) struct DiffBuilder {
    off: bool,
    ignored_text: SeqDelta<String>,
    ignored_list: SeqDelta<Vec<Value>>,
    texts: BTreeMap<ContainerId, SeqDelta<String>>,
    lists: BTreeMap<ContainerId, SeqDelta<Vec<Value>>>,
    maps: BTreeMap<ContainerId, BTreeMap<String, Option<Value>>>,
    counters: BTreeMap<ContainerId, i64>,
    registers: BTreeMap<ContainerId, Value>,
}

impl DiffBuilder {
    pub(crate) fn new(enabled: bool) -> Self {
        Self {
            off: !enabled,
            ignored_text: SeqDelta::ignoring(),
            ignored_list: SeqDelta::ignoring(),
            ..Self::default()
        }
    }

    pub(crate) fn is_off(&self) -> bool {
        self.off
    }

    pub(crate) fn text(&mut self, target: &ContainerId) -> &mut SeqDelta<String> {
        if self.off {
            return &mut self.ignored_text;
        }
        self.texts.entry(target.clone()).or_default()
    }

    pub(crate) fn list(&mut self, target: &ContainerId) -> &mut SeqDelta<Vec<Value>> {
        if self.off {
            return &mut self.ignored_list;
        }
        self.lists.entry(target.clone()).or_default()
    }

    pub(crate) fn map_key(&mut self, target: &ContainerId, key: &str, value: Option<Value>) {
        if self.off {
            return;
        }
        self.maps
            .entry(target.clone())
            .or_default()
            .insert(key.into(), value);
    }

    pub(crate) fn counter(&mut self, target: &ContainerId, amount: i64) {
        if self.off {
            return;
        }
        let total = self.counters.entry(target.clone()).or_default();
        *total = total.wrapping_add(amount);
    }

    pub(crate) fn register(&mut self, target: &ContainerId, value: Value) {
        if self.off {
            return;
        }
        self.registers.insert(target.clone(), value);
    }

    pub(crate) fn finish(self) -> Vec<ContainerDiff> {
        let mut diffs = Vec::new();
        let mut push = |target: ContainerId, diff| diffs.push(ContainerDiff { target, diff });
        for (target, delta) in self.texts {
            if !delta.is_empty() {
                push(target, Diff::Text(delta.into_items()));
            }
        }
        for (target, delta) in self.lists {
            if !delta.is_empty() {
                push(target, Diff::List(delta.into_items()));
            }
        }
        for (target, keys) in self.maps {
            push(target, Diff::Map(keys));
        }
        for (target, amount) in self.counters {
            if amount != 0 {
                push(target, Diff::Counter(amount));
            }
        }
        for (target, value) in self.registers {
            push(target, Diff::Register(value));
        }
        diffs.sort_by(|a, b| a.target.cmp(&b.target));
        diffs
    }
}
