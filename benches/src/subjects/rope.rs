//! A plain rope ([`jumprope`]): the same edits with no CRDT at all, which is the
//! physical limit of local editing. It keeps no history, so it takes part in local
//! replay and memory only.

use jumprope::JumpRope;
use weft_testkit::traces::{ConcurrentTrace, SequentialTrace};

use crate::subject::{Role, TextSubject};

/// The rope baseline.
pub struct Rope;

impl TextSubject for Rope {
    const NAME: &'static str = "rope";
    const ROLE: Role = Role::Baseline;
    type Doc = JumpRope;

    fn replay(trace: &SequentialTrace) -> JumpRope {
        let mut rope = JumpRope::new();
        for patch in trace.patches() {
            if patch.delete > 0 {
                rope.remove(patch.position..patch.position + patch.delete);
            }
            if !patch.insert.is_empty() {
                rope.insert(patch.position, &patch.insert);
            }
        }
        rope
    }

    fn text(rope: &JumpRope) -> String {
        rope.to_string()
    }

    fn history(_: &JumpRope) -> Option<Vec<u8>> {
        None
    }

    fn merge(_: &[u8]) -> Option<JumpRope> {
        None
    }

    fn snapshot(_: &JumpRope) -> Option<Vec<u8>> {
        None
    }

    fn shallow_snapshot(_: &JumpRope) -> Option<Vec<u8>> {
        None
    }

    fn load(_: &[u8]) -> Option<JumpRope> {
        None
    }

    fn sync(_: &mut JumpRope, _: JumpRope) -> Option<(JumpRope, usize)> {
        None
    }

    fn concurrent_history(_: &ConcurrentTrace) -> Option<Vec<u8>> {
        None
    }
}
