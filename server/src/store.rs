//! Where documents live between restarts: per document, an append-only log of the
//! deltas clients sent, and now and then a snapshot that replaces the log before it.
//! Beside them, each document's version, which the mesh compares with other relays'
//! without loading the documents.
//!
//! Every delta gets a sequence number when it is appended, increasing across the
//! store (so within each document too, with gaps). Change streams resume from them.
//! A snapshot records the last one it folded in and leaves the log as it is: loading
//! replays only the deltas after it. The log is pruned separately, keeping a window
//! of recent deltas for change streams; a *base* records the state before the
//! window, from which a stream rebuilds the document at any sequence number in it.

mod sqlite;

pub use sqlite::SqliteStore;
use weft_core::{Document, ReplicaId};

/// What is stored for one document.
#[derive(Debug, Default)]
pub struct Stored {
    /// The latest snapshot, if one was taken.
    pub snapshot: Option<Vec<u8>>,
    /// The deltas after it, oldest first.
    pub deltas: Vec<Vec<u8>>,
    /// The correctness lock that guards writes to it, if one does.
    pub guard: Option<String>,
}

impl Stored {
    /// The document stored: the snapshot with the deltas applied, and the errors of
    /// deltas that did not apply (skipped).
    pub fn open(&self, replica: ReplicaId) -> Result<(Document, Vec<weft_core::Error>), String> {
        let mut document = match &self.snapshot {
            Some(snapshot) => Document::from_snapshot(replica, snapshot)
                .map_err(|error| format!("the stored snapshot is damaged: {error}"))?,
            None => Document::new(replica),
        };
        // Nobody observes a stored document: no events to work out.
        document.set_events(false);
        let failed = self
            .deltas
            .iter()
            .filter_map(|delta| document.import(delta, None).err())
            .collect();
        Ok((document, failed))
    }
}

/// The encoded form of a document's version, as the store records it.
pub fn encoded_version(document: &Document) -> Vec<u8> {
    weft_core::codec::encode(document.version())
}

/// One durable write: deltas for the logs, and the versions they bring their
/// documents to.
#[derive(Debug, Default)]
pub struct Batch {
    /// `(document, delta)`, in the order they were applied.
    pub deltas: Vec<(String, Vec<u8>)>,
    /// `(document, encoded version vector)` after the deltas.
    pub versions: Vec<(String, Vec<u8>)>,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.deltas.is_empty() && self.versions.is_empty()
    }

    pub fn clear(&mut self) {
        self.deltas.clear();
        self.versions.clear();
    }
}

/// An error of the storage layer, with its cause.
#[derive(Debug)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "store: {}", self.0)
    }
}

impl std::error::Error for StoreError {}

/// Durable storage of documents. Every method returns only once its writes are on
/// disk: the relay acknowledges a delta after `append` returns.
pub trait Store: Send {
    /// Everything stored for `doc` (nothing for a new one).
    fn load(&mut self, doc: &str) -> Result<Stored, StoreError>;
    /// Appends each delta to its document's log and records the versions, all in
    /// one durable write: a version is never on disk without the deltas it counts.
    /// Returns the deltas' sequence numbers, in order.
    fn append(&mut self, batch: &Batch) -> Result<Vec<u64>, StoreError>;
    /// Makes `snapshot` (at `version`) the document's state as of every delta
    /// appended before this call; returns the sequence number of the last delta it
    /// folds in.
    fn write_snapshot(
        &mut self,
        doc: &str,
        snapshot: &[u8],
        version: &[u8],
    ) -> Result<u64, StoreError>;
    /// The state before the document's log (after the deltas pruned so far) and the
    /// sequence number of the last pruned delta, if any were.
    fn base(&mut self, doc: &str) -> Result<Option<(u64, Vec<u8>)>, StoreError>;
    /// Drops the deltas up to `pruned`, which `base` folds in.
    fn prune(&mut self, doc: &str, pruned: u64, base: &[u8]) -> Result<(), StoreError>;
    /// How many deltas of the document come after `after`.
    fn count_after(&mut self, doc: &str, after: u64) -> Result<u64, StoreError>;
    /// The names of the stored documents.
    fn documents(&mut self) -> Result<Vec<String>, StoreError>;
    /// Every document's recorded version (encoded): `(document, version)`.
    fn versions(&mut self) -> Result<Vec<(String, Vec<u8>)>, StoreError>;
    /// The document's snapshot and the sequence number of the last delta it folded
    /// in, if it has one.
    fn snapshot(&mut self, doc: &str) -> Result<Option<(u64, Vec<u8>)>, StoreError>;
    /// At most `limit` deltas of the document after sequence number `after`, in
    /// order, each with its sequence number.
    fn deltas_after(
        &mut self,
        doc: &str,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, Vec<u8>)>, StoreError>;
    /// Guards the document by the correctness lock `lock`.
    fn set_guard(&mut self, doc: &str, lock: &str) -> Result<(), StoreError>;
    /// Where the consumer `name` acknowledged reading the document up to.
    fn cursor(&mut self, name: &str, doc: &str) -> Result<Option<u64>, StoreError>;
    /// Every document the consumer `name` has a cursor in, with the cursor.
    fn cursors(&mut self, name: &str) -> Result<Vec<(String, u64)>, StoreError>;
    /// Records that the consumer `name` read the document up to `seq` (a cursor
    /// never goes back).
    fn set_cursor(&mut self, name: &str, doc: &str, seq: u64) -> Result<(), StoreError>;
}
