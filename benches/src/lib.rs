//! Benchmarks of weft. The criterion benches live in `benches/`; this library holds
//! what they share with the side-by-side comparison of text CRDTs on real editing
//! traces (`src/bin/compare.rs`, see the crate README).
//!
//! - [`subject`]: what one library must offer; [`subjects`]: the adapters and the one
//!   list that registers them.
//! - [`measure`]: how one library is measured on one trace; [`check`]: the correctness
//!   check behind every number; [`concurrent`]: replaying a concurrent trace with one
//!   replica per agent; [`alloc_counter`]: memory held.
//! - [`results`], [`table`], [`plot`]: the numbers of a run, as a markdown table and
//!   as an SVG chart of ratios.

pub use weft_testkit::alloc_counter;
pub mod check;
pub mod concurrent;
pub mod measure;
pub mod plot;
pub mod results;
pub mod subject;
pub mod subjects;
pub mod table;
