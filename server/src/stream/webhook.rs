//! Webhooks: every change of every document POSTed as JSON to a URL, debounced per
//! document (one request carries a burst), and retried with growing, jittered pauses
//! until the receiver answers 2xx, over http or https. Where a webhook is in each document is a durable
//! cursor named `webhook:<url>`, so deliveries resume after a restart and every
//! change arrives at least once (deduplicate by dot for exactly once).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Request, Uri};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value as Json, json};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;

use weft_core::{ReplicaId, VersionVector};

use super::{Follower, Start};
use crate::lock::election::Leadership;
use crate::store::{SqliteStore, Store, StoreError};

/// How long changes of a document gather before they go out together.
const DEBOUNCE: Duration = Duration::from_millis(500);
/// Most events in one request; more go in the next one at once.
const EVENTS_PER_REQUEST: usize = 256;
const FIRST_RETRY: Duration = Duration::from_secs(1);
const LAST_RETRY: Duration = Duration::from_secs(300);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A webhook's target, checked when the relay starts.
#[derive(Clone, Debug)]
pub struct Target {
    url: String,
    uri: Uri,
}

impl Target {
    pub fn parse(url: &str) -> Result<Self, String> {
        let uri: Uri = url
            .parse()
            .map_err(|error| format!("webhook {url}: {error}"))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) {
            return Err(format!(
                "webhook {url}: the URL starts with http:// or https://"
            ));
        }
        if uri.host().is_none_or(str::is_empty) {
            return Err(format!("webhook {url}: no host"));
        }
        Ok(Self {
            url: url.into(),
            uri,
        })
    }

    fn cursor_name(&self) -> String {
        format!("webhook:{}", self.url)
    }

    /// The relay job of delivering to this target, which one relay of a mesh owns:
    /// named by a hash of the URL, as lock names are short.
    pub fn job(&self) -> String {
        use sha2::Digest;
        let hash = sha2::Sha256::digest(self.url.as_bytes());
        format!("webhook:{}", hex::encode(&hash[..8]))
    }
}

/// One document's pending delivery: when it is due, and how many attempts failed.
struct Due {
    at: Instant,
    failures: u32,
    /// Where to start for a document this webhook never delivered.
    first_seq: u64,
}

type HttpClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// An HTTP/1.1 client for http and https (rustls, with the Mozilla roots).
fn client() -> HttpClient {
    let connector = HttpsConnectorBuilder::new()
        .with_webpki_roots()
        .https_or_http()
        .enable_http1()
        .build();
    Client::builder(TokioExecutor::new()).build(connector)
}

/// Delivers to `target` until the relay stops, while this relay owns the job.
pub async fn run(
    target: Target,
    store_path: PathBuf,
    mut appended: broadcast::Receiver<(String, u64)>,
    mut leadership: Leadership,
) {
    let mut webhook = Webhook {
        client: client(),
        target,
        store_path,
        readers: HashMap::new(),
        handed_over: HashMap::new(),
        leadership: leadership.clone(),
    };
    // Documents with changes to deliver, gathered while this relay stands by too.
    let mut due: HashMap<String, Due> = HashMap::new();
    let mut epoch = None;
    loop {
        let next = epoch.and(due.values().map(|d| d.at).min());
        tokio::select! {
            () = leadership.changed() => {
                let owned = leadership.epoch();
                if owned.is_some() && owned != epoch {
                    webhook.take_over(&mut due).await;
                }
                epoch = owned;
            }
            notice = appended.recv() => match notice {
                Ok((doc, seq)) => {
                    due.entry(doc).or_insert(Due {
                        at: Instant::now() + DEBOUNCE,
                        failures: 0,
                        first_seq: seq,
                    });
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, webhook = webhook.target.url, "webhook fell behind the relay's notices");
                }
                Err(RecvError::Closed) => return,
            },
            () = sleep_until(next) => {
                let Some(epoch) = epoch else { continue };
                let now = Instant::now();
                let ready: Vec<String> = due
                    .iter()
                    .filter(|(_, d)| d.at <= now)
                    .map(|(doc, _)| doc.clone())
                    .collect();
                for doc in ready {
                    let Some(pending) = due.remove(&doc) else { continue };
                    match webhook.deliver(epoch, &doc, pending.first_seq).await {
                        Ok(Delivered::All) => {}
                        Ok(Delivered::More) => {
                            due.insert(doc, Due { at: Instant::now(), failures: 0, first_seq: 1 });
                        }
                        Err(error) => {
                            let failures = pending.failures + 1;
                            let pause = retry_pause(failures);
                            tracing::warn!(webhook = webhook.target.url, doc, %error, ?pause, "delivery failed; trying again");
                            due.insert(doc, Due { at: Instant::now() + pause, failures, first_seq: pending.first_seq });
                        }
                    }
                }
            }
        }
    }
}

/// One webhook's delivery: where it reads, and the job it runs under.
struct Webhook {
    client: HttpClient,
    target: Target,
    store_path: PathBuf,
    readers: HashMap<String, Reader>,
    /// Per document, the version an earlier owner delivered up to: the first
    /// delivery after a takeover starts there.
    handed_over: HashMap<String, VersionVector>,
    leadership: Leadership,
}

impl Webhook {
    /// This relay now owns the job: what its own cursors and the earlier owner's
    /// records say is undelivered becomes due.
    async fn take_over(&mut self, due: &mut HashMap<String, Due>) {
        self.readers.clear();
        let mut docs =
            match tokio::task::block_in_place(|| undelivered(&self.store_path, &self.target)) {
                Ok(docs) => docs,
                Err(error) => {
                    tracing::error!(%error, webhook = self.target.url, "reading cursors failed");
                    Vec::new()
                }
            };
        match self.leadership.recorded().await {
            Ok(records) => {
                let stored = tokio::task::block_in_place(|| stored_versions(&self.store_path))
                    .unwrap_or_default();
                for (doc, version) in records {
                    let Some(version) = version_from_json(&version) else {
                        continue;
                    };
                    // Delivered up to what this relay holds: nothing to hand over.
                    if stored.get(&doc).is_some_and(|held| version.includes(held)) {
                        continue;
                    }
                    docs.push(doc.clone());
                    self.handed_over.insert(doc, version);
                }
            }
            Err(error) => {
                tracing::error!(%error, webhook = self.target.url, "reading the earlier owner's records failed")
            }
        }
        for doc in docs {
            due.entry(doc).or_insert(Due {
                at: Instant::now(),
                failures: 0,
                first_seq: 1,
            });
        }
        // Deliveries that waited while this relay did not own the job go now.
        for pending in due.values_mut() {
            pending.at = pending.at.min(Instant::now());
            pending.failures = 0;
        }
    }

    /// Sends what `doc` holds after the webhook's cursor, and moves the cursor on;
    /// every request and cursor write first checks that `epoch` still owns the job.
    async fn deliver(
        &mut self,
        epoch: u64,
        doc: &str,
        first_seq: u64,
    ) -> Result<Delivered, String> {
        let name = self.target.cursor_name();
        if !self.readers.contains_key(doc) {
            if self.readers.len() >= READERS
                && let Some(evicted) = self.readers.keys().next().cloned()
            {
                self.readers.remove(&evicted);
            }
            let handed_over = self.handed_over.remove(doc);
            let follower = tokio::task::block_in_place(|| {
                let mut store = SqliteStore::open(&self.store_path).map_err(|e| e.to_string())?;
                let start = match handed_over {
                    Some(version) => Start::Version(version),
                    None => Start::After(
                        store
                            .cursor(&name, doc)
                            .map_err(|e| e.to_string())?
                            .unwrap_or(first_seq.saturating_sub(1)),
                    ),
                };
                Follower::start(store, doc.into(), start)
                    .map_err(|_| format!("{doc:?} could not be read"))
            })?;
            self.readers.insert(
                doc.into(),
                Reader {
                    follower,
                    unsent: None,
                },
            );
        }
        let reader = self.readers.get_mut(doc).expect("inserted above");
        let batch = match reader.unsent.take() {
            Some(batch) => Ok(batch),
            None => tokio::task::block_in_place(|| read_batch(&mut reader.follower)),
        };
        let (events, last) = match batch {
            Ok(batch) => batch,
            Err(error) => {
                self.readers.remove(doc);
                return Err(error.to_string());
            }
        };
        if events.is_empty() {
            return Ok(Delivered::All);
        }
        let full = events.len() == EVENTS_PER_REQUEST;
        let delivered_to = events
            .iter()
            .rev()
            .find_map(|event| event["data"].get("version"))
            .cloned();
        let body = json!({ "doc": doc, "events": events });
        if !self.leadership.confirm(epoch).await {
            reader.unsent = Some((events, last));
            return Err("this relay no longer owns the webhook's delivery".into());
        }
        if let Err(error) = post(&self.client, &self.target, doc, epoch, &body).await {
            reader.unsent = Some((events, last));
            return Err(error);
        }
        if let Some(version) = delivered_to {
            match self
                .leadership
                .record(epoch, doc, &version.to_string())
                .await
            {
                Ok(true) => {}
                Ok(false) => return Err("another relay owns the webhook's delivery now".into()),
                Err(error) => tracing::warn!(%error, doc, "recording the delivered version failed"),
            }
        }
        tokio::task::block_in_place(|| reader.follower.save_cursor(&name, last))
            .map_err(|error| error.to_string())?;
        Ok(if full {
            Delivered::More
        } else {
            Delivered::All
        })
    }
}

/// What this relay holds of every stored document.
fn stored_versions(store_path: &Path) -> Result<HashMap<String, VersionVector>, StoreError> {
    let mut store = SqliteStore::open(store_path)?;
    Ok(store
        .versions()?
        .into_iter()
        .filter_map(|(doc, bytes)| Some((doc, weft_core::codec::decode(&bytes).ok()?)))
        .collect())
}

/// A version as change events write it (`{"replica": counter}`).
fn version_from_json(text: &str) -> Option<VersionVector> {
    let map: HashMap<String, u64> = serde_json::from_str(text).ok()?;
    map.into_iter()
        .map(|(replica, counter)| Some((ReplicaId::new(replica.parse().ok()?), counter)))
        .collect()
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Exponential, capped, with full jitter: receivers that come back are not flooded.
fn retry_pause(failures: u32) -> Duration {
    let cap = FIRST_RETRY
        .saturating_mul(1 << failures.min(16))
        .min(LAST_RETRY);
    cap.mul_f64(0.5 + rand::random::<f64>() / 2.0)
}

/// Documents with changes after the webhook's cursor.
fn undelivered(store_path: &Path, target: &Target) -> Result<Vec<String>, StoreError> {
    let mut store = SqliteStore::open(store_path)?;
    let mut docs = Vec::new();
    for (doc, seq) in store.cursors(&target.cursor_name())? {
        if store.count_after(&doc, seq)? > 0 {
            docs.push(doc);
        }
    }
    Ok(docs)
}

enum Delivered {
    All,
    /// More than one request's worth: deliver again at once.
    More,
}

/// A document's reader for one webhook, kept between deliveries so that its copy of
/// the document is not rebuilt each time; and a batch it read but could not
/// deliver yet.
struct Reader {
    follower: Follower,
    unsent: Option<(Vec<Json>, u64)>,
}

/// Readers kept at once; another document's evicts one (its durable cursor says
/// where to start again).
const READERS: usize = 64;

/// The next request's worth of events, and the sequence number they reach.
fn read_batch(follower: &mut Follower) -> Result<(Vec<Json>, u64), StoreError> {
    let mut events = Vec::new();
    let mut last = follower.cursor();
    while events.len() < EVENTS_PER_REQUEST {
        let Some(event) = follower.next_stored()? else {
            break;
        };
        last = last.max(event.seq);
        events.push(json!({ "type": event.kind, "seq": event.seq, "data": event.data }));
    }
    Ok((events, last))
}

/// POSTs one request, with the epoch of the relay that sends it: a receiver can drop
/// requests of an epoch older than one it has seen (a relay that lost the job while
/// paused), as fencing tokens are meant to be used.
async fn post(
    client: &HttpClient,
    target: &Target,
    doc: &str,
    epoch: u64,
    body: &Json,
) -> Result<(), String> {
    let attempt = async {
        let request = Request::post(target.uri.clone())
            .header("content-type", "application/json")
            .header("x-weft-doc", doc)
            .header("x-weft-epoch", epoch)
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|error| error.to_string())?;
        let response = client
            .request(request)
            .await
            .map_err(|error| error.to_string())?;
        let status = response.status();
        let _ = response.into_body().collect().await;
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("the receiver answered {status}"))
        }
    };
    tokio::time::timeout(REQUEST_TIMEOUT, attempt)
        .await
        .map_err(|_| "the receiver did not answer in time".to_string())?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_http_or_https_urls_with_a_host() {
        let target = Target::parse("http://hooks.internal:9000/weft?team=1").unwrap();
        assert_eq!(target.uri.host(), Some("hooks.internal"));
        assert!(Target::parse("https://example.com/hook").is_ok());
        assert!(Target::parse("ftp://example.com/hook").is_err());
        assert!(Target::parse("/relative").is_err());
        assert!(Target::parse("not a url").is_err());
    }

    #[test]
    fn retry_pauses_grow_to_a_cap_with_jitter() {
        for failures in 1..40 {
            let pause = retry_pause(failures);
            assert!(pause <= LAST_RETRY);
            assert!(pause >= FIRST_RETRY.min(LAST_RETRY / 2));
        }
        assert!(retry_pause(20) >= LAST_RETRY / 2);
    }
}
