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
/// It may name more than the true frontier (after a snapshot it is the whole version
/// until changes build on it): a dependency on an older dot is still right, only
/// longer.
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

    /// Takes in a merged snapshot: its version counts as newest until changes build
    /// on it.
    pub(crate) fn merge(&mut self, version: &VersionVector) {
        self.0.merge(version);
    }
}
