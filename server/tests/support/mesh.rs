//! Relays in a mesh for the tests: started with gossip ports and seeds, and waited
//! for until every pair is linked.

use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::time::{Duration, Instant};

use super::{Relay, get};

const WAIT: Duration = Duration::from_secs(10);

pub fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A relay named `node` gossiping on `gossip`, joining through `seeds`, dialed at
/// `advertise` (a proxy) when given.
pub fn start_in_mesh(
    dir: &Path,
    node: &str,
    gossip: u16,
    seeds: &[u16],
    advertise: Option<SocketAddr>,
) -> Relay {
    start_with(dir, node, gossip, seeds, advertise, &[])
}

pub fn start_with(
    dir: &Path,
    node: &str,
    gossip: u16,
    seeds: &[u16],
    advertise: Option<SocketAddr>,
    extra: &[&str],
) -> Relay {
    let mut args = vec![
        "--node".to_string(),
        node.into(),
        "--gossip-port".into(),
        gossip.to_string(),
        "--idle-seconds".into(),
        "1".into(),
    ];
    for seed in seeds {
        args.push("--peer".into());
        args.push(format!("127.0.0.1:{seed}"));
    }
    if let Some(advertise) = advertise {
        args.push("--advertise-url".into());
        args.push(format!("ws://{advertise}"));
    }
    let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
    args.extend_from_slice(extra);
    Relay::start(dir, &args)
}

/// The relay's view of the mesh (`/mesh`).
pub async fn view(relay: &Relay) -> serde_json::Value {
    let (status, body) = get(relay, "/mesh").await;
    assert!(status.contains("200"), "{status}");
    serde_json::from_str(&body).unwrap()
}

/// Waits until every relay has each other one as a live peer with a link.
pub async fn wait_for_links(relays: &[&Relay]) {
    let deadline = Instant::now() + WAIT;
    loop {
        let mut linked = true;
        for relay in relays {
            let view = view(relay).await;
            let peers = view["peers"].as_object().unwrap();
            linked &= peers.len() == relays.len() - 1
                && peers
                    .values()
                    .all(|peer| peer["live"] == true && peer["links"].as_u64() == Some(1));
        }
        if linked {
            return;
        }
        assert!(Instant::now() < deadline, "the mesh never formed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
