//! The mesh as this relay sees it, for `/mesh` and `/metrics`: the members gossip
//! reports, the links, and what flowed over them.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// One other relay.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Peer {
    /// Where it gossips.
    pub gossip: String,
    /// Where its links are dialed (`ws://host:port`).
    pub url: Option<String>,
    /// Whether the failure detector holds it alive.
    pub live: bool,
    /// Its heartbeat: the gossip rounds it has made, as last heard.
    pub gossip_rounds: u64,
    /// Times the failure detector went from alive to suspecting it.
    pub suspicions: u64,
    /// Links with it open now.
    pub links: u64,
    /// Links with it opened so far.
    pub links_opened: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// Bytes of digests and of the catch-ups they started.
    pub anti_entropy_bytes: u64,
}

/// A per-peer metric: name, type, help (none: declared already) and value.
type Series = (&'static str, &'static str, &'static str, fn(&Peer) -> u64);

/// Shared by the membership task, the hub and the HTTP handlers.
#[derive(Debug, Default)]
pub struct MeshView {
    pub node: String,
    pub url: String,
    /// This relay's own gossip rounds.
    pub gossip_rounds: AtomicU64,
    /// The anti-entropy root over every stored document, and their number.
    pub root: AtomicU64,
    pub documents: AtomicU64,
    peers: Mutex<BTreeMap<String, Peer>>,
}

#[derive(Serialize)]
struct Report<'a> {
    node: &'a str,
    url: &'a str,
    gossip_rounds: u64,
    /// Hex, so that every JSON reader gets all 64 bits.
    digest: String,
    documents: u64,
    peers: BTreeMap<String, Peer>,
}

impl MeshView {
    pub fn new(node: String, url: String) -> Self {
        Self {
            node,
            url,
            ..Self::default()
        }
    }

    /// Changes what is known of `node`.
    pub fn peer(&self, node: &str, change: impl FnOnce(&mut Peer)) {
        let mut peers = self
            .peers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        change(peers.entry(node.into()).or_default());
    }

    fn peers(&self) -> BTreeMap<String, Peer> {
        self.peers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Whether this relay's name sorts before every live peer's: the owner of the
    /// relay's jobs in a mesh without etcd.
    pub fn sorts_first_of_the_live(&self) -> bool {
        self.peers()
            .iter()
            .filter(|(_, peer)| peer.live)
            .all(|(name, _)| *name > self.node)
    }

    /// The membership view as JSON.
    pub fn to_json(&self) -> String {
        let report = Report {
            node: &self.node,
            url: &self.url,
            gossip_rounds: self.gossip_rounds.load(Ordering::Relaxed),
            digest: format!("{:016x}", self.root.load(Ordering::Relaxed)),
            documents: self.documents.load(Ordering::Relaxed),
            peers: self.peers(),
        };
        serde_json::to_string_pretty(&report).expect("the report always serializes")
    }

    /// Per-peer metrics in the Prometheus text format.
    pub fn render_metrics(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "# HELP weft_mesh_gossip_rounds_total Gossip rounds (heartbeats), this relay's and each peer's as last heard.\n\
             # TYPE weft_mesh_gossip_rounds_total counter\n\
             weft_mesh_gossip_rounds_total{{peer=\"{}\"}} {}",
            self.node,
            self.gossip_rounds.load(Ordering::Relaxed)
        );
        let peers = self.peers();
        let series: [Series; 7] = [
            ("weft_mesh_gossip_rounds_total", "counter", "", |p| {
                p.gossip_rounds
            }),
            (
                "weft_mesh_peer_live",
                "gauge",
                "Whether the failure detector holds the peer alive.",
                |p| u64::from(p.live),
            ),
            (
                "weft_mesh_suspicions_total",
                "counter",
                "Times the failure detector began to suspect the peer.",
                |p| p.suspicions,
            ),
            (
                "weft_mesh_links_opened_total",
                "counter",
                "Links opened with the peer.",
                |p| p.links_opened,
            ),
            (
                "weft_mesh_link_bytes_in_total",
                "counter",
                "Bytes received from the peer.",
                |p| p.bytes_in,
            ),
            (
                "weft_mesh_link_bytes_out_total",
                "counter",
                "Bytes sent to the peer.",
                |p| p.bytes_out,
            ),
            (
                "weft_mesh_anti_entropy_bytes_total",
                "counter",
                "Bytes of anti-entropy digests and the catch-ups they started.",
                |p| p.anti_entropy_bytes,
            ),
        ];
        for (name, kind, help, value) in series {
            if !help.is_empty() {
                let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            }
            for (node, peer) in &peers {
                let _ = writeln!(out, "{name}{{peer=\"{node}\"}} {}", value(peer));
            }
        }
    }
}
