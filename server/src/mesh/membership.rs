//! Who is in the mesh: chitchat's Scuttlebutt gossip over UDP, with its phi-accrual
//! failure detector. Each relay publishes the URL its links are dialed at; of every
//! pair of relays the one whose name sorts first dials, so each pair has one link.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chitchat::transport::UdpTransport;
use chitchat::{
    Chitchat, ChitchatConfig, ChitchatHandle, ChitchatId, FailureDetectorConfig, ProtocolVersion,
    spawn_chitchat,
};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

use super::link;
use super::view::MeshView;
use crate::http::AppState;

/// The key under which a relay publishes where its links are dialed.
const URL_KEY: &str = "url";
/// How often gossip runs, and how often this relay looks at what it brought.
const GOSSIP_INTERVAL: Duration = Duration::from_millis(250);
const WATCH_INTERVAL: Duration = Duration::from_millis(250);

/// How this relay joins the mesh.
#[derive(Clone, Debug)]
pub struct MeshConfig {
    /// This relay's name in the mesh; unique, kept across restarts.
    pub node: String,
    /// Where it gossips (UDP); other relays reach it there.
    pub gossip: SocketAddr,
    /// Gossip addresses (`host:port`) of relays to join through.
    pub seeds: Vec<String>,
    /// Where other relays dial its links (`ws://host:port`).
    pub url: String,
    /// The relay's secret, which signs the links' tokens.
    pub secret: Option<Vec<u8>>,
}

/// Starts gossiping, and a task that keeps a link with every other relay.
pub async fn join(
    config: MeshConfig,
    state: Arc<AppState>,
    view: Arc<MeshView>,
) -> Result<ChitchatHandle, Box<dyn std::error::Error>> {
    let generation = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as u64);
    let chitchat_config = ChitchatConfig {
        chitchat_id: ChitchatId::new(config.node.clone(), generation, config.gossip),
        cluster_id: "weft".into(),
        gossip_interval: GOSSIP_INTERVAL,
        listen_addr: config.gossip,
        seed_nodes: config.seeds.clone(),
        failure_detector_config: FailureDetectorConfig {
            initial_interval: GOSSIP_INTERVAL,
            dead_node_grace_period: Duration::from_secs(3_600),
            ..FailureDetectorConfig::default()
        },
        marked_for_deletion_grace_period: Duration::from_secs(3_600),
        catchup_callback: None,
        extra_liveness_predicate: None,
        protocol_version: ProtocolVersion::V1,
    };
    let handle = spawn_chitchat(
        chitchat_config,
        vec![(URL_KEY.into(), config.url.clone())],
        &UdpTransport,
    )
    .await
    .map_err(|error| format!("gossip on {}: {error}", config.gossip))?;
    tokio::spawn(keep_links(handle.chitchat(), config, state, view));
    Ok(handle)
}

/// What gossip says of one other relay.
struct Member {
    node: String,
    gossip: SocketAddr,
    url: Option<String>,
    live: bool,
    heartbeat: u64,
}

/// The other relays, newest generation of each.
fn members(chitchat: &Chitchat) -> Vec<Member> {
    let own = chitchat.self_chitchat_id();
    let live: Vec<&ChitchatId> = chitchat.live_nodes().collect();
    let mut newest: BTreeMap<&str, (&ChitchatId, Member)> = BTreeMap::new();
    for (id, state) in chitchat.node_states() {
        if id.node_id == own.node_id {
            continue;
        }
        let member = Member {
            node: id.node_id.to_string(),
            gossip: id.gossip_advertise_addr,
            url: state.get(URL_KEY).map(str::to_string),
            live: live.contains(&id),
            heartbeat: state.heartbeat().into(),
        };
        match newest.get(&*id.node_id) {
            Some((seen, _)) if seen.generation_id >= id.generation_id => {}
            _ => {
                newest.insert(&id.node_id, (id, member));
            }
        }
    }
    newest.into_values().map(|(_, member)| member).collect()
}

/// Follows the membership: records it in the view, counts suspicions, and dials
/// the relays this one links to (again, when one comes back at another URL).
async fn keep_links(
    chitchat: Arc<Mutex<Chitchat>>,
    config: MeshConfig,
    state: Arc<AppState>,
    view: Arc<MeshView>,
) {
    let mut dialing: HashMap<String, (String, JoinHandle<()>)> = HashMap::new();
    let mut interval = tokio::time::interval(WATCH_INTERVAL);
    loop {
        interval.tick().await;
        let (members, own_rounds) = {
            let mut chitchat = chitchat.lock().await;
            let rounds: u64 = chitchat.self_node_state().heartbeat().into();
            (members(&chitchat), rounds)
        };
        view.gossip_rounds.store(own_rounds, Ordering::Relaxed);
        for member in members {
            view.peer(&member.node, |peer| {
                if peer.live && !member.live {
                    peer.suspicions += 1;
                }
                peer.live = member.live;
                peer.gossip = member.gossip.to_string();
                peer.url.clone_from(&member.url);
                peer.gossip_rounds = member.heartbeat;
            });
            // A relay that is only suspected keeps its link: if it is up, the link
            // works; if not, dialing fails cheaply until it returns.
            let Some(url) = member.url else { continue };
            if member.node <= config.node {
                continue;
            }
            let current = dialing.get(&member.node).map(|(url, _)| url.as_str());
            if current == Some(url.as_str()) {
                continue;
            }
            if let Some((_, old)) = dialing.remove(&member.node) {
                old.abort();
            }
            let task = tokio::spawn(link::dial(
                member.node.clone(),
                url.clone(),
                config.clone(),
                Arc::clone(&state),
            ));
            dialing.insert(member.node, (url, task));
        }
    }
}
