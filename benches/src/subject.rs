//! What one text library must offer to take part in the comparison.

use weft_testkit::traces::{ConcurrentTrace, SequentialTrace};

/// Where a library stands in the comparison, which decides the ratio columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// weft itself: the numerator of every ratio.
    Weft,
    /// A text CRDT weft competes with; the best of them is the "best peer".
    Peer,
    /// A plain data structure that is no CRDT at all: the physical limit of local
    /// editing. It gets a ratio column but never counts as the best peer.
    Baseline,
}

/// One text library, seen through the measures of the comparison.
///
/// The comparison runs every library on the same trace in the same process, so the
/// numbers differ only by library. Every function that produces a document is checked
/// by the harness: its [`text`](Self::text) must equal the trace's `end_content`.
///
/// # Writing an adapter
///
/// An adapter is one file in `src/subjects/` with a unit struct implementing this trait,
/// declared with a `mod` line in `src/subjects/mod.rs` and registered with one line in
/// the list there ([`subjects::for_each`](crate::subjects::for_each)). It must:
///
/// - count positions and lengths in Unicode scalar values, as the traces do (convert
///   inside the adapter if the library counts otherwise);
/// - make each transaction of a trace one transaction of the library, when the library
///   has transactions, so that libraries that pay per transaction pay the same number
///   of times;
/// - keep the full history in documents built by [`replay`](Self::replay),
///   [`merge`](Self::merge) and [`load`](Self::load) (no garbage collection of deleted
///   content), so that history and snapshot sizes compare like with like;
/// - return `None` from a measure the library has no operation for, rather than
///   emulating it: the table shows such cells as unsupported;
/// - do only the operation a function names: each is timed as a whole, so any extra
///   work (a conversion, a copy) counts against the library.
///
/// For [`concurrent_history`](Self::concurrent_history), a library that cannot add an
/// edit at an arbitrary version implements [`Replica`](crate::concurrent::Replica) for
/// its document and calls [`concurrent::replay`](crate::concurrent::replay), which does
/// the bookkeeping of who has seen what.
///
/// weft's own adapter sets [`ROLE`](Self::ROLE) to [`Role::Weft`]; the table and the
/// chart then show the "weft / best peer" and "weft / each peer" ratios by themselves.
pub trait TextSubject {
    /// The name in table headers and messages.
    const NAME: &'static str;
    /// Whether this is weft, a peer or the baseline.
    const ROLE: Role;
    /// A document of this library holding the text, ready for further edits.
    type Doc;

    /// Applies every patch of `trace`, in order, as a local edit of one replica.
    fn replay(trace: &SequentialTrace) -> Self::Doc;

    /// The document's current text.
    fn text(doc: &Self::Doc) -> String;

    /// The whole history of `doc` in the form the library sends to peers (its update
    /// or change format), or `None` if it has no such form.
    fn history(doc: &Self::Doc) -> Option<Vec<u8>>;

    /// A new, empty document with `history` merged into it, or `None` if the library
    /// cannot merge (then [`history`](Self::history) is `None` too).
    fn merge(history: &[u8]) -> Option<Self::Doc>;

    /// The form the library stores a document in, with its full history.
    fn snapshot(doc: &Self::Doc) -> Option<Vec<u8>>;

    /// The stored form without deleted content (and without the history that needs
    /// it), or `None` if the library has no such mode.
    fn shallow_snapshot(doc: &Self::Doc) -> Option<Vec<u8>>;

    /// Decodes the output of [`snapshot`](Self::snapshot) or
    /// [`shallow_snapshot`](Self::shallow_snapshot) into an editable document.
    fn load(snapshot: &[u8]) -> Option<Self::Doc>;

    /// Brings `behind`, which holds a prefix of `ahead`'s history, up to date the way
    /// two replicas of the library sync: `behind` tells `ahead` what it has (a version
    /// vector, state vector or sync message), `ahead` answers with what it lacks, and
    /// `behind` applies that, until the library's exchange is done. Returns the
    /// synced document and the bytes that crossed the wire, or `None` if the library
    /// has no such exchange.
    fn sync(ahead: &mut Self::Doc, behind: Self::Doc) -> Option<(Self::Doc, usize)>;

    /// Replays a concurrent trace with one replica per agent, each transaction made on
    /// a replica holding exactly the merge of its parents, and returns the resulting
    /// history in the same form as [`history`](Self::history), ready for
    /// [`merge`](Self::merge). Building it is not measured; merging it is.
    fn concurrent_history(trace: &ConcurrentTrace) -> Option<Vec<u8>>;
}
