//! Runs of consecutive characters inserted by one replica.

use crate::{Dot, ReplicaId};

/// An optional dot in the size of a dot: counter 0 names no event, so a dot with
/// counter 0 stands for "none". Spans are the bulk of a text's memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MaybeDot(Dot);

impl MaybeDot {
    const NONE: Self = Self(Dot::new(ReplicaId::new(0), 0));

    pub(crate) fn new(dot: Option<Dot>) -> Self {
        dot.filter(|dot| dot.counter() > 0).map_or(Self::NONE, Self)
    }

    pub(crate) fn get(self) -> Option<Dot> {
        (self.0.counter() > 0).then_some(self.0)
    }
}

/// A run of characters that one replica inserted one after the other: consecutive
/// dots, each character's left origin the character before it, and one right origin
/// for all of them. Typing a word makes one span, so the tree holds spans, not
/// characters. A span is either wholly visible or wholly deleted; deleting part of one
/// splits it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    /// The dot of the first character; the others follow it.
    pub(crate) id: Dot,
    /// Number of characters.
    pub(crate) len: u32,
    /// The character that was left of the first one when it was inserted.
    origin_left: MaybeDot,
    /// The character that was right of the run when it was inserted.
    origin_right: MaybeDot,
    /// Whether the characters are deleted (kept as tombstones for ordering).
    pub(crate) deleted: bool,
    /// Where the span's UTF-8 text starts in the document's content buffer.
    pub(crate) content: u32,
    /// Length of the span's text in bytes.
    pub(crate) bytes: u32,
}

impl Span {
    /// A visible run of `len` characters from `id`, whose text is `bytes` bytes from
    /// `content` in the content buffer.
    pub(crate) fn new(
        id: Dot,
        len: u32,
        origin_left: Option<Dot>,
        origin_right: Option<Dot>,
        content: u32,
        bytes: u32,
    ) -> Self {
        Self {
            id,
            len,
            origin_left: MaybeDot::new(origin_left),
            origin_right: MaybeDot::new(origin_right),
            deleted: false,
            content,
            bytes,
        }
    }

    /// The character that was right of the run when it was inserted.
    pub(crate) fn origin_right(&self) -> Option<Dot> {
        self.origin_right.get()
    }

    /// Characters a reader sees: the length, or 0 when deleted.
    pub(crate) fn visible_len(&self) -> u32 {
        if self.deleted { 0 } else { self.len }
    }

    /// Whether the span holds the character named `dot`.
    pub(crate) fn contains(&self, dot: Dot) -> bool {
        dot.replica() == self.id.replica()
            && dot.counter() >= self.id.counter()
            && dot.counter() - self.id.counter() < u64::from(self.len)
    }

    /// The dot of the character at `offset` in the span.
    pub(crate) fn dot_at(&self, offset: u32) -> Dot {
        Dot::new(self.id.replica(), self.id.counter() + u64::from(offset))
    }

    /// The left origin of the character at `offset`: the one before it in the span,
    /// or the span's own origin for the first.
    pub(crate) fn origin_left_at(&self, offset: u32) -> Option<Dot> {
        if offset == 0 {
            self.origin_left.get()
        } else {
            Some(self.dot_at(offset - 1))
        }
    }

    /// Whether `next` continues this span: same replica, next dots, left origin the
    /// last character here, same right origin, same state, text right after ours (and
    /// both with text, or both without: a snapshot may leave deleted text out), and the
    /// two together no longer than a span can be.
    pub(crate) fn can_append(&self, next: &Span) -> bool {
        self.len.checked_add(next.len).is_some()
            && self.bytes.checked_add(next.bytes).is_some()
            && next.id.replica() == self.id.replica()
            && next.id.counter() == self.id.counter() + u64::from(self.len)
            && next.origin_left.get() == Some(self.dot_at(self.len - 1))
            && next.origin_right == self.origin_right
            && next.deleted == self.deleted
            && next.content == self.content + self.bytes
            && (next.bytes == 0) == (self.bytes == 0)
    }

    /// Splits the span after `offset` characters, with `byte_offset` the byte length of
    /// those characters; `self` keeps the head and the tail is returned.
    pub(crate) fn split(&mut self, offset: u32, byte_offset: u32) -> Span {
        let tail = Span {
            id: self.dot_at(offset),
            len: self.len - offset,
            origin_left: MaybeDot::new(Some(self.dot_at(offset - 1))),
            origin_right: self.origin_right,
            deleted: self.deleted,
            content: self.content + byte_offset,
            bytes: self.bytes - byte_offset,
        };
        self.len = offset;
        self.bytes = byte_offset;
        tail
    }
}
