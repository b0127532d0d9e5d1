//! The lock API on a sync WebSocket: one connection's requests, the locks it
//! follows and the ones whose tokens guard its writes.

use std::sync::Arc;

use serde_json::{Value as Json, json};
use tokio::sync::{mpsc, oneshot};

use super::api::{self, Request};
use super::{Followed, LockError, Locks, Watch};
use crate::auth::Access;
use crate::hub::{ConnectionId, Input};

/// Most locks one connection follows.
const MAX_FOLLOWED: usize = 1_024;

/// What a connection keeps to start its lock side when its first lock request
/// comes: most connections never send one.
pub struct LockRights {
    pub locks: Arc<Locks>,
    pub access: Access,
}

impl LockRights {
    pub fn start(&self) -> SocketLocks {
        SocketLocks {
            locks: Arc::clone(&self.locks),
            access: self.access.clone(),
            followed: None,
            guards: Vec::new(),
        }
    }
}

pub struct SocketLocks {
    locks: Arc<Locks>,
    access: Access,
    /// The locks followed, and the end of the task that forwards their events (it
    /// stops when this is dropped).
    followed: Option<(Followed, oneshot::Sender<()>)>,
    guards: Vec<String>,
}

impl SocketLocks {
    /// Answers one text message; guards also go to the hub.
    pub async fn handle(
        &mut self,
        id: ConnectionId,
        hub: &mpsc::Sender<Input>,
        text: &str,
    ) -> String {
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
    ) -> Result<Json, LockError> {
        let name = request.name.as_str();
        match request.op.as_str() {
            "watch" => {
                if !self.access.can_read(name) {
                    return Err(LockError::Forbidden(format!(
                        "this token does not allow reading the lock {name:?}"
                    )));
                }
                let followed = self.follow(id, hub);
                if followed.len() >= MAX_FOLLOWED {
                    return Err(LockError::Invalid(format!(
                        "a connection follows at most {MAX_FOLLOWED} locks"
                    )));
                }
                followed.add(&self.locks, request.mode, name)?;
                let holder = self.locks.holder(request.mode, name).await?;
                Ok(json!({ "watching": name, "holder": holder }))
            }
            "unwatch" => {
                if let Some((followed, _)) = &self.followed {
                    followed.remove(&self.locks, request.mode, name);
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

    /// The locks this connection follows, starting the task that forwards their
    /// events on first use.
    fn follow(&mut self, id: ConnectionId, hub: &mpsc::Sender<Input>) -> Followed {
        if let Some((followed, _)) = &self.followed {
            return followed.clone();
        }
        let followed = Followed::default();
        let (stop, stopped) = oneshot::channel();
        let watch = self.locks.watch(followed.clone());
        tokio::spawn(forward(watch, id, hub.clone(), stopped));
        self.followed = Some((followed.clone(), stop));
        followed
    }

    /// Whether this connection's writes wait for a check of its guards: when it
    /// guards documents and other relays grant the same locks.
    pub fn must_check_guards(&self) -> bool {
        !self.guards.is_empty() && self.locks.guards_need_checks()
    }

    /// Has the hub learn the latest tokens of this connection's guards before its
    /// next write. `false` when they cannot be read, and the write must wait (the
    /// client sends it again).
    pub async fn check_guards(&self) -> bool {
        for name in &self.guards {
            if self.locks.latest(name).await.is_err() {
                return false;
            }
        }
        true
    }
}

/// Sends the connection the events of the locks it follows, until it closes.
/// Events go through the hub, which queues them with the connection's other
/// messages (and closes a connection that does not read them).
async fn forward(
    mut watch: Watch,
    id: ConnectionId,
    hub: mpsc::Sender<Input>,
    mut stopped: oneshot::Receiver<()>,
) {
    loop {
        let event = tokio::select! {
            event = watch.next() => event,
            _ = &mut stopped => return,
        };
        let text = match event {
            Some(Ok(event)) => json!({ "watch": event.name, "holder": event.holder }),
            Some(Err(_)) => {
                json!({ "error": "missed", "message": "lock events were missed: read the holders again" })
            }
            None => return,
        };
        let event = Input::LockEvent {
            id,
            text: text.to_string(),
        };
        if hub.send(event).await.is_err() {
            return;
        }
    }
}
