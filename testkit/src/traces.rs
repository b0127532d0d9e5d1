//! Loaders for the editing traces in `shared/traces` (CC BY 4.0): real keystroke-level
//! histories, sequential and concurrent.
//!
//! The traces live beside the repository, in `../shared/traces`; set `WEFT_TRACES` to
//! read them from elsewhere.

use std::fs::File;
use std::io::{self, BufReader};
use std::path::PathBuf;

use flate2::read::GzDecoder;
use serde::Deserialize;

/// One edit: at `position` (in Unicode scalar values), delete `delete` characters,
/// then insert `insert`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(from = "(usize, usize, String)")]
pub struct Patch {
    /// Where the edit happens, in characters.
    pub position: usize,
    /// How many characters it deletes there.
    pub delete: usize,
    /// What it inserts there, after deleting.
    pub insert: String,
}

impl From<(usize, usize, String)> for Patch {
    fn from((position, delete, insert): (usize, usize, String)) -> Self {
        Self {
            position,
            delete,
            insert,
        }
    }
}

/// A single-user history: applying every patch in order to `""` gives `end_content`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SequentialTrace {
    /// The document after every patch.
    pub end_content: String,
    /// The transactions, in order.
    pub txns: Vec<SequentialTxn>,
}

/// One transaction of a sequential trace.
#[derive(Clone, Debug, Deserialize)]
pub struct SequentialTxn {
    /// Its patches, applied in order.
    pub patches: Vec<Patch>,
}

impl SequentialTrace {
    /// Every patch of the trace, in order.
    pub fn patches(&self) -> impl Iterator<Item = &Patch> + '_ {
        self.txns.iter().flat_map(|txn| &txn.patches)
    }
}

/// A multi-user history: each transaction was made by one agent on the document as of
/// its `parents`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConcurrentTrace {
    /// The document every replica must converge to.
    pub end_content: String,
    /// How many agents (users) typed.
    pub num_agents: usize,
    /// The transactions, each after all of its parents.
    pub txns: Vec<ConcurrentTxn>,
}

/// One transaction of a concurrent trace.
#[derive(Clone, Debug, Deserialize)]
pub struct ConcurrentTxn {
    /// Indexes of the transactions whose merged result this one edited.
    pub parents: Vec<usize>,
    /// The agent that made it.
    pub agent: usize,
    /// Its patches, each applied after the previous one.
    pub patches: Vec<Patch>,
}

/// The names of the sequential traces.
pub const SEQUENTIAL: [&str; 8] = [
    "automerge-paper",
    "clownschool_flat",
    "friendsforever_flat",
    "json-crdt-blog-post",
    "json-crdt-patch",
    "rustcode",
    "seph-blog1",
    "sveltecomponent",
];

/// The names of the concurrent traces.
pub const CONCURRENT: [&str; 2] = ["friendsforever", "clownschool"];

fn directory() -> PathBuf {
    std::env::var_os("WEFT_TRACES").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/traces"),
        PathBuf::from,
    )
}

fn load<T: for<'de> Deserialize<'de>>(folder: &str, name: &str) -> io::Result<T> {
    let path = directory().join(folder).join(format!("{name}.json.gz"));
    let file = File::open(&path)
        .map_err(|error| io::Error::new(error.kind(), format!("{}: {error}", path.display())))?;
    serde_json::from_reader(BufReader::new(GzDecoder::new(file))).map_err(io::Error::other)
}

/// Loads the sequential trace `name` (one of [`SEQUENTIAL`]).
pub fn sequential(name: &str) -> io::Result<SequentialTrace> {
    load("sequential_traces", name)
}

/// Loads the concurrent trace `name` (one of [`CONCURRENT`]).
pub fn concurrent(name: &str) -> io::Result<ConcurrentTrace> {
    load("concurrent_traces", name)
}
