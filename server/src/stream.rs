//! Change streams for server-side consumers (indexers, notifications, agents, audit
//! logs): every durable delta of a document, in the order the relay stored it, as
//! Server-Sent Events, from a sequence number, a version vector, a named cursor or
//! now, then live.
//!
//! `GET /changes?doc=D&from=N|now` (or `&version=HEX`, or `&cursor=NAME`) answers with
//! `change` events (id: the sequence number; data: JSON, see `event`), then
//! `up-to-date` once the backlog is read, then live `change` events. A consumer that
//! asks for changes compacted into a snapshot gets `must-refetch` and a `snapshot`
//! event, then the changes after it. `POST /cursors?doc=D&name=C&seq=N` stores a
//! named cursor durably; streams opened with `cursor=C` resume after it, so a
//! consumer that acknowledges what it processed gets every change at least once, and
//! exactly once after deduplicating by dot.
//!
//! Streams read the store through their own connection, a bounded batch at a time,
//! and the response body is only filled as fast as the consumer reads it.

mod event;

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::path::Path;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use weft_core::{Document, Error, ReplicaId, VersionVector};

use crate::http::{AppState, access};
use crate::store::{SqliteStore, Store, StoreError};

/// Deltas read from the store at a time.
const BATCH: usize = 256;
/// The replica id of a stream's copy of the document; it never writes.
const READER: u64 = 1;

/// Where a consumer starts.
enum Start {
    /// After this sequence number (0: from the beginning).
    After(u64),
    /// From what the relay holds now: only live changes.
    Now,
    /// From this version: first one event with the changes since it.
    Version(VersionVector),
}

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

/// `GET /changes`: a document's changes as Server-Sent Events.
pub async fn changes(
    State(state): State<Arc<AppState>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(doc) = query.get("doc").cloned() else {
        return bad_request("name the document: ?doc=...");
    };
    match access(&state, query.get("token").map(String::as_str)) {
        Ok(access) if access.can_read(&doc) => {}
        Ok(_) => return (StatusCode::FORBIDDEN, "no access to this document\n").into_response(),
        Err(refusal) => return refusal.into_response(),
    }
    let mut store = match open_store(&state.store_path) {
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
                Ok(seq) => Start::After(seq.unwrap_or(0)),
                Err(error) => return unavailable(&error),
            }
        }
        (None, None, None) => Start::Now,
        _ => return bad_request("give one of from, version and cursor"),
    };
    // Following starts before reading, so nothing appended meanwhile is missed.
    let appended = state.appended.subscribe();
    let follower =
        match tokio::task::block_in_place(|| Follower::start(store, doc, start, appended)) {
            Ok(follower) => follower,
            Err(StartError::Store(error)) => return unavailable(&error),
            Err(StartError::Document(error)) => {
                return bad_request(format!("the stored document cannot be read: {error}"));
            }
        };
    let events = futures_util::stream::unfold(follower, |mut follower| async move {
        let event = follower.next().await?;
        Some((Ok::<_, Infallible>(event), follower))
    });
    Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// `POST /cursors`: records that consumer `name` processed `doc` up to `seq`.
pub async fn acknowledge(
    State(state): State<Arc<AppState>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let (Some(doc), Some(name), Some(seq)) =
        (query.get("doc"), query.get("name"), query.get("seq"))
    else {
        return bad_request("give doc, name and seq");
    };
    let Ok(seq) = seq.parse::<u64>() else {
        return bad_request("seq is a sequence number");
    };
    match access(&state, query.get("token").map(String::as_str)) {
        Ok(access) if access.can_read(doc) => {}
        Ok(_) => return (StatusCode::FORBIDDEN, "no access to this document\n").into_response(),
        Err(refusal) => return refusal.into_response(),
    }
    let stored = open_store(&state.store_path)
        .and_then(|mut store| tokio::task::block_in_place(|| store.set_cursor(name, doc, seq)));
    match stored {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => unavailable(&error),
    }
}

enum StartError {
    Store(StoreError),
    Document(Error),
}

impl From<StoreError> for StartError {
    fn from(error: StoreError) -> Self {
        StartError::Store(error)
    }
}

impl From<Error> for StartError {
    fn from(error: Error) -> Self {
        StartError::Document(error)
    }
}

/// One consumer's stream: its copy of the document (to say what each delta did in
/// editor terms), how far it has read, and the events ready to go.
struct Follower {
    doc: String,
    store: SqliteStore,
    copy: Document,
    cursor: u64,
    ready: VecDeque<Event>,
    appended: broadcast::Receiver<(String, u64)>,
    /// Whether `up-to-date` went out since the last change.
    told_up_to_date: bool,
}

impl Follower {
    fn start(
        mut store: SqliteStore,
        doc: String,
        start: Start,
        appended: broadcast::Receiver<(String, u64)>,
    ) -> Result<Self, StartError> {
        let replica = ReplicaId::new(READER);
        let (pruned, base) = store.base(&doc)?.unwrap_or_default();
        let mut ready = VecDeque::new();
        // Where the copy starts: before the log for a consumer inside the retention
        // window, at the latest snapshot otherwise.
        let (cursor, state) = match &start {
            Start::After(seq) if *seq >= pruned => (pruned, (!base.is_empty()).then_some(base)),
            _ => match store.snapshot(&doc)? {
                Some((through, bytes)) => (through, Some(bytes)),
                None => (0, None),
            },
        };
        let mut copy = match &state {
            Some(bytes) => Document::from_snapshot(replica, bytes)?,
            None => Document::new(replica),
        };
        copy.set_events(false);
        if let (Start::After(seq), Some(bytes)) = (&start, &state)
            && *seq < pruned
        {
            // What it asks for was pruned: the latest snapshot, then on from it.
            let data = event::snapshot(&doc, cursor, bytes, copy.version());
            ready.push_back(
                Event::default()
                    .event("must-refetch")
                    .data(format!("{{\"seq\":{cursor}}}")),
            );
            ready.push_back(
                Event::default()
                    .id(cursor.to_string())
                    .event("snapshot")
                    .data(data.to_string()),
            );
        }
        let mut follower = Follower {
            doc,
            store,
            copy,
            cursor,
            ready,
            appended,
            told_up_to_date: false,
        };
        match start {
            Start::After(seq) => follower.skip_to(seq.max(cursor))?,
            Start::Now => follower.skip_to(u64::MAX)?,
            Start::Version(version) => {
                follower.skip_to(u64::MAX)?;
                follower.send_gap(&version)?;
            }
        }
        follower.forget_history();
        follower.copy.set_events(true);
        Ok(follower)
    }

    /// Applies the stored deltas up to `seq` without events.
    fn skip_to(&mut self, seq: u64) -> Result<(), StoreError> {
        while self.cursor < seq {
            let batch = self.store.deltas_after(&self.doc, self.cursor, BATCH)?;
            let Some(&(last, _)) = batch.last() else {
                break;
            };
            for (delta_seq, bytes) in batch.into_iter().take_while(|(s, _)| *s <= seq) {
                let _ = self.copy.import(&bytes, None);
                self.cursor = delta_seq;
            }
            if last > seq {
                break;
            }
        }
        if seq != u64::MAX {
            self.cursor = self.cursor.max(seq);
        }
        Ok(())
    }

    /// One event with everything the document holds beyond `version`.
    fn send_gap(&mut self, version: &VersionVector) -> Result<(), Error> {
        let mut at = match self.copy.checkout(version) {
            Ok(at) => at,
            Err(_) => {
                // The history from there was compacted: start over from the state.
                let snapshot = self.copy.export_snapshot(weft_core::SnapshotMode::Full);
                let data = event::snapshot(&self.doc, self.cursor, &snapshot, self.copy.version());
                let refetch = format!("{{\"seq\":{}}}", self.cursor);
                self.ready
                    .push_back(Event::default().event("must-refetch").data(refetch));
                self.ready
                    .push_back(Event::default().event("snapshot").data(data.to_string()));
                return Ok(());
            }
        };
        let update = self.copy.export_update(version)?;
        at.set_events(true);
        at.import(&update, None)?;
        let events = at.take_events();
        let data = event::change(&self.doc, self.cursor, &update, at.version(), &events);
        self.ready.push_back(
            Event::default()
                .id(self.cursor.to_string())
                .event("change")
                .data(data.to_string()),
        );
        Ok(())
    }

    /// The copy only says what each delta did: it keeps no history, so that its
    /// memory is the document's, however long the stream.
    fn forget_history(&mut self) {
        let held = self.copy.version().clone();
        self.copy.compact(&held);
    }

    fn apply(&mut self, seq: u64, bytes: &[u8]) {
        if let Err(error) = self.copy.import(bytes, None) {
            tracing::warn!(doc = self.doc, seq, %error, "a stored delta did not apply");
        }
        let events = self.copy.take_events();
        let data = event::change(&self.doc, seq, bytes, self.copy.version(), &events);
        self.ready.push_back(
            Event::default()
                .id(seq.to_string())
                .event("change")
                .data(data.to_string()),
        );
        self.cursor = seq;
    }

    /// The next event: from what is ready, then the store, then after waiting for
    /// the document's log to grow. `None` ends the stream.
    async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.ready.pop_front() {
                return Some(event);
            }
            let batch = tokio::task::block_in_place(|| {
                self.store.deltas_after(&self.doc, self.cursor, BATCH)
            });
            let batch = match batch {
                Ok(batch) => batch,
                Err(error) => {
                    tracing::error!(%error, "a change stream could not read the store");
                    return None;
                }
            };
            if !batch.is_empty() {
                for (seq, bytes) in batch {
                    self.apply(seq, &bytes);
                }
                self.forget_history();
                self.told_up_to_date = false;
                continue;
            }
            if !self.told_up_to_date {
                self.told_up_to_date = true;
                let data = format!("{{\"seq\":{}}}", self.cursor);
                return Some(Event::default().event("up-to-date").data(data));
            }
            loop {
                match self.appended.recv().await {
                    Ok((doc, seq)) if doc == self.doc && seq > self.cursor => break,
                    Ok(_) => {}
                    // Missed notices: the store says what is new.
                    Err(RecvError::Lagged(_)) => break,
                    Err(RecvError::Closed) => return None,
                }
            }
        }
    }
}
