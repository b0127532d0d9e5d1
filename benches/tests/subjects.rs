//! Every registered library reproduces a real trace through every measure it has: the
//! adapters, not the libraries, are what this guards (say, after a version bump).

use weft_benches::measure::{self, Measure};
use weft_benches::subject::{Role, TextSubject};
use weft_benches::subjects::{self, Visitor};
use weft_testkit::traces::{self, SequentialTrace};

/// A real trace that edits all over the document...
const TRACE: &str = "friendsforever_flat";
/// ...cut to its first transactions, to keep the test short in the test profile.
const TRANSACTIONS: usize = 4000;

struct EveryMeasure<'a> {
    trace: &'a SequentialTrace,
}

impl Visitor for EveryMeasure<'_> {
    fn visit<S: TextSubject>(&mut self) {
        // `measure::sequential` panics on any document with the wrong text.
        let cells = measure::sequential::<S>(TRACE, self.trace, 1);
        let measured: Vec<Measure> = cells
            .iter()
            .filter(|(_, cell)| cell.is_some())
            .map(|&(measure, _)| measure)
            .collect();
        if S::ROLE != Role::Baseline {
            for measure in [
                Measure::Replay,
                Measure::MergeHistory,
                Measure::LoadSnapshot,
            ] {
                assert!(measured.contains(&measure), "{}: no {measure}", S::NAME);
            }
        }
    }
}

/// The first [`TRANSACTIONS`] of [`TRACE`], with the text they leave.
fn prefix() -> SequentialTrace {
    let mut trace = traces::sequential(TRACE).expect("the traces are beside the repository");
    trace.txns.truncate(TRANSACTIONS);
    let mut text: Vec<char> = Vec::new();
    for patch in trace.patches() {
        let deleted = patch.position..patch.position + patch.delete;
        text.splice(deleted, patch.insert.chars());
    }
    trace.end_content = text.into_iter().collect();
    trace
}

#[test]
fn every_library_reproduces_a_real_trace() {
    subjects::for_each(&mut EveryMeasure { trace: &prefix() });
}
