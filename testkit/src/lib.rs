//! Test helpers for weft, shared by the crates' test suites: a seeded simulated network
//! that drops, duplicates, reorders and partitions, and loaders for the editing traces.

pub mod alloc_counter;
pub mod dependencies;
pub mod doc_edits;
pub mod fuzz_checks;
pub mod network;
pub mod session_network;
pub mod text_replay;
pub mod traces;
