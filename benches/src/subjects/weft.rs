//! weft's text: a FugueMax sequence CRDT on a B-tree of run-length spans.
//!
//! - history: every operation since the empty version (`encode_since`): what a
//!   replica sends a peer that has nothing.
//! - snapshot: the same operations; weft stores a text as its history.
//! - shallow snapshot: the history with deleted runs carrying their lengths and
//!   origins but not their characters; it still merges with any replica.
//! - load and merge both integrate the operations into an empty text.

use weft_core::{ReplicaId, Text, TextDelta, VersionVector};
use weft_testkit::text_replay::{apply_patch, replay_concurrent};
use weft_testkit::traces::{ConcurrentTrace, SequentialTrace};

use crate::subject::{Role, TextSubject};

/// weft's `Text`.
pub struct Weft;

const AUTHOR: ReplicaId = ReplicaId::new(1);

fn integrated(bytes: &[u8]) -> Option<Text> {
    let delta = TextDelta::decode(bytes).ok()?;
    Text::from_snapshot(delta).ok()
}

impl TextSubject for Weft {
    const NAME: &'static str = "weft";
    const ROLE: Role = Role::Weft;
    type Doc = Text;

    fn replay(trace: &SequentialTrace) -> Text {
        let mut text = Text::new();
        for patch in trace.patches() {
            apply_patch(&mut text, AUTHOR, patch);
        }
        text
    }

    fn text(doc: &Text) -> String {
        doc.to_string()
    }

    fn history(doc: &Text) -> Option<Vec<u8>> {
        Some(doc.encode_since(&VersionVector::new()))
    }

    fn merge(history: &[u8]) -> Option<Text> {
        integrated(history)
    }

    fn snapshot(doc: &Text) -> Option<Vec<u8>> {
        Some(doc.encode_since(&VersionVector::new()))
    }

    fn shallow_snapshot(doc: &Text) -> Option<Vec<u8>> {
        Some(doc.encode_without_deleted())
    }

    fn load(snapshot: &[u8]) -> Option<Text> {
        integrated(snapshot)
    }

    fn concurrent_history(trace: &ConcurrentTrace) -> Option<Vec<u8>> {
        Some(replay_concurrent(trace).everything.snapshot().encode())
    }
}
