//! The newest changes of a document: what its next change names as dependencies.

use super::change::Change;
use crate::{ReplicaId, VersionVector};

/// The changes of a document that nothing it holds builds on yet (its causal
/// frontier, or heads), as a version vector of their last dots. Everything the
/// document holds leads back to one of them, so a change that names them says all
/// its author had seen in an entry or two, where the whole version would name every
/// replica that ever wrote: in a room where a hundred people type, most of each
/// keystroke's bytes.
///
/// It may name more than the true frontier (after a snapshot, every replica the
/// snapshot brought news of, until changes build on them): a dependency on an older
/// dot is still right, only longer.
#[derive(Clone, Debug, Default)]
pub(crate) struct Frontier(VersionVector);

impl Frontier {
    /// The dependencies of `author`'s next change: the frontier, and the author's own
    /// previous change, which readers check is there (a change never skips its
    /// author's previous one).
    pub(crate) fn dependencies(&self, author: ReplicaId, version: &VersionVector) -> VersionVector {
        let mut dependencies = self.0.clone();
        dependencies.advance(author, version.get(author));
        dependencies
    }

    /// Takes in a change being applied. What it depends on and its author's earlier
    /// changes are behind it now. Exact while the frontier is: an entry the change
    /// builds on only through another entry could not be in an exact frontier.
    pub(crate) fn record(&mut self, change: &Change) {
        let author = change.id.replica();
        self.0
            .retain(|replica, counter| replica != author && change.deps.get(replica) < counter);
        self.0.advance(author, change.last_counter());
    }

    /// Takes in a snapshot merged into a document that held `before`: what it brought
    /// counts as newest until changes build on it. What the document held already
    /// the frontier leads back to, so a snapshot that brings nothing new (a replica
    /// reloading its own storage) leaves it as it was.
    pub(crate) fn merge(&mut self, before: &VersionVector, snapshot: &VersionVector) {
        for (replica, counter) in snapshot.iter() {
            if counter > before.get(replica) {
                self.0.advance(replica, counter);
            }
        }
    }
}
