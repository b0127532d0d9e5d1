//! Where documents live between restarts: per document, an append-only log of the
//! deltas clients sent, and now and then a snapshot that replaces the log before it.

mod sqlite;

pub use sqlite::SqliteStore;

/// What is stored for one document.
#[derive(Debug, Default)]
pub struct Stored {
    /// The latest snapshot, if one was taken.
    pub snapshot: Option<Vec<u8>>,
    /// The deltas after it, oldest first.
    pub deltas: Vec<Vec<u8>>,
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
    /// Appends each `(document, delta)` to its log, all in one durable write.
    fn append(&mut self, deltas: &[(String, Vec<u8>)]) -> Result<(), StoreError>;
    /// Makes `snapshot` the document's state, dropping the deltas it covers: every
    /// delta appended before this call.
    fn replace_with_snapshot(&mut self, doc: &str, snapshot: &[u8]) -> Result<(), StoreError>;
    /// The names of the stored documents.
    fn documents(&mut self) -> Result<Vec<String>, StoreError>;
}
