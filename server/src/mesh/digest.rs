//! Anti-entropy digests: what a relay holds, small enough to compare every second.
//!
//! Each document's digest is a hash of its version vector; the relay's root is the
//! XOR of `hash(name, digest)` over its documents, so it changes in O(1) when one
//! document does. Relays exchange roots on every tick; when two differ, each sends
//! the other its per-document digests, and every document that differs is synced
//! over the link with the ordinary subscribe exchange, which sends exactly the
//! changes each side lacks.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The control messages of a mesh link (text frames; sync messages are binary).
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum MeshMessage {
    /// "This is everything I hold, in one number."
    Root { root: u64, documents: usize },
    /// "This is what I hold of each document": sent when roots differ.
    Digest { documents: BTreeMap<String, u64> },
}

impl MeshMessage {
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).expect("mesh messages always serialize")
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|error| format!("a mesh message: {error}"))
    }
}

fn first_eight(bytes: &[u8]) -> u64 {
    let mut word = [0; 8];
    word.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(word)
}

/// The digest of a version, from its encoded form (as the store keeps it).
pub fn of_encoded_version(encoded: &[u8]) -> u64 {
    first_eight(&Sha256::digest(encoded))
}

fn entry(doc: &str, digest: u64) -> u64 {
    let mut hash = Sha256::new();
    hash.update(doc.as_bytes());
    hash.update([0]);
    hash.update(digest.to_le_bytes());
    first_eight(&hash.finalize())
}

/// Every document's digest and the root over them.
#[derive(Debug, Default)]
pub struct Digests {
    documents: BTreeMap<String, u64>,
    root: u64,
}

impl Digests {
    /// Records `doc`'s digest; an empty document is the same as none.
    pub fn set(&mut self, doc: &str, digest: Option<u64>) {
        if let Some(old) = self.documents.remove(doc) {
            self.root ^= entry(doc, old);
        }
        if let Some(digest) = digest {
            self.root ^= entry(doc, digest);
            self.documents.insert(doc.into(), digest);
        }
    }

    pub fn root(&self) -> u64 {
        self.root
    }

    pub fn contains(&self, doc: &str) -> bool {
        self.documents.contains_key(doc)
    }

    pub fn len(&self) -> usize {
        self.documents.len()
    }

    pub fn root_message(&self) -> MeshMessage {
        MeshMessage::Root {
            root: self.root,
            documents: self.documents.len(),
        }
    }

    pub fn digest_message(&self) -> MeshMessage {
        MeshMessage::Digest {
            documents: self.documents.clone(),
        }
    }

    /// The documents where `theirs` and this side differ, either way.
    pub fn differing<'a>(&'a self, theirs: &'a BTreeMap<String, u64>) -> Vec<&'a str> {
        let ours_differ = self
            .documents
            .iter()
            .filter(|(doc, digest)| theirs.get(*doc) != Some(digest))
            .map(|(doc, _)| doc.as_str());
        let theirs_only = theirs
            .keys()
            .filter(|doc| !self.documents.contains_key(*doc))
            .map(String::as_str);
        ours_differ.chain(theirs_only).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use weft_core::ReplicaId;
    use weft_core::VersionVector;

    fn of_version(version: &VersionVector) -> u64 {
        of_encoded_version(&weft_core::codec::encode(version))
    }

    fn version(counter: u64) -> VersionVector {
        let mut version = VersionVector::default();
        version.advance(ReplicaId::new(7), counter);
        version
    }

    #[test]
    fn the_root_depends_on_the_contents_not_the_order_they_came_in() {
        let mut one = Digests::default();
        one.set("a", Some(of_version(&version(1))));
        one.set("b", Some(of_version(&version(2))));
        one.set("a", Some(of_version(&version(3))));
        let mut other = Digests::default();
        other.set("b", Some(of_version(&version(2))));
        other.set("a", Some(of_version(&version(3))));
        assert_eq!(one.root(), other.root());
        assert_ne!(one.root(), 0);

        other.set("b", None);
        assert_ne!(one.root(), other.root());
        other.set("b", Some(of_version(&version(2))));
        assert_eq!(one.root(), other.root());
    }

    #[test]
    fn differing_names_documents_missing_on_either_side_or_at_other_versions() {
        let mut ours = Digests::default();
        ours.set("same", Some(1));
        ours.set("changed", Some(2));
        ours.set("only-ours", Some(3));
        let theirs = BTreeMap::from([
            ("same".to_string(), 1),
            ("changed".to_string(), 5),
            ("only-theirs".to_string(), 4),
        ]);
        let mut differing = ours.differing(&theirs);
        differing.sort_unstable();
        assert_eq!(differing, ["changed", "only-ours", "only-theirs"]);
    }

    #[test]
    fn messages_round_trip_and_bad_text_is_an_error() {
        let message = MeshMessage::Digest {
            documents: BTreeMap::from([("notes".to_string(), u64::MAX)]),
        };
        assert_eq!(MeshMessage::parse(&message.to_text()).unwrap(), message);
        assert!(MeshMessage::parse("{\"type\":\"gossip\"}").is_err());
        assert!(MeshMessage::parse("\u{0}").is_err());
    }
}
