//! One WebSocket connection: moves frames between the socket and the hub, enforces
//! the per-connection limits, and closes with a WebSocket close code that says why.
//! Text messages are lock requests (`lock::api`), answered here; the guards they set
//! go to the hub in order with the sync messages around them.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use tokio::sync::mpsc;

use crate::hub::{ConnectionId, Input, Outgoing};
use crate::lock::socket::{LockRights, SocketLocks};
use crate::outbox::OutboxReceiver;

/// A client says hello this soon after connecting, or is closed.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a closing connection waits for the client's close frame.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

const POLICY: u16 = 1008;
const TOO_BIG: u16 = 1009;
/// Largest lock request: they are a few short fields.
const MAX_LOCK_REQUEST: usize = 4 * 1024;

/// Sends a close frame and reads until the client answers it (or a moment passes),
/// so the close frame is not lost to a connection reset.
async fn close(socket: &mut WebSocket, code: u16, reason: &str) {
    let frame = Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }));
    if socket.send(frame).await.is_err() {
        return;
    }
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
        while let Some(Ok(message)) = socket.recv().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}

/// Serves one upgraded socket until either side ends it.
pub async fn serve(
    mut socket: WebSocket,
    id: ConnectionId,
    hub: mpsc::Sender<Input>,
    mut outgoing: OutboxReceiver,
    max_message: usize,
    lock_rights: LockRights,
) {
    let hello_deadline = tokio::time::sleep(HELLO_TIMEOUT);
    tokio::pin!(hello_deadline);
    let mut said_anything = false;
    // Made on the first lock request: most connections never send one.
    let mut lock_side: Option<Box<SocketLocks>> = None;
    loop {
        tokio::select! {
            out = outgoing.recv() => match out {
                Some(Outgoing::Message(bytes)) => {
                    if socket.send(Message::Binary(bytes.into())).await.is_err() {
                        break;
                    }
                }
                Some(Outgoing::Lock(text)) => {
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                // Mesh control messages go to links between relays only.
                Some(Outgoing::Mesh(_)) => {}
                Some(Outgoing::Close { code, reason }) => {
                    close(&mut socket, code, &reason).await;
                    break;
                }
                None => {
                    close(&mut socket, POLICY, "reading too slowly: reconnect to catch up").await;
                    break;
                }
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Binary(bytes))) => {
                    if bytes.len() > max_message {
                        close(&mut socket, TOO_BIG, "message too big").await;
                        break;
                    }
                    said_anything = true;
                    // Boxed, as the lock service's futures are large: kept inline
                    // they would make every idle connection's task that much bigger.
                    if let Some(side) = &lock_side
                        && side.must_check_guards()
                        && !Box::pin(side.check_guards()).await
                    {
                        continue;
                    }
                    if hub.send(Input::Received { id, bytes: bytes.into() }).await.is_err() {
                        break;
                    }
                }
                Some(Ok(Message::Text(text))) => {
                    if text.len() > MAX_LOCK_REQUEST {
                        close(&mut socket, TOO_BIG, "lock requests are at most 4 KiB").await;
                        break;
                    }
                    said_anything = true;
                    let side = lock_side.get_or_insert_with(|| Box::new(lock_rights.start()));
                    let answer = Box::pin(side.handle(id, &hub, &text)).await;
                    if socket.send(Message::Text(answer.into())).await.is_err() {
                        break;
                    }
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(_))) | None => break,
                Some(Err(error)) => {
                    let text = error.to_string();
                    tracing::debug!(connection = id, %text, "socket error");
                    if text.contains("too long") || text.contains("too big") {
                        close(&mut socket, TOO_BIG, "message too big").await;
                    }
                    break;
                }
            },
            () = &mut hello_deadline, if !said_anything => {
                close(&mut socket, POLICY, "no hello in time").await;
                break;
            }
        }
    }
    let _ = hub.send(Input::Closed { id }).await;
}
