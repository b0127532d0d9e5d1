//! Collaborative plain text.
//!
//! A sequence CRDT with the non-interleaving order of FugueMax (Weidner & Kleppmann,
//! "The Art of the Fugue", 2023), integrated the YjsMod way: every run of characters
//! remembers its left and right neighbours when it was typed, and concurrent runs
//! typed at the same place are ordered so that neither ever interleaves with the
//! other, whether they were typed forwards or backwards. Runs live in a B-tree of
//! spans counted by characters ([`content_tree`]), so finding a position and finding a
//! character by its dot both take O(log n).

mod content_tree;
mod encoding;
mod op;
mod op_log;
mod span;

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

pub use op::{TextDelta, TextOp};

use crate::{Dot, Error, ReplicaId, VersionVector};
use content_tree::{ContentTree, Cursor};
use encoding::{OpRef, PackedDelta};
use op_log::{InsertTail, Logged, OpLog};
use span::Span;

/// A change a reader of a [`Text`] sees, at the positions of the moment it happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextEdit<'a> {
    /// `len` characters appeared at `position`.
    Insert {
        /// The dot of the first one; the others follow it.
        id: Dot,
        /// Where the first one is now.
        position: u64,
        /// How many.
        len: u32,
        /// The characters; empty when the run travelled without its content (it was
        /// deleted, and the delete follows in the same delta).
        text: &'a str,
    },
    /// `len` characters from `position` on disappeared.
    Delete {
        /// Where the first one was.
        position: u64,
        /// How many.
        len: u32,
    },
}

/// One character, looked up by its dot with [`Text::character`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Character {
    /// Whether it was deleted.
    pub deleted: bool,
    /// The character, unless it travelled without its content.
    pub value: Option<char>,
    /// Its position; for a deleted one, where it would be.
    pub position: u64,
    /// Its position among all characters, deleted ones included: the document order.
    pub order: u64,
}

/// A text that replicas edit concurrently. Positions count Unicode scalar values
/// (Rust `char`s).
///
/// ```
/// use weft_core::{ReplicaId, Text};
///
/// let (alice, bob) = (ReplicaId::new(1), ReplicaId::new(2));
/// let mut a = Text::new();
/// a.insert(alice, 0, "Hello world")?;
/// let mut b = Text::new();
/// b.integrate(a.delta_since(b.version()))?;
///
/// let from_a = a.insert(alice, 5, ",")?;
/// let from_b = b.delete(bob, 6, 5)?;
/// b.insert(bob, 6, "weft")?;
/// a.integrate(b.delta_since(a.version()))?;
/// b.integrate(from_a)?;
/// assert_eq!(a.to_string(), "Hello, weft");
/// assert_eq!(a.to_string(), b.to_string());
/// # let _ = from_b;
/// # Ok::<(), weft_core::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Text {
    tree: ContentTree,
    /// The UTF-8 of every character ever inserted, deleted ones included; spans and
    /// log entries point into it.
    content: String,
    log: OpLog,
    version: VersionVector,
    /// Operations that arrived early, by the first event each one still waits for.
    backlog: BTreeMap<Dot, Vec<TextOp>>,
    /// Whether a character outside the Basic Multilingual Plane was ever inserted.
    astral: bool,
}

impl Text {
    /// An empty text.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of characters.
    pub fn len(&self) -> u64 {
        self.tree.visible_len()
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The events integrated so far.
    pub fn version(&self) -> &VersionVector {
        &self.version
    }

    /// How many received operations wait for events not seen yet.
    pub fn backlog_len(&self) -> usize {
        self.backlog.values().map(Vec::len).sum()
    }

    /// Inserts `text` at character `position` as `replica`; returns the delta.
    pub fn insert(
        &mut self,
        replica: ReplicaId,
        position: u64,
        text: &str,
    ) -> Result<TextDelta, Error> {
        let len = u32::try_from(text.chars().count())
            .map_err(|_| Error::Invalid("insert of 2^32 characters or more"))?;
        if len == 0 {
            return Err(Error::EmptyEdit);
        }
        let cursor = self
            .tree
            .at_visible(position)
            .ok_or(Error::PositionOutOfBounds {
                position,
                len: self.len(),
            })?;
        let id = self.next_dots(replica, len)?;
        let origin_left = self.tree.before(cursor);
        let origin_right = self
            .tree
            .span(cursor)
            .map(|span| span.dot_at(cursor.offset()));
        let (content, bytes) = self.append_content(text)?;
        self.place(
            cursor,
            Span::new(id, len, origin_left, origin_right, content, bytes),
        );
        Ok(TextDelta {
            ops: alloc::vec![TextOp::Insert {
                id,
                len,
                origin_left,
                origin_right,
                text: text.into(),
            }],
        })
    }

    /// Deletes `len` characters from character `position` on, as `replica`; returns the
    /// delta.
    pub fn delete(
        &mut self,
        replica: ReplicaId,
        position: u64,
        len: u64,
    ) -> Result<TextDelta, Error> {
        if len == 0 {
            return Err(Error::EmptyEdit);
        }
        let end = position.checked_add(len).filter(|&end| end <= self.len());
        if end.is_none() {
            return Err(Error::PositionOutOfBounds {
                position: position.saturating_add(len),
                len: self.len(),
            });
        }
        let total =
            u32::try_from(len).map_err(|_| Error::Invalid("delete of 2^32 characters or more"))?;
        let mut id = self.next_dots(replica, total)?;
        let mut ops = Vec::new();
        let mut remaining = total;
        while remaining > 0 {
            let cursor = self
                .tree
                .at_visible(position)
                .expect("the range was checked against the length");
            let content = &self.content;
            let (target, count, _) = self.tree.delete(cursor, remaining, |span, chars| {
                byte_offset(content, span, chars)
            });
            self.record_delete(id, count, target);
            ops.push(TextOp::Delete {
                id,
                len: count,
                target,
            });
            id = Dot::new(replica, id.counter() + u64::from(count));
            remaining -= count;
        }
        Ok(TextDelta { ops })
    }

    /// Integrates operations from another replica, in any order and with repeats. An
    /// operation that builds on events not seen yet waits in a backlog and is applied,
    /// whole, once they arrive. A malformed operation is refused with an error; the
    /// operations before it stay applied and the text stays usable.
    pub fn integrate(&mut self, delta: TextDelta) -> Result<(), Error> {
        self.integrate_observed(delta, &mut |_| {})
    }

    /// [`integrate`](Self::integrate), reporting each change a reader sees, in order,
    /// at the positions of the moment it happens: what an editor binding or an
    /// observer applies to its own copy.
    pub fn integrate_observed(
        &mut self,
        delta: TextDelta,
        observe: &mut dyn FnMut(TextEdit<'_>),
    ) -> Result<(), Error> {
        let mut refused = None;
        for op in delta.ops {
            if let Err(error) = check(&op).and_then(|()| self.integrate_op(op, observe)) {
                refused = refused.or(Some(error));
            }
        }
        refused.map_or(Ok(()), Err)
    }

    /// Applies `op`, or files it under the event it waits for; after applying, wakes
    /// the backlogged operations that were waiting for the events it brought.
    fn integrate_op(
        &mut self,
        op: TextOp,
        observe: &mut dyn FnMut(TextEdit<'_>),
    ) -> Result<(), Error> {
        let mut refused = None;
        let mut ready = alloc::vec![op];
        while let Some(op) = ready.pop() {
            let replica = op.id().replica();
            match self.apply_if_ready(op, observe) {
                Ok(Some((missing, op))) => self.backlog.entry(missing).or_default().push(op),
                Ok(None) if self.backlog.is_empty() => {}
                Ok(None) => {
                    let woken = Dot::new(replica, 0)..=Dot::new(replica, self.version.get(replica));
                    let keys: Vec<Dot> = self.backlog.range(woken).map(|(&dot, _)| dot).collect();
                    for key in keys {
                        ready.extend(self.backlog.remove(&key).into_iter().flatten());
                    }
                }
                Err(error) => refused = refused.or(Some(error)),
            }
        }
        refused.map_or(Ok(()), Err)
    }

    /// What a replica at `version` lacks, in an order it can integrate.
    pub fn delta_since(&self, version: &VersionVector) -> TextDelta {
        TextDelta {
            ops: self
                .log
                .since(version)
                .map(|entry| TextOp::from(self.to_op(entry)))
                .collect(),
        }
    }

    /// What the text knows of the character named `dot`: whether it is deleted, its
    /// content (unless a snapshot left it out) and the position it has, or would have
    /// were it visible.
    pub fn character(&self, dot: Dot) -> Option<Character> {
        let cursor = self.tree.find(dot)?;
        let span = self.tree.span(cursor)?;
        let value = if span.bytes == 0 {
            None
        } else {
            let start = (span.content + byte_offset(&self.content, span, cursor.offset())) as usize;
            self.content[start..].chars().next()
        };
        Some(Character {
            deleted: span.deleted,
            value,
            position: self.tree.visible_position(cursor),
            order: self.tree.position(cursor),
        })
    }

    /// Whether positions here equal positions in UTF-16 code units, as JavaScript
    /// counts them: true while no character past U+FFFF (an emoji, say) was ever
    /// inserted, deleted ones included, so bindings convert positions only then.
    pub fn positions_match_utf16(&self) -> bool {
        !self.astral
    }

    /// The dot of the visible character at `position`.
    pub fn dot_at(&self, position: u64) -> Option<Dot> {
        let cursor = self.tree.at_visible(position)?;
        Some(self.tree.span(cursor)?.dot_at(cursor.offset()))
    }

    /// The position of the character named `dot`, if it is here and not deleted.
    pub fn visible_position_of(&self, dot: Dot) -> Option<u64> {
        let cursor = self.tree.find(dot)?;
        let span = self.tree.span(cursor)?;
        (!span.deleted).then(|| self.tree.visible_position(cursor))
    }

    /// Calls `visit` with the dot of every visible character, in order.
    pub fn for_each_visible_dot(&self, mut visit: impl FnMut(Dot)) {
        self.tree.for_each_span(|span| {
            if !span.deleted {
                (0..span.len).for_each(|offset| visit(span.dot_at(offset)));
            }
        });
    }

    /// Checks the internal bookkeeping (for tests and fuzzing): the tree's counts,
    /// links and index, and that the version covers every character.
    pub fn check_invariants(&self) -> Result<(), Error> {
        self.tree.check().map_err(Error::Invalid)?;
        let mut unseen = false;
        self.tree.for_each_span(|span| {
            unseen |= !self.version.contains(span.dot_at(span.len - 1));
        });
        if unseen {
            return Err(Error::Invalid("a character outside the version"));
        }
        Ok(())
    }

    /// [`delta_since`](Self::delta_since) of `version`, encoded, without building the
    /// delta first: what a replica sends a peer, and how it stores itself
    /// (`encode_since(&VersionVector::new())`).
    pub fn encode_since(&self, version: &VersionVector) -> Vec<u8> {
        let packed: PackedDelta = self
            .log
            .since(version)
            .map(|entry| self.to_op(entry))
            .collect();
        crate::codec::encode(&packed)
    }

    /// Everything this text holds, as one delta in causal order: integrated into an
    /// empty text, it rebuilds this one, history included.
    pub fn snapshot(&self) -> TextDelta {
        self.delta_since(&VersionVector::new())
    }

    /// Like [`snapshot`](Self::snapshot), but deleted characters travel without their
    /// text: the result still merges with any replica, and is smaller.
    pub fn snapshot_without_deleted(&self) -> TextDelta {
        let ops = self.ops_without_deleted().into_iter().map(TextOp::from);
        TextDelta { ops: ops.collect() }
    }

    /// [`snapshot_without_deleted`](Self::snapshot_without_deleted), encoded, without
    /// building the delta first.
    pub fn encode_without_deleted(&self) -> Vec<u8> {
        let packed: PackedDelta = self.ops_without_deleted().into_iter().collect();
        crate::codec::encode(&packed)
    }

    /// Every logged operation, with insert runs cut into sub-runs that are wholly
    /// deleted (and then carry no text) or wholly visible.
    fn ops_without_deleted(&self) -> Vec<OpRef<'_>> {
        let mut ops = Vec::new();
        for entry in self.log.since(&VersionVector::new()) {
            match self.to_op(entry) {
                OpRef::Insert {
                    id,
                    len,
                    origin_left,
                    origin_right,
                    text,
                } => self.split_by_deletion(id, len, origin_left, origin_right, text, &mut ops),
                delete => ops.push(delete),
            }
        }
        ops
    }

    /// Pushes the insert run `id..id + len` as sub-runs that are wholly deleted or
    /// wholly visible.
    fn split_by_deletion<'a>(
        &self,
        id: Dot,
        len: u32,
        origin_left: Option<Dot>,
        origin_right: Option<Dot>,
        mut text: &'a str,
        ops: &mut Vec<OpRef<'a>>,
    ) {
        let mut done = 0;
        while done < len {
            let first = Dot::new(id.replica(), id.counter() + u64::from(done));
            let cursor = self
                .tree
                .find(first)
                .expect("every logged character is in the tree");
            let span = self.tree.span(cursor).expect("a found cursor names a span");
            let mut run = (span.len - cursor.offset()).min(len - done);
            let deleted = span.deleted;
            // Neighbouring spans in the same state continue the run.
            while done + run < len {
                let next = Dot::new(id.replica(), first.counter() + u64::from(run));
                let cursor = self
                    .tree
                    .find(next)
                    .expect("every logged character is in the tree");
                let span = self.tree.span(cursor).expect("a found cursor names a span");
                if span.deleted != deleted {
                    break;
                }
                run += (span.len - cursor.offset()).min(len - done - run);
            }
            let split = text
                .char_indices()
                .nth(run as usize)
                .map_or(text.len(), |(at, _)| at);
            let (piece, rest) = text.split_at(split);
            text = rest;
            ops.push(OpRef::Insert {
                id: first,
                len: run,
                origin_left: if done == 0 {
                    origin_left
                } else {
                    Some(Dot::new(id.replica(), first.counter() - 1))
                },
                origin_right,
                text: if deleted { "" } else { piece },
            });
            done += run;
        }
    }

    /// A text rebuilt from a snapshot (or any delta).
    pub fn from_snapshot(snapshot: TextDelta) -> Result<Self, Error> {
        let mut text = Self::new();
        text.integrate(snapshot)?;
        Ok(text)
    }

    fn next_dots(&self, replica: ReplicaId, len: u32) -> Result<Dot, Error> {
        let first = self.version.next_dot(replica)?;
        first
            .counter()
            .checked_add(u64::from(len) - 1)
            .ok_or(Error::DotsExhausted { replica })?;
        Ok(first)
    }

    fn append_content(&mut self, text: &str) -> Result<(u32, u32), Error> {
        let start = u32::try_from(self.content.len()).ok();
        let bytes = u32::try_from(text.len()).ok();
        match (start, bytes) {
            (Some(start), Some(bytes)) if start.checked_add(bytes).is_some() => {
                // Only characters past U+FFFF take four bytes in UTF-8.
                self.astral |= text.bytes().any(|byte| byte >= 0xF0);
                self.content.push_str(text);
                Ok((start, bytes))
            }
            _ => Err(Error::Invalid("a text's content is limited to 4 GiB")),
        }
    }

    /// Puts a new run into the tree and the log.
    fn place(&mut self, cursor: Cursor, span: Span) {
        let content = &self.content;
        self.tree.insert(cursor, span, |span, chars| {
            byte_offset(content, span, chars)
        });
        self.advance(span.id, span.len);
        let text_start = (span.bytes > 0).then_some(span.content);
        let shape = InsertTail {
            origin_right: span.origin_right(),
            content_end: text_start,
        };
        let text_end = text_start.map(|start| start + span.bytes);
        self.log
            .push_insert(span.id, span.len, span.origin_left_at(0), shape, text_end);
    }

    fn record_delete(&mut self, id: Dot, len: u32, target: Dot) {
        self.advance(id, len);
        self.log.push_delete(id, len, target);
    }

    fn advance(&mut self, id: Dot, len: u32) {
        self.version
            .advance(id.replica(), id.counter() + u64::from(len) - 1);
    }

    /// The wire form of a logged operation: an insert's origins and text come from
    /// the spans that hold its characters.
    fn to_op(&self, entry: Logged) -> OpRef<'_> {
        match entry {
            Logged::Delete { id, len, target } => OpRef::Delete { id, len, target },
            Logged::Insert { id, len } => {
                let cursor = self
                    .tree
                    .find(id)
                    .expect("every logged character is in the tree");
                let span = self.tree.span(cursor).expect("a found cursor names a span");
                let text = if span.bytes == 0 {
                    ""
                } else {
                    let start =
                        (span.content + byte_offset(&self.content, span, cursor.offset())) as usize;
                    let end = self.content[start..]
                        .char_indices()
                        .nth(len as usize)
                        .map_or(self.content.len(), |(at, _)| start + at);
                    &self.content[start..end]
                };
                OpRef::Insert {
                    id,
                    len,
                    origin_left: span.origin_left_at(cursor.offset()),
                    origin_right: span.origin_right(),
                    text,
                }
            }
        }
    }

    /// Applies `op` if everything it builds on is here; otherwise gives it back with
    /// the first event it waits for.
    fn apply_if_ready(
        &mut self,
        op: TextOp,
        observe: &mut dyn FnMut(TextEdit<'_>),
    ) -> Result<Option<(Dot, TextOp)>, Error> {
        let id = op.id();
        let known = self.version.get(id.replica());
        let last = id.counter() + u64::from(op.len()) - 1;
        if last <= known {
            return Ok(None);
        }
        if id.counter() > known + 1 {
            return Ok(Some((Dot::new(id.replica(), known + 1), op)));
        }
        let op = match (known + 1 - id.counter()) as u32 {
            0 => op,
            seen => trimmed(&op, seen),
        };
        if let Some(missing) = self.missing_dependency(&op) {
            return Ok(Some((missing, op)));
        }
        match op {
            TextOp::Insert {
                id,
                len,
                origin_left,
                origin_right,
                text,
            } => {
                let cursor = self.destination(id.replica(), origin_left, origin_right)?;
                let position = self.tree.visible_position(cursor);
                let (content, bytes) = if text.is_empty() {
                    (u32::try_from(self.content.len()).unwrap_or(u32::MAX), 0)
                } else {
                    self.append_content(&text)?
                };
                self.place(
                    cursor,
                    Span::new(id, len, origin_left, origin_right, content, bytes),
                );
                observe(TextEdit::Insert {
                    id,
                    position,
                    len,
                    text: &text,
                });
            }
            TextOp::Delete { id, len, target } => {
                let mut cursor = self.tree.find_run(target, len).ok_or(Error::Invalid(
                    "a delete names events that are not characters",
                ))?;
                let mut next = target;
                let mut remaining = len;
                loop {
                    let position = self.tree.visible_position(cursor);
                    let content = &self.content;
                    let (_, count, newly) = self.tree.delete(cursor, remaining, |span, chars| {
                        byte_offset(content, span, chars)
                    });
                    if newly {
                        observe(TextEdit::Delete {
                            position,
                            len: count,
                        });
                    }
                    remaining -= count;
                    if remaining == 0 {
                        break;
                    }
                    next = Dot::new(next.replica(), next.counter() + u64::from(count));
                    cursor = self.tree.find(next).expect("the run was checked");
                }
                self.record_delete(id, len, target);
            }
        }
        Ok(None)
    }

    /// The first event `op` builds on that is not here yet.
    fn missing_dependency(&self, op: &TextOp) -> Option<Dot> {
        match op {
            TextOp::Insert {
                origin_left,
                origin_right,
                ..
            } => [*origin_left, *origin_right]
                .into_iter()
                .flatten()
                .find(|&dot| !self.version.contains(dot)),
            TextOp::Delete { len, target, .. } => {
                let last = Dot::new(target.replica(), target.counter() + u64::from(*len) - 1);
                (!self.version.contains(last)).then_some(last)
            }
        }
    }

    /// Where a remote run with these origins goes: right after `origin_left`, past the
    /// concurrent runs that FugueMax orders first.
    fn destination(
        &self,
        replica: ReplicaId,
        origin_left: Option<Dot>,
        origin_right: Option<Dot>,
    ) -> Result<Cursor, Error> {
        let mut cursor = match origin_left {
            None => self.tree.first(),
            Some(dot) => self.tree.next(self.find(dot)?),
        };
        // Without concurrency the run goes right where it was typed: before its right
        // origin, which follows its left origin.
        let here = self
            .tree
            .span(cursor)
            .map(|span| span.dot_at(cursor.offset()));
        if here == origin_right {
            return Ok(cursor);
        }
        let left = self.position_of(origin_left, -1)?;
        let end = self.tree.total_len() as i64;
        let right = self.position_of(origin_right, end)?;
        let mut destination = cursor;
        let mut scanning = false;
        loop {
            if !scanning {
                destination = cursor;
            }
            let Some(other) = self.tree.span(cursor) else {
                break;
            };
            let offset = cursor.offset();
            if Some(other.dot_at(offset)) == origin_right {
                break;
            }
            let other_left = self.position_of(other.origin_left_at(offset), -1)?;
            if other_left < left {
                break;
            }
            if other_left == left {
                let other_right = self.position_of(other.origin_right(), end)?;
                if other_right < right {
                    scanning = true;
                } else if other_right == right {
                    if replica < other.id.replica() {
                        break;
                    }
                    scanning = false;
                } else {
                    scanning = false;
                }
            }
            // The rest of `other`'s span has its left origin inside the span, right of
            // `left`: skipped whatever the state, so jump to the span's last character.
            let last = cursor.with_offset(other.len - 1);
            cursor = self.tree.next(last);
        }
        Ok(destination)
    }

    fn find(&self, dot: Dot) -> Result<Cursor, Error> {
        self.tree.find(dot).ok_or(Error::Invalid(
            "an origin names an event that is not a character",
        ))
    }

    /// The position among all characters of `dot`, or `none` for `None`.
    fn position_of(&self, dot: Option<Dot>, none: i64) -> Result<i64, Error> {
        match dot {
            None => Ok(none),
            Some(dot) => Ok(self.tree.position(self.find(dot)?) as i64),
        }
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut result = Ok(());
        self.tree.for_each_span(|span| {
            if !span.deleted && result.is_ok() {
                let start = span.content as usize;
                result = f.write_str(&self.content[start..start + span.bytes as usize]);
            }
        });
        result
    }
}

/// Rejects operations no replica could have made.
fn check(op: &TextOp) -> Result<(), Error> {
    let id = op.id();
    if op.is_empty() || id.counter() == 0 {
        return Err(Error::Invalid(
            "an operation with no event or a counter of 0",
        ));
    }
    if id.counter().checked_add(u64::from(op.len())).is_none() {
        return Err(Error::Invalid("an operation's dots overflow"));
    }
    match op {
        TextOp::Insert { text, len, .. } => {
            if !text.is_empty() && text.chars().count() != *len as usize {
                return Err(Error::Invalid("an insert's text does not have its length"));
            }
        }
        TextOp::Delete { target, len, .. } => {
            if target.counter() == 0 || target.counter().checked_add(u64::from(*len)).is_none() {
                return Err(Error::Invalid("a delete's target overflows"));
            }
        }
    }
    Ok(())
}

/// `op` without its first `skip` events, which are already here.
fn trimmed(op: &TextOp, skip: u32) -> TextOp {
    let shift = |dot: Dot, by: u32| Dot::new(dot.replica(), dot.counter() + u64::from(by));
    match op.clone() {
        TextOp::Insert {
            id,
            len,
            origin_right,
            text,
            ..
        } => TextOp::Insert {
            id: shift(id, skip),
            len: len - skip,
            origin_left: Some(shift(id, skip - 1)),
            origin_right,
            text: if text.is_empty() {
                text
            } else {
                text.chars().skip(skip as usize).collect()
            },
        },
        TextOp::Delete { id, len, target } => TextOp::Delete {
            id: shift(id, skip),
            len: len - skip,
            target: shift(target, skip),
        },
    }
}

/// Writes `ops` in the text's compact form, for embedding in a document's encoding.
/// Writes `ops` in the text's compact form, naming replicas by the numbers `name`
/// gives them: indices into a table of the surrounding encoding.
pub(crate) fn write_ops_with<'a>(
    ops: impl IntoIterator<Item = &'a TextOp>,
    out: &mut Vec<u8>,
    name: &mut dyn FnMut(ReplicaId) -> u64,
) {
    let packed: PackedDelta = ops.into_iter().map(OpRef::from).collect();
    packed.write_raw_with(out, name);
}

/// Reads what [`write_ops_with`] wrote.
pub(crate) fn read_ops_with(
    input: &mut &[u8],
    replica: &dyn Fn(u64) -> Result<ReplicaId, Error>,
) -> Result<TextDelta, Error> {
    PackedDelta::read_raw_with(input, replica)?.unpack()
}

/// Reads a text's state, replicas named by their ids.
pub(crate) fn read_ops(input: &mut &[u8]) -> Result<TextDelta, Error> {
    PackedDelta::read_raw(input)?.unpack()
}

impl Text {
    /// Writes the text's state for a document snapshot, with or without the content
    /// of deleted characters.
    pub(crate) fn write_state(&self, with_deleted: bool, out: &mut Vec<u8>) {
        let packed: PackedDelta = if with_deleted {
            self.log
                .since(&VersionVector::new())
                .map(|entry| self.to_op(entry))
                .collect()
        } else {
            self.ops_without_deleted().into_iter().collect()
        };
        packed.write_raw(out);
    }
}

/// The byte length of the first `chars` characters of `span`'s text.
fn byte_offset(content: &str, span: &Span, chars: u32) -> u32 {
    if span.bytes == 0 {
        return 0;
    }
    if span.bytes == span.len {
        // One byte per character: ASCII, the common case.
        return chars;
    }
    let text = &content[span.content as usize..(span.content + span.bytes) as usize];
    text.char_indices()
        .nth(chars as usize)
        .map_or(span.bytes, |(at, _)| at as u32)
}
