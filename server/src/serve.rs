//! `weft-relay serve`: the runtime around the hub, the HTTP server and shutdown.

use std::io::IsTerminal;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use clap::Args;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinSet;
use weft_core::ReplicaId;

use crate::http::{AppState, Changes, Limits, router, valid_node};
use crate::hub::{Hub, Input};
use crate::lock::Locks;
use crate::lock::election::Leadership;
use crate::mesh::{self, MeshConfig, MeshView};
use crate::metrics::Metrics;
use crate::store::SqliteStore;
use crate::stream::webhook;

#[derive(Args)]
pub struct Options {
    /// Address to listen on; loopback unless you mean to serve other machines.
    #[arg(long, env = "WEFT_HOST", default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port to listen on (0: any free port, printed at start).
    #[arg(long, env = "WEFT_PORT", default_value_t = 8080)]
    port: u16,
    /// Where documents are stored.
    #[arg(long, env = "WEFT_DATA_DIR", default_value = "./weft-data")]
    data_dir: PathBuf,
    /// The web demo's built files, served at `/`.
    #[arg(long, env = "WEFT_STATIC_DIR", default_value = "web-demo/dist")]
    static_dir: PathBuf,
    /// Secret that signs access tokens; without one, anyone who reaches the relay
    /// may read and write every document.
    #[arg(long, env = "WEFT_SECRET", hide_env_values = true)]
    secret: Option<String>,
    /// Most connections at once.
    #[arg(long, env = "WEFT_MAX_CONNECTIONS", default_value_t = 20_000)]
    max_connections: u64,
    /// Seconds a document nobody uses stays in memory.
    #[arg(long, env = "WEFT_IDLE_SECONDS", default_value_t = 60)]
    idle_seconds: u64,
    /// Largest message a client may send, in bytes (larger ones close with 1009).
    #[arg(long, env = "WEFT_MAX_MESSAGE_BYTES", default_value_t = 8 * 1024 * 1024)]
    max_message_bytes: usize,
    /// Bytes the relay holds for a client that reads too slowly before it closes
    /// the connection (1008); the client reconnects and catches up.
    #[arg(long, env = "WEFT_MAX_OUTGOING_BYTES", default_value_t = 4 * 1024 * 1024)]
    max_outgoing_bytes: usize,
    /// Deltas kept per document after a snapshot folded them in, so that change
    /// streams can resume from them; a consumer further behind starts over from a
    /// snapshot.
    #[arg(long, env = "WEFT_RETAIN_DELTAS", default_value_t = 10_000)]
    retain_deltas: u64,
    /// A URL (http or https) every document's changes are POSTed to as JSON; repeat
    /// it, or separate URLs with commas.
    #[arg(long = "webhook", env = "WEFT_WEBHOOKS", value_delimiter = ',')]
    webhooks: Vec<String>,
    /// UDP port for the mesh's gossip: setting it joins (or starts) a mesh.
    #[arg(long, env = "WEFT_GOSSIP_PORT")]
    gossip_port: Option<u16>,
    /// Gossip address (`host:port`) of a relay to join the mesh through; repeat it,
    /// or separate addresses with commas.
    #[arg(long = "peer", env = "WEFT_PEERS", value_delimiter = ',')]
    peers: Vec<String>,
    /// This relay's name in the mesh (letters, digits, `.`, `_`, `-`); by default
    /// one is made up and kept in the data folder.
    #[arg(long, env = "WEFT_NODE")]
    node: Option<String>,
    /// The address other relays reach this one at (default: --host).
    #[arg(long, env = "WEFT_ADVERTISE_HOST")]
    advertise_host: Option<IpAddr>,
    /// The URL other relays dial this one's links at (default: ws://ADVERTISE_HOST:PORT).
    #[arg(long, env = "WEFT_ADVERTISE_URL")]
    advertise_url: Option<String>,
    /// Client URLs of etcd cluster members (http://host:port), which then hold the
    /// correctness locks; repeat it, or separate URLs with commas.
    #[arg(long = "etcd", env = "WEFT_ETCD", value_delimiter = ',')]
    etcd: Vec<String>,
}

impl Options {
    /// How this relay joins a mesh, if it does.
    fn mesh(
        &self,
        bound: SocketAddr,
        secret: Option<Vec<u8>>,
    ) -> Result<Option<MeshConfig>, Box<dyn std::error::Error>> {
        let Some(gossip_port) = self.gossip_port else {
            if self.peers.is_empty() {
                return Ok(None);
            }
            return Err("--peer joins a mesh, which needs --gossip-port too".into());
        };
        let host = self.advertise_host.unwrap_or(self.host);
        if host.is_unspecified() {
            return Err("in a mesh, set --advertise-host to an address other relays reach".into());
        }
        let node = match &self.node {
            Some(node) => node.clone(),
            None => kept_node_name(&self.data_dir)?,
        };
        if !valid_node(&node) {
            return Err(format!(
                "{node:?} is not a relay name: use letters, digits, `.`, `_`, `-`"
            )
            .into());
        }
        let url = self
            .advertise_url
            .clone()
            .unwrap_or_else(|| format!("ws://{}", SocketAddr::new(host, bound.port())));
        Ok(Some(MeshConfig {
            node,
            gossip: SocketAddr::new(host, gossip_port),
            seeds: self.peers.clone(),
            url: url.trim_end_matches('/').into(),
            secret,
        }))
    }
}

/// The relay's mesh name kept in its data folder, made up on first use.
fn kept_node_name(data_dir: &std::path::Path) -> std::io::Result<String> {
    let path = data_dir.join("node-name");
    match std::fs::read_to_string(&path) {
        Ok(name) => Ok(name.trim().into()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let name = format!("relay-{:08x}", rand::random::<u32>());
            std::fs::write(&path, &name)?;
            Ok(name)
        }
        Err(error) => Err(error),
    }
}

/// Logs as text on a terminal and as JSON lines otherwise (for log collectors).
fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("WEFT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt().with_env_filter(filter);
    if std::io::stdout().is_terminal() {
        logs.init();
    } else {
        logs.json().init();
    }
}

pub fn run(options: Options) -> Result<(), Box<dyn std::error::Error>> {
    init_logs();
    std::fs::create_dir_all(&options.data_dir)?;
    let webhooks = options
        .webhooks
        .iter()
        .map(|url| webhook::Target::parse(url))
        .collect::<Result<Vec<_>, _>>()?;
    let store_path = options.data_dir.join("relay.db");
    let store = SqliteStore::open(&store_path)?;
    let secret = options.secret.clone().map(String::into_bytes);
    if secret.is_none() && !options.host.is_loopback() {
        tracing::warn!(
            host = %options.host,
            "SERVING WITHOUT AUTHENTICATION ON A NON-LOOPBACK ADDRESS: anyone who reaches \
             this port can read and change every document. Set --secret (WEFT_SECRET) \
             and hand out tokens from `weft-relay token`."
        );
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let listener = runtime.block_on(TcpListener::bind(SocketAddr::new(
        options.host,
        options.port,
    )))?;
    let address = listener.local_addr()?;
    let mesh_config = options.mesh(address, secret.clone())?;
    // Who campaigns for the relay's jobs: alone, the relay's only run at a time.
    let node = mesh_config
        .as_ref()
        .map_or_else(|| "relay".to_owned(), |config| config.node.clone());
    let mesh_view = mesh_config
        .as_ref()
        .map(|config| Arc::new(MeshView::new(config.node.clone(), config.url.clone())));

    let metrics = Arc::new(Metrics::default());
    let (hub_input, hub_receiver) = mpsc::channel(16 * 1024);
    let (appended, _) = broadcast::channel(APPENDED_CAPACITY);
    let hub = Hub::new(
        store,
        ReplicaId::new(rand::random::<u64>() | 1),
        Arc::clone(&metrics),
        Duration::from_secs(options.idle_seconds),
        mesh_view.clone(),
        appended.clone(),
        options.retain_deltas,
    );
    let hub_thread = std::thread::Builder::new()
        .name("weft-hub".into())
        .spawn(move || hub.run(hub_receiver))?;

    let locks = Locks::open(
        &store_path,
        &options.etcd,
        mesh_view.is_some(),
        hub_input.clone(),
        Arc::clone(&metrics),
    )?;
    let state = Arc::new(AppState::new(
        hub_input.clone(),
        metrics,
        secret,
        Limits {
            max_connections: options.max_connections,
            max_message: options.max_message_bytes,
            max_outgoing: options.max_outgoing_bytes,
        },
        mesh_view.clone(),
        Changes {
            store_path: store_path.clone(),
            appended: appended.clone(),
        },
        locks,
    ));
    let app = router(Arc::clone(&state), options.static_dir);

    runtime.block_on(async move {
        let _gossip = match (mesh_config, mesh_view) {
            (Some(config), Some(view)) => {
                let gossip = config.gossip;
                let node = config.node.clone();
                let handle = mesh::join(config, Arc::clone(&state), view).await?;
                tracing::info!(node, %gossip, "in the mesh");
                Some(handle)
            }
            _ => None,
        };
        state.locks.follow_cluster();
        for target in webhooks {
            let leadership = Leadership::campaign(
                Arc::clone(&state.locks),
                state.mesh.clone(),
                &target.job(),
                node.clone(),
            );
            tokio::spawn(webhook::run(
                target,
                store_path.clone(),
                appended.subscribe(),
                leadership,
            ));
        }
        tracing::info!(%address, "serving: ws://{address}/sync and http://{address}/");
        let ticker = hub_input.clone();
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(Duration::from_secs(1));
            loop {
                interval.tick().await;
                if ticker.send(Input::Tick).await.is_err() {
                    break;
                }
            }
        });
        serve_http(listener, app, shutdown_signal()).await;
        tracing::info!("shutting down: writing every document down");
        state.ready.store(false, Ordering::Relaxed);
        let (done, finished) = oneshot::channel();
        if hub_input.send(Input::Shutdown(done)).await.is_ok() {
            let _ = finished.await;
        }
        Ok::<_, Box<dyn std::error::Error>>(())
    })?;
    let _ = hub_thread.join();
    tracing::info!("stopped");
    Ok(())
}

/// Notices of grown logs that a change stream may fall behind by before it rereads
/// the store.
const APPENDED_CAPACITY: usize = 1024;

/// A client gets this long to send its request's headers: connections that open
/// and say nothing (a flood before any authentication) do not pile up.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Requests in flight get this long to finish at shutdown.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves HTTP/1.1 (and WebSocket upgrades) on `listener` until `shutdown` resolves,
/// then lets the requests in flight finish.
async fn serve_http(listener: TcpListener, app: Router, shutdown: impl Future<Output = ()>) {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    let (stop, stopping) = watch::channel(());
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                // Edits are small and latency matters more than packet count.
                let _ = stream.set_nodelay(true);
                let service = TowerToHyperService::new(app.clone());
                let connection = http
                    .serve_connection(TokioIo::new(stream), service)
                    .with_upgrades();
                let mut stopping = stopping.clone();
                connections.spawn(async move {
                    tokio::pin!(connection);
                    tokio::select! {
                        _ = connection.as_mut() => {}
                        _ = stopping.changed() => {
                            connection.as_mut().graceful_shutdown();
                            let _ = connection.await;
                        }
                    }
                });
                while connections.try_join_next().is_some() {}
            }
            () = &mut shutdown => break,
        }
    }
    drop(stop);
    let drained = async { while connections.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, drained).await;
}

/// Resolves on ctrl-c or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
