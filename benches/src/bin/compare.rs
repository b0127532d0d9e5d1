//! Side-by-side comparison of weft's text CRDT with its peers on real editing traces.
//!
//! ```text
//! cargo run --release -p weft-benches --bin compare -- [--quick] [--traces a,b] [--out FILE]
//! ```
//!
//! Every library runs on the same trace in the same process, one after the other;
//! the table goes to stdout (and to `--out`), the chart of ratios to
//! `benches/results/ratios.svg`. Nothing here asserts on time.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use weft_benches::alloc_counter::CountingAllocator;
use weft_benches::measure::{self, Cell, Measure};
use weft_benches::results::{Library, Results};
use weft_benches::subject::TextSubject;
use weft_benches::subjects::{self, Visitor};
use weft_benches::{plot, table};
use weft_testkit::traces::{self, ConcurrentTrace, SequentialTrace};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

const USAGE: &str = "usage: compare [--quick] [--traces NAME,NAME...] [--out FILE]

  --quick    fewer timed runs per measure
  --traces   only these traces (sequential or concurrent names)
  --out      also write the markdown table to FILE";

/// Timed runs per measure; each number is their median.
const RUNS: usize = 7;
const QUICK_RUNS: usize = 3;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|arg| arg == "--help" || arg == "-h") {
        println!("Compares text CRDTs on real editing traces.\n\n{USAGE}");
        return ExitCode::SUCCESS;
    }
    let options = match Options::parse(args.into_iter()) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}\n\n{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("compare: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The command line.
struct Options {
    quick: bool,
    sequential: Vec<&'static str>,
    concurrent: Vec<&'static str>,
    out: Option<PathBuf>,
}

impl Options {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Self, String> {
        let mut options = Self {
            quick: false,
            sequential: traces::SEQUENTIAL.to_vec(),
            concurrent: traces::CONCURRENT.to_vec(),
            out: None,
        };
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--quick" => options.quick = true,
                "--traces" => {
                    let names = args.next().ok_or("--traces needs a list of names")?;
                    options.select(&names)?;
                }
                "--out" => {
                    let path = args.next().ok_or("--out needs a file name")?;
                    options.out = Some(PathBuf::from(path));
                }
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        Ok(options)
    }

    /// Keeps only the traces named in the comma-separated `names`.
    fn select(&mut self, names: &str) -> Result<(), String> {
        let names: Vec<&str> = names.split(',').map(str::trim).collect();
        if let Some(unknown) = names
            .iter()
            .find(|name| !traces::SEQUENTIAL.contains(name) && !traces::CONCURRENT.contains(name))
        {
            return Err(format!(
                "no trace named {unknown:?}; sequential: {}; concurrent: {}",
                traces::SEQUENTIAL.join(", "),
                traces::CONCURRENT.join(", "),
            ));
        }
        self.sequential.retain(|trace| names.contains(trace));
        self.concurrent.retain(|trace| names.contains(trace));
        Ok(())
    }

    fn runs(&self) -> usize {
        if self.quick { QUICK_RUNS } else { RUNS }
    }
}

fn run(options: &Options) -> Result<(), Box<dyn Error>> {
    let started = Instant::now();
    let mut libraries = Libraries(Vec::new());
    subjects::for_each(&mut libraries);
    let mut results = Results::new(libraries.0);

    let steps = (options.sequential.len() + options.concurrent.len()) * results.libraries.len();
    let progress = ProgressBar::new(steps as u64).with_style(ProgressStyle::with_template(
        "{elapsed_precise} [{bar:30}] {pos}/{len} {msg}",
    )?);
    let runs = options.runs();
    for &name in &options.sequential {
        progress.set_message(format!("loading {name}"));
        let trace = traces::sequential(name)?;
        results.add_trace(name, measure_all(name, &trace, runs, &progress));
    }
    for &name in &options.concurrent {
        progress.set_message(format!("loading {name}"));
        let trace = traces::concurrent(name)?;
        results.add_trace(name, measure_all(name, &trace, runs, &progress));
    }
    progress.finish_and_clear();

    let table = table::markdown(&results, runs);
    println!("{table}");
    if let Some(out) = &options.out {
        std::fs::write(out, &table)?;
    }
    let chart = Path::new(env!("CARGO_MANIFEST_DIR")).join("results/ratios.svg");
    std::fs::create_dir_all(chart.parent().expect("the chart is in a folder"))?;
    plot::draw(&results, &chart)?;
    eprintln!(
        "chart: {}; total time {:.0?}",
        chart.display(),
        started.elapsed()
    );
    Ok(())
}

/// Measures every library on `trace`: one column of measures per library.
fn measure_all<T: Trace>(
    name: &str,
    trace: &T,
    runs: usize,
    progress: &ProgressBar,
) -> Vec<Vec<(Measure, Cell)>> {
    let mut run = TraceRun {
        name,
        trace,
        runs,
        progress,
        columns: Vec::new(),
    };
    subjects::for_each(&mut run);
    run.columns
}

/// A kind of trace, and the measures it is for.
trait Trace {
    fn measure<S: TextSubject>(&self, name: &str, runs: usize) -> Vec<(Measure, Cell)>;
}

impl Trace for SequentialTrace {
    fn measure<S: TextSubject>(&self, name: &str, runs: usize) -> Vec<(Measure, Cell)> {
        measure::sequential::<S>(name, self, runs)
    }
}

impl Trace for ConcurrentTrace {
    fn measure<S: TextSubject>(&self, name: &str, runs: usize) -> Vec<(Measure, Cell)> {
        measure::concurrent::<S>(name, self, runs)
    }
}

/// Collects the libraries, as table columns.
struct Libraries(Vec<Library>);

impl Visitor for Libraries {
    fn visit<S: TextSubject>(&mut self) {
        self.0.push(Library {
            name: S::NAME,
            role: S::ROLE,
        });
    }
}

/// Measures every library on one trace, in column order.
struct TraceRun<'a, T> {
    name: &'a str,
    trace: &'a T,
    runs: usize,
    progress: &'a ProgressBar,
    columns: Vec<Vec<(Measure, Cell)>>,
}

impl<T: Trace> Visitor for TraceRun<'_, T> {
    fn visit<S: TextSubject>(&mut self) {
        self.progress
            .set_message(format!("{} on {}", S::NAME, self.name));
        self.columns
            .push(self.trace.measure::<S>(self.name, self.runs));
        self.progress.inc(1);
    }
}
