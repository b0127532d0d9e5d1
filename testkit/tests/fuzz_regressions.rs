//! Replays every input the fuzzers found (`fuzz/regressions/<target>/`), so a fixed
//! crash stays fixed.

use std::path::Path;

use weft_testkit::fuzz_checks::TARGETS;

#[test]
fn every_committed_fuzz_input_passes_its_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions");
    let mut replayed = 0;
    for (target, check) in TARGETS {
        let dir = root.join(target);
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{dir:?}: {e}"));
        for entry in entries {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|ext| ext == "md") {
                continue;
            }
            let data = std::fs::read(&path).unwrap();
            check(&data);
            replayed += 1;
        }
    }
    eprintln!("replayed {replayed} fuzz inputs");
}
