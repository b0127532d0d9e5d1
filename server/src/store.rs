//! Where documents live between restarts: per document, an append-only log of the
//! deltas clients sent, and now and then a snapshot that replaces the log before it.
//! Beside them, each document's version, which the mesh compares with other relays'
//! without loading the documents.

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
    fn append(&mut self, batch: &Batch) -> Result<(), StoreError>;
    /// Makes `snapshot` (at `version`) the document's state, dropping the deltas it
    /// covers: every delta appended before this call.
    fn replace_with_snapshot(
        &mut self,
        doc: &str,
        snapshot: &[u8],
        version: &[u8],
    ) -> Result<(), StoreError>;
    /// The names of the stored documents.
    fn documents(&mut self) -> Result<Vec<String>, StoreError>;
    /// Every document's recorded version (encoded): `(document, version)`.
    fn versions(&mut self) -> Result<Vec<(String, Vec<u8>)>, StoreError>;
}
