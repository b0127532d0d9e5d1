//! Decoding allocates at most a small multiple of its input, whatever the input: the
//! lengths inside are checked against the bytes that remain before anything is
//! allocated.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use weft_core::sync::Message;
use weft_core::{Document, ReplicaId, SnapshotMode, VersionVector};
use weft_testkit::alloc_counter::{self, CountingAllocator};
use weft_testkit::doc_edits::random_edit;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// The most a decode may hold per input byte, plus a fixed allowance for the empty
/// structures every document starts with.
const PER_BYTE: usize = 64;
const FIXED: usize = 64 * 1024;

fn peak_while(decode: impl FnOnce()) -> usize {
    alloc_counter::reset_peak();
    let before = alloc_counter::allocated();
    decode();
    alloc_counter::peak() - before
}

fn check(input: &[u8]) {
    let limit = PER_BYTE * input.len() + FIXED;
    let peak = peak_while(|| {
        let mut doc = Document::new(ReplicaId::new(1));
        let _ = doc.import(input, None);
    });
    assert!(peak <= limit, "import of {} bytes held {peak}", input.len());
    let peak = peak_while(|| {
        let _ = Message::decode(input);
    });
    assert!(
        peak <= limit,
        "message of {} bytes held {peak}",
        input.len()
    );
}

#[test]
fn decoding_valid_and_mangled_input_stays_within_a_multiple_of_its_size() {
    let mut rng = StdRng::seed_from_u64(7);
    let mut doc = Document::new(ReplicaId::new(2));
    for _ in 0..400 {
        random_edit(&mut doc, &mut rng);
    }
    let inputs = [
        doc.export_update(&VersionVector::new()).unwrap(),
        doc.export_snapshot(SnapshotMode::Full),
        doc.export_snapshot(SnapshotMode::Shallow),
    ];
    for input in &inputs {
        check(input);
        for _ in 0..300 {
            let mut mangled = input.clone();
            for _ in 0..rng.random_range(1..4) {
                let at = rng.random_range(4..mangled.len());
                // Large bytes make LEB128 lengths and counts enormous.
                mangled[at] = if rng.random_bool(0.5) {
                    0xff
                } else {
                    rng.random()
                };
            }
            check(&mangled);
        }
    }
}

#[test]
fn huge_declared_lengths_allocate_nothing_large() {
    // An update header that claims 2^62 containers, changes and bytes.
    let mut input = b"wf\x01\x0b".to_vec();
    input.extend([0xff; 9]);
    input.push(0x3f);
    check(&input);
    let mut message = b"wf\x01\x0d\x02".to_vec();
    message.extend([0xff; 9]);
    message.push(0x3f);
    check(&message);
}
