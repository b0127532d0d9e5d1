//! Test helpers for weft, shared by the crates' test suites: a seeded simulated network
//! that drops, duplicates, reorders and partitions, and loaders for the editing traces.

pub mod fuzz_checks;
pub mod network;
pub mod session_network;
pub mod text_replay;
pub mod traces;
