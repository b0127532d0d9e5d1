//! The HTTP side: the WebSocket endpoint (`/sync`), health and readiness, metrics,
//! the mesh's links and view (`/mesh/link`, `/mesh`), and the web demo's static files
//! for every other path.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::{broadcast, mpsc};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tower_http::services::ServeDir;

use crate::auth::{self, Access};
use crate::connection::{self, Connection};
use crate::hub::Input;
use crate::lock::socket::LockRights;
use crate::lock::{self, Locks};
use crate::mesh::{MeshView, link};
use crate::metrics::Metrics;
use crate::outbox::outbox;
use crate::stream;
use crate::upgrade::Upgrade;

/// The most relays a client may ask to hold its changes before the acknowledgement.
const MAX_DURABILITY: usize = 16;

/// Limits on what clients may do.
pub struct Limits {
    pub max_connections: u64,
    pub max_message: usize,
    /// Bytes waiting for a connection before it counts as too slow and is closed.
    pub max_outgoing: usize,
}

/// Where change streams read: the store's file (on connections of their own), and
/// which document's log grew, up to which sequence number (from the hub).
pub struct Changes {
    pub store_path: PathBuf,
    pub appended: broadcast::Sender<(String, u64)>,
}

/// What the handlers share.
pub struct AppState {
    pub hub: mpsc::Sender<Input>,
    pub metrics: Arc<Metrics>,
    pub secret: Option<Vec<u8>>,
    pub limits: Limits,
    pub ready: AtomicBool,
    /// This relay's view of the mesh, when it is in one.
    pub mesh: Option<Arc<MeshView>>,
    pub changes: Changes,
    pub locks: Arc<Locks>,
    next_id: AtomicU64,
}

impl AppState {
    pub fn new(
        hub: mpsc::Sender<Input>,
        metrics: Arc<Metrics>,
        secret: Option<Vec<u8>>,
        limits: Limits,
        mesh: Option<Arc<MeshView>>,
        changes: Changes,
        locks: Arc<Locks>,
    ) -> Self {
        Self {
            hub,
            metrics,
            secret,
            limits,
            ready: AtomicBool::new(true),
            mesh,
            changes,
            locks,
            next_id: AtomicU64::new(1),
        }
    }

    pub fn next_connection_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }
}

/// The relay's routes; files under `static_dir` for everything else.
pub fn router(state: Arc<AppState>, static_dir: PathBuf) -> Router {
    Router::new()
        .route("/sync", get(upgrade))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics))
        .route("/mesh", get(mesh_view))
        .route("/changes", get(stream::changes))
        .route("/cursors", post(stream::acknowledge))
        .route("/mesh/link", get(mesh_link))
        .route("/locks", get(lock::api::get))
        .route("/locks/{op}", post(lock::api::post))
        .fallback_service(ServeDir::new(static_dir))
        .with_state(state)
}

async fn ready(State(state): State<Arc<AppState>>) -> Response {
    if state.ready.load(Ordering::Relaxed) {
        "ready\n".into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n").into_response()
    }
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let mut text = state.metrics.render();
    if let Some(mesh) = &state.mesh {
        mesh.render_metrics(&mut text);
    }
    ([("content-type", "text/plain; version=0.0.4")], text).into_response()
}

async fn mesh_view(State(state): State<Arc<AppState>>) -> Response {
    match &state.mesh {
        Some(mesh) => ([("content-type", "application/json")], mesh.to_json()).into_response(),
        None => (StatusCode::NOT_FOUND, "this relay is not in a mesh\n").into_response(),
    }
}

/// Another relay opening its link with this one.
async fn mesh_link(
    State(state): State<Arc<AppState>>,
    Query(query): Query<HashMap<String, String>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    if state.mesh.is_none() {
        return (StatusCode::NOT_FOUND, "this relay is not in a mesh\n").into_response();
    }
    if let Err(reason) = link::admits(&state, query.get("token").map(String::as_str)) {
        return (StatusCode::UNAUTHORIZED, format!("{reason}\n")).into_response();
    }
    let Some(node) = query.get("node").filter(|node| valid_node(node)).cloned() else {
        return (
            StatusCode::BAD_REQUEST,
            "a mesh link names its relay: ?node=...\n",
        )
            .into_response();
    };
    upgrade
        .max_message_size(link::LINK_MAX_MESSAGE)
        .max_frame_size(link::LINK_MAX_MESSAGE)
        .on_upgrade(move |socket| link::serve_accepted(socket, state, node))
}

/// Relay names: letters, digits, `.`, `_` and `-` (they appear in metric labels).
pub fn valid_node(node: &str) -> bool {
    !node.is_empty()
        && node.len() <= 64
        && node
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"._-".contains(&byte))
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// What a request's token allows (everything, when the relay has no secret); a
/// missing or bad token is refused with 401 and the reason.
pub fn access(state: &AppState, token: Option<&str>) -> Result<Access, (StatusCode, String)> {
    match (&state.secret, token) {
        (None, _) => Ok(Access::Open),
        (Some(_), None) => Err((
            StatusCode::UNAUTHORIZED,
            "a token is needed: ?token=...\n".into(),
        )),
        (Some(secret), Some(token)) => match auth::verify(secret, token, unix_now()) {
            Ok(claims) => Ok(Access::Token(claims)),
            Err(error) => Err((StatusCode::UNAUTHORIZED, format!("{error}\n"))),
        },
    }
}

async fn upgrade(
    State(state): State<Arc<AppState>>,
    Query(query): Query<HashMap<String, String>>,
    upgrade: Upgrade,
) -> Response {
    let access = match access(&state, query.get("token").map(String::as_str)) {
        Ok(access) => access,
        Err(refusal) => return refusal.into_response(),
    };
    let durability = match query.get("durability").map(|w| w.parse::<usize>()) {
        None => 1,
        Some(Ok(w)) if (1..=MAX_DURABILITY).contains(&w) => w,
        Some(_) => {
            return (
                StatusCode::BAD_REQUEST,
                format!("durability is a number of relays from 1 to {MAX_DURABILITY}\n"),
            )
                .into_response();
        }
    };
    // Alone, a relay could never acknowledge such a client: say so at once.
    if durability > 1 && state.mesh.is_none() {
        return (
            StatusCode::BAD_REQUEST,
            "this relay is not in a mesh: a durability above 1 needs one (docs/mesh.md)\n",
        )
            .into_response();
    }
    let slot = Slot::take(&state);
    if state.metrics.connections.load(Ordering::Relaxed) > state.limits.max_connections {
        return (StatusCode::SERVICE_UNAVAILABLE, "too many connections\n").into_response();
    }
    Metrics::add(&state.metrics.connections_total, 1);
    let id = state.next_connection_id();
    let (outgoing, receiver) = outbox(state.limits.max_outgoing);
    let hub = state.hub.clone();
    let max_message = state.limits.max_message;
    let locks = Arc::clone(&state.locks);
    let connection_access = access.clone();
    let config = WebSocketConfig::default()
        // The read buffer is allocated up front and kept for the connection's life:
        // small, since most connections idle; a larger message is still read whole.
        .read_buffer_size(512)
        // Messages waiting together go out in one write (see connection.rs).
        .write_buffer_size(connection::FRAGMENT)
        .max_write_buffer_size(4 * max_message)
        // The transport reads messages up to twice the limit in full, so that the
        // connection can refuse them with a clean 1009 close; anything larger ends
        // it at once.
        .max_message_size(Some(2 * max_message))
        .max_frame_size(Some(2 * max_message));
    upgrade.on_upgrade(config, move |socket| async move {
        let opened = Input::Opened {
            id,
            access,
            durability,
            outgoing,
        };
        if hub.send(opened).await.is_ok() {
            // A task of its own rather than this one, which keeps the socket and
            // everything passed to serve a second time for as long as it runs.
            let connection = Connection {
                id,
                hub,
                outgoing: receiver,
                max_message,
                lock_rights: LockRights {
                    locks,
                    access: connection_access,
                },
                slot,
            };
            tokio::spawn(connection::serve(socket, connection));
        }
    })
}

/// One counted connection; the count goes down when the connection ends, or when an
/// upgrade fails before it starts.
pub struct Slot(Arc<AppState>);

impl Slot {
    fn take(state: &Arc<AppState>) -> Self {
        state.metrics.connections.fetch_add(1, Ordering::Relaxed);
        Self(Arc::clone(state))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.metrics.connections.fetch_sub(1, Ordering::Relaxed);
    }
}
