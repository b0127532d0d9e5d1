//! One WebSocket connection: moves frames between the socket and the hub, enforces
//! the per-connection limits, and closes with a WebSocket close code that says why.
//! Text messages are lock requests (`lock::api`), answered here; the guards they set
//! go to the hub in order with the sync messages around them.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use serde_json::json;
use tokio::sync::mpsc;

use crate::auth::Access;
use crate::hub::{ConnectionId, Input, Outgoing};
use crate::lock::api::{self, Request};
use crate::lock::{LockError, Locks, Watch};

/// Messages waiting for a slow reader before the hub gives up on it.
pub const OUTGOING_CAPACITY: usize = 256;
/// A client says hello this soon after connecting, or is closed.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a closing connection waits for the client's close frame.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

const POLICY: u16 = 1008;
const TOO_BIG: u16 = 1009;
/// Largest lock request: they are a few short fields.
const MAX_LOCK_REQUEST: usize = 4 * 1024;
/// Most locks one connection follows.
const MAX_WATCHED: usize = 1_024;

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

/// What one connection does with locks: the locks it follows and the ones whose
/// tokens guard its writes.
struct LockSide {
    locks: Arc<Locks>,
    access: Access,
    watch: Option<Watch>,
    watched: usize,
    guards: Vec<String>,
}

impl LockSide {
    /// Answers one text message; guards also go to the hub.
    async fn handle(&mut self, id: ConnectionId, hub: &mpsc::Sender<Input>, text: &str) -> String {
        let request: Request = match serde_json::from_str(text) {
            Ok(request) => request,
            Err(error) => {
                let error = LockError::Invalid(format!("not a lock request: {error}"));
                return api::refusal(&error).to_string();
            }
        };
        let answer = match api::answer(&self.locks, &self.access, &request).await {
            Some(answer) => answer,
            None => self.connection_op(id, hub, &request).await,
        };
        let mut body = match answer {
            Ok(body) => body,
            Err(error) => api::refusal(&error),
        };
        if let Some(request_id) = request.id {
            body["id"] = json!(request_id);
        }
        body.to_string()
    }

    /// The ops that only make sense on a connection: watch, unwatch and guard.
    async fn connection_op(
        &mut self,
        id: ConnectionId,
        hub: &mpsc::Sender<Input>,
        request: &Request,
    ) -> Result<serde_json::Value, LockError> {
        let name = request.name.as_str();
        match request.op.as_str() {
            "watch" => {
                if !self.access.can_read(name) {
                    return Err(LockError::Forbidden(format!(
                        "this token does not allow reading the lock {name:?}"
                    )));
                }
                if self.watched >= MAX_WATCHED {
                    return Err(LockError::Invalid(format!(
                        "a connection follows at most {MAX_WATCHED} locks"
                    )));
                }
                let watch = self.watch.get_or_insert_with(|| self.locks.watch());
                watch.add(&self.locks, request.mode, name)?;
                self.watched += 1;
                let holder = self.locks.holder(request.mode, name).await?;
                Ok(json!({ "watching": name, "holder": holder }))
            }
            "unwatch" => {
                if let Some(watch) = &mut self.watch {
                    watch.remove(&self.locks, request.mode, name);
                    self.watched = self.watched.saturating_sub(1);
                }
                Ok(json!({ "unwatched": name }))
            }
            "guard" => {
                let doc = request.doc.as_str();
                if !self.access.can_write(doc) || !self.access.can_write(name) {
                    return Err(LockError::Forbidden(format!(
                        "this token cannot write {doc:?} under the lock {name:?}"
                    )));
                }
                let latest = self.locks.latest(name).await?;
                if request.token < latest {
                    return Err(LockError::Lost {
                        name: name.into(),
                        token: request.token,
                    });
                }
                if !self.guards.iter().any(|guard| guard == name) {
                    self.guards.push(name.into());
                }
                let guard = Input::Guard {
                    id,
                    doc: doc.into(),
                    lock: name.into(),
                    token: request.token,
                };
                let _ = hub.send(guard).await;
                Ok(json!({ "guarded": doc, "name": name, "token": request.token }))
            }
            other => Err(LockError::Invalid(format!(
                "{other:?} is not a lock op: acquire, renew, release, holder, watch, unwatch or guard"
            ))),
        }
    }

    /// Before a write of a connection that guards documents, when other relays grant
    /// the same locks: the hub learns the latest tokens first. `false` when they
    /// cannot be read, and the write must wait (the client sends it again).
    async fn check_guards(&self) -> bool {
        if self.guards.is_empty() || !self.locks.guards_need_checks() {
            return true;
        }
        for name in &self.guards {
            if self.locks.latest(name).await.is_err() {
                return false;
            }
        }
        true
    }

    async fn next_event(&mut self) -> Option<String> {
        let watch = self.watch.as_mut()?;
        match watch.next().await? {
            Ok(event) => Some(json!({ "watch": event.name, "holder": event.holder }).to_string()),
            Err(_) => Some(json!({ "error": "missed", "message": "lock events were missed: read the holders again" }).to_string()),
        }
    }
}

/// Serves one upgraded socket until either side ends it.
pub async fn serve(
    mut socket: WebSocket,
    id: ConnectionId,
    hub: mpsc::Sender<Input>,
    mut outgoing: mpsc::Receiver<Outgoing>,
    max_message: usize,
    locks: Arc<Locks>,
    access: Access,
) {
    let hello_deadline = tokio::time::sleep(HELLO_TIMEOUT);
    tokio::pin!(hello_deadline);
    let mut said_anything = false;
    let mut lock_side = LockSide {
        locks,
        access,
        watch: None,
        watched: 0,
        guards: Vec::new(),
    };
    loop {
        tokio::select! {
            Some(event) = lock_side.next_event(), if lock_side.watch.is_some() => {
                if socket.send(Message::Text(event.into())).await.is_err() {
                    break;
                }
            }
            out = outgoing.recv() => match out {
                Some(Outgoing::Message(bytes)) => {
                    if socket.send(Message::Binary(bytes.into())).await.is_err() {
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
                    if !lock_side.check_guards().await {
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
                    let answer = lock_side.handle(id, &hub, &text).await;
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
