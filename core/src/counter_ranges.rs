//! Sets of event counters stored as runs, for the out-of-order part of a causal context.

use alloc::vec::Vec;
use core::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

/// A set of counters as sorted, disjoint, non-adjacent inclusive runs: `{3, 4, 5, 9}` is
/// stored as `[3..=5, 9..=9]`. A peer that missed ten thousand events of one replica
/// costs one run, not ten thousand dots.
#[derive(Clone, Default, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) struct CounterRanges {
    runs: Vec<(u64, u64)>,
}

impl CounterRanges {
    pub(crate) fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    pub(crate) fn contains(&self, counter: u64) -> bool {
        let after = self.runs.partition_point(|&(start, _)| start <= counter);
        after > 0 && self.runs[after - 1].1 >= counter
    }

    /// The highest counter in the set.
    pub(crate) fn last(&self) -> Option<u64> {
        self.runs.last().map(|&(_, end)| end)
    }

    pub(crate) fn runs(&self) -> impl Iterator<Item = RangeInclusive<u64>> + '_ {
        self.runs.iter().map(|&(start, end)| start..=end)
    }

    /// Adds `start..=end`, merging it with the runs it overlaps or touches.
    pub(crate) fn insert(&mut self, start: u64, end: u64) {
        if start > end {
            return;
        }
        // The first run that ends at or after `start - 1` is the first one to merge.
        let first = self
            .runs
            .partition_point(|&(_, run_end)| run_end.saturating_add(1) < start);
        let mut merged = (start, end);
        let mut last = first;
        while last < self.runs.len() && self.runs[last].0 <= end.saturating_add(1) {
            merged.0 = merged.0.min(self.runs[last].0);
            merged.1 = merged.1.max(self.runs[last].1);
            last += 1;
        }
        self.runs.splice(first..last, [merged]);
    }

    /// Removes every counter up to `floor` and returns the highest counter that is now
    /// contiguous with it: a version vector entry of `floor` absorbs the runs touching it.
    pub(crate) fn absorb_into(&mut self, floor: u64) -> u64 {
        let mut top = floor;
        let mut absorbed = 0;
        for &(start, end) in &self.runs {
            if start > top.saturating_add(1) {
                break;
            }
            top = top.max(end);
            absorbed += 1;
        }
        self.runs.drain(..absorbed);
        top
    }

    /// Whether the runs are sorted, disjoint, non-adjacent and free of counter 0.
    pub(crate) fn is_canonical(&self) -> bool {
        self.runs
            .iter()
            .all(|&(start, end)| 1 <= start && start <= end)
            && self
                .runs
                .windows(2)
                .all(|pair| pair[0].1.saturating_add(1) < pair[1].0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(runs: &[(u64, u64)]) -> CounterRanges {
        let mut set = CounterRanges::default();
        for &(start, end) in runs {
            set.insert(start, end);
        }
        set
    }

    #[test]
    fn inserts_merge_overlapping_and_adjacent_runs() {
        let s = set(&[(5, 6), (1, 2), (10, 12), (3, 4), (8, 8)]);
        assert_eq!(s.runs, [(1, 6), (8, 8), (10, 12)]);
        let s = set(&[(1, 2), (10, 12), (2, 11)]);
        assert_eq!(s.runs, [(1, 12)]);
        assert!(s.is_canonical());
    }

    #[test]
    fn contains_checks_run_bounds() {
        let s = set(&[(3, 5), (9, 9)]);
        let members: Vec<u64> = (0..12).filter(|&c| s.contains(c)).collect();
        assert_eq!(members, [3, 4, 5, 9]);
    }

    #[test]
    fn absorb_takes_runs_touching_the_floor() {
        let mut s = set(&[(2, 4), (5, 6), (9, 10)]);
        assert_eq!(s.absorb_into(1), 6);
        assert_eq!(s.runs, [(9, 10)]);
        assert_eq!(s.absorb_into(7), 7);
        assert_eq!(s.runs, [(9, 10)]);
    }

    #[test]
    fn extreme_counters_do_not_overflow() {
        let mut s = set(&[(u64::MAX - 1, u64::MAX), (1, 1)]);
        assert!(s.contains(u64::MAX));
        assert_eq!(s.absorb_into(u64::MAX - 2), u64::MAX);
        assert!(s.is_empty());
    }
}
