//! The lock API as clients speak it: JSON requests, over HTTP (`POST /locks/{op}`,
//! `GET /locks?name=`, with `&watch=1` as Server-Sent Events) and as text messages
//! on the sync WebSocket, where they travel beside the binary sync messages and
//! carry an `id` that the answer repeats.
//!
//! Lock names share the namespace of document names: a token that may write
//! `team/*` may take the lock `team/invoices`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value as Json, json};

use super::{Followed, LockError, Locks, Mode};
use crate::auth::Access;
use crate::http::{AppState, access};

/// One lock request; which fields count depends on `op`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// Repeated in the answer (WebSocket only).
    #[serde(default)]
    pub id: Option<u64>,
    #[serde(default)]
    pub op: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub mode: Mode,
    /// Who asks, as other clients will see it.
    #[serde(default)]
    pub holder: String,
    /// Milliseconds.
    #[serde(default)]
    pub ttl: u64,
    #[serde(default)]
    pub token: u64,
    /// The document a guard is for (WebSocket only).
    #[serde(default)]
    pub doc: String,
}

/// The lease ops every transport shares: acquire, renew, release, holder. `None`
/// for any other op.
pub async fn answer(
    locks: &Arc<Locks>,
    access: &Access,
    request: &Request,
) -> Option<Result<Json, LockError>> {
    let name = request.name.as_str();
    if let Err(error) = super::check_name(name) {
        return Some(Err(error));
    }
    let (reading, writing) = (access.can_read(name), access.can_write(name));
    let refused = |what: &str| {
        Some(Err(LockError::Forbidden(format!(
            "this token does not allow {what} the lock {name:?}"
        ))))
    };
    Some(match request.op.as_str() {
        "acquire" if !writing => return refused("taking"),
        "acquire" => locks
            .acquire(request.mode, name, &request.holder, request.ttl)
            .await
            .map(|lease| json!({ "lease": lease })),
        "renew" if !writing => return refused("renewing"),
        "renew" => locks
            .renew(request.mode, name, request.token, request.ttl)
            .await
            .map(|lease| json!({ "lease": lease })),
        "release" if !writing => return refused("releasing"),
        "release" => locks
            .release(request.mode, name, request.token)
            .await
            .map(|released| json!({ "released": released })),
        "holder" if !reading => return refused("reading"),
        "holder" => locks
            .holder(request.mode, name)
            .await
            .map(|holder| json!({ "holder": holder })),
        _ => return None,
    })
}

/// A refusal as JSON: a stable `error` code, a sentence, and the holder when the
/// lock is held.
pub fn refusal(error: &LockError) -> Json {
    let mut body = json!({ "error": error.code(), "message": error.to_string() });
    if let LockError::Held(lease) = error {
        body["holder"] = json!(lease);
    }
    body
}

fn status(error: &LockError) -> StatusCode {
    match error {
        LockError::Held(_) | LockError::Lost { .. } => StatusCode::CONFLICT,
        LockError::Invalid(_) => StatusCode::BAD_REQUEST,
        LockError::Forbidden(_) => StatusCode::FORBIDDEN,
        LockError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

fn json_response(status: StatusCode, body: &Json) -> Response {
    (
        status,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// `POST /locks/{op}` with the request as a JSON body (`acquire`, `renew`, `release`).
pub async fn post(
    State(state): State<Arc<AppState>>,
    Path(op): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let access = match access(&state, query.get("token").map(String::as_str)) {
        Ok(access) => access,
        Err(refusal) => return refusal.into_response(),
    };
    let mut request: Request = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => {
            let error = LockError::Invalid(format!("the body is not a lock request: {error}"));
            return json_response(StatusCode::BAD_REQUEST, &refusal(&error));
        }
    };
    request.op = op;
    if request.op == "holder" {
        return json_response(
            StatusCode::METHOD_NOT_ALLOWED,
            &json!({ "error": "invalid", "message": "read a holder with GET /locks?name=" }),
        );
    }
    match answer(&state.locks, &access, &request).await {
        Some(Ok(body)) => json_response(StatusCode::OK, &body),
        Some(Err(error)) => json_response(status(&error), &refusal(&error)),
        None => json_response(
            StatusCode::NOT_FOUND,
            &json!({ "error": "invalid", "message": "lock ops are acquire, renew and release" }),
        ),
    }
}

/// `GET /locks?name=N[&mode=M]`: the holder; with `&watch=1`, the holder and then
/// every change of it, as Server-Sent Events.
pub async fn get(
    State(state): State<Arc<AppState>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let access = match access(&state, query.get("token").map(String::as_str)) {
        Ok(access) => access,
        Err(refusal) => return refusal.into_response(),
    };
    let mode = match query.get("mode").map(String::as_str) {
        None | Some("correctness") => Mode::Correctness,
        Some("efficiency") => Mode::Efficiency,
        Some(_) => {
            let error = LockError::Invalid("mode is efficiency or correctness".into());
            return json_response(StatusCode::BAD_REQUEST, &refusal(&error));
        }
    };
    let request = Request {
        op: "holder".into(),
        name: query.get("name").cloned().unwrap_or_default(),
        mode,
        ..Request::default()
    };
    if !query.contains_key("watch") {
        return match answer(&state.locks, &access, &request).await {
            Some(Ok(body)) => json_response(StatusCode::OK, &body),
            Some(Err(error)) => json_response(status(&error), &refusal(&error)),
            None => unreachable!("holder is a lease op"),
        };
    }
    // Following starts before reading, so no change in between is missed.
    let followed = Followed::default();
    if let Err(error) = followed.add(&state.locks, mode, &request.name) {
        return json_response(status(&error), &refusal(&error));
    }
    let watch = state.locks.watch(followed);
    let first = match answer(&state.locks, &access, &request).await {
        Some(Ok(body)) => body,
        Some(Err(error)) => return json_response(status(&error), &refusal(&error)),
        None => unreachable!("holder is a lease op"),
    };
    let locks = Arc::clone(&state.locks);
    let events = futures_util::stream::unfold(
        (Some(first), watch, locks, request),
        |(first, mut watch, locks, request)| async move {
            let body = match first {
                Some(body) => body,
                None => match watch.next().await? {
                    Ok(event) => json!({ "holder": event.holder }),
                    // Missed some: what counts is who holds it now.
                    Err(_) => {
                        json!({ "holder": locks.holder(request.mode, &request.name).await.ok().flatten() })
                    }
                },
            };
            let event = Event::default().event("holder").data(body.to_string());
            Some((Ok::<_, Infallible>(event), (None, watch, locks, request)))
        },
    );
    Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response()
}
