//! Documents: named containers of every type, synced as one unit.
//!
//! A [`Document`] holds root containers by name and kind (`text("body")`,
//! `map("meta")`, ...), and containers nested inside maps and lists. Every local edit
//! happens inside a [`Transaction`], which becomes one [`Change`]: operations with
//! consecutive dots, a Lamport time, and the newest changes its author had seen. Changes
//! apply once what they depend on is here, so each container sees its operations in
//! causal order, and a document's [`VersionVector`] names exactly the changes it
//! holds.
//!
//! # Concurrent creation of the same child container
//!
//! A container inside a map is named by its path ([`ContainerId::child`]): the map
//! and the key. Two replicas that concurrently run `map.set("todo", new List)` both
//! create *the same* list, and the merge keeps both sides' items; the key's value, a
//! [`Value::Container`], is the same on both sides too. A container inside a list is
//! named by the element that holds it, so concurrent inserts make distinct containers.
//! Setting a key to a container of another kind makes a different container (the
//! kind is part of the name), and the key then shows whichever write won; setting it
//! back to the first kind shows the first container with its content, as a root
//! container does when it is looked up again.
//!
//! # History, snapshots and compaction
//!
//! A document keeps the changes it has seen, so it can send a peer exactly what the
//! peer's version lacks ([`Document::export_update`]). Once every known replica has
//! seen a change (causal stability), [`Document::compact`] drops it; a peer that
//! returns from further back receives a snapshot instead ([`Error::Compacted`] tells
//! the caller). Snapshots hold each container's state, which joins into any replica.
//!
//! # Events
//!
//! Transactions and imports queue a [`DocEvent`] each, with every container's change
//! in editor terms: text and list deltas of retain/insert/delete, map keys with their
//! new values. The caller takes them with [`Document::take_events`] and hands them to
//! its observers; the core calls no code of the caller's while it changes state, so
//! an observer can never see, or make, a half-applied change.

mod change;
mod container_id;
mod cursor;
mod encoding;
mod event;
mod frontier;
mod history;
mod state;
mod transaction;
mod typing;
mod undo;
mod value;
pub(crate) mod wire;

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

pub use change::{Change, Op, Stamp};
pub use container_id::{Base, ContainerId, Kind};
pub use cursor::{CURSOR_KIND, Cursor, Side};
pub use encoding::{SNAPSHOT_KIND, UPDATE_KIND};
pub use event::{ContainerDiff, DeltaItem, Diff, DocEvent, Piece, SeqDelta};
pub use transaction::Transaction;
pub use undo::{REDO_ORIGIN, UNDO_ORIGIN, UndoManager};
pub use value::{Value, View};

pub(crate) use encoding::{envelope, envelope_with_room, open};
use encoding::{read_changes, read_snapshot, write_changes, write_snapshot};
use event::DiffBuilder;
use frontier::Frontier;
use history::History;
use state::Container;
use transaction::OpenChange;

use crate::{Dot, Error, ReplicaId, Text, VersionVector};

/// Encodes changes as an update (what [`Document::export_update`] produces).
pub fn encode_update<'a>(changes: impl Iterator<Item = &'a Change>) -> Vec<u8> {
    let mut out = envelope(UPDATE_KIND);
    write_changes(&mut out, changes);
    out.out
}

/// Decodes an update into its changes, without applying them: what a relay reads to
/// check who wrote them. Total: any bytes give changes or an error.
pub fn decode_update(bytes: &[u8]) -> Result<Vec<Change>, Error> {
    let mut input = open(bytes, UPDATE_KIND)?;
    let changes = read_changes(&mut input)?;
    if !input.is_empty() {
        return Err(Error::Malformed);
    }
    Ok(changes)
}

/// How much a snapshot keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnapshotMode {
    /// Everything: deleted text with its content, and the history of changes, so the
    /// loaded document can send any peer exactly what it lacks and check out old
    /// versions.
    Full,
    /// The current state only: deleted text without its content and no history.
    /// Smaller; it still merges with any replica.
    Shallow,
}

/// What an import did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Imported {
    /// Changes applied (including ones that waited and are now ready).
    pub applied: usize,
    /// Changes waiting for changes not seen yet.
    pub pending: usize,
}

/// Most changes that may wait for missing ones; past it, a peer is sending changes
/// that build on what it never sends, and further ones are refused.
const MAX_PENDING: usize = 65_536;

/// Deepest nesting the JSON view follows; deeper containers show as null.
const MAX_VIEW_DEPTH: usize = 256;

/// A replica of a document. See the [module docs](self).
#[derive(Clone, Debug)]
pub struct Document {
    replica: ReplicaId,
    version: VersionVector,
    /// The changes nothing here builds on yet: the next local change's dependencies.
    frontier: Frontier,
    /// The highest Lamport time seen; the next local operation takes the one after.
    lamport: u64,
    containers: BTreeMap<ContainerId, Container>,
    /// Each replica's changes above `base`.
    history: History,
    /// Changes at or below this were compacted away (or arrived inside a snapshot).
    base: VersionVector,
    /// Changes that arrived before what they depend on.
    pending: BTreeMap<Dot, Change>,
    events: Vec<DocEvent>,
    events_enabled: bool,
    /// The change [`begin`](Self::begin) opened, until [`commit`](Self::commit).
    open: Option<OpenChange>,
    /// What [`take_update`](Self::take_update) returns next, while it is wanted.
    updates: Option<UpdateLog>,
}

/// The changes recorded since the last [`Document::take_update`].
#[derive(Clone, Debug, Default)]
struct UpdateLog {
    changes: Vec<Change>,
    /// A snapshot arrived: its changes are not at hand one by one.
    snapshot_merged: bool,
    /// The version at the last take.
    since: VersionVector,
}

impl Document {
    /// An empty document edited as `replica`. Every process (every browser tab)
    /// editing a document needs a replica id of its own.
    pub fn new(replica: ReplicaId) -> Self {
        Self {
            replica,
            version: VersionVector::new(),
            frontier: Frontier::default(),
            lamport: 0,
            containers: BTreeMap::new(),
            history: History::default(),
            base: VersionVector::new(),
            pending: BTreeMap::new(),
            events: Vec::new(),
            events_enabled: true,
            open: None,
            updates: None,
        }
    }

    /// The replica local edits are made as.
    pub fn replica(&self) -> ReplicaId {
        self.replica
    }

    /// The changes this document holds.
    pub fn version(&self) -> &VersionVector {
        &self.version
    }

    /// Changes at or below this version are no longer kept as changes.
    pub fn compacted_version(&self) -> &VersionVector {
        &self.base
    }

    /// How many received changes wait for changes not seen yet.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// Runs `edit` in a transaction: its operations become one change, and observers
    /// get one event, tagged with `origin`. Edits made before an error stay made, as
    /// in Yjs; the error is returned. Inside a transaction opened with
    /// [`begin`](Self::begin), the edits join it.
    pub fn transact<R>(
        &mut self,
        origin: Option<&str>,
        edit: impl FnOnce(&mut Transaction<'_>) -> Result<R, Error>,
    ) -> Result<R, Error> {
        if self.open.is_some() {
            return self.edit(edit);
        }
        let open = OpenChange::new(self, origin.map(String::from))?;
        let mut transaction = Transaction::new(self, open);
        let result = edit(&mut transaction);
        let (doc, open) = transaction.into_parts();
        open.commit(doc);
        result
    }

    /// Opens a transaction that [`edit`](Self::edit) calls join until
    /// [`commit`](Self::commit): for callers whose edits arrive one call at a time,
    /// such as JavaScript's `doc.transact(fn)`. Fails if one is open already.
    pub fn begin(&mut self, origin: Option<&str>) -> Result<(), Error> {
        if self.open.is_some() {
            return Err(Error::Invalid("a transaction is open already"));
        }
        self.open = Some(OpenChange::new(self, origin.map(String::from))?);
        Ok(())
    }

    /// Runs `edit` inside the transaction [`begin`](Self::begin) opened, or in a
    /// transaction of its own when none is open.
    pub fn edit<R>(
        &mut self,
        edit: impl FnOnce(&mut Transaction<'_>) -> Result<R, Error>,
    ) -> Result<R, Error> {
        let Some(open) = self.open.take() else {
            return self.transact(None, edit);
        };
        let mut transaction = Transaction::new(self, open);
        let result = edit(&mut transaction);
        let (doc, open) = transaction.into_parts();
        doc.open = Some(open);
        result
    }

    /// Ends the transaction [`begin`](Self::begin) opened: its edits become one
    /// change. Does nothing when none is open.
    pub fn commit(&mut self) {
        if let Some(open) = self.open.take() {
            open.commit(self);
        }
    }

    /// Whether a transaction opened with [`begin`](Self::begin) is waiting for its
    /// [`commit`](Self::commit). An import commits it first; exports leave its edits
    /// out, so commit before exporting.
    pub fn in_transaction(&self) -> bool {
        self.open.is_some()
    }

    /// Turns events on (the default) or off. A document nobody observes (a relay's,
    /// one loaded in bulk) turns them off: working out editor deltas costs time on
    /// large imports, and an [`UndoManager`] needs them on.
    pub fn set_events(&mut self, enabled: bool) {
        self.events_enabled = enabled;
        if !enabled {
            self.events.clear();
        }
    }

    /// Whether the document records events.
    pub fn events_enabled(&self) -> bool {
        self.events_enabled
    }

    /// Starts (or stops) keeping what this document records, local changes and
    /// imported ones, for [`take_update`](Self::take_update): what apps forward to
    /// their peers after each transaction (Yjs's `update` event).
    pub fn set_updates(&mut self, enabled: bool) {
        self.updates = enabled.then(|| UpdateLog {
            since: self.version.clone(),
            ..UpdateLog::default()
        });
    }

    /// Everything recorded since the last call (or since
    /// [`set_updates`](Self::set_updates)), as one update; `None` if nothing was. After
    /// a snapshot merged into a document whose history was compacted, a full snapshot.
    pub fn take_update(&mut self) -> Option<Vec<u8>> {
        let log = self.updates.as_mut()?;
        let taken = core::mem::take(log);
        log.since = self.version.clone();
        if taken.snapshot_merged {
            return Some(
                self.export_update(&taken.since)
                    .unwrap_or_else(|_| self.export_snapshot(SnapshotMode::Full)),
            );
        }
        (!taken.changes.is_empty()).then(|| encode_update(taken.changes.iter()))
    }

    /// The events queued since the last call, oldest first.
    pub fn take_events(&mut self) -> Vec<DocEvent> {
        core::mem::take(&mut self.events)
    }

    /// A text's contents, if the text exists.
    pub fn text(&self, id: &ContainerId) -> Option<&Text> {
        match self.containers.get(id)? {
            Container::Text(text) => Some(text),
            _ => None,
        }
    }

    /// The value of `key` in a map.
    pub fn map_get(&self, id: &ContainerId, key: &str) -> Option<&Value> {
        match self.containers.get(id)? {
            Container::Map(map) => map.get(key),
            _ => None,
        }
    }

    /// A map's keys and values, in key order (none if it does not exist).
    pub fn map_entries(&self, id: &ContainerId) -> impl Iterator<Item = (&str, &Value)> {
        let map = match self.containers.get(id) {
            Some(Container::Map(map)) => Some(map),
            _ => None,
        };
        map.into_iter().flat_map(|map| map.iter())
    }

    /// Every container that exists here, root or nested, in container order.
    pub fn container_ids(&self) -> impl Iterator<Item = &ContainerId> {
        self.containers.keys()
    }

    /// A list's length, plain or movable (0 if it does not exist).
    pub fn list_len(&self, id: &ContainerId) -> u64 {
        match self.containers.get(id) {
            Some(Container::List(list)) => list.len(),
            Some(Container::MovableList(list)) => list.len(),
            _ => 0,
        }
    }

    /// The element at `index` of a list, plain or movable.
    pub fn list_get(&self, id: &ContainerId, index: u64) -> Option<&Value> {
        self.list_element(id, index).map(|(value, _, _)| value)
    }

    /// The container a list element holds, if it holds one.
    pub fn list_child(&self, id: &ContainerId, index: u64) -> Option<ContainerId> {
        match self.list_element(id, index)? {
            (Value::Container(kind), op, index) => Some(ContainerId::element(op, index, *kind)),
            _ => None,
        }
    }

    /// An element's value and the operation and index that name what it holds.
    fn list_element(&self, id: &ContainerId, index: u64) -> Option<(&Value, Dot, u32)> {
        match self.containers.get(id)? {
            Container::List(list) => list
                .get(index)
                .map(|element| (&element.value, element.op, element.index)),
            Container::MovableList(list) => {
                let (_, element) = *list.visible().get(usize::try_from(index).ok()?)?;
                Some((element.value(), element.op, element.index))
            }
            _ => None,
        }
    }

    /// A counter's value (0 if it does not exist).
    pub fn counter(&self, id: &ContainerId) -> i64 {
        match self.containers.get(id) {
            Some(Container::Counter(counter)) => counter.value(),
            _ => 0,
        }
    }

    /// A register's value.
    pub fn register(&self, id: &ContainerId) -> Option<&Value> {
        match self.containers.get(id)? {
            Container::Register(register) => register.get(),
            _ => None,
        }
    }

    /// The whole document as a tree of plain values: the root containers by name,
    /// nested containers resolved.
    pub fn view(&self) -> View {
        let mut roots = BTreeMap::new();
        for id in self.containers.keys().filter(|id| id.is_root()) {
            if let Base::Root(name) = &id.base {
                roots.insert(name.clone(), self.view_of(id));
            }
        }
        View::Map(roots)
    }

    /// One container as a tree of plain values.
    pub fn view_of(&self, id: &ContainerId) -> View {
        self.view_at(id, 0)
    }

    fn view_at(&self, id: &ContainerId, depth: usize) -> View {
        if depth > MAX_VIEW_DEPTH {
            return View::Null;
        }
        let child = |value: &Value, child_id: &dyn Fn(Kind) -> ContainerId| match value {
            Value::Container(kind) => self.view_at(&child_id(*kind), depth + 1),
            scalar => scalar_view(scalar),
        };
        match (self.containers.get(id), id.kind) {
            (Some(Container::Text(text)), _) => View::Str(text.to_string()),
            (Some(Container::Map(map)), _) => View::Map(
                map.iter()
                    .map(|(key, value)| {
                        let view = child(value, &|kind| id.child(key, kind));
                        (key.into(), view)
                    })
                    .collect(),
            ),
            (Some(Container::List(list)), _) => View::List(
                list.visible()
                    .into_iter()
                    .map(|element| {
                        child(&element.value, &|kind| {
                            ContainerId::element(element.op, element.index, kind)
                        })
                    })
                    .collect(),
            ),
            (Some(Container::MovableList(list)), _) => View::List(
                list.visible()
                    .into_iter()
                    .map(|(_, element)| {
                        child(element.value(), &|kind| {
                            ContainerId::element(element.op, element.index, kind)
                        })
                    })
                    .collect(),
            ),
            (Some(Container::Counter(counter)), _) => View::Int(counter.value()),
            (Some(Container::Register(register)), _) => {
                register.get().map_or(View::Null, scalar_view)
            }
            (None, Kind::Text) => View::Str(String::new()),
            (None, Kind::Map) => View::Map(BTreeMap::new()),
            (None, Kind::List | Kind::MovableList) => View::List(Vec::new()),
            (None, Kind::Counter) => View::Int(0),
            (None, Kind::Register) => View::Null,
        }
    }

    /// What a replica at `since` lacks, encoded: every change this document holds
    /// that `since` does not, in causal order. [`Error::Compacted`] if some of them
    /// were compacted away; send [`export_snapshot`](Self::export_snapshot) instead.
    pub fn export_update(&self, since: &VersionVector) -> Result<Vec<u8>, Error> {
        let mut out = envelope(UPDATE_KIND);
        self.history.write_since(&mut out, since, &self.version)?;
        Ok(out.out)
    }

    /// The changes `since` lacks, decoded, in causal order. Consecutive changes of one
    /// replica with nothing between them come as one.
    pub fn changes_since(&self, since: &VersionVector) -> Result<Vec<Change>, Error> {
        decode_update(&self.export_update(since)?)
    }

    /// The document's state, encoded.
    pub fn export_snapshot(&self, mode: SnapshotMode) -> Vec<u8> {
        let mut out = envelope(SNAPSHOT_KIND);
        out.u64(self.lamport);
        let full = mode == SnapshotMode::Full;
        let base = if full { &self.base } else { &self.version };
        write_snapshot(
            &mut out,
            &self.version,
            base,
            &self.containers,
            full,
            |out| {
                if full {
                    self.history.write_all(out);
                } else {
                    write_changes(out, core::iter::empty());
                }
            },
        );
        out.out
    }

    /// A document loaded from a snapshot, edited as `replica`.
    pub fn from_snapshot(replica: ReplicaId, bytes: &[u8]) -> Result<Self, Error> {
        let mut document = Self::new(replica);
        // Nobody observes a document before it exists: no events to work out.
        document.set_events(false);
        document.import(bytes, None)?;
        document.set_events(true);
        Ok(document)
    }

    /// Applies an update or a snapshot from any replica, in any order and with
    /// repeats. Changes that depend on changes not seen yet wait inside the document.
    /// Observers get one event tagged with `origin`.
    pub fn import(&mut self, bytes: &[u8], origin: Option<&str>) -> Result<Imported, Error> {
        self.import_into(bytes, origin, None)
    }

    /// [`import`](Self::import), also saying what the update holds together with
    /// the dependencies its changes name: the join of their dots (empty for a
    /// snapshot). Its sender holds all that, and more (what those dependencies build
    /// on in turn, which only the history could say). A sync session learns from it
    /// what not to send its peer back, without decoding the update a second time.
    pub(crate) fn import_covering(
        &mut self,
        bytes: &[u8],
        origin: Option<&str>,
    ) -> Result<(Imported, VersionVector), Error> {
        let mut covered = VersionVector::new();
        let imported = self.import_into(bytes, origin, Some(&mut covered))?;
        Ok((imported, covered))
    }

    /// Imports `bytes`, joining what the update covers into `covered` when asked:
    /// only a session needs it, and a plain import does not pay for the merges.
    fn import_into(
        &mut self,
        bytes: &[u8],
        origin: Option<&str>,
        covered: Option<&mut VersionVector>,
    ) -> Result<Imported, Error> {
        self.commit();
        let kind = bytes.get(3).copied();
        let mut diffs = DiffBuilder::new(self.events_enabled);
        let result = if kind == Some(SNAPSHOT_KIND) {
            let mut input = open(bytes, SNAPSHOT_KIND)?;
            let lamport = input.u64()?;
            if lamport > encoding::MAX_LAMPORT {
                return Err(Error::Malformed);
            }
            let parts = read_snapshot(&mut input)?;
            self.merge_snapshot(lamport, parts, &mut diffs)
        } else {
            let changes = decode_update(bytes)?;
            if let Some(covered) = covered {
                for change in &changes {
                    covered.merge(&change.deps);
                    covered.advance(change.id.replica(), change.last_counter());
                }
            }
            self.apply_changes(changes, &mut diffs)
        };
        let diffs = diffs.finish();
        if self.events_enabled && !diffs.is_empty() {
            self.events.push(DocEvent {
                local: false,
                origin: origin.map(String::from),
                diffs,
                inverse: Vec::new(),
            });
        }
        result
    }

    /// Applies changes that are ready, files the others, then retries the filed ones.
    pub(crate) fn apply_changes(
        &mut self,
        changes: Vec<Change>,
        diffs: &mut DiffBuilder,
    ) -> Result<Imported, Error> {
        let mut refused = None;
        let mut applied = 0;
        for change in changes {
            let change = match self.unseen_part(change) {
                Ok(Some(change)) => change,
                Ok(None) => continue,
                Err(error) => {
                    refused = refused.or(Some(error));
                    continue;
                }
            };
            match self.readiness(&change) {
                Ok(Readiness::Ready) => {
                    if let Err(error) = self.apply_change(change, diffs) {
                        refused = refused.or(Some(error));
                    }
                    applied += 1;
                }
                Ok(Readiness::Known) => {}
                Ok(Readiness::Waiting) if self.pending.len() >= MAX_PENDING => {
                    refused = refused.or(Some(Error::Invalid(
                        "too many changes wait for missing ones; sync from a snapshot",
                    )));
                }
                Ok(Readiness::Waiting) => {
                    self.pending.entry(change.id).or_insert(change);
                }
                Err(error) => refused = refused.or(Some(error)),
            }
        }
        applied += self.retry_pending(diffs, &mut refused);
        match refused {
            Some(error) => Err(error),
            None => Ok(Imported {
                applied,
                pending: self.pending.len(),
            }),
        }
    }

    fn retry_pending(&mut self, diffs: &mut DiffBuilder, refused: &mut Option<Error>) -> usize {
        let mut applied = 0;
        loop {
            let mut progressed = false;
            let pending = core::mem::take(&mut self.pending);
            for change in pending.into_values() {
                let Ok(Some(change)) = self.unseen_part(change) else {
                    continue;
                };
                match self.readiness(&change) {
                    Ok(Readiness::Ready) => {
                        if let Err(error) = self.apply_change(change, diffs) {
                            *refused = refused.take().or(Some(error));
                        }
                        applied += 1;
                        progressed = true;
                    }
                    Ok(Readiness::Waiting) => {
                        self.pending.insert(change.id, change);
                    }
                    Ok(Readiness::Known) | Err(_) => {}
                }
            }
            if !progressed {
                return applied;
            }
        }
    }

    /// The part of `change` this document has not applied: all of it, a tail (a run
    /// of changes that was merged after this document saw its start), or none.
    fn unseen_part(&self, change: Change) -> Result<Option<Change>, Error> {
        self.readiness(&change)?;
        let known = self.version.get(change.id.replica());
        Ok(change.split_after(known).1)
    }

    fn readiness(&self, change: &Change) -> Result<Readiness, Error> {
        let replica = change.id.replica();
        let known = self.version.get(replica);
        let first = change.id.counter();
        if change.ops.is_empty() || first == 0 {
            return Err(Error::Invalid(
                "a change with no operation or a counter of 0",
            ));
        }
        let last = first
            .checked_add(change.ops.len() as u64 - 1)
            .ok_or(Error::Invalid("a change's counters overflow"))?;
        if change.deps.get(replica) != first - 1 {
            return Err(Error::Invalid(
                "a change that skips its author's previous one",
            ));
        }
        if last <= known {
            return Ok(Readiness::Known);
        }
        let ready = first == known + 1 && self.version.includes(&change.deps);
        Ok(if ready {
            Readiness::Ready
        } else {
            Readiness::Waiting
        })
    }

    /// Applies a ready change and records it. An operation the containers refuse
    /// (no honest replica makes one) is skipped on every replica alike, and the first
    /// such error is returned after the change is recorded.
    fn apply_change(&mut self, mut change: Change, diffs: &mut DiffBuilder) -> Result<(), Error> {
        self.record(&mut change);
        let Change {
            id, lamport, ops, ..
        } = change;
        let mut refused = None;
        let mut ops = ops.into_iter().enumerate().peekable();
        while let Some((index, mut op)) = ops.next() {
            // Consecutive edits of one text integrate as one delta: a run of typing
            // pays one lookup, not one per keystroke.
            if let Op::Text { target, delta } = &mut op {
                while let Some((_, Op::Text { target: next, .. })) = ops.peek()
                    && next == target
                    && let Some((_, Op::Text { delta: more, .. })) = ops.next()
                {
                    delta.ops.extend(more.ops);
                }
            }
            let stamp = Stamp {
                lamport: lamport + index as u64,
                replica: id.replica(),
            };
            let dot = Dot::new(id.replica(), id.counter() + index as u64);
            if let Err(error) = self.apply_op(op, stamp, dot, diffs) {
                refused = refused.or(Some(error));
            }
        }
        refused.map_or(Ok(()), Err)
    }

    /// Records an applied change in the version, the Lamport clock and the history,
    /// which may take its dependencies.
    pub(crate) fn record(&mut self, change: &mut Change) {
        let last = change.last_counter();
        self.version.advance(change.id.replica(), last);
        self.frontier.record(change);
        self.lamport = self
            .lamport
            .max(change.lamport + change.ops.len() as u64 - 1);
        if let Some(log) = &mut self.updates {
            log.changes.push(change.clone());
        }
        self.history.push(change);
    }

    /// Applies one operation with its stamp and dot.
    fn apply_op(
        &mut self,
        op: Op,
        stamp: Stamp,
        dot: Dot,
        diffs: &mut DiffBuilder,
    ) -> Result<(), Error> {
        let target = op.target();
        if !self.containers.contains_key(target) {
            self.containers
                .insert(target.clone(), Container::new(target.kind));
        }
        let container = self
            .containers
            .get_mut(target)
            .expect("inserted above if missing");
        match (op, container) {
            (Op::Text { target, delta }, Container::Text(text)) => {
                let diff = diffs.text(&target);
                text.integrate_observed(delta, &mut |edit| record_text_edit(diff, edit))
            }
            (
                Op::List {
                    target,
                    delta,
                    values,
                },
                Container::List(list),
            ) => list.apply(delta, &values, dot, diffs.list(&target)),
            (
                Op::List {
                    target,
                    delta,
                    values,
                },
                Container::MovableList(list),
            ) => list.apply(
                state::MovableEdit::Insert {
                    delta: &delta,
                    values: &values,
                },
                stamp,
                dot,
                diffs.list(&target),
            ),
            (
                Op::Move {
                    target,
                    element,
                    delta,
                },
                Container::MovableList(list),
            ) => list.apply(
                state::MovableEdit::Move {
                    element,
                    delta: &delta,
                },
                stamp,
                dot,
                diffs.list(&target),
            ),
            (
                Op::Replace {
                    target,
                    element,
                    value,
                },
                Container::MovableList(list),
            ) => list.apply(
                state::MovableEdit::Replace {
                    element,
                    value: &value,
                },
                stamp,
                dot,
                diffs.list(&target),
            ),
            (Op::MapSet { target, key, value }, Container::Map(map)) => {
                if map.set(&key, value.clone(), stamp) {
                    diffs.map_key(&target, &key, value);
                }
                Ok(())
            }
            (Op::CounterAdd { target, amount }, Container::Counter(counter)) => {
                counter.add(dot.replica(), amount);
                diffs.counter(&target, amount);
                Ok(())
            }
            (Op::RegisterSet { target, value }, Container::Register(register)) => {
                if register.set(value.clone(), stamp) {
                    diffs.register(&target, value);
                }
                Ok(())
            }
            _ => Err(Error::KindMismatch),
        }
    }

    fn merge_snapshot(
        &mut self,
        lamport: u64,
        parts: encoding::SnapshotParts,
        diffs: &mut DiffBuilder,
    ) -> Result<Imported, Error> {
        if !parts.version.includes(&parts.base) {
            return Err(Error::Invalid("a snapshot compacted past its own version"));
        }
        let outside = parts.history.iter().any(|change| {
            let replica = change.id.replica();
            change.id.counter() <= parts.base.get(replica)
                || change.last_counter() > parts.version.get(replica)
        });
        if outside {
            return Err(Error::Invalid("a snapshot's history outside its version"));
        }
        let mut refused = None;
        for (id, theirs) in parts.containers {
            if let Err(error) = self.merge_container(id, theirs, diffs) {
                refused = refused.or(Some(error));
            }
        }
        if let Some(log) = &mut self.updates {
            log.snapshot_merged |= !self.version.includes(&parts.version);
        }
        self.frontier.merge(&self.version, &parts.version);
        self.version.merge(&parts.version);
        self.base.merge(&parts.base);
        self.lamport = self.lamport.max(lamport);
        for change in &parts.history {
            self.history.insert(change);
        }
        self.history.compact(&self.base)?;
        let applied = self.retry_pending(diffs, &mut refused);
        match refused {
            Some(error) => Err(error),
            None => Ok(Imported {
                applied,
                pending: self.pending.len(),
            }),
        }
    }

    fn merge_container(
        &mut self,
        id: ContainerId,
        theirs: Container,
        diffs: &mut DiffBuilder,
    ) -> Result<(), Error> {
        let mine = self
            .containers
            .entry(id.clone())
            .or_insert_with(|| Container::new(id.kind));
        match (mine, theirs) {
            (Container::Text(mine), Container::Text(theirs)) => {
                let diff = diffs.text(&id);
                mine.integrate_observed(theirs.snapshot(), &mut |edit| record_text_edit(diff, edit))
            }
            (Container::List(mine), Container::List(theirs)) => mine.merge(theirs, diffs.list(&id)),
            (Container::MovableList(mine), Container::MovableList(theirs)) => {
                mine.merge(theirs, diffs.list(&id))
            }
            (Container::Map(mine), Container::Map(theirs)) => {
                mine.merge(theirs, |key, value| diffs.map_key(&id, key, value.cloned()));
                Ok(())
            }
            (Container::Counter(mine), Container::Counter(theirs)) => {
                let change = mine.merge(theirs);
                diffs.counter(&id, change);
                Ok(())
            }
            (Container::Register(mine), Container::Register(theirs)) => {
                if let Some(value) = mine.merge(theirs) {
                    diffs.register(&id, value.clone());
                }
                Ok(())
            }
            _ => Err(Error::KindMismatch),
        }
    }

    /// Drops the changes every replica has seen: `stable` is what all known replicas
    /// hold (the meet of their versions). Peers that need older changes afterwards get
    /// a snapshot.
    pub fn compact(&mut self, stable: &VersionVector) {
        let mut upto = VersionVector::new();
        for (replica, counter) in stable.iter() {
            upto.advance(replica, counter.min(self.version.get(replica)));
        }
        // Compaction only forgets: a history that no longer decodes (it never
        // should) keeps it all.
        if let Ok(forgotten) = self.history.compact(&upto) {
            for (replica, last) in forgotten {
                self.base.advance(replica, last);
            }
        }
    }

    /// The document as it was at `version`, rebuilt from the history, edited as the
    /// same replica. [`Error::Compacted`] if the history no longer reaches back there.
    pub fn checkout(&self, version: &VersionVector) -> Result<Document, Error> {
        let (document, _) = self.replay(version, None)?;
        Ok(document)
    }

    /// A copy of this document edited as another replica: a branch to edit apart and
    /// merge back later.
    pub fn fork(&self, replica: ReplicaId) -> Document {
        let mut fork = self.clone();
        fork.replica = replica;
        fork.events.clear();
        fork
    }

    /// What changed from `from` to `to` (which must include `from`), in editor terms.
    pub fn diff(
        &self,
        from: &VersionVector,
        to: &VersionVector,
    ) -> Result<Vec<ContainerDiff>, Error> {
        if !to.includes(from) {
            return Err(Error::Invalid("a diff runs from a version to a later one"));
        }
        let (_, diffs) = self.replay(to, Some(from))?;
        Ok(diffs)
    }

    /// Rebuilds the document at `to` from the history; with `from`, also returns what
    /// the changes after `from` changed.
    fn replay(
        &self,
        to: &VersionVector,
        from: Option<&VersionVector>,
    ) -> Result<(Document, Vec<ContainerDiff>), Error> {
        if !self.base.is_empty() {
            return Err(Error::Compacted);
        }
        if !self.version.includes(to) {
            return Err(Error::Invalid("a version this document has not seen"));
        }
        let mut document = Document::new(self.replica);
        let mut ignored = DiffBuilder::new(false);
        let mut diffs = DiffBuilder::new(true);
        let empty = VersionVector::new();
        let from = from.unwrap_or(&empty);
        for change in self.history.changes()? {
            // A stored change may run past either version: only its part up to `to`
            // counts, and its part after `from` is the diff.
            let replica = change.id.replica();
            let Some(change) = change.up_to(to.get(replica)) else {
                continue;
            };
            let (before, after) = change.split_after(from.get(replica));
            if let Some(before) = before {
                document.apply_change(before, &mut ignored)?;
            }
            if let Some(after) = after {
                document.apply_change(after, &mut diffs)?;
            }
        }
        Ok((document, diffs.finish()))
    }
}

enum Readiness {
    Ready,
    Known,
    Waiting,
}

/// Records a change readers of a text see; a run that travelled without its
/// content shows as placeholders until the delete that follows it.
fn record_text_edit(diff: &mut SeqDelta<String>, edit: crate::TextEdit<'_>) {
    match edit {
        crate::TextEdit::Insert {
            position,
            text,
            len,
            ..
        } => {
            let content = if text.is_empty() {
                state::placeholders(len as usize)
            } else {
                text.into()
            };
            diff.insert(position, content);
        }
        crate::TextEdit::Delete { position, len } => diff.delete(position, u64::from(len)),
    }
}

fn scalar_view(value: &Value) -> View {
    match value {
        Value::Null | Value::Container(_) => View::Null,
        Value::Bool(b) => View::Bool(*b),
        Value::Int(n) => View::Int(*n),
        Value::Float(x) => View::Float(*x),
        Value::Str(s) => View::Str(s.clone()),
        Value::Bytes(b) => View::Bytes(b.clone()),
    }
}
