//! A link between two relays: a WebSocket at `/mesh/link` carrying the ordinary
//! sync protocol in binary frames (each relay is the other's peer, subscribed to the
//! documents both hold) and the mesh's control messages in text frames.
//!
//! One side dials and redials with backoff; the other accepts. Both move frames
//! between the socket and the hub the same way, and close a link that has been
//! silent for a while (the hub sends a digest root every second, so silence means
//! the network or the peer is gone).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::ws::{Message as AxumMessage, WebSocket};
use futures_util::{Sink, SinkExt, Stream, StreamExt, future};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message as TungsteniteMessage;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::membership::MeshConfig;
use crate::auth::{self, Access, Claims, Scope};
use crate::http::AppState;
use crate::hub::{ConnectionId, Input, Outgoing};
use crate::outbox::{OutboxReceiver, outbox};

/// Bytes waiting for a peer relay before the hub drops the link (it redials and
/// catches up): a link carries every room the two relays share.
pub const LINK_OUTGOING_LIMIT: usize = 64 * 1024 * 1024;
/// Largest message on a link: catch-ups carry whole documents.
pub const LINK_MAX_MESSAGE: usize = 256 * 1024 * 1024;
/// A link that hears nothing for this long is closed.
const SILENCE: Duration = Duration::from_secs(3);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const FIRST_RETRY: Duration = Duration::from_millis(100);
const LAST_RETRY: Duration = Duration::from_secs(1);
/// Link tokens are minted for each dial and live this long.
const TOKEN_SECONDS: u64 = 60;

/// A frame as the pump sees it, whichever WebSocket library carries it.
enum Frame {
    Binary(Vec<u8>),
    Text(String),
    Closed,
    Other,
}

impl From<AxumMessage> for Frame {
    fn from(message: AxumMessage) -> Self {
        match message {
            AxumMessage::Binary(bytes) => Frame::Binary(bytes.into()),
            AxumMessage::Text(text) => Frame::Text(text.to_string()),
            AxumMessage::Close(_) => Frame::Closed,
            AxumMessage::Ping(_) | AxumMessage::Pong(_) => Frame::Other,
        }
    }
}

impl From<Frame> for AxumMessage {
    fn from(frame: Frame) -> Self {
        match frame {
            Frame::Binary(bytes) => AxumMessage::Binary(bytes.into()),
            Frame::Text(text) => AxumMessage::Text(text.into()),
            Frame::Closed | Frame::Other => AxumMessage::Close(None),
        }
    }
}

impl From<TungsteniteMessage> for Frame {
    fn from(message: TungsteniteMessage) -> Self {
        match message {
            TungsteniteMessage::Binary(bytes) => Frame::Binary(bytes.into()),
            TungsteniteMessage::Text(text) => Frame::Text(text.to_string()),
            TungsteniteMessage::Close(_) => Frame::Closed,
            _ => Frame::Other,
        }
    }
}

impl From<Frame> for TungsteniteMessage {
    fn from(frame: Frame) -> Self {
        match frame {
            Frame::Binary(bytes) => TungsteniteMessage::Binary(bytes.into()),
            Frame::Text(text) => TungsteniteMessage::Text(text.into()),
            Frame::Closed | Frame::Other => TungsteniteMessage::Close(None),
        }
    }
}

/// A socket of either WebSocket library, speaking frames.
fn frames<S, M, E>(socket: S) -> impl Stream<Item = Result<Frame, E>> + Sink<Frame> + Unpin
where
    S: Stream<Item = Result<M, E>> + Sink<M, Error = E> + Unpin,
    M: Into<Frame> + From<Frame>,
{
    socket
        .map(|message| message.map(Into::into))
        .with(|frame: Frame| future::ready(Ok::<_, E>(M::from(frame))))
}

/// Tells the hub the link ended, however its task ends (aborted included).
struct Registered {
    id: ConnectionId,
    hub: mpsc::Sender<Input>,
}

impl Drop for Registered {
    fn drop(&mut self) {
        let (hub, id) = (self.hub.clone(), self.id);
        tokio::spawn(async move { hub.send(Input::Closed { id }).await });
    }
}

/// Opens a link with the hub: the connection it registers and what the hub sends it.
async fn register(state: &AppState, node: String) -> Option<(Registered, OutboxReceiver)> {
    let id = state.next_connection_id();
    let (outgoing, receiver) = outbox(LINK_OUTGOING_LIMIT);
    let opened = Input::Opened {
        id,
        access: Access::Peer(node),
        durability: 1,
        outgoing,
    };
    state.hub.send(opened).await.ok()?;
    let registered = Registered {
        id,
        hub: state.hub.clone(),
    };
    Some((registered, receiver))
}

/// Moves frames both ways until the link ends.
async fn pump<S, E>(
    mut socket: S,
    registered: &Registered,
    node: &str,
    mut outgoing: OutboxReceiver,
) where
    S: Stream<Item = Result<Frame, E>> + Sink<Frame> + Unpin,
{
    let id = registered.id;
    let hub = &registered.hub;
    let mut heard = Instant::now();
    let mut check = tokio::time::interval(SILENCE / 4);
    loop {
        tokio::select! {
            out = outgoing.recv() => {
                let frame = match out {
                    Some(Outgoing::Message(bytes)) => Frame::Binary(bytes),
                    Some(Outgoing::Mesh(text)) => Frame::Text(text),
                    // Links follow no locks.
                    Some(Outgoing::Lock(_)) => continue,
                    Some(Outgoing::Close { .. }) | None => break,
                };
                if socket.send(frame).await.is_err() {
                    break;
                }
            }
            incoming = socket.next() => {
                heard = Instant::now();
                let input = match incoming {
                    Some(Ok(Frame::Binary(bytes))) => Input::Received { id, bytes },
                    Some(Ok(Frame::Text(text))) => Input::Mesh { id, text },
                    Some(Ok(Frame::Other)) => continue,
                    Some(Ok(Frame::Closed) | Err(_)) | None => break,
                };
                if hub.send(input).await.is_err() {
                    break;
                }
            }
            _ = check.tick() => {
                if heard.elapsed() > SILENCE {
                    tracing::info!(peer = node, "the link went silent: closing it");
                    break;
                }
            }
        }
    }
    let _ = socket.close().await;
}

/// Serves a link another relay dialed.
pub async fn serve_accepted(socket: WebSocket, state: Arc<AppState>, node: String) {
    let Some((registered, outgoing)) = register(&state, node.clone()).await else {
        return;
    };
    tracing::info!(peer = node, "mesh link accepted");
    pump(frames(socket), &registered, &node, outgoing).await;
}

/// A token for dialing a peer: the mesh scope, signed with the shared secret.
///
/// The token names the URL it is for. Gossip is not authenticated, so a stranger
/// can announce itself and be dialed; the token it is sent opens no link anywhere
/// but at its own URL.
fn link_token(secret: &[u8], url: &str) -> String {
    let claims = Claims {
        scope: Scope::Mesh,
        document: url.into(),
        expiry: unix_now() + TOKEN_SECONDS,
    };
    auth::mint(secret, &claims)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// Keeps a link with `node` at `url`: dials, serves the link while it lasts, and
/// dials again after a growing pause (reset once a link works).
pub async fn dial(node: String, url: String, config: MeshConfig, state: Arc<AppState>) {
    let mut pause = FIRST_RETRY;
    loop {
        let mut address = format!("{url}/mesh/link?node={}", config.node);
        if let Some(secret) = &config.secret {
            address += &format!("&token={}", link_token(secret, &url));
        }
        let limits = WebSocketConfig::default()
            .max_message_size(Some(LINK_MAX_MESSAGE))
            .max_frame_size(Some(LINK_MAX_MESSAGE));
        let connecting = tokio_tungstenite::connect_async_with_config(address, Some(limits), true);
        match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
            Ok(Ok((socket, _))) => {
                let Some((registered, outgoing)) = register(&state, node.clone()).await else {
                    return;
                };
                tracing::info!(peer = node, url, "mesh link dialed");
                pause = FIRST_RETRY;
                pump(frames(socket), &registered, &node, outgoing).await;
                tracing::info!(peer = node, "mesh link closed; dialing again");
            }
            Ok(Err(error)) => tracing::debug!(peer = node, %error, "dialing failed"),
            Err(_) => tracing::debug!(peer = node, "dialing timed out"),
        }
        if state.hub.is_closed() {
            return;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(LAST_RETRY);
    }
}

/// Whether a link token is valid here: mesh-scoped, signed with this relay's secret,
/// and for this relay's URL (any caller, when the relay has no secret).
pub fn admits(state: &AppState, token: Option<&str>) -> Result<(), String> {
    let (Some(secret), Some(mesh)) = (&state.secret, &state.mesh) else {
        return Ok(());
    };
    let token = token.ok_or("a mesh link needs a token")?;
    match auth::verify(secret, token, unix_now()) {
        Ok(claims) if claims.scope != Scope::Mesh => {
            Err("a client token cannot open a mesh link".into())
        }
        Ok(claims) if claims.document != mesh.url => Err(format!(
            "this link token is for {}, not for this relay",
            claims.document
        )),
        Ok(_) => Ok(()),
        Err(error) => Err(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{Changes, Limits};
    use crate::lock::Locks;
    use crate::mesh::MeshView;
    use crate::metrics::Metrics;

    #[test]
    fn a_link_token_opens_links_only_at_the_url_it_names() {
        let (hub, _receiver) = mpsc::channel(1);
        let locks_db =
            std::env::temp_dir().join(format!("weft-link-test-{}.db", std::process::id()));
        let view = MeshView::new("b".into(), "ws://10.0.0.2:8080".into());
        let state = AppState::new(
            hub.clone(),
            Arc::new(Metrics::default()),
            Some(b"secret".to_vec()),
            Limits {
                max_connections: 10,
                max_message: 1024,
                max_outgoing: 1024,
            },
            Some(Arc::new(view)),
            Changes {
                store_path: "unused.db".into(),
                appended: tokio::sync::broadcast::channel(1).0,
            },
            Locks::open(&locks_db, &[], true, hub, Arc::new(Metrics::default())).unwrap(),
        );
        let for_b = link_token(b"secret", "ws://10.0.0.2:8080");
        assert_eq!(admits(&state, Some(&for_b)), Ok(()));
        let for_stranger = link_token(b"secret", "ws://203.0.113.9:8080");
        assert!(admits(&state, Some(&for_stranger)).is_err());
        let forged = link_token(b"guess", "ws://10.0.0.2:8080");
        assert!(admits(&state, Some(&forged)).is_err());
        assert!(admits(&state, None).is_err());
    }
}
