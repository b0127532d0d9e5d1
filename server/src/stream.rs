//! Change streams for server-side consumers (indexers, notifications, agents, audit
//! logs): every durable delta of a document, in the order the relay stored it, from
//! a sequence number, a version vector, a named cursor or now, then live; as
//! Server-Sent Events, or on a WebSocket.
//!
//! `GET /changes?doc=D&from=N|now` (or `&version=HEX`, or `&cursor=NAME`) answers
//! with `change` events (id: the sequence number; data: JSON, see `event`), then
//! `up-to-date` once the backlog is read, then live `change` events. A consumer that
//! asks for changes pruned from the log gets `must-refetch` and a `snapshot` event,
//! then the changes after it. Asked with a WebSocket upgrade, the same events come
//! as JSON text messages. `POST /cursors?doc=D&name=C&seq=N` (or with a body
//! `{"version": V}` naming a change event's version, which any relay can place; or
//! `{"ack": N}` on the WebSocket) stores a named cursor durably; streams opened with
//! `cursor=C` resume after it, so a consumer that acknowledges what it processed gets
//! every change at least once, and exactly once after deduplicating by dot.
//!
//! Streams read the store through their own connection, a bounded batch at a time,
//! and only as fast as the consumer reads.

mod cursor;
mod event;
mod follower;
pub mod webhook;

pub use follower::{Follower, Start, StartError, StreamEvent};

use std::collections::HashMap;
use std::convert::Infallible;
use std::path::Path;
use std::sync::Arc;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde_json::{Value as Json, json};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use weft_core::VersionVector;

use crate::http::{AppState, access};
use crate::store::{SqliteStore, Store, StoreError};

fn bad_request(message: impl Into<String>) -> Response {
    (StatusCode::BAD_REQUEST, format!("{}\n", message.into())).into_response()
}

fn unavailable(error: &StoreError) -> Response {
    tracing::error!(%error, "a change stream could not read the store");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        "the store could not be read; try again\n",
    )
        .into_response()
}

fn open_store(path: &Path) -> Result<SqliteStore, StoreError> {
    tokio::task::block_in_place(|| SqliteStore::open(path))
}

/// `GET /changes`: a document's changes as Server-Sent Events, or, asked with a
/// WebSocket upgrade, as JSON text messages (`{"type", "seq", "data"}`) on a
/// WebSocket, where the consumer may send `{"ack": seq}` to move its cursor.
pub async fn changes(
    State(state): State<Arc<AppState>>,
    Query(query): Query<HashMap<String, String>>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let Some(doc) = query.get("doc").cloned() else {
        return bad_request("name the document: ?doc=...");
    };
    match access(&state, query.get("token").map(String::as_str)) {
        Ok(access) if access.can_read(&doc) => {}
        Ok(_) => return (StatusCode::FORBIDDEN, "no access to this document\n").into_response(),
        Err(refusal) => return refusal.into_response(),
    }
    let mut store = match open_store(&state.changes.store_path) {
        Ok(store) => store,
        Err(error) => return unavailable(&error),
    };
    let start = match (query.get("from"), query.get("version"), query.get("cursor")) {
        (Some(from), None, None) if from == "now" => Start::Now,
        (Some(from), None, None) => match from.parse() {
            Ok(seq) => Start::After(seq),
            Err(_) => return bad_request("from is a sequence number or `now`"),
        },
        (None, Some(version), None) => {
            let decoded = hex::decode(version)
                .map_err(|_| ())
                .and_then(|bytes| weft_core::codec::decode(&bytes).map_err(|_| ()));
            match decoded {
                Ok(version) => Start::Version(version),
                Err(()) => return bad_request("version is an encoded version vector, in hex"),
            }
        }
        (None, None, Some(name)) => {
            match tokio::task::block_in_place(|| store.cursor(name, &doc)) {
                Ok(seq) => cursor::start(&state.locks, name, &doc, seq.unwrap_or(0)).await,
                Err(error) => return unavailable(&error),
            }
        }
        (None, None, None) => Start::Now,
        _ => return bad_request("give one of from, version and cursor"),
    };
    // Following starts before reading, so nothing appended meanwhile is missed.
    let appended = state.changes.appended.subscribe();
    let live = match tokio::task::block_in_place(|| Follower::start(store, doc, start)) {
        Ok(follower) => Live {
            follower,
            appended,
            told_up_to_date: false,
        },
        Err(StartError::Store(error)) => return unavailable(&error),
        Err(StartError::Document(error)) => {
            return bad_request(format!("the stored document cannot be read: {error}"));
        }
    };
    if let Ok(upgrade) = upgrade {
        let cursor_name = query.get("cursor").cloned();
        return upgrade.on_upgrade(move |socket| over_websocket(socket, live, cursor_name, state));
    }
    let events = futures_util::stream::unfold(live, |mut live| async move {
        let event = live.next().await?;
        let sse = Event::default()
            .event(event.kind)
            .id(event.seq.to_string())
            .data(event.data.to_string());
        Some((Ok::<_, Infallible>(sse), live))
    });
    Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// Sends a stream's events as JSON text messages until either side stops; a
/// consumer with a cursor acknowledges with `{"ack": seq}`.
async fn over_websocket(
    mut socket: WebSocket,
    mut live: Live,
    cursor_name: Option<String>,
    state: Arc<AppState>,
) {
    loop {
        tokio::select! {
            event = live.next() => {
                let Some(event) = event else { break };
                let text = json!({ "type": event.kind, "seq": event.seq, "data": event.data });
                if socket.send(Message::Text(text.to_string().into())).await.is_err() {
                    break;
                }
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    let seq = serde_json::from_str::<Json>(&text).ok().and_then(|ack| ack["ack"].as_u64());
                    let (Some(seq), Some(name)) = (seq, &cursor_name) else {
                        let _ = socket
                            .send(Message::Close(Some(CloseFrame {
                                code: 1003,
                                reason: "send {\"ack\": seq} on a stream opened with a cursor".into(),
                            })))
                            .await;
                        break;
                    };
                    let stored =
                        tokio::task::block_in_place(|| live.follower.save_cursor(name, seq));
                    if let Err(error) = stored {
                        tracing::error!(%error, "storing a cursor failed");
                        break;
                    }
                    let follower = &live.follower;
                    let known = (follower.cursor() == seq).then(|| follower.version().clone());
                    let (path, doc) = (&state.changes.store_path, follower.doc());
                    cursor::share(&state.locks, path, name, doc, seq, known).await;
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
        }
    }
}

/// What a consumer acknowledges: a sequence number of the relay it read from, or
/// the version of the last change it processed, which any relay can place in its
/// own log.
enum Processed {
    Seq(u64),
    Version(VersionVector),
}

impl Processed {
    /// From `seq=N`, or a body `{"version": ...}` holding a change event's version.
    fn parse(seq: Option<&String>, body: &str) -> Result<Processed, &'static str> {
        const USAGE: &str =
            "give seq=N, or a body {\"version\": ...} with the version of a change event";
        match (seq, body.trim()) {
            (Some(seq), "") => seq.parse().map(Processed::Seq).map_err(|_| USAGE),
            (None, body) if !body.is_empty() => serde_json::from_str::<Json>(body)
                .ok()
                .and_then(|json| event::parse_version(&json["version"]))
                .map(Processed::Version)
                .ok_or(USAGE),
            _ => Err(USAGE),
        }
    }

    /// Where it puts the cursor of consumer `name` on this relay, whose store is at
    /// `path`. A version moves the cursor over the deltas it holds, from where the
    /// cursor stands.
    fn place(
        &self,
        store: &mut SqliteStore,
        path: &Path,
        name: &str,
        doc: &str,
    ) -> Result<u64, StoreError> {
        let version = match self {
            Processed::Seq(seq) => return Ok(*seq),
            Processed::Version(version) => version,
        };
        let after = store.cursor(name, doc)?.unwrap_or(0);
        let follower =
            match Follower::start(SqliteStore::open(path)?, doc.into(), Start::After(after)) {
                Ok(follower) => follower,
                Err(StartError::Store(error)) => return Err(error),
                // A log this relay cannot read back places nothing: the cursor stays.
                Err(StartError::Document(_)) => return Ok(after),
            };
        follower.processed_through(after, version)
    }
}

/// `POST /cursors`: records that consumer `name` processed `doc` up to `seq`, or up
/// to the version in the body.
pub async fn acknowledge(
    State(state): State<Arc<AppState>>,
    Query(query): Query<HashMap<String, String>>,
    body: String,
) -> Response {
    let (Some(doc), Some(name)) = (query.get("doc"), query.get("name")) else {
        return bad_request("give doc and name");
    };
    let processed = match Processed::parse(query.get("seq"), &body) {
        Ok(processed) => processed,
        Err(usage) => return bad_request(usage),
    };
    match access(&state, query.get("token").map(String::as_str)) {
        Ok(access) if access.can_read(doc) => {}
        Ok(_) => return (StatusCode::FORBIDDEN, "no access to this document\n").into_response(),
        Err(refusal) => return refusal.into_response(),
    }
    let path = &state.changes.store_path;
    let stored = tokio::task::block_in_place(|| {
        let mut store = SqliteStore::open(path)?;
        let seq = processed.place(&mut store, path, name, doc)?;
        store.set_cursor(name, doc, seq)?;
        Ok::<_, StoreError>(seq)
    });
    match stored {
        Ok(seq) => {
            let known = match processed {
                Processed::Version(version) => Some(version),
                Processed::Seq(_) => None,
            };
            cursor::share(&state.locks, path, name, doc, seq, known).await;
            StatusCode::NO_CONTENT.into_response()
        }
        Err(error) => unavailable(&error),
    }
}

/// A stream that goes on live: `up-to-date` once what is stored is read, then
/// changes as the hub stores them.
struct Live {
    follower: Follower,
    appended: broadcast::Receiver<(String, u64)>,
    /// Whether `up-to-date` went out since the last change.
    told_up_to_date: bool,
}

impl Live {
    /// The next event; `None` ends the stream.
    async fn next(&mut self) -> Option<StreamEvent> {
        loop {
            match tokio::task::block_in_place(|| self.follower.next_stored()) {
                Ok(Some(event)) => {
                    self.told_up_to_date = false;
                    return Some(event);
                }
                Ok(None) => {}
                Err(error) => {
                    tracing::error!(%error, "a change stream could not read the store");
                    return None;
                }
            }
            if !self.told_up_to_date {
                self.told_up_to_date = true;
                return Some(StreamEvent::marker("up-to-date", self.follower.cursor()));
            }
            loop {
                match self.appended.recv().await {
                    Ok((doc, seq))
                        if doc == self.follower.doc() && seq > self.follower.cursor() =>
                    {
                        break;
                    }
                    Ok(_) => {}
                    // Missed notices: the store says what is new.
                    Err(RecvError::Lagged(_)) => break,
                    Err(RecvError::Closed) => return None,
                }
            }
        }
    }
}
