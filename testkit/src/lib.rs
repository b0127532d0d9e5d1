//! Test helpers for weft, shared by the crates' test suites: a seeded simulated network
//! that drops, duplicates, reorders and partitions, and (later) trace loaders.

pub mod network;
