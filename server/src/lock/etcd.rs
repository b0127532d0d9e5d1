//! Locks in an etcd cluster, through its HTTP/JSON gateway (`/v3/...`): a lock is a
//! key bound to an etcd lease, created only if absent in one transaction, so the
//! cluster's consensus decides who holds it. The fencing token is the revision of
//! that transaction, which etcd makes strictly increasing across the whole cluster;
//! a second key per lock, written in the same transaction, remembers the latest one
//! after the lock key is gone.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Request, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value as Json, json};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::lease::{Lease, LockError};

const LOCK_PREFIX: &str = "weft/lock/";
const FENCE_PREFIX: &str = "weft/fence/";
/// Values the holders of locks share, written only by the live holder.
const SHARED_PREFIX: &str = "weft/shared/";
/// Named stream cursors, which any relay may move on (never back).
const CURSOR_PREFIX: &str = "weft/cursor/";
/// Attempts at a cursor that other relays keep writing at the same moment.
const CURSOR_ATTEMPTS: usize = 16;
/// Each request to a member gets this long before the next member is tried.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

pub struct Etcd {
    /// Members' `host:port`.
    endpoints: Vec<String>,
    /// The member that answered last, tried first.
    preferred: AtomicUsize,
    client: Client<HttpConnector, Full<Bytes>>,
}

fn b64(text: &str) -> String {
    BASE64.encode(text)
}

fn unb64(value: &Json) -> String {
    value
        .as_str()
        .and_then(|text| BASE64.decode(text).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .unwrap_or_default()
}

/// etcd's gateway writes 64-bit integers as strings.
fn number(value: &Json) -> u64 {
    match value {
        Json::String(text) => text.parse().unwrap_or(0),
        other => other.as_u64().unwrap_or(0),
    }
}

/// The end of the key range holding every key that starts with `prefix`.
fn prefix_end(prefix: &str) -> String {
    let mut bytes = prefix.as_bytes().to_vec();
    if let Some(last) = bytes.last_mut() {
        *last += 1;
    }
    String::from_utf8(bytes).expect("prefixes are ASCII")
}

/// A lock key's holder and lease, as the lock key's value and metadata say.
struct Held {
    token: u64,
    holder: String,
    lease: String,
}

fn held(kv: &Json) -> Held {
    Held {
        token: number(&kv["create_revision"]),
        holder: unb64(&kv["value"]),
        lease: number(&kv["lease"]).to_string(),
    }
}

impl Etcd {
    /// A client of the cluster whose members' client URLs are `endpoints`.
    pub fn new(endpoints: &[String]) -> Result<Self, String> {
        let endpoints = endpoints
            .iter()
            .map(|url| {
                let uri: Uri = url
                    .trim_end_matches('/')
                    .parse()
                    .map_err(|error| format!("etcd endpoint {url}: {error}"))?;
                match (uri.scheme_str(), uri.authority()) {
                    (Some("http"), Some(authority)) => Ok(authority.to_string()),
                    _ => Err(format!("etcd endpoint {url}: use http://host:port")),
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        if endpoints.is_empty() {
            return Err("etcd needs at least one endpoint".into());
        }
        Ok(Self {
            endpoints,
            preferred: AtomicUsize::new(0),
            client: Client::builder(TokioExecutor::new()).build_http(),
        })
    }

    /// POSTs `body` to `path` on the first member that answers.
    async fn call(&self, path: &str, body: &Json) -> Result<Json, LockError> {
        let first = self.preferred.load(Ordering::Relaxed);
        let mut last_error = String::new();
        for attempt in 0..self.endpoints.len() {
            let index = (first + attempt) % self.endpoints.len();
            let endpoint = &self.endpoints[index];
            let request = Request::post(format!("http://{endpoint}{path}"))
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from(body.to_string())))
                .map_err(|error| LockError::Unavailable(error.to_string()))?;
            let answer = tokio::time::timeout(REQUEST_TIMEOUT, async {
                let response = self
                    .client
                    .request(request)
                    .await
                    .map_err(|e| e.to_string())?;
                let status = response.status();
                let bytes = response
                    .into_body()
                    .collect()
                    .await
                    .map_err(|e| e.to_string())?
                    .to_bytes();
                let json: Json = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
                Ok::<_, String>((status, json))
            })
            .await;
            match answer {
                Ok(Ok((status, json))) if status.is_success() => {
                    self.preferred.store(index, Ordering::Relaxed);
                    return Ok(json);
                }
                // The cluster answered, and said no (a lease that is gone, say).
                Ok(Ok((status, json))) if status.is_client_error() => {
                    return Err(LockError::Unavailable(format!("etcd: {}", json["error"])));
                }
                Ok(Ok((status, json))) => last_error = format!("{endpoint}: {status} {json}"),
                Ok(Err(error)) => last_error = format!("{endpoint}: {error}"),
                Err(_) => last_error = format!("{endpoint}: no answer in time"),
            }
        }
        Err(LockError::Unavailable(last_error))
    }

    async fn lock_key(&self, name: &str) -> Result<Option<Held>, LockError> {
        let answer = self
            .call(
                "/v3/kv/range",
                &json!({ "key": b64(&format!("{LOCK_PREFIX}{name}")) }),
            )
            .await?;
        Ok(answer["kvs"]
            .as_array()
            .and_then(|kvs| kvs.first())
            .map(held))
    }

    /// Whether `token` is the live lease of `name` (a lapsed lease's key is gone).
    pub async fn holds(&self, name: &str, token: u64) -> Result<bool, LockError> {
        Ok(self
            .lock_key(name)
            .await?
            .is_some_and(|held| held.token == token))
    }

    async fn remaining_ms(&self, lease: &str) -> Result<u64, LockError> {
        let answer = self
            .call("/v3/lease/timetolive", &json!({ "ID": lease }))
            .await?;
        Ok(number(&answer["TTL"]).saturating_mul(1_000))
    }

    /// Grants `name` to `holder` if no live lease holds it.
    pub async fn acquire(
        &self,
        name: &str,
        holder: &str,
        ttl_ms: u64,
        now: u64,
    ) -> Result<Lease, LockError> {
        let seconds = ttl_ms.div_ceil(1_000);
        let grant = self
            .call("/v3/lease/grant", &json!({ "TTL": seconds.to_string() }))
            .await?;
        let lease = number(&grant["ID"]).to_string();
        let key = b64(&format!("{LOCK_PREFIX}{name}"));
        let answer = self
            .call(
                "/v3/kv/txn",
                &json!({
                    "compare": [{ "key": key, "target": "CREATE", "result": "EQUAL", "create_revision": "0" }],
                    "success": [
                        { "request_put": { "key": key, "value": b64(holder), "lease": lease } },
                        { "request_put": { "key": b64(&format!("{FENCE_PREFIX}{name}")), "value": b64(holder) } }
                    ],
                    "failure": [{ "request_range": { "key": key } }]
                }),
            )
            .await?;
        if answer["succeeded"].as_bool() == Some(true) {
            return Ok(Lease {
                name: name.into(),
                token: number(&answer["header"]["revision"]),
                holder: holder.into(),
                expires: now + seconds * 1_000,
            });
        }
        // Not ours: give the unused etcd lease back, and say who holds the lock.
        let _ = self.call("/v3/lease/revoke", &json!({ "ID": lease })).await;
        let current = answer["responses"][0]["response_range"]["kvs"]
            .as_array()
            .and_then(|kvs| kvs.first())
            .map(held);
        match current {
            Some(current) => {
                let remaining = self.remaining_ms(&current.lease).await.unwrap_or(0);
                Err(LockError::Held(Lease {
                    name: name.into(),
                    token: current.token,
                    holder: current.holder,
                    expires: now + remaining,
                }))
            }
            // Released between the two steps: the caller may simply try again.
            None => Err(LockError::Unavailable(
                "the lock changed hands; try again".into(),
            )),
        }
    }

    /// Keeps the lease `token` of `name` alive for its etcd lease's ttl again.
    pub async fn renew(&self, name: &str, token: u64, now: u64) -> Result<Lease, LockError> {
        let lost = || LockError::Lost {
            name: name.into(),
            token,
        };
        let current = self
            .lock_key(name)
            .await?
            .filter(|held| held.token == token)
            .ok_or_else(lost)?;
        let answer = self
            .call("/v3/lease/keepalive", &json!({ "ID": current.lease }))
            .await?;
        let ttl = number(&answer["result"]["TTL"]);
        if ttl == 0 {
            return Err(lost());
        }
        Ok(Lease {
            name: name.into(),
            token,
            holder: current.holder,
            expires: now + ttl * 1_000,
        })
    }

    /// Ends the lease `token` of `name`; whether it was still live.
    pub async fn release(&self, name: &str, token: u64) -> Result<bool, LockError> {
        let key = b64(&format!("{LOCK_PREFIX}{name}"));
        let answer = self
            .call(
                "/v3/kv/txn",
                &json!({
                    "compare": [{ "key": key, "target": "CREATE", "result": "EQUAL", "create_revision": token.to_string() }],
                    "success": [{ "request_range": { "key": key } }, { "request_delete_range": { "key": key } }]
                }),
            )
            .await?;
        if answer["succeeded"].as_bool() != Some(true) {
            return Ok(false);
        }
        // The key is gone; its etcd lease has nothing left to keep.
        let kv = &answer["responses"][0]["response_range"]["kvs"][0];
        let _ = self
            .call("/v3/lease/revoke", &json!({ "ID": held(kv).lease }))
            .await;
        Ok(true)
    }

    /// The live lease on `name`, if any.
    pub async fn holder(&self, name: &str, now: u64) -> Result<Option<Lease>, LockError> {
        let Some(current) = self.lock_key(name).await? else {
            return Ok(None);
        };
        let remaining = self.remaining_ms(&current.lease).await?;
        Ok(Some(Lease {
            name: name.into(),
            token: current.token,
            holder: current.holder,
            expires: now + remaining,
        }))
    }

    /// The latest token granted for `name` (0 if none ever was): a linearizable read
    /// of the lock's fence key.
    pub async fn latest(&self, name: &str) -> Result<u64, LockError> {
        let answer = self
            .call(
                "/v3/kv/range",
                &json!({ "key": b64(&format!("{FENCE_PREFIX}{name}")) }),
            )
            .await?;
        Ok(number(&answer["kvs"][0]["mod_revision"]))
    }
}

/// A change in the cluster that the relay follows.
pub enum Change {
    /// The lock key of `name` was created (a grant) or deleted (a release, or its
    /// lease lapsed).
    Lock { name: String, granted: bool },
    /// A grant of `name` with this token.
    Fence { name: String, token: u64 },
}

fn change(kv: &Json, deleted: bool) -> Option<Change> {
    let key = unb64(&kv["key"]);
    if let Some(name) = key.strip_prefix(LOCK_PREFIX) {
        return Some(Change::Lock {
            name: name.into(),
            granted: !deleted,
        });
    }
    let name = key.strip_prefix(FENCE_PREFIX)?;
    (!deleted).then(|| Change::Fence {
        name: name.into(),
        token: number(&kv["mod_revision"]),
    })
}

impl Etcd {
    /// Reports every lock and fence as they are now, then every change to them,
    /// until the watch breaks (the caller starts it again).
    pub async fn follow(
        &self,
        on_change: &mut (impl FnMut(Change) + Send),
    ) -> Result<(), LockError> {
        let (start, end) = ("weft/", prefix_end("weft/"));
        let now = self
            .call(
                "/v3/kv/range",
                &json!({ "key": b64(start), "range_end": b64(&end) }),
            )
            .await?;
        for kv in now["kvs"].as_array().into_iter().flatten() {
            if let Some(change) = change(kv, false) {
                on_change(change);
            }
        }
        let revision = number(&now["header"]["revision"]);
        let body = json!({ "create_request": {
            "key": b64(start),
            "range_end": b64(&end),
            "start_revision": (revision + 1).to_string(),
        }});
        let endpoint = &self.endpoints[self.preferred.load(Ordering::Relaxed)];
        let request = Request::post(format!("http://{endpoint}/v3/watch"))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|error| LockError::Unavailable(error.to_string()))?;
        let response = tokio::time::timeout(REQUEST_TIMEOUT, self.client.request(request))
            .await
            .map_err(|_| LockError::Unavailable(format!("{endpoint}: no answer in time")))?
            .map_err(|error| LockError::Unavailable(error.to_string()))?;
        let mut body = response.into_body();
        let mut pending = Vec::new();
        // The gateway sends one JSON object per line.
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|error| LockError::Unavailable(error.to_string()))?;
            let Some(bytes) = frame.data_ref() else {
                continue;
            };
            pending.extend_from_slice(bytes);
            while let Some(end) = pending.iter().position(|byte| *byte == b'\n') {
                let line: Vec<u8> = pending.drain(..=end).collect();
                let Ok(message) = serde_json::from_slice::<Json>(&line) else {
                    continue;
                };
                if message["result"]["canceled"].as_bool() == Some(true) {
                    return Err(LockError::Unavailable("etcd canceled the watch".into()));
                }
                for event in message["result"]["events"].as_array().into_iter().flatten() {
                    let deleted = event["type"] == "DELETE";
                    if let Some(change) = change(&event["kv"], deleted) {
                        on_change(change);
                    }
                }
            }
        }
        Err(LockError::Unavailable("the watch ended".into()))
    }

    /// Writes `value` at `key` only while `token` is the live lease of the lock
    /// `name`: a write fenced in the cluster itself. Whether it was written.
    pub async fn put_fenced(
        &self,
        name: &str,
        token: u64,
        key: &str,
        value: &str,
    ) -> Result<bool, LockError> {
        let answer = self
            .call(
                "/v3/kv/txn",
                &json!({
                    "compare": [{
                        "key": b64(&format!("{LOCK_PREFIX}{name}")),
                        "target": "CREATE",
                        "result": "EQUAL",
                        "create_revision": token.to_string()
                    }],
                    "success": [{ "request_put": { "key": b64(&format!("{SHARED_PREFIX}{key}")), "value": b64(value) } }]
                }),
            )
            .await?;
        Ok(answer["succeeded"].as_bool() == Some(true))
    }

    /// Every value written by [`put_fenced`](Self::put_fenced) under keys starting
    /// with `prefix`: `(key without the prefix, value)`.
    pub async fn shared(&self, prefix: &str) -> Result<Vec<(String, String)>, LockError> {
        let start = format!("{SHARED_PREFIX}{prefix}");
        let answer = self
            .call(
                "/v3/kv/range",
                &json!({ "key": b64(&start), "range_end": b64(&prefix_end(&start)) }),
            )
            .await?;
        let kvs = answer["kvs"].as_array().cloned().unwrap_or_default();
        Ok(kvs
            .iter()
            .filter_map(|kv| {
                let key = unb64(&kv["key"]);
                Some((key.strip_prefix(&start)?.to_owned(), unb64(&kv["value"])))
            })
            .collect())
    }

    /// The cursor at `key` and the revision it was last written in (0: never).
    async fn cursor_entry(&self, key: &str) -> Result<(Option<String>, u64), LockError> {
        let answer = self
            .call(
                "/v3/kv/range",
                &json!({ "key": b64(&format!("{CURSOR_PREFIX}{key}")) }),
            )
            .await?;
        Ok(match answer["kvs"].as_array().and_then(|kvs| kvs.first()) {
            Some(kv) => (Some(unb64(&kv["value"])), number(&kv["mod_revision"])),
            None => (None, 0),
        })
    }

    /// The cursor at `key`, if any relay wrote it.
    pub async fn cursor(&self, key: &str) -> Result<Option<String>, LockError> {
        Ok(self.cursor_entry(key).await?.0)
    }

    /// Replaces the cursor at `key` with `advance(its value)` (`None`: leave it), in a
    /// transaction that fails if another relay wrote it meanwhile, and then reads
    /// and tries again.
    pub async fn advance_cursor(
        &self,
        key: &str,
        advance: impl Fn(Option<&str>) -> Option<String>,
    ) -> Result<(), LockError> {
        let full_key = b64(&format!("{CURSOR_PREFIX}{key}"));
        for _ in 0..CURSOR_ATTEMPTS {
            let (value, revision) = self.cursor_entry(key).await?;
            let Some(next) = advance(value.as_deref()) else {
                return Ok(());
            };
            let answer = self
                .call(
                    "/v3/kv/txn",
                    &json!({
                        "compare": [{
                            "key": full_key,
                            "target": "MOD",
                            "result": "EQUAL",
                            "mod_revision": revision.to_string()
                        }],
                        "success": [{ "request_put": { "key": full_key, "value": b64(&next) } }]
                    }),
                )
                .await?;
            if answer["succeeded"].as_bool() == Some(true) {
                return Ok(());
            }
        }
        Err(LockError::Unavailable(format!(
            "the cursor {key} kept changing under {CURSOR_ATTEMPTS} attempts"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_end_past_their_last_key() {
        assert_eq!(prefix_end("weft/lock/"), "weft/lock0");
        assert!(format!("{LOCK_PREFIX}zzz").as_str() < prefix_end(LOCK_PREFIX).as_str());
    }

    #[test]
    fn endpoints_are_http_urls() {
        assert!(Etcd::new(&["http://127.0.0.1:2379".into()]).is_ok());
        assert!(Etcd::new(&["https://127.0.0.1:2379".into()]).is_err());
        assert!(Etcd::new(&["127.0.0.1:2379".into()]).is_err());
        assert!(Etcd::new(&[]).is_err());
    }
}
