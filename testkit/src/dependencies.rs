//! Checks that a change names everything its author held. A change lists only the
//! newest changes it builds on; what those build on in turn, followed through the
//! history, must reach back over the author's whole version, or a replica could
//! apply the change before something it builds on.

use weft_core::doc::{Change, decode_update};
use weft_core::{Document, VersionVector};

/// Checks the changes `document` made since it held `before`.
pub fn check_new_changes(document: &Document, before: &VersionVector) -> Result<(), String> {
    let fail = |what: &str, error: weft_core::Error| format!("{what}: {error}");
    let new = document
        .export_update(before)
        .map_err(|error| fail("exporting the new changes", error))?;
    let base = document.compacted_version();
    let history = document
        .export_update(base)
        .map_err(|error| fail("exporting the history", error))?;
    let history = decode_update(&history).map_err(|error| fail("decoding the history", error))?;
    for change in decode_update(&new).map_err(|error| fail("decoding the changes", error))? {
        if !before.includes(&change.deps) {
            return Err(format!(
                "change {:?} names dependencies {:?} its author did not hold ({before:?})",
                change.id, change.deps
            ));
        }
        let past = causal_past(&change.deps, &history, base);
        if !past.includes(before) {
            return Err(format!(
                "change {:?} names {:?}, which lead back to {past:?}, not over everything \
                 its author held ({before:?})",
                change.id, change.deps
            ));
        }
    }
    Ok(())
}

/// What `deps` lead back to through `history`, the compacted `base` (which every
/// replica holds) included.
fn causal_past(deps: &VersionVector, history: &[Change], base: &VersionVector) -> VersionVector {
    let mut past = deps.clone();
    past.merge(base);
    loop {
        let mut grew = false;
        for change in history {
            let reached = past.get(change.id.replica()) >= change.id.counter();
            if reached && !past.includes(&change.deps) {
                past.merge(&change.deps);
                grew = true;
            }
        }
        if !grew {
            return past;
        }
    }
}
