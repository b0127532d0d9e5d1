//! Local replay and merge of the automerge-paper trace for every library of the
//! comparison, with criterion's statistics. The full side-by-side table comes from
//! the `compare` binary; these two measures are the ones worth watching run to run.

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, criterion_group, criterion_main};
use weft_benches::subject::TextSubject;
use weft_benches::subjects::{self, Visitor};
use weft_testkit::traces::{self, SequentialTrace};

const TRACE: &str = "automerge-paper";

/// Replays the trace as local edits, per library.
struct Replay<'a, 'c> {
    group: &'a mut BenchmarkGroup<'c, WallTime>,
    trace: &'a SequentialTrace,
}

impl Visitor for Replay<'_, '_> {
    fn visit<S: TextSubject>(&mut self) {
        let trace = self.trace;
        self.group.bench_function(S::NAME, |b| {
            b.iter_with_large_drop(|| S::replay(trace));
        });
    }
}

/// Merges the trace's whole history into an empty document, per library that can.
struct Merge<'a, 'c> {
    group: &'a mut BenchmarkGroup<'c, WallTime>,
    trace: &'a SequentialTrace,
}

impl Visitor for Merge<'_, '_> {
    fn visit<S: TextSubject>(&mut self) {
        let Some(history) = S::history(&S::replay(self.trace)) else {
            return;
        };
        self.group.bench_function(S::NAME, |b| {
            b.iter_with_large_drop(|| S::merge(&history));
        });
    }
}

fn text(c: &mut Criterion) {
    let trace = traces::sequential(TRACE).expect("the traces are beside the repository");

    // Some libraries take seconds per replay: ten flat samples keep the run in minutes.
    let mut group = c.benchmark_group(format!("replay {TRACE}"));
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    subjects::for_each(&mut Replay {
        group: &mut group,
        trace: &trace,
    });
    group.finish();

    let mut group = c.benchmark_group(format!("merge {TRACE}"));
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    subjects::for_each(&mut Merge {
        group: &mut group,
        trace: &trace,
    });
    group.finish();
}

criterion_group!(benches, text);
criterion_main!(benches);
