//! Random edits on three text replicas with random syncs (some through encoded
//! bytes): the trees stay consistent after every step, and after a full sync all
//! replicas hold the same text and version.

#![no_main]

use libfuzzer_sys::fuzz_target;
use weft_core::{ReplicaId, Text, TextDelta};

const PIECES: [&str; 6] = ["a", "bc", "ü", "🦀", "xyz", "\n"];

fuzz_target!(|data: &[u8]| {
    let ids = [ReplicaId::new(30), ReplicaId::new(10), ReplicaId::new(20)];
    let mut texts = [Text::new(), Text::new(), Text::new()];
    for step in data.chunks_exact(4) {
        let at = usize::from(step[1]) % 3;
        match step[0] % 5 {
            0 | 1 => {
                let position = u64::from(step[2]) % (texts[at].len() + 1);
                let piece = PIECES[usize::from(step[3]) % PIECES.len()];
                texts[at].insert(ids[at], position, piece).unwrap();
            }
            2 => {
                let len = texts[at].len();
                if len > 0 {
                    let position = u64::from(step[2]) % len;
                    let count = (1 + u64::from(step[3]) % 4).min(len - position);
                    texts[at].delete(ids[at], position, count).unwrap();
                }
            }
            3 => {
                let to = usize::from(step[2]) % 3;
                let delta = texts[at].delta_since(texts[to].version());
                texts[to].integrate(delta).unwrap();
            }
            _ => {
                let to = usize::from(step[2]) % 3;
                let bytes = texts[at].delta_since(texts[to].version()).encode();
                texts[to].integrate(TextDelta::decode(&bytes).unwrap()).unwrap();
            }
        }
        for text in &texts {
            text.check_invariants().unwrap();
        }
    }
    for to in 0..3 {
        for from in 0..3 {
            let delta = texts[from].delta_since(texts[to].version());
            texts[to].integrate(delta).unwrap();
        }
    }
    let delta = texts[2].delta_since(texts[0].version());
    texts[0].integrate(delta).unwrap();
    let delta = texts[2].delta_since(texts[1].version());
    texts[1].integrate(delta).unwrap();
    for text in &texts[1..] {
        assert_eq!(text.to_string(), texts[0].to_string());
        assert_eq!(text.version(), texts[0].version());
    }
});
