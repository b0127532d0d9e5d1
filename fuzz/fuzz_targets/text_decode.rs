//! Any bytes, decoded as a text delta, give an error or a delta that integrates into
//! a text without breaking it.

#![no_main]

use libfuzzer_sys::fuzz_target;
use weft_core::{ReplicaId, Text, TextDelta};

fuzz_target!(|data: &[u8]| {
    if let Ok(delta) = TextDelta::decode(data) {
        let mut text = Text::new();
        let _ = text.integrate(delta);
        text.check_invariants().unwrap();
        text.insert(ReplicaId::new(1), 0, "x").unwrap();
        text.check_invariants().unwrap();
    }
});
