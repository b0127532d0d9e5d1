//! Change streams, read with `weft-relay tail` as a consumer would: resuming from a
//! sequence number or a durable cursor (across a restart too) gives every change
//! once, in order; a consumer behind a compaction is told to refetch; a long backlog
//! streams in bounded memory. And webhooks, through refusals and a restart.

mod support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value as Json;
use support::etcd::EtcdCluster;
use support::mesh::{free_udp_port, start_with, wait_for_links};
use support::webhook::{Receiver, dots};
use support::{Client, Relay, get, temporary_dir};
use weft_core::ContainerId;

const WAIT: Duration = Duration::from_secs(20);

/// `weft-relay tail` against `relay`, its JSON lines arriving on a channel.
struct Tailing {
    child: Child,
    lines: mpsc::Receiver<Json>,
}

impl Tailing {
    fn start(relay: &Relay, doc: &str, args: &[&str]) -> Tailing {
        let mut child = Command::new(env!("CARGO_BIN_EXE_weft-relay"))
            .args(["tail", doc, "--url"])
            .arg(format!("http://{}", relay.address))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if send.send(serde_json::from_str(&line).unwrap()).is_err() {
                    break;
                }
            }
        });
        Tailing { child, lines }
    }

    /// Events until one of type `event` (included), or `None` if none came in time.
    fn until(&self, event: &str) -> Option<Vec<Json>> {
        let deadline = Instant::now() + WAIT;
        let mut events = Vec::new();
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            let line = self.lines.recv_timeout(left).ok()?;
            let done = line["event"] == event;
            events.push(line);
            if done {
                return Some(events);
            }
        }
    }

    /// Change events until the stream holds every dot in `wanted`.
    fn changes_until(&self, wanted: &BTreeSet<(String, u64)>) -> Vec<Json> {
        let deadline = Instant::now() + WAIT;
        let mut events = Vec::new();
        while !wanted.is_subset(&dots(&events)) {
            let left = deadline
                .checked_duration_since(Instant::now())
                .expect("every change arrives in time");
            let line = self.lines.recv_timeout(left).expect("the stream goes on");
            if line["event"] == "change" {
                events.push(line);
            }
        }
        events
    }
}

impl Drop for Tailing {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn seqs(events: &[Json]) -> Vec<u64> {
    events
        .iter()
        .filter(|event| event["event"] == "change")
        .map(|event| event["data"]["seq"].as_u64().unwrap())
        .collect()
}

/// A client that types `count` edits into `doc`, each its own update, each held.
async fn type_edits(client: &mut Client, doc: &str, from: usize, count: usize) {
    for n in from..from + count {
        client.type_text(doc, &format!("e{n} ")).await;
        assert!(client.wait_until_held(doc).await);
    }
}

/// The dots of `client`'s own edits so far (one per edit: a typed string is one
/// operation).
fn written(client: &Client, doc: &str, replica: u64) -> BTreeSet<(String, u64)> {
    let counter = client.docs[doc]
        .version()
        .get(weft_core::ReplicaId::new(replica));
    (1..=counter)
        .map(|counter| (replica.to_string(), counter))
        .collect()
}

/// The dots of `client`'s own edits that are not in `before`.
fn written_since(
    client: &Client,
    doc: &str,
    replica: u64,
    before: &BTreeSet<(String, u64)>,
) -> BTreeSet<(String, u64)> {
    written(client, doc, replica)
        .difference(before)
        .cloned()
        .collect()
}

async fn writer(relay: &Relay, replica: u64, doc: &str) -> Client {
    let mut client = Client::connect(&relay.url(None), replica).await.unwrap();
    client.subscribe(doc).await;
    assert!(client.pump_until(WAIT, |c| c.session.is_synced(doc)).await);
    client.settle().await;
    client
}

#[tokio::test(flavor = "multi_thread")]
async fn a_consumer_that_resumes_gets_every_change_once_in_order() {
    let dir = temporary_dir("stream-resume");
    let relay = Relay::start(&dir, &[]);
    let mut alice = writer(&relay, 7, "log").await;
    type_edits(&mut alice, "log", 0, 10).await;

    let first = Tailing::start(&relay, "log", &["--from", "0"]);
    let before = first
        .until("up-to-date")
        .expect("the backlog, then up-to-date");
    assert_eq!(dots(&before), written(&alice, "log", 7));
    // What each change did, in editor terms.
    let diffs = &before[0]["data"]["diffs"][0];
    assert_eq!(diffs["container"]["root"], "body");
    assert_eq!(diffs["text"][0]["insert"], "e0 ");
    drop(first);

    let version_at_ten = alice.docs["log"].version().clone();
    type_edits(&mut alice, "log", 10, 10).await;
    let last = *seqs(&before).last().unwrap();

    // From a version vector, the relay works out the gap: one change with it all.
    let encoded = hex::encode(weft_core::codec::encode(&version_at_ten));
    let gap = Tailing::start(&relay, "log", &["--version", &encoded]);
    let events = gap.until("up-to-date").unwrap();
    assert_eq!(events.len(), 2, "{events:?}");
    let expected: BTreeSet<_> = written(&alice, "log", 7)
        .difference(&dots(&before))
        .cloned()
        .collect();
    assert_eq!(dots(&events), expected);
    drop(gap);
    let second = Tailing::start(&relay, "log", &["--from", &last.to_string()]);
    let mut after = second.until("up-to-date").unwrap();
    // And live, after the backlog.
    type_edits(&mut alice, "log", 20, 10).await;
    let seen: BTreeSet<_> = dots(&before).union(&dots(&after)).cloned().collect();
    let live: BTreeSet<_> = written(&alice, "log", 7)
        .difference(&seen)
        .cloned()
        .collect();
    after.extend(second.changes_until(&live));

    let all: Vec<Json> = before.iter().chain(&after).cloned().collect();
    let seqs = seqs(&all);
    assert!(seqs.windows(2).all(|pair| pair[0] < pair[1]), "{seqs:?}");
    assert_eq!(dots(&all), written(&alice, "log", 7));
    // Nothing twice: the dots of the two streams do not overlap.
    assert!(dots(&before).is_disjoint(&dots(&after)));
    // The text the diffs build is the document's.
    let text: String = all
        .iter()
        .filter(|event| event["event"] == "change")
        .map(|event| {
            event["data"]["diffs"][0]["text"]
                .as_array()
                .unwrap()
                .clone()
        })
        .map(|ops| {
            ops.iter()
                .filter_map(|op| op["insert"].as_str().map(str::to_string))
                .collect::<String>()
        })
        .collect();
    assert_eq!(text, alice.text("log"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_named_cursor_resumes_after_a_restart() {
    let dir = temporary_dir("stream-cursor");
    let relay = Relay::start(&dir, &[]);
    let mut bob = writer(&relay, 8, "orders").await;
    type_edits(&mut bob, "orders", 0, 5).await;
    let consumer = Tailing::start(&relay, "orders", &["--cursor", "indexer"]);
    let seen = consumer.until("up-to-date").unwrap();
    assert_eq!(dots(&seen), written(&bob, "orders", 8));
    drop(consumer);
    let acknowledged = written(&bob, "orders", 8);

    assert!(relay.stop().success());
    let relay = Relay::start(&dir, &[]);
    let mut bob = writer(&relay, 8, "orders").await;
    type_edits(&mut bob, "orders", 5, 5).await;
    let consumer = Tailing::start(&relay, "orders", &["--cursor", "indexer"]);
    let resumed = consumer.until("up-to-date").unwrap();
    let expected = written_since(&bob, "orders", 8, &acknowledged);
    assert_eq!(dots(&resumed), expected);
}

/// Sequence numbers are each relay's own; with etcd, what a consumer acknowledged
/// is also kept as a version, which any relay of the mesh resumes from.
#[tokio::test(flavor = "multi_thread")]
async fn a_named_cursor_follows_its_consumer_to_another_relay_of_the_mesh() {
    let dir = temporary_dir("stream-cursor-mesh");
    let etcd = EtcdCluster::start(&dir, 1);
    let endpoints = etcd.endpoints();
    let extra = ["--etcd", endpoints.as_str()];
    let (gossip_a, gossip_b) = (free_udp_port(), free_udp_port());
    let a = start_with(&dir.join("a"), "a", gossip_a, &[], None, &extra);
    let b = start_with(&dir.join("b"), "b", gossip_b, &[gossip_a], None, &extra);
    wait_for_links(&[&a, &b]).await;

    let mut bob = writer(&a, 8, "orders").await;
    type_edits(&mut bob, "orders", 0, 5).await;
    let consumer = Tailing::start(&a, "orders", &["--cursor", "indexer"]);
    let seen = consumer.until("up-to-date").unwrap();
    let acknowledged = written(&bob, "orders", 8);
    assert_eq!(dots(&seen), acknowledged);
    drop(consumer);
    let mut watcher = writer(&b, 9, "orders").await;
    let replicated = |c: &Client| c.docs["orders"].version().get(weft_core::ReplicaId::new(8)) == 5;
    assert!(watcher.pump_until(WAIT, replicated).await);

    // The consumer's relay dies; the consumer goes on at the other one, which has
    // never heard of its cursor.
    a.kill();
    let mut bob = writer(&b, 8, "orders").await;
    type_edits(&mut bob, "orders", 5, 5).await;
    let consumer = Tailing::start(&b, "orders", &["--cursor", "indexer"]);
    let resumed = consumer.until("up-to-date").unwrap();
    let expected = written_since(&bob, "orders", 8, &acknowledged);
    assert_eq!(dots(&resumed), expected);
}

/// An acknowledgement that names the version of the last change processed counts at
/// any relay, etcd or not: behind a load balancer without sticky sessions, a
/// consumer reads at one relay and acknowledges at another.
#[tokio::test(flavor = "multi_thread")]
async fn an_acknowledgement_by_version_counts_at_any_relay_of_the_mesh() {
    let dir = temporary_dir("stream-ack-version");
    let (gossip_a, gossip_b) = (free_udp_port(), free_udp_port());
    let a = start_with(&dir.join("a"), "a", gossip_a, &[], None, &[]);
    let b = start_with(&dir.join("b"), "b", gossip_b, &[gossip_a], None, &[]);
    wait_for_links(&[&a, &b]).await;

    let mut bob = writer(&b, 8, "orders").await;
    type_edits(&mut bob, "orders", 0, 5).await;
    let mut watcher = writer(&a, 9, "orders").await;
    let replicated = |c: &Client| c.docs["orders"].version().get(weft_core::ReplicaId::new(8)) == 5;
    assert!(watcher.pump_until(WAIT, replicated).await);

    // Read at A (which may have received several edits as one delta), up to the
    // change holding the third edit; acknowledged at B.
    let reading = Tailing::start(&a, "orders", &["--from", "0"]);
    let events = reading.until("up-to-date").unwrap();
    let third = events
        .iter()
        .position(|event| dots(std::slice::from_ref(event)).contains(&("8".into(), 3)))
        .unwrap();
    let processed = &events[..=third];
    let body = serde_json::json!({ "version": events[third]["data"]["version"] });
    let (status, answer) = support::post(&b, "/cursors?doc=orders&name=indexer", &body).await;
    assert!(status.contains("204"), "{status}: {answer}");
    let garbage = serde_json::json!({ "version": { "not a replica": 3 } });
    let (status, _) = support::post(&b, "/cursors?doc=orders&name=indexer", &garbage).await;
    assert!(status.contains("400"), "{status}");

    type_edits(&mut bob, "orders", 5, 2).await;
    let consumer = Tailing::start(&b, "orders", &["--cursor", "indexer"]);
    let resumed = consumer.until("up-to-date").unwrap();
    let expected = written_since(&bob, "orders", 8, &dots(processed));
    assert_eq!(dots(&resumed), expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_consumer_behind_a_compaction_must_refetch() {
    let dir = temporary_dir("stream-compacted");
    let relay = Relay::start(&dir, &["--idle-seconds", "1", "--retain-deltas", "0"]);
    let mut carol = writer(&relay, 9, "notes").await;
    type_edits(&mut carol, "notes", 0, 5).await;
    drop(carol);
    // Idle, the document is snapshotted and leaves memory.
    let deadline = Instant::now() + WAIT;
    while !get(&relay, "/metrics")
        .await
        .1
        .contains("weft_documents_loaded 0")
    {
        assert!(Instant::now() < deadline, "the document never went idle");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let consumer = Tailing::start(&relay, "notes", &["--from", "1"]);
    let events = consumer.until("up-to-date").unwrap();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["must-refetch", "snapshot", "up-to-date"]);
    assert!(events[1]["data"]["snapshot"].as_str().unwrap().len() > 10);
    assert_eq!(events[1]["data"]["version"]["9"], 5);

    // Then changes follow from the snapshot on.
    let mut carol = writer(&relay, 9, "notes").await;
    type_edits(&mut carol, "notes", 5, 1).await;
    let live = consumer.changes_until(&BTreeSet::from([("9".to_string(), 6)]));
    assert!(seqs(&live)[0] > events[1]["data"]["seq"].as_u64().unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backlog_of_ten_thousand_changes_streams_in_bounded_memory() {
    let dir = temporary_dir("stream-backlog");
    // Two malloc arenas: otherwise each thread that touches the stream keeps an arena
    // of its own, and the resident size measures glibc more than the relay.
    let relay = Relay::start_with_env(&dir, &[], &[("MALLOC_ARENA_MAX", "2")]);
    let mut dave = writer(&relay, 10, "settings").await;
    let settings = ContainerId::map("settings");
    // Each change replaces one 1 KB value: the document stays small while its log
    // grows to 10,000 deltas and 10 MB.
    let value = "x".repeat(1_000);
    for n in 0..10_000 {
        let now = 0;
        let document = dave.docs.get_mut("settings").unwrap();
        document
            .transact(None, |tx| {
                tx.map_set(&settings, "theme", format!("{n}{value}").as_str())
            })
            .unwrap();
        dave.session.local_changed(now, "settings", document);
        dave.flush().await;
        if n % 500 == 499 {
            let held = dave.wait_until_held("settings").await;
            assert!(
                held,
                "change {n} not acknowledged: closed {:?}, errors {:?}",
                dave.closed, dave.errors
            );
        }
    }
    assert!(dave.wait_until_held("settings").await);

    let before = relay.rss_kib();
    let consumer = Tailing::start(&relay, "settings", &["--from", "0"]);
    let mut changes = 0;
    let mut peak = before;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let line = consumer
            .lines
            .recv_timeout(deadline - Instant::now())
            .expect("the backlog streams");
        if line["event"] == "up-to-date" {
            break;
        }
        changes += usize::from(line["event"] == "change");
        if changes % 1_000 == 0 {
            peak = peak.max(relay.rss_kib());
        }
    }
    assert_eq!(changes, 10_000);
    let growth = peak.saturating_sub(before);
    println!("streaming 10,000 changes grew the relay by {growth} KiB");
    // All of it at once would be some 30 MB of JSON.
    assert!(
        growth < 16 * 1024,
        "the relay grew by {growth} KiB while streaming"
    );
}

async fn wait_for(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !done() {
        assert!(Instant::now() < deadline, "waited in vain for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn webhooks_deliver_every_change_through_failures_and_restarts() {
    let dir = temporary_dir("stream-webhook");
    let receiver = Receiver::start().await;
    receiver.failing.store(true, Ordering::SeqCst);
    let hook = format!("http://{}/hook", receiver.address);
    let relay = Relay::start(&dir, &["--webhook", &hook]);
    let mut erin = writer(&relay, 11, "tickets").await;
    type_edits(&mut erin, "tickets", 0, 5).await;

    // Refused at first, then retried until the receiver takes them.
    wait_for("a refused delivery", || {
        receiver.refused.load(Ordering::SeqCst) > 0
    })
    .await;
    receiver.failing.store(false, Ordering::SeqCst);
    let written_five = written(&erin, "tickets", 11);
    wait_for("the first five changes", || {
        receiver.delivered() == written_five
    })
    .await;
    // The burst went out together.
    assert_eq!(receiver.accepted.lock().unwrap().len(), 1);

    // Changes the relay could not deliver before it stopped go out after a restart.
    receiver.failing.store(true, Ordering::SeqCst);
    let refused = receiver.refused.load(Ordering::SeqCst);
    type_edits(&mut erin, "tickets", 5, 3).await;
    wait_for("another refusal", || {
        receiver.refused.load(Ordering::SeqCst) > refused
    })
    .await;
    drop(erin);
    assert!(relay.stop().success());
    receiver.failing.store(false, Ordering::SeqCst);
    let _relay = Relay::start(&dir, &["--webhook", &hook]);
    let expected: BTreeSet<_> = (1..=8).map(|counter| ("11".to_string(), counter)).collect();
    wait_for("all eight changes", || receiver.delivered() == expected).await;
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A WebSocket stream's events, as `tail` prints them, until `up-to-date`.
async fn read_until_up_to_date(socket: &mut Socket) -> Vec<Json> {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message as Frame;
    let mut events = Vec::new();
    loop {
        let frame = tokio::time::timeout(WAIT, socket.next()).await.unwrap();
        let Some(Ok(Frame::Text(text))) = frame else {
            continue;
        };
        let event: Json = serde_json::from_str(&text).unwrap();
        if event["type"] == "up-to-date" {
            return events;
        }
        events.push(serde_json::json!({ "event": event["type"], "data": event["data"] }));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stream_over_a_websocket_acknowledges_on_the_same_socket() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message as Frame;

    let dir = temporary_dir("stream-websocket");
    let relay = Relay::start(&dir, &[]);
    let mut fay = writer(&relay, 12, "board").await;
    type_edits(&mut fay, "board", 0, 3).await;
    let url = format!("ws://{}/changes?doc=board&cursor=bot", relay.address);

    let (mut socket, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let first = read_until_up_to_date(&mut socket).await;
    assert_eq!(dots(&first), written(&fay, "board", 12));
    let acked = seqs(&first)[1];
    socket
        .send(Frame::Text(format!("{{\"ack\":{acked}}}").into()))
        .await
        .unwrap();
    // The relay reads the acknowledgement before the close: once the socket has
    // ended, the cursor is stored.
    socket.close(None).await.unwrap();
    tokio::time::timeout(WAIT, async { while socket.next().await.is_some() {} })
        .await
        .unwrap();

    let (mut socket, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let resumed = read_until_up_to_date(&mut socket).await;
    assert_eq!(seqs(&resumed), [seqs(&first)[2]]);
}
