//! [diamond-types](https://github.com/josephg/diamond-types): an operation log of
//! edits, each at the version it was made on, plus a checkout (a rope) of the text.
//!
//! It has one binary format, the encoded operation log, which is both what peers
//! exchange and what is stored: history and snapshot are the same bytes, and merging
//! and loading are the same decode followed by a checkout. It has no transactions and
//! no mode that drops deleted content.

use diamond_types::LocalVersion;
use diamond_types::list::encoding::ENCODE_FULL;
use diamond_types::list::{ListCRDT, OpLog};
use weft_testkit::traces::{ConcurrentTrace, SequentialTrace};

use crate::subject::{Role, TextSubject};

/// diamond-types' list CRDT.
pub struct DiamondTypes;

impl TextSubject for DiamondTypes {
    const NAME: &'static str = "diamond-types";
    const ROLE: Role = Role::Peer;
    type Doc = ListCRDT;

    fn replay(trace: &SequentialTrace) -> ListCRDT {
        let mut doc = ListCRDT::new();
        let agent = doc.get_or_create_agent_id("author");
        for patch in trace.patches() {
            if patch.delete > 0 {
                doc.delete(agent, patch.position..patch.position + patch.delete);
            }
            if !patch.insert.is_empty() {
                doc.insert(agent, patch.position, &patch.insert);
            }
        }
        doc
    }

    fn text(doc: &ListCRDT) -> String {
        doc.branch.content().to_string()
    }

    fn history(doc: &ListCRDT) -> Option<Vec<u8>> {
        Some(doc.oplog.encode(ENCODE_FULL))
    }

    fn merge(history: &[u8]) -> Option<ListCRDT> {
        let mut doc = ListCRDT::new();
        doc.merge_data_and_ff(history)
            .expect("diamond-types decodes its own history");
        Some(doc)
    }

    fn snapshot(doc: &ListCRDT) -> Option<Vec<u8>> {
        Self::history(doc)
    }

    fn shallow_snapshot(_: &ListCRDT) -> Option<Vec<u8>> {
        None
    }

    fn load(snapshot: &[u8]) -> Option<ListCRDT> {
        Some(ListCRDT::load_from(snapshot).expect("diamond-types decodes its own snapshot"))
    }

    /// Its operation log can be encoded from a version, but versions have no wire
    /// form in its API to send the peer that has it.
    fn sync(_: &mut ListCRDT, _: ListCRDT) -> Option<(ListCRDT, usize)> {
        None
    }

    /// The operation log takes each edit together with the version it was made at, so
    /// one log replays the whole trace without a replica per agent.
    fn concurrent_history(trace: &ConcurrentTrace) -> Option<Vec<u8>> {
        let mut oplog = OpLog::new();
        let agents: Vec<_> = (0..trace.num_agents)
            .map(|agent| oplog.get_or_create_agent_id(&format!("agent {agent}")))
            .collect();
        let mut ends: Vec<LocalVersion> = Vec::with_capacity(trace.txns.len());
        for txn in &trace.txns {
            let mut version: LocalVersion = txn
                .parents
                .iter()
                .flat_map(|&parent| ends[parent].iter().copied())
                .collect();
            version.sort_unstable();
            let agent = agents[txn.agent];
            for patch in &txn.patches {
                if patch.delete > 0 {
                    let range = patch.position..patch.position + patch.delete;
                    version =
                        LocalVersion::from_slice(&[oplog.add_delete_at(agent, &version, range)]);
                }
                if !patch.insert.is_empty() {
                    let time = oplog.add_insert_at(agent, &version, patch.position, &patch.insert);
                    version = LocalVersion::from_slice(&[time]);
                }
            }
            ends.push(version);
        }
        Some(oplog.encode(ENCODE_FULL))
    }
}
