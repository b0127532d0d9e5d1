//! The text's spans in document order, in a B-tree counted by characters.
//!
//! Leaves hold spans; every internal node keeps, per child, how many characters lie
//! below it, visible and in all (tombstones too). Finding the n-th visible character
//! descends by those counts; finding a character by its dot goes through an index
//! from span starts to leaves and walks up to the root. Both are O(log n).

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::cell::Cell;

use super::span::Span;
use crate::{Dot, ReplicaId};

type NodeId = u32;
const NONE: NodeId = NodeId::MAX;
/// Most spans in a leaf before it splits.
const LEAF_CAPACITY: usize = 32;
/// Most children of an internal node before it splits.
const FANOUT: usize = 16;

/// Characters below a node: those a reader sees, and all of them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Counts {
    visible: u64,
    total: u64,
}

impl Counts {
    fn of(span: &Span) -> Self {
        Self {
            visible: u64::from(span.visible_len()),
            total: u64::from(span.len),
        }
    }

    fn add(&mut self, other: Self) {
        self.visible += other.visible;
        self.total += other.total;
    }
}

#[derive(Clone, Copy, Debug)]
struct Child {
    node: NodeId,
    counts: Counts,
}

#[derive(Clone, Debug)]
enum Node {
    Leaf {
        parent: NodeId,
        spans: Vec<Span>,
    },
    Internal {
        parent: NodeId,
        children: Vec<Child>,
    },
}

impl Node {
    fn parent(&self) -> NodeId {
        match self {
            Node::Leaf { parent, .. } | Node::Internal { parent, .. } => *parent,
        }
    }

    fn set_parent(&mut self, new_parent: NodeId) {
        match self {
            Node::Leaf { parent, .. } | Node::Internal { parent, .. } => *parent = new_parent,
        }
    }
}

/// A place in the document: character `offset` of span `index` in `leaf`. With
/// `index` equal to the leaf's span count, the end of the document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cursor {
    leaf: NodeId,
    index: usize,
    offset: u32,
}

impl Cursor {
    /// The character offset within the cursor's span.
    pub(crate) fn offset(self) -> u32 {
        self.offset
    }

    /// The cursor at another character of the same span.
    pub(crate) fn with_offset(self, offset: u32) -> Self {
        Self { offset, ..self }
    }
}

/// The spans of a text in document order.
#[derive(Clone, Debug)]
pub(crate) struct ContentTree {
    nodes: Vec<Node>,
    root: NodeId,
    counts: Counts,
    /// The leaf of every span, by the replica and counter of its first character.
    /// Keyed per replica, so lookups compare plain counters.
    index: BTreeMap<ReplicaId, BTreeMap<u64, NodeId>>,
    /// The leaf of the last span found or placed: edits cluster, so the next lookup
    /// usually lands there and skips the index.
    hint: Cell<NodeId>,
    /// The leaf of the last position looked up, with the visible characters before it:
    /// typing stays in one leaf for a while, so the next lookup skips the descent.
    /// Cleared by any change of counts outside that leaf.
    visible_hint: Cell<Option<(NodeId, u64)>>,
}

impl ContentTree {
    pub(crate) fn new() -> Self {
        Self {
            nodes: alloc::vec![Node::Leaf {
                parent: NONE,
                spans: Vec::with_capacity(LEAF_CAPACITY + 2),
            }],
            root: 0,
            counts: Counts::default(),
            index: BTreeMap::new(),
            hint: Cell::new(0),
            visible_hint: Cell::new(None),
        }
    }

    /// Characters a reader sees.
    pub(crate) fn visible_len(&self) -> u64 {
        self.counts.visible
    }

    /// Characters in all, deleted ones included.
    pub(crate) fn total_len(&self) -> u64 {
        self.counts.total
    }

    fn spans(&self, leaf: NodeId) -> &Vec<Span> {
        match &self.nodes[leaf as usize] {
            Node::Leaf { spans, .. } => spans,
            Node::Internal { .. } => unreachable!("cursor names an internal node"),
        }
    }

    fn spans_mut(&mut self, leaf: NodeId) -> &mut Vec<Span> {
        match &mut self.nodes[leaf as usize] {
            Node::Leaf { spans, .. } => spans,
            Node::Internal { .. } => unreachable!("cursor names an internal node"),
        }
    }

    fn children(&self, node: NodeId) -> &Vec<Child> {
        match &self.nodes[node as usize] {
            Node::Internal { children, .. } => children,
            Node::Leaf { .. } => unreachable!("parent is a leaf"),
        }
    }

    fn children_mut(&mut self, node: NodeId) -> &mut Vec<Child> {
        match &mut self.nodes[node as usize] {
            Node::Internal { children, .. } => children,
            Node::Leaf { .. } => unreachable!("parent is a leaf"),
        }
    }

    /// The span a cursor points into, if it is not the end.
    pub(crate) fn span(&self, cursor: Cursor) -> Option<&Span> {
        self.spans(cursor.leaf).get(cursor.index)
    }

    /// The cursor at the first character, or the end of an empty document.
    pub(crate) fn first(&self) -> Cursor {
        let mut node = self.root;
        loop {
            match &self.nodes[node as usize] {
                Node::Leaf { .. } => {
                    return Cursor {
                        leaf: node,
                        index: 0,
                        offset: 0,
                    };
                }
                Node::Internal { children, .. } => node = children[0].node,
            }
        }
    }

    /// The end of the document.
    pub(crate) fn end(&self) -> Cursor {
        let mut node = self.root;
        loop {
            match &self.nodes[node as usize] {
                Node::Leaf { spans, .. } => {
                    return Cursor {
                        leaf: node,
                        index: spans.len(),
                        offset: 0,
                    };
                }
                Node::Internal { children, .. } => node = children[children.len() - 1].node,
            }
        }
    }

    /// The cursor at the visible character numbered `position` (from 0), skipping the
    /// deleted characters before it; the end when `position` is the visible length.
    /// `None` past the end.
    pub(crate) fn at_visible(&self, position: u64) -> Option<Cursor> {
        if position >= self.counts.visible {
            return (position == self.counts.visible).then(|| self.end());
        }
        if let Some((leaf, before)) = self.visible_hint.get()
            && let Some(within) = position.checked_sub(before)
            && let Some(cursor) = Self::visible_in(leaf, self.spans(leaf), within)
        {
            return Some(cursor);
        }
        let mut remaining = position;
        let mut node = self.root;
        loop {
            match &self.nodes[node as usize] {
                Node::Internal { children, .. } => {
                    let child = children.iter().find(|child| {
                        let inside = remaining < child.counts.visible;
                        if !inside {
                            remaining -= child.counts.visible;
                        }
                        inside
                    })?;
                    node = child.node;
                }
                Node::Leaf { spans, .. } => {
                    self.visible_hint.set(Some((node, position - remaining)));
                    return Self::visible_in(node, spans, remaining);
                }
            }
        }
    }

    /// The cursor at visible character `position` of a leaf's `spans`.
    fn visible_in(leaf: NodeId, spans: &[Span], position: u64) -> Option<Cursor> {
        let mut remaining = position;
        for (index, span) in spans.iter().enumerate() {
            let visible = u64::from(span.visible_len());
            if remaining < visible {
                let offset = u32::try_from(remaining).ok()?;
                return Some(Cursor {
                    leaf,
                    index,
                    offset,
                });
            }
            remaining -= visible;
        }
        None
    }

    /// Records that the span starting at `start` lives in `leaf`.
    fn locate(&mut self, start: Dot, leaf: NodeId) {
        let starts = self.index.entry(start.replica()).or_default();
        starts.insert(start.counter(), leaf);
    }

    /// The cursor at the character named `dot`.
    pub(crate) fn find(&self, dot: Dot) -> Option<Cursor> {
        let hinted = self.hint.get();
        let in_hint = self
            .spans(hinted)
            .iter()
            .position(|span| span.contains(dot));
        let (leaf, index) = match in_hint {
            Some(index) => (hinted, index),
            None => {
                let starts = self.index.get(&dot.replica())?;
                let (_, &leaf) = starts.range(..=dot.counter()).next_back()?;
                let index = self
                    .spans(leaf)
                    .iter()
                    .position(|span| span.contains(dot))?;
                self.hint.set(leaf);
                (leaf, index)
            }
        };
        let spans = self.spans(leaf);
        let offset = u32::try_from(dot.counter() - spans[index].id.counter()).ok()?;
        Some(Cursor {
            leaf,
            index,
            offset,
        })
    }

    /// The cursor at `first` if the `len` characters named from `first` on are all in
    /// the tree.
    pub(crate) fn find_run(&self, first: Dot, len: u32) -> Option<Cursor> {
        let start = self.find(first)?;
        let span = &self.spans(start.leaf)[start.index];
        let mut remaining = u64::from(len).saturating_sub(u64::from(span.len - start.offset));
        let mut next = Dot::new(
            first.replica(),
            first.counter() + u64::from(len) - remaining,
        );
        while remaining > 0 {
            let cursor = self.find(next)?;
            let span = &self.spans(cursor.leaf)[cursor.index];
            let here = u64::from(span.len - cursor.offset).min(remaining);
            next = Dot::new(next.replica(), next.counter() + here);
            remaining -= here;
        }
        Some(start)
    }

    /// How many characters, deleted ones included, come before the cursor.
    pub(crate) fn position(&self, cursor: Cursor) -> u64 {
        let spans = self.spans(cursor.leaf);
        let within: u64 = spans[..cursor.index]
            .iter()
            .map(|span| u64::from(span.len))
            .sum();
        within + u64::from(cursor.offset) + self.before_leaf(cursor.leaf, |counts| counts.total)
    }

    /// How many visible characters come before the cursor.
    pub(crate) fn visible_position(&self, cursor: Cursor) -> u64 {
        let spans = self.spans(cursor.leaf);
        let within: u64 = spans[..cursor.index]
            .iter()
            .map(|span| u64::from(span.visible_len()))
            .sum();
        let offset = spans
            .get(cursor.index)
            .filter(|span| !span.deleted)
            .map_or(0, |_| u64::from(cursor.offset));
        within + offset + self.before_leaf(cursor.leaf, |counts| counts.visible)
    }

    /// What `count` gives for everything left of `leaf`, summed over the siblings
    /// before it at every level up to the root.
    fn before_leaf(&self, leaf: NodeId, count: impl Fn(Counts) -> u64) -> u64 {
        let mut before = 0;
        let mut node = leaf;
        let mut parent = self.nodes[node as usize].parent();
        while parent != NONE {
            for child in self.children(parent) {
                if child.node == node {
                    break;
                }
                before += count(child.counts);
            }
            node = parent;
            parent = self.nodes[node as usize].parent();
        }
        before
    }

    /// The cursor at the next character (deleted ones included), or the end.
    pub(crate) fn next(&self, cursor: Cursor) -> Cursor {
        let spans = self.spans(cursor.leaf);
        if cursor.offset + 1 < spans[cursor.index].len {
            return Cursor {
                offset: cursor.offset + 1,
                ..cursor
            };
        }
        if cursor.index + 1 < spans.len() {
            return Cursor {
                index: cursor.index + 1,
                offset: 0,
                ..cursor
            };
        }
        self.next_leaf(cursor.leaf).map_or_else(
            || self.end(),
            |leaf| Cursor {
                leaf,
                index: 0,
                offset: 0,
            },
        )
    }

    /// The dot of the character right before the cursor, deleted or not.
    pub(crate) fn before(&self, cursor: Cursor) -> Option<Dot> {
        let spans = self.spans(cursor.leaf);
        if cursor.offset > 0 {
            return Some(spans[cursor.index].dot_at(cursor.offset - 1));
        }
        if cursor.index > 0 {
            let span = &spans[cursor.index - 1];
            return Some(span.dot_at(span.len - 1));
        }
        let leaf = self.previous_leaf(cursor.leaf)?;
        let span = self.spans(leaf).last()?;
        Some(span.dot_at(span.len - 1))
    }

    /// The leaf before `leaf` in document order, skipping empty ones.
    fn previous_leaf(&self, leaf: NodeId) -> Option<NodeId> {
        let mut node = leaf;
        loop {
            let parent = self.nodes[node as usize].parent();
            if parent == NONE {
                return None;
            }
            let siblings = self.children(parent);
            let at = siblings.iter().position(|child| child.node == node)?;
            if at > 0 {
                let mut down = siblings[at - 1].node;
                while let Node::Internal { children, .. } = &self.nodes[down as usize] {
                    down = children[children.len() - 1].node;
                }
                if self.spans(down).is_empty() {
                    node = down;
                    continue;
                }
                return Some(down);
            }
            node = parent;
        }
    }

    /// The leaf after `leaf` in document order, skipping empty ones.
    fn next_leaf(&self, leaf: NodeId) -> Option<NodeId> {
        let mut node = leaf;
        loop {
            let parent = self.nodes[node as usize].parent();
            if parent == NONE {
                return None;
            }
            let siblings = self.children(parent);
            let at = siblings.iter().position(|child| child.node == node)?;
            if let Some(sibling) = siblings.get(at + 1) {
                let mut down = sibling.node;
                while let Node::Internal { children, .. } = &self.nodes[down as usize] {
                    down = children[0].node;
                }
                if self.spans(down).is_empty() {
                    node = down;
                    continue;
                }
                return Some(down);
            }
            node = parent;
        }
    }

    /// Visits every span in document order.
    pub(crate) fn for_each_span(&self, mut visit: impl FnMut(&Span)) {
        let mut cursor = self.first();
        loop {
            let spans = self.spans(cursor.leaf);
            spans.iter().for_each(&mut visit);
            match self.next_leaf(cursor.leaf) {
                Some(leaf) => cursor.leaf = leaf,
                None => return,
            }
        }
    }

    /// Inserts `span` right before the cursor (at the end for the end cursor),
    /// extending the span before it when `span` continues it.
    pub(crate) fn insert(
        &mut self,
        cursor: Cursor,
        span: Span,
        byte_offset: impl FnOnce(&Span, u32) -> u32,
    ) {
        let Cursor {
            leaf,
            mut index,
            offset,
        } = cursor;
        if offset > 0 {
            self.split(leaf, index, offset, byte_offset);
            index += 1;
        }
        let spans = self.spans_mut(leaf);
        if index > 0 && spans[index - 1].can_append(&span) {
            spans[index - 1].len += span.len;
            spans[index - 1].bytes += span.bytes;
        } else {
            spans.insert(index, span);
            self.locate(span.id, leaf);
        }
        let added = Counts::of(&span);
        self.adjust(leaf, |counts| counts.add(added));
        self.hint.set(leaf);
        self.split_if_full(leaf);
    }

    /// Splits span `index` of `leaf` after `offset` characters; the tail becomes span
    /// `index + 1`.
    fn split(
        &mut self,
        leaf: NodeId,
        index: usize,
        offset: u32,
        byte_offset: impl FnOnce(&Span, u32) -> u32,
    ) {
        let spans = self.spans_mut(leaf);
        let bytes = byte_offset(&spans[index], offset);
        let tail = spans[index].split(offset, bytes);
        spans.insert(index + 1, tail);
        self.locate(tail.id, leaf);
    }

    /// Marks deleted the characters from the cursor on, at most `len` of them and not
    /// past the end of the cursor's span. Returns the dot of the first and how many
    /// there were, and whether they were visible until now.
    pub(crate) fn delete(
        &mut self,
        cursor: Cursor,
        len: u32,
        byte_offset: impl Fn(&Span, u32) -> u32,
    ) -> (Dot, u32, bool) {
        let Cursor {
            leaf,
            mut index,
            offset,
        } = cursor;
        if offset > 0 {
            self.split(leaf, index, offset, &byte_offset);
            index += 1;
        }
        let span = self.spans(leaf)[index];
        if span.len > len {
            self.split(leaf, index, len, &byte_offset);
        }
        let spans = self.spans_mut(leaf);
        let target = &mut spans[index];
        let (start, count) = (target.id, target.len);
        let newly = !target.deleted;
        target.deleted = true;
        if newly {
            self.adjust(leaf, |counts| counts.visible -= u64::from(count));
        }
        self.split_if_full(leaf);
        (start, count, newly)
    }

    /// Applies `change` to the counts of `leaf` and of every node above it.
    fn adjust(&mut self, leaf: NodeId, change: impl Fn(&mut Counts)) {
        self.forget_visible_hint_unless(leaf);
        change(&mut self.counts);
        let mut node = leaf;
        let mut parent = self.nodes[node as usize].parent();
        while parent != NONE {
            let child = self
                .children_mut(parent)
                .iter_mut()
                .find(|child| child.node == node)
                .expect("a node is among its parent's children");
            change(&mut child.counts);
            node = parent;
            parent = self.nodes[node as usize].parent();
        }
    }

    /// Counts changed in `leaf`: the visible hint stays right only if it is that leaf
    /// (its own start does not move).
    fn forget_visible_hint_unless(&self, leaf: NodeId) {
        if self
            .visible_hint
            .get()
            .is_some_and(|(hinted, _)| hinted != leaf)
        {
            self.visible_hint.set(None);
        }
    }

    fn counts_of(&self, node: NodeId) -> Counts {
        let mut counts = Counts::default();
        match &self.nodes[node as usize] {
            Node::Leaf { spans, .. } => spans.iter().for_each(|span| counts.add(Counts::of(span))),
            Node::Internal { children, .. } => {
                children.iter().for_each(|child| counts.add(child.counts))
            }
        }
        counts
    }

    /// Splits a node that outgrew its capacity, and its parents in turn.
    fn split_if_full(&mut self, node: NodeId) {
        let full = match &self.nodes[node as usize] {
            Node::Leaf { spans, .. } => spans.len() > LEAF_CAPACITY,
            Node::Internal { children, .. } => children.len() > FANOUT,
        };
        if !full {
            return;
        }
        let parent = self.nodes[node as usize].parent();
        let is_last = matches!(self.nodes[node as usize], Node::Leaf { .. })
            && self.next_leaf(node).is_none();
        let sibling = NodeId::try_from(self.nodes.len()).expect("fewer than 2^32 nodes");
        let right = match &mut self.nodes[node as usize] {
            Node::Leaf { spans, .. } => {
                // Both halves keep room for one full leaf and no more: leaves are most
                // of a text's memory, and doubling growth would leave half of it empty.
                // Writing at the end of a document fills the last leaf over and over:
                // splitting it unevenly keeps the leaves behind the writer full.
                let at = if is_last {
                    spans.len() - 2
                } else {
                    spans.len() / 2
                };
                let mut tail = Vec::with_capacity(LEAF_CAPACITY + 2);
                tail.extend(spans.drain(at..));
                for span in &tail {
                    let starts = self.index.entry(span.id.replica()).or_default();
                    starts.insert(span.id.counter(), sibling);
                }
                Node::Leaf {
                    parent,
                    spans: tail,
                }
            }
            Node::Internal { children, .. } => {
                let tail = children.split_off(children.len() / 2);
                Node::Internal {
                    parent,
                    children: tail,
                }
            }
        };
        if let Node::Internal { children, .. } = &right {
            let moved: Vec<NodeId> = children.iter().map(|child| child.node).collect();
            for child in moved {
                self.nodes[child as usize].set_parent(sibling);
            }
        }
        self.nodes.push(right);
        let left_counts = self.counts_of(node);
        let right_counts = self.counts_of(sibling);
        if parent == NONE {
            let root = sibling + 1;
            self.nodes.push(Node::Internal {
                parent: NONE,
                children: alloc::vec![
                    Child {
                        node,
                        counts: left_counts
                    },
                    Child {
                        node: sibling,
                        counts: right_counts
                    },
                ],
            });
            self.nodes[node as usize].set_parent(root);
            self.nodes[sibling as usize].set_parent(root);
            self.root = root;
            return;
        }
        let siblings = self.children_mut(parent);
        let at = siblings
            .iter()
            .position(|child| child.node == node)
            .expect("a node is among its parent's children");
        siblings[at].counts = left_counts;
        siblings.insert(
            at + 1,
            Child {
                node: sibling,
                counts: right_counts,
            },
        );
        self.split_if_full(parent);
    }
}

impl ContentTree {
    /// Checks the tree's bookkeeping: every count is the sum below it, every parent
    /// link matches, every span is indexed under its leaf. Returns what is wrong.
    pub(crate) fn check(&self) -> Result<(), &'static str> {
        let mut spans = 0;
        let counts = self.check_node(self.root, NONE, &mut spans)?;
        if counts != self.counts {
            return Err("the root's counts are not the sum of the tree");
        }
        if spans != self.index.values().map(BTreeMap::len).sum::<usize>() {
            return Err("the index and the spans disagree in number");
        }
        Ok(())
    }

    fn check_node(
        &self,
        node: NodeId,
        parent: NodeId,
        spans: &mut usize,
    ) -> Result<Counts, &'static str> {
        if self.nodes[node as usize].parent() != parent {
            return Err("a parent link is wrong");
        }
        match &self.nodes[node as usize] {
            Node::Leaf { spans: here, .. } => {
                for span in here {
                    if span.len == 0 {
                        return Err("an empty span");
                    }
                    let indexed = self.index.get(&span.id.replica());
                    if indexed.and_then(|starts| starts.get(&span.id.counter())) != Some(&node) {
                        return Err("a span is not indexed under its leaf");
                    }
                }
                *spans += here.len();
                Ok(self.counts_of(node))
            }
            Node::Internal { children, .. } => {
                let mut total = Counts::default();
                for child in children {
                    let below = self.check_node(child.node, node, spans)?;
                    if below != child.counts {
                        return Err("a child's counts are not the sum below it");
                    }
                    total.add(below);
                }
                Ok(total)
            }
        }
    }
}

impl Default for ContentTree {
    fn default() -> Self {
        Self::new()
    }
}
