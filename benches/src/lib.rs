//! Benchmarks of weft. The criterion benches live in `benches/`; shared inputs live
//! here as they are added.
