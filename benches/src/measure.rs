//! The measures, and how one library is measured on one trace.

use std::fmt;
use std::time::{Duration, Instant};

use weft_testkit::traces::{ConcurrentTrace, SequentialTrace};

use crate::alloc_counter;
use crate::check;
use crate::subject::TextSubject;

/// One row kind of the comparison table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    /// Time to apply every patch of a sequential trace as local edits.
    Replay,
    /// Bytes the document holds after local replay.
    Memory,
    /// Time to encode the whole history in the library's update form.
    EncodeHistory,
    /// Size of that history.
    HistorySize,
    /// Time to merge that history into an empty document and read its text.
    MergeHistory,
    /// Time to encode a snapshot with the full history.
    EncodeSnapshot,
    /// Size of that snapshot.
    SnapshotSize,
    /// Time to encode a snapshot without deleted content.
    EncodeShallow,
    /// Size of that snapshot.
    ShallowSize,
    /// Time to load the full snapshot into an editable document and read its text.
    LoadSnapshot,
    /// Time for a replica holding the first half of the trace to catch up with one
    /// holding all of it, through the library's sync exchange, and read its text.
    SyncCatchUp,
    /// Bytes that exchange sends, both ways.
    SyncBytes,
    /// Size of the history a concurrent trace leaves.
    ConcurrentHistorySize,
    /// Time to merge that history into an empty document and read its text.
    ConcurrentMerge,
}

/// What a measure counts; smaller is better for both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Wall-clock milliseconds, the median of the runs.
    Milliseconds,
    /// Bytes.
    Bytes,
}

impl Measure {
    /// The measures taken on a sequential trace, in table order.
    pub const SEQUENTIAL: [Self; 12] = [
        Self::Replay,
        Self::Memory,
        Self::EncodeHistory,
        Self::HistorySize,
        Self::MergeHistory,
        Self::EncodeSnapshot,
        Self::SnapshotSize,
        Self::EncodeShallow,
        Self::ShallowSize,
        Self::LoadSnapshot,
        Self::SyncCatchUp,
        Self::SyncBytes,
    ];

    /// The measures taken on a concurrent trace, in table order.
    pub const CONCURRENT: [Self; 2] = [Self::ConcurrentHistorySize, Self::ConcurrentMerge];

    /// What the measure counts.
    pub fn unit(self) -> Unit {
        match self {
            Self::Memory
            | Self::HistorySize
            | Self::SnapshotSize
            | Self::ShallowSize
            | Self::SyncBytes
            | Self::ConcurrentHistorySize => Unit::Bytes,
            Self::Replay
            | Self::EncodeHistory
            | Self::MergeHistory
            | Self::EncodeSnapshot
            | Self::EncodeShallow
            | Self::LoadSnapshot
            | Self::SyncCatchUp
            | Self::ConcurrentMerge => Unit::Milliseconds,
        }
    }

    /// A sentence for the table's legend.
    pub fn description(self) -> &'static str {
        match self {
            Self::Replay => {
                "apply every patch of the trace as a local edit, one transaction per trace transaction"
            }
            Self::Memory => {
                "bytes allocated and still held after local replay (requested sizes, trace excluded)"
            }
            Self::EncodeHistory => {
                "encode the whole history in the form peers exchange (update / changes)"
            }
            Self::HistorySize => "size of that history",
            Self::MergeHistory => {
                "merge that history into an empty document, up to reading its text"
            }
            Self::EncodeSnapshot => "encode the stored form, with the full history",
            Self::SnapshotSize => "size of that snapshot",
            Self::EncodeShallow => "encode a stored form without deleted content",
            Self::ShallowSize => "size of that shallow snapshot",
            Self::LoadSnapshot => {
                "decode the full snapshot into an editable document, up to reading its text"
            }
            Self::SyncCatchUp => {
                "a replica holding the first half of the trace catches up with one holding all of it through the library's sync exchange (version out, missing changes back), up to reading its text"
            }
            Self::SyncBytes => "bytes that exchange sends, both ways",
            Self::ConcurrentHistorySize => {
                "size of the history left by replaying the concurrent trace, one replica per agent"
            }
            Self::ConcurrentMerge => {
                "merge that history into an empty document, up to reading its text"
            }
        }
    }
}

impl fmt::Display for Measure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Replay => "replay",
            Self::Memory => "memory",
            Self::EncodeHistory => "encode history",
            Self::HistorySize => "history size",
            Self::MergeHistory => "merge history",
            Self::EncodeSnapshot => "encode snapshot",
            Self::SnapshotSize => "snapshot size",
            Self::EncodeShallow => "encode shallow",
            Self::ShallowSize => "shallow size",
            Self::LoadSnapshot => "load snapshot",
            Self::SyncCatchUp => "sync catch-up",
            Self::SyncBytes => "sync bytes",
            Self::ConcurrentHistorySize => "concurrent history size",
            Self::ConcurrentMerge => "concurrent merge",
        })
    }
}

/// One library's number for one measure on one trace, in the measure's [`Unit`];
/// `None` when the library has no operation for the measure.
pub type Cell = Option<f64>;

/// Measures library `S` on a sequential trace: every measure of
/// [`Measure::SEQUENTIAL`], timed as the median of `runs` runs, each result checked
/// against the trace's end content.
///
/// # Panics
///
/// If a document holds the wrong text, or `runs` is 0.
pub fn sequential<S: TextSubject>(
    trace_name: &str,
    trace: &SequentialTrace,
    runs: usize,
) -> Vec<(Measure, Cell)> {
    let verify = |measure, actual: &str| {
        check::text(S::NAME, trace_name, measure, actual, &trace.end_content)
    };

    let (mut doc, replay, memory) = replayed::<S>(trace, runs);
    verify(Measure::Replay, &S::text(&doc));
    let mut cells = vec![
        (Measure::Replay, Some(millis(replay))),
        (Measure::Memory, Some(memory as f64)),
    ];

    let history = timed(runs, || S::history(&doc));
    let merged = history
        .as_ref()
        .and_then(|history| timed(runs, || S::merge(&history.output).map(with_text::<S>)));
    if let Some(merged) = &merged {
        verify(Measure::MergeHistory, &merged.output.1);
    }
    cells.extend([
        (Measure::EncodeHistory, time_of(history.as_ref())),
        (Measure::HistorySize, size_of(history.as_ref())),
        (Measure::MergeHistory, time_of(merged.as_ref())),
    ]);

    let snapshot = timed(runs, || S::snapshot(&doc));
    let loaded = snapshot
        .as_ref()
        .and_then(|snapshot| timed(runs, || S::load(&snapshot.output).map(with_text::<S>)));
    if let Some(loaded) = &loaded {
        verify(Measure::LoadSnapshot, &loaded.output.1);
    }

    let shallow = timed(runs, || S::shallow_snapshot(&doc));
    if let Some(shallow) = &shallow {
        let doc =
            S::load(&shallow.output).expect("a library that writes shallow snapshots loads them");
        verify(Measure::EncodeShallow, &S::text(&doc));
    }
    cells.extend([
        (Measure::EncodeSnapshot, time_of(snapshot.as_ref())),
        (Measure::SnapshotSize, size_of(snapshot.as_ref())),
        (Measure::EncodeShallow, time_of(shallow.as_ref())),
        (Measure::ShallowSize, size_of(shallow.as_ref())),
        (Measure::LoadSnapshot, time_of(loaded.as_ref())),
    ]);

    let synced = caught_up::<S>(trace, &mut doc, runs);
    if let Some(synced) = &synced {
        verify(Measure::SyncCatchUp, &synced.output.1);
    }
    cells.extend([
        (Measure::SyncCatchUp, time_of(synced.as_ref())),
        (
            Measure::SyncBytes,
            synced.as_ref().map(|synced| synced.output.0 as f64),
        ),
    ]);
    cells
}

/// Syncs a replica of the trace's first half with `doc` `runs` times (building each
/// behind replica is not timed); returns the bytes sent and the text of the last run,
/// with the median time.
fn caught_up<S: TextSubject>(
    trace: &SequentialTrace,
    doc: &mut S::Doc,
    runs: usize,
) -> Option<Timed<(usize, String)>> {
    let half = SequentialTrace {
        end_content: String::new(),
        txns: trace.txns[..trace.txns.len() / 2].to_vec(),
    };
    let mut times = Vec::with_capacity(runs);
    let mut output = None;
    for _ in 0..runs {
        let behind = S::replay(&half);
        let start = Instant::now();
        let (synced, bytes) = S::sync(doc, behind)?;
        let text = S::text(&synced);
        times.push(start.elapsed());
        output = Some((bytes, text));
    }
    Some(Timed {
        output: output?,
        time: median(times),
    })
}

/// Measures library `S` on a concurrent trace: builds its history (not timed), then
/// every measure of [`Measure::CONCURRENT`], checked against the trace's end content.
///
/// # Panics
///
/// If the merged document holds the wrong text, or `runs` is 0.
pub fn concurrent<S: TextSubject>(
    trace_name: &str,
    trace: &ConcurrentTrace,
    runs: usize,
) -> Vec<(Measure, Cell)> {
    let history = S::concurrent_history(trace);
    let merged = history
        .as_ref()
        .and_then(|history| timed(runs, || S::merge(history).map(with_text::<S>)));
    if let Some(merged) = &merged {
        let text = &merged.output.1;
        check::text(
            S::NAME,
            trace_name,
            Measure::ConcurrentMerge,
            text,
            &trace.end_content,
        );
    }
    vec![
        (
            Measure::ConcurrentHistorySize,
            history.map(|bytes| bytes.len() as f64),
        ),
        (Measure::ConcurrentMerge, time_of(merged.as_ref())),
    ]
}

/// The output of the last of several timed runs, and their median time.
struct Timed<T> {
    output: T,
    time: Duration,
}

/// Replays `trace` `runs` times; returns the last document and the median time and
/// bytes held.
fn replayed<S: TextSubject>(trace: &SequentialTrace, runs: usize) -> (S::Doc, Duration, usize) {
    let mut times = Vec::with_capacity(runs);
    let mut held = Vec::with_capacity(runs);
    let mut doc = None;
    for _ in 0..runs {
        // Free the previous run's document first, so that it is not counted.
        drop(doc.take());
        let before = alloc_counter::allocated();
        let start = Instant::now();
        let replayed = S::replay(trace);
        times.push(start.elapsed());
        held.push(alloc_counter::allocated().saturating_sub(before));
        doc = Some(replayed);
    }
    let doc = doc.expect("at least one run");
    (doc, median(times), median(held))
}

/// Runs `operation` `runs` times, or `None` if the library has no such operation.
///
/// Outputs are dropped outside the timed part: freeing a document is not what any
/// measure is about.
fn timed<T>(runs: usize, mut operation: impl FnMut() -> Option<T>) -> Option<Timed<T>> {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let output = operation()?;
        times.push(start.elapsed());
        last = Some(output);
    }
    Some(Timed {
        output: last.expect("at least one run"),
        time: median(times),
    })
}

/// A document with its text, read inside the timed part: some libraries decode lazily,
/// and reading is when they pay.
fn with_text<S: TextSubject>(doc: S::Doc) -> (S::Doc, String) {
    let text = S::text(&doc);
    (doc, text)
}

fn millis(time: Duration) -> f64 {
    time.as_secs_f64() * 1e3
}

fn time_of<T>(timed: Option<&Timed<T>>) -> Cell {
    timed.map(|timed| millis(timed.time))
}

fn size_of(encoded: Option<&Timed<Vec<u8>>>) -> Cell {
    encoded.map(|encoded| encoded.output.len() as f64)
}

fn median<T: Ord + Copy>(mut samples: Vec<T>) -> T {
    samples.sort_unstable();
    samples[samples.len() / 2]
}
