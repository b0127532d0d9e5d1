//! A document's history: each replica's changes, stored as columnar runs.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use super::change::Change;
use super::encoding::{Run, Table, write_runs};
use super::wire::Writer;
use crate::{Error, ReplicaId, VersionVector};

/// The changes a document keeps, by replica, each replica's in counter order.
#[derive(Clone, Debug, Default)]
pub(crate) struct History {
    table: Table,
    runs: BTreeMap<ReplicaId, Vec<Run>>,
}

impl History {
    /// Records a change that follows everything recorded of its replica; it joins the
    /// replica's last run when nothing came between them.
    pub(crate) fn push(&mut self, change: &mut Change) {
        let runs = self.runs.entry(change.id.replica()).or_default();
        match runs.last_mut() {
            Some(run) if run.continues_with(change) => run.append(change, &mut self.table),
            _ => runs.push(Run::taking_deps(change, &mut self.table)),
        }
    }

    /// Records a change from a snapshot's history, unless it overlaps one recorded.
    pub(crate) fn insert(&mut self, change: &Change) {
        let runs = self.runs.entry(change.id.replica()).or_default();
        let first = change.id.counter();
        let last = change.last_counter();
        let at = runs.partition_point(|run| run.last_counter() < first);
        if runs.get(at).is_some_and(|run| run.id.counter() <= last) {
            return;
        }
        runs.insert(at, Run::new(change, &mut self.table));
    }

    /// Forgets the changes at or below `stable` (cutting a run that straddles it);
    /// returns, per replica, the last counter forgotten.
    pub(crate) fn compact(
        &mut self,
        stable: &VersionVector,
    ) -> Result<Vec<(ReplicaId, u64)>, Error> {
        let mut forgotten = Vec::new();
        for (replica, runs) in &mut self.runs {
            let upto = stable.get(*replica);
            let keep = runs.partition_point(|run| run.last_counter() <= upto);
            let mut last = runs[..keep].last().map(Run::last_counter);
            runs.drain(..keep);
            if let Some(first) = runs.first_mut()
                && first.id.counter() <= upto
            {
                *first = tail(&self.table, first, upto + 1)?;
                last = Some(upto);
            }
            forgotten.extend(last.map(|last| (*replica, last)));
        }
        Ok(forgotten)
    }

    /// Writes (as an update body) every change in `version` that `since` lacks, in
    /// causal order. [`Error::Compacted`] when some of them are no longer here.
    pub(crate) fn write_since(
        &self,
        out: &mut Writer,
        since: &VersionVector,
        version: &VersionVector,
    ) -> Result<(), Error> {
        let mut selected: Vec<Run> = Vec::new();
        let mut whole: Vec<&Run> = Vec::new();
        for (replica, counter) in version.iter() {
            let mut next = since.get(replica) + 1;
            if next > counter {
                continue;
            }
            let runs = self.runs.get(&replica).map_or(&[][..], Vec::as_slice);
            let from = runs.partition_point(|run| run.last_counter() < next);
            for run in &runs[from..] {
                if run.id.counter() > next {
                    return Err(Error::Compacted);
                }
                if run.id.counter() == next {
                    whole.push(run);
                } else {
                    selected.push(tail(&self.table, run, next)?);
                }
                next = run.last_counter() + 1;
            }
            if next <= counter {
                return Err(Error::Compacted);
            }
        }
        let mut runs: Vec<&Run> = whole.into_iter().chain(&selected).collect();
        // A change's Lamport time is above those of everything it depends on.
        runs.sort_by_key(|run| (run.lamport, run.id.replica()));
        write_runs(out, runs.into_iter(), &self.table);
        Ok(())
    }

    /// Writes the whole history as an update body.
    pub(crate) fn write_all(&self, out: &mut Writer) {
        let mut runs: Vec<&Run> = self.runs.values().flatten().collect();
        runs.sort_by_key(|run| (run.lamport, run.id.replica()));
        write_runs(out, runs.into_iter(), &self.table);
    }

    /// Every change, decoded, in causal order.
    pub(crate) fn changes(&self) -> Result<Vec<Change>, Error> {
        let mut runs: Vec<&Run> = self.runs.values().flatten().collect();
        runs.sort_by_key(|run| (run.lamport, run.id.replica()));
        runs.into_iter()
            .map(|run| run.to_change(&self.table))
            .collect()
    }
}

/// The part of `run` from counter `from` on, as a run of its own.
fn tail(table: &Table, run: &Run, from: u64) -> Result<Run, Error> {
    let (_, tail) = run.to_change(table)?.split_after(from - 1);
    let tail = tail.ok_or(Error::Compacted)?;
    // Every container of the tail is in the table already: interning finds them.
    let mut table = table.clone();
    Ok(Run::new(&tail, &mut table))
}
