//! Reading a document's stored log as change events, from any point: the machinery
//! under change streams and webhooks.

use std::collections::VecDeque;

use serde_json::{Value as Json, json};
use weft_core::{Document, Error, ReplicaId, VersionVector};

use super::event;
use crate::store::{SqliteStore, Store, StoreError};

/// Deltas read from the store at a time.
const BATCH: usize = 256;
/// The replica id of a reader's copy of the document; it never writes.
const READER: u64 = 1;

/// Where a consumer starts.
pub enum Start {
    /// After this sequence number (0: from the beginning).
    After(u64),
    /// From what the relay holds now: only changes to come.
    Now,
    /// From this version: first one event with the changes since it.
    Version(VersionVector),
    /// A named cursor: after `after` on this relay, and beyond `processed`, what the
    /// consumer acknowledged through any relay of the mesh. When the other relays
    /// took it further than `after`, one event with the changes since then comes
    /// first.
    Resume {
        after: u64,
        processed: VersionVector,
    },
}

impl Start {
    /// The sequence number it starts after, if it names one.
    fn after(&self) -> Option<u64> {
        match self {
            Start::After(seq) | Start::Resume { after: seq, .. } => Some(*seq),
            Start::Now | Start::Version(_) => None,
        }
    }
}

pub enum StartError {
    Store(StoreError),
    Document(Error),
}

impl From<StoreError> for StartError {
    fn from(error: StoreError) -> Self {
        StartError::Store(error)
    }
}

impl From<Error> for StartError {
    fn from(error: Error) -> Self {
        StartError::Document(error)
    }
}

/// An event of a change stream: its type, the sequence number it is at, its data.
pub struct StreamEvent {
    pub kind: &'static str,
    pub seq: u64,
    pub data: Json,
}

impl StreamEvent {
    fn new(kind: &'static str, seq: u64, data: Json) -> Self {
        Self { kind, seq, data }
    }

    pub fn marker(kind: &'static str, seq: u64) -> Self {
        Self::new(kind, seq, json!({ "seq": seq }))
    }
}

/// One consumer's reading of a document's log: its copy of the document (to say
/// what each delta did in editor terms), how far it has read, and the events ready
/// to go.
pub struct Follower {
    doc: String,
    store: SqliteStore,
    copy: Document,
    cursor: u64,
    ready: VecDeque<StreamEvent>,
}

impl Follower {
    pub fn start(mut store: SqliteStore, doc: String, start: Start) -> Result<Self, StartError> {
        let replica = ReplicaId::new(READER);
        let (pruned, base) = store.base(&doc)?.unwrap_or_default();
        let mut ready = VecDeque::new();
        // Where the copy starts: before the log for a consumer inside the retention
        // window, at the latest snapshot otherwise.
        let (cursor, state) = match start.after() {
            Some(seq) if seq >= pruned => (pruned, (!base.is_empty()).then_some(base)),
            _ => match store.snapshot(&doc)? {
                Some((through, bytes)) => (through, Some(bytes)),
                None => (0, None),
            },
        };
        let mut copy = match &state {
            Some(bytes) => Document::from_snapshot(replica, bytes)?,
            None => Document::new(replica),
        };
        copy.set_events(false);
        if let (Some(seq), Some(bytes)) = (start.after(), &state)
            && seq < pruned
        {
            // What it asks for was pruned: the latest snapshot, then on from it.
            let data = event::snapshot(&doc, cursor, bytes, copy.version());
            ready.push_back(StreamEvent::marker("must-refetch", cursor));
            ready.push_back(StreamEvent::new("snapshot", cursor, data));
        }
        let mut follower = Follower {
            doc,
            store,
            copy,
            cursor,
            ready,
        };
        match start {
            Start::After(seq) => follower.skip_to(seq.max(cursor))?,
            Start::Now => follower.skip_to(u64::MAX)?,
            Start::Version(version) => {
                follower.skip_to(u64::MAX)?;
                follower.send_gap(&version)?;
            }
            Start::Resume { after, processed } => {
                follower.skip_to(after.max(cursor))?;
                if !follower.copy.version().includes(&processed) {
                    let mut from = processed;
                    from.merge(follower.copy.version());
                    follower.skip_to(u64::MAX)?;
                    // What another relay acknowledged but this one has yet to hear
                    // of comes later, live, as it arrives.
                    let from = from.meet(follower.copy.version());
                    follower.send_gap(&from)?;
                }
            }
        }
        follower.forget_history();
        follower.copy.set_events(true);
        Ok(follower)
    }

    /// Applies the stored deltas up to `seq` without events.
    fn skip_to(&mut self, seq: u64) -> Result<(), StoreError> {
        while self.cursor < seq {
            let batch = self.store.deltas_after(&self.doc, self.cursor, BATCH)?;
            let Some(&(last, _)) = batch.last() else {
                break;
            };
            for (delta_seq, bytes) in batch.into_iter().take_while(|(s, _)| *s <= seq) {
                let _ = self.copy.import(&bytes, None);
                self.cursor = delta_seq;
            }
            if last > seq {
                break;
            }
        }
        if seq != u64::MAX {
            self.cursor = self.cursor.max(seq);
        }
        Ok(())
    }

    /// One event with everything the document holds beyond `version`.
    fn send_gap(&mut self, version: &VersionVector) -> Result<(), Error> {
        let mut at = match self.copy.checkout(version) {
            Ok(at) => at,
            Err(_) => {
                // The history from there was compacted: start over from the state.
                let snapshot = self.copy.export_snapshot(weft_core::SnapshotMode::Full);
                let data = event::snapshot(&self.doc, self.cursor, &snapshot, self.copy.version());
                self.ready
                    .push_back(StreamEvent::marker("must-refetch", self.cursor));
                self.ready
                    .push_back(StreamEvent::new("snapshot", self.cursor, data));
                return Ok(());
            }
        };
        let update = self.copy.export_update(version)?;
        at.set_events(true);
        at.import(&update, None)?;
        let events = at.take_events();
        let data = event::change(&self.doc, self.cursor, &update, at.version(), &events);
        self.ready
            .push_back(StreamEvent::new("change", self.cursor, data));
        Ok(())
    }

    /// The copy only says what each delta did: it keeps no history, so that its
    /// memory is the document's, however long the stream.
    fn forget_history(&mut self) {
        let held = self.copy.version().clone();
        self.copy.compact(&held);
    }

    fn apply(&mut self, seq: u64, bytes: &[u8]) {
        if let Err(error) = self.copy.import(bytes, None) {
            tracing::warn!(doc = self.doc, seq, %error, "a stored delta did not apply");
        }
        let events = self.copy.take_events();
        let data = event::change(&self.doc, seq, bytes, self.copy.version(), &events);
        self.ready.push_back(StreamEvent::new("change", seq, data));
        self.cursor = seq;
    }

    /// Where a consumer that processed `processed` stands in this relay's log, for a
    /// follower started after `after`: the last delta up to which everything stored
    /// is within it, or `after` when nothing further is.
    pub fn processed_through(
        mut self,
        after: u64,
        processed: &VersionVector,
    ) -> Result<u64, StoreError> {
        self.copy.set_events(false);
        if !processed.includes(self.copy.version()) {
            return Ok(after);
        }
        let mut through = self.cursor.max(after);
        loop {
            let batch = self.store.deltas_after(&self.doc, self.cursor, BATCH)?;
            if batch.is_empty() {
                return Ok(through);
            }
            for (seq, bytes) in batch {
                let _ = self.copy.import(&bytes, None);
                self.cursor = seq;
                if !processed.includes(self.copy.version()) {
                    return Ok(through);
                }
                through = seq;
            }
        }
    }

    /// How far it has read.
    pub fn cursor(&self) -> u64 {
        self.cursor
    }

    /// The document's version as far as it has read.
    pub fn version(&self) -> &VersionVector {
        self.copy.version()
    }

    pub fn doc(&self) -> &str {
        &self.doc
    }

    /// Records on the follower's own connection that consumer `name` processed the
    /// document up to `seq`.
    pub fn save_cursor(&mut self, name: &str, seq: u64) -> Result<(), StoreError> {
        self.store.set_cursor(name, &self.doc, seq)
    }

    /// The next event: from what is ready, then from the store; `None` once it has
    /// read everything stored.
    pub fn next_stored(&mut self) -> Result<Option<StreamEvent>, StoreError> {
        if self.ready.is_empty() {
            let batch = self.store.deltas_after(&self.doc, self.cursor, BATCH)?;
            for (seq, bytes) in &batch {
                self.apply(*seq, bytes);
            }
            self.forget_history();
        }
        Ok(self.ready.pop_front())
    }
}
