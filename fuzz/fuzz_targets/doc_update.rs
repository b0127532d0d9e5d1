//! See [`weft_testkit::fuzz_checks::doc_update`].

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| weft_testkit::fuzz_checks::doc_update(data));
