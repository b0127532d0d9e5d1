//! The trace loader reads every trace, and the sequential ones replay on a plain
//! character vector to their recorded end content.

use weft_testkit::traces::{self, CONCURRENT, SEQUENTIAL};

#[test]
fn sequential_traces_load_and_replay_on_a_plain_string() {
    for name in SEQUENTIAL {
        let trace = traces::sequential(name).expect("trace loads");
        let mut text: Vec<char> = Vec::new();
        for patch in trace.patches() {
            text.splice(
                patch.position..patch.position + patch.delete,
                patch.insert.chars(),
            );
        }
        assert_eq!(
            text.into_iter().collect::<String>(),
            trace.end_content,
            "{name}"
        );
    }
}

#[test]
fn concurrent_traces_load_with_causally_ordered_parents() {
    for name in CONCURRENT {
        let trace = traces::concurrent(name).expect("trace loads");
        assert!(trace.num_agents >= 2, "{name}");
        assert!(trace.txns[0].parents.is_empty());
        for (index, txn) in trace.txns.iter().enumerate().skip(1) {
            assert!(!txn.parents.is_empty() && txn.parents.iter().all(|&p| p < index));
            assert!(txn.agent < trace.num_agents);
        }
    }
}
