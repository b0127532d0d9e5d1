//! decode(encode(x)) == x for documents built by random edits on two replicas.

use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use weft_core::doc::{decode_update, encode_update};
use weft_core::{Document, ReplicaId, SnapshotMode, VersionVector};
use weft_testkit::doc_edits::random_edit;

/// Two replicas editing and syncing now and then, from a seed.
fn document(seed: u64, edits: usize) -> Document {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut a = Document::new(ReplicaId::new(1));
    let mut b = Document::new(ReplicaId::new(2));
    for step in 0..edits {
        let doc = if step % 3 == 0 { &mut b } else { &mut a };
        random_edit(doc, &mut rng);
        if step % 7 == 0 {
            b.import(&a.export_update(b.version()).unwrap(), None)
                .unwrap();
            a.import(&b.export_update(a.version()).unwrap(), None)
                .unwrap();
        }
    }
    a.import(&b.export_update(a.version()).unwrap(), None)
        .unwrap();
    a
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn updates_round_trip(seed in any::<u64>(), edits in 1usize..60) {
        let doc = document(seed, edits);
        let changes = doc.changes_since(&VersionVector::new()).unwrap();
        let bytes = encode_update(changes.iter());
        let decoded = decode_update(&bytes).unwrap();
        prop_assert_eq!(&decoded, &changes);
        let mut copy = Document::new(ReplicaId::new(3));
        copy.import(&bytes, None).unwrap();
        prop_assert_eq!(copy.view(), doc.view());
    }

    #[test]
    fn snapshots_round_trip(seed in any::<u64>(), edits in 1usize..60) {
        let doc = document(seed, edits);
        for mode in [SnapshotMode::Full, SnapshotMode::Shallow] {
            let bytes = doc.export_snapshot(mode);
            let loaded = Document::from_snapshot(ReplicaId::new(3), &bytes).unwrap();
            prop_assert_eq!(loaded.view(), doc.view());
            prop_assert_eq!(loaded.version(), doc.version());
            prop_assert_eq!(loaded.export_snapshot(mode), bytes);
        }
    }
}
