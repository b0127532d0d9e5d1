//! Locks through a real relay: mutual exclusion, expiry of a holder killed with
//! SIGKILL, fencing of a stale holder's writes, and tokens that survive restarts.

mod support;

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};
use support::etcd::EtcdCluster;
use support::mesh::{free_udp_port, start_with, wait_for_links};
use support::webhook::Receiver;
use support::{Client, Relay, post, temporary_dir};

/// Takes `name` over HTTP: the lease, or the refusal.
async fn acquire_http(relay: &Relay, name: &str, holder: &str, ttl: u64) -> Result<Json, Json> {
    let (status, body) = post(
        relay,
        "/locks/acquire",
        &json!({ "name": name, "holder": holder, "ttl": ttl }),
    )
    .await;
    let body: Json = serde_json::from_str(&body).unwrap();
    if status.contains(" 200 ") {
        Ok(body["lease"].clone())
    } else {
        Err(body)
    }
}

async fn release_http(relay: &Relay, name: &str, token: u64) -> Json {
    let (_, body) = post(
        relay,
        "/locks/release",
        &json!({ "name": name, "token": token }),
    )
    .await;
    serde_json::from_str(&body).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_holder_at_a_time_under_contention_with_growing_tokens() {
    let dir = temporary_dir("lock-contention");
    let relay = Arc::new(Relay::start(&dir, &[]));
    const GRANTS: usize = 120;
    let busy = Arc::new(AtomicBool::new(false));
    let granted = Arc::new(Mutex::new(Vec::<u64>::new()));
    let mut contenders = Vec::new();
    for contender in 0..12 {
        let (relay, busy, granted) = (Arc::clone(&relay), Arc::clone(&busy), Arc::clone(&granted));
        contenders.push(tokio::spawn(async move {
            let holder = format!("contender-{contender}");
            // Half ask over HTTP, half on a sync WebSocket.
            let mut socket = if contender % 2 == 0 {
                None
            } else {
                Some(Client::connect(&relay.url(None), 100 + contender).await.unwrap())
            };
            while granted.lock().unwrap().len() < GRANTS {
                let lease = match &mut socket {
                    None => acquire_http(&relay, "contended", &holder, 5_000).await,
                    Some(client) => {
                        let answer = client
                            .lock_request(json!({ "op": "acquire", "name": "contended", "holder": holder, "ttl": 5_000 }))
                            .await;
                        if answer["lease"].is_object() { Ok(answer["lease"].clone()) } else { Err(answer) }
                    }
                };
                let lease = match lease {
                    Ok(lease) => lease,
                    Err(refusal) => {
                        assert_eq!(refusal["error"], "held", "{refusal}");
                        tokio::time::sleep(Duration::from_millis(rand::random_range(1..5))).await;
                        continue;
                    }
                };
                assert!(!busy.swap(true, Ordering::SeqCst), "two holders at once");
                let token = lease["token"].as_u64().unwrap();
                granted.lock().unwrap().push(token);
                tokio::time::sleep(Duration::from_millis(2)).await;
                busy.store(false, Ordering::SeqCst);
                let released = match &mut socket {
                    None => release_http(&relay, "contended", token).await,
                    Some(client) => {
                        client
                            .lock_request(json!({ "op": "release", "name": "contended", "token": token }))
                            .await
                    }
                };
                assert_eq!(released["released"], true, "{released}");
            }
        }));
    }
    for contender in contenders {
        contender.await.unwrap();
    }
    let granted = granted.lock().unwrap();
    assert!(granted.len() >= GRANTS);
    assert!(
        granted.windows(2).all(|pair| pair[0] < pair[1]),
        "tokens in the order of the grants: {granted:?}"
    );
}

/// Not a test on its own: the holder process that the SIGKILL test starts and kills.
/// It takes the lock named by `WEFT_TEST_HOLD`, prints its token and renews it until
/// it dies.
#[tokio::test]
#[ignore = "started by a_holder_killed_with_sigkill_loses_its_lease_at_expiry"]
async fn holder_process() {
    let (Ok(url), Ok(name)) = (
        std::env::var("WEFT_TEST_RELAY"),
        std::env::var("WEFT_TEST_HOLD"),
    ) else {
        return;
    };
    let mut client = Client::connect(&url, 7).await.unwrap();
    let answer = client
        .lock_request(json!({ "op": "acquire", "name": name, "holder": "doomed", "ttl": 1_500 }))
        .await;
    let token = answer["lease"]["token"].as_u64().unwrap();
    println!("token {token}");
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let renewed = client
            .lock_request(json!({ "op": "renew", "name": name, "token": token, "ttl": 1_500 }))
            .await;
        assert!(renewed["lease"].is_object(), "{renewed}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_killed_with_sigkill_loses_its_lease_at_expiry() {
    use std::io::{BufRead, BufReader};
    let dir = temporary_dir("lock-sigkill");
    let relay = Relay::start(&dir, &[]);
    let mut watcher = Client::connect(&relay.url(None), 2).await.unwrap();
    let watching = watcher
        .lock_request(json!({ "op": "watch", "name": "job" }))
        .await;
    assert_eq!(watching["holder"], Json::Null);

    let mut holder = Command::new(std::env::current_exe().unwrap())
        .args(["holder_process", "--exact", "--ignored", "--nocapture"])
        .env("WEFT_TEST_RELAY", relay.url(None))
        .env("WEFT_TEST_HOLD", "job")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(holder.stdout.take().unwrap()).lines();
    let held_token: u64 = loop {
        let line = lines.next().expect("the holder prints its token").unwrap();
        if let Some(token) = line.strip_prefix("token ") {
            break token.parse().unwrap();
        }
    };
    // Renewed past its ttl, the lease stays with the holder.
    tokio::time::sleep(Duration::from_millis(2_000)).await;
    let refusal = acquire_http(&relay, "job", "next", 5_000)
        .await
        .unwrap_err();
    assert_eq!(refusal["holder"]["token"], held_token, "{refusal}");

    holder.kill().unwrap();
    holder.wait().unwrap();
    let killed = Instant::now();
    let refusal = acquire_http(&relay, "job", "next", 5_000)
        .await
        .unwrap_err();
    assert_eq!(
        refusal["error"], "held",
        "the lease outlives its holder until it expires"
    );
    // A watcher hears the lease lapse, then the lock is free for the next holder.
    let lapsed = |c: &Client| {
        c.texts
            .iter()
            .any(|text| text["watch"] == "job" && text["holder"].is_null())
    };
    assert!(
        watcher.pump_until(Duration::from_secs(10), lapsed).await,
        "the dead holder's lease never lapsed"
    );
    assert!(
        killed.elapsed() >= Duration::from_millis(500),
        "lapsed before its ttl"
    );
    let lease = acquire_http(&relay, "job", "next", 5_000).await.unwrap();
    assert!(lease["token"].as_u64().unwrap() > held_token);
    let heard = |c: &Client| {
        c.texts
            .iter()
            .any(|text| text["holder"]["holder"] == "next")
    };
    assert!(watcher.pump_until(Duration::from_secs(5), heard).await);
    let holders: Vec<Json> = watcher
        .texts
        .iter()
        .filter(|text| text["watch"] == "job")
        .map(|text| text["holder"]["holder"].clone())
        .collect();
    assert_eq!(holders, [json!("doomed"), Json::Null, json!("next")]);
}

/// Takes `lock` over the client's socket and guards `doc` with its token.
async fn take_and_guard(client: &mut Client, lock: &str, doc: &str, ttl: u64) -> u64 {
    let answer = client
        .lock_request(json!({ "op": "acquire", "name": lock, "holder": "writer", "ttl": ttl }))
        .await;
    let token = answer["lease"]["token"]
        .as_u64()
        .unwrap_or_else(|| panic!("{answer}"));
    let guarded = client
        .lock_request(json!({ "op": "guard", "name": lock, "doc": doc, "token": token }))
        .await;
    assert_eq!(guarded["guarded"], doc, "{guarded}");
    token
}

/// What the relay holds of `doc`, read by a fresh client.
async fn stored_text(relay: &Relay, doc: &str) -> String {
    let mut reader = Client::connect(&relay.url(None), rand::random::<u64>() | 1)
        .await
        .unwrap();
    reader.subscribe(doc).await;
    reader.settle().await;
    reader.text(doc)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_holders_guarded_writes_are_refused() {
    let dir = temporary_dir("lock-fencing");
    let relay = Relay::start(&dir, &[]);
    let mut paused = Client::connect(&relay.url(None), 11).await.unwrap();
    paused.subscribe("ledger").await;
    let old_token = take_and_guard(&mut paused, "ledger-lock", "ledger", 1_000).await;
    paused.type_text("ledger", "first;").await;
    assert!(paused.wait_until_held("ledger").await);

    // The holder pauses past its lease; another takes the lock and writes.
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let mut next = Client::connect(&relay.url(None), 12).await.unwrap();
    next.subscribe("ledger").await;
    next.settle().await;
    let new_token = take_and_guard(&mut next, "ledger-lock", "ledger", 10_000).await;
    assert!(new_token > old_token);
    next.type_text("ledger", "second;").await;
    assert!(next.wait_until_held("ledger").await);

    // The paused holder wakes up and writes under its old token: refused.
    paused.type_text("ledger", "stale;").await;
    let fenced = |c: &Client| c.errors.iter().any(|error| error.starts_with("fenced:"));
    assert!(
        paused.pump_until(Duration::from_secs(5), fenced).await,
        "{:?}",
        paused.errors
    );
    // It cannot guard again with the old token either.
    let again = paused
        .lock_request(
            json!({ "op": "guard", "name": "ledger-lock", "doc": "ledger", "token": old_token }),
        )
        .await;
    assert_eq!(again["error"], "lost", "{again}");
    // A writer that shows no token at all is refused too.
    let mut unguarded = Client::connect(&relay.url(None), 13).await.unwrap();
    unguarded.subscribe("ledger").await;
    unguarded.settle().await;
    unguarded.type_text("ledger", "sneaky;").await;
    assert!(unguarded.pump_until(Duration::from_secs(5), fenced).await);

    assert_eq!(stored_text(&relay, "ledger").await, "first;second;");
    let (_, metrics) = support::get(&relay, "/metrics").await;
    let value = |name: &str| -> u64 {
        let line = metrics
            .lines()
            .find(|line| line.starts_with(&format!("{name} ")))
            .unwrap();
        line.split(' ').nth(1).unwrap().parse().unwrap()
    };
    assert_eq!(value("weft_locks_granted_total"), 2);
    assert!(value("weft_fenced_writes_total") >= 2);
    // The relay alone owns its own jobs (it has none here: no webhook).
    assert_eq!(value("weft_jobs_owned"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_and_guards_survive_a_relay_killed_and_restarted() {
    let dir = temporary_dir("lock-restart");
    let relay = Relay::start(&dir, &[]);
    let mut last = 0;
    for _ in 0..3 {
        let lease = acquire_http(&relay, "nightly", "worker", 60_000)
            .await
            .unwrap();
        last = lease["token"].as_u64().unwrap();
        release_http(&relay, "nightly", last).await;
    }
    let mut writer = Client::connect(&relay.url(None), 21).await.unwrap();
    writer.subscribe("report").await;
    let guard_token = take_and_guard(&mut writer, "report-lock", "report", 60_000).await;
    writer.type_text("report", "kept;").await;
    assert!(writer.wait_until_held("report").await);
    drop(writer);
    relay.kill();

    let relay = Relay::start(&dir, &[]);
    let lease = acquire_http(&relay, "nightly", "worker", 60_000)
        .await
        .unwrap();
    assert!(lease["token"].as_u64().unwrap() > last);
    // The report's lease is still live after the restart, with the same token.
    let held = acquire_http(&relay, "report-lock", "other", 1_000)
        .await
        .unwrap_err();
    assert_eq!(held["holder"]["token"], guard_token);
    // The document is still guarded: a write without the token is refused.
    let mut unguarded = Client::connect(&relay.url(None), 22).await.unwrap();
    unguarded.subscribe("report").await;
    unguarded.settle().await;
    unguarded.type_text("report", "sneaky;").await;
    let fenced = |c: &Client| c.errors.iter().any(|error| error.starts_with("fenced:"));
    assert!(unguarded.pump_until(Duration::from_secs(5), fenced).await);
    assert_eq!(stored_text(&relay, "report").await, "kept;");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_requests_need_a_token_that_covers_the_lock() {
    let dir = temporary_dir("lock-auth");
    let relay = Relay::start(&dir, &["--secret", "s3cret"]);
    let token = |scope: &str, document: &str| {
        let output = Command::new(env!("CARGO_BIN_EXE_weft-relay"))
            .args([
                "token", "--secret", "s3cret", "--scope", scope, "--doc", document,
            ])
            .output()
            .unwrap();
        String::from_utf8(output.stdout).unwrap().trim().to_string()
    };
    let body = json!({ "name": "team/invoices", "holder": "h", "ttl": 5_000 });
    let (status, _) = post(&relay, "/locks/acquire", &body).await;
    assert!(status.contains(" 401 "), "{status}");
    let reader = token("read", "team/*");
    let (status, _) = post(&relay, &format!("/locks/acquire?token={reader}"), &body).await;
    assert!(status.contains(" 403 "), "{status}");
    let writer = token("write", "team/*");
    let (status, answer) = post(&relay, &format!("/locks/acquire?token={writer}"), &body).await;
    assert!(status.contains(" 200 "), "{status} {answer}");
    let other = json!({ "name": "elsewhere", "holder": "h", "ttl": 5_000 });
    let (status, _) = post(&relay, &format!("/locks/acquire?token={writer}"), &other).await;
    assert!(status.contains(" 403 "), "{status}");
    // Bad requests get reasons, not a dropped connection.
    for bad in [
        json!({ "name": "", "holder": "h", "ttl": 5_000 }),
        json!({ "name": "team/x", "holder": "h", "ttl": 1 }),
        json!({ "nmae": "x" }),
    ] {
        let (status, answer) = post(&relay, &format!("/locks/acquire?token={writer}"), &bad).await;
        assert!(status.contains(" 400 "), "{status} {answer}");
    }
}

/// Takes `name` over HTTP, asking again while etcd elects a leader.
async fn acquire_when_available(relay: &Relay, name: &str, holder: &str) -> Result<Json, Json> {
    let started = Instant::now();
    loop {
        match acquire_http(relay, name, holder, 2_000).await {
            Err(refusal) if refusal["error"] == "unavailable" => {
                assert!(started.elapsed() < Duration::from_secs(20), "{refusal}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            answer => return answer,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etcd_locks_span_relays_and_outlive_a_lost_member() {
    let dir = temporary_dir("lock-etcd");
    let mut cluster = EtcdCluster::start(&dir, 3);
    let endpoints = cluster.endpoints();
    let one = Relay::start(&dir.join("one"), &["--etcd", &endpoints]);
    let two = Relay::start(&dir.join("two"), &["--etcd", &endpoints]);

    let mut watcher = Client::connect(&two.url(None), 30).await.unwrap();
    watcher
        .lock_request(json!({ "op": "watch", "name": "import" }))
        .await;

    // One holder across both relays; tokens grow across them.
    let first = acquire_when_available(&one, "import", "a").await.unwrap();
    // A watcher at the other relay hears of the grant.
    let heard = |c: &Client| {
        c.texts
            .iter()
            .any(|text| text["watch"] == "import" && text["holder"]["holder"] == "a")
    };
    assert!(watcher.pump_until(Duration::from_secs(5), heard).await);
    let refusal = acquire_http(&two, "import", "b", 2_000).await.unwrap_err();
    assert_eq!(refusal["error"], "held");
    assert_eq!(refusal["holder"]["token"], first["token"]);
    let token = first["token"].as_u64().unwrap();
    assert_eq!(release_http(&two, "import", token).await["released"], true);
    let second = acquire_http(&two, "import", "b", 2_000).await.unwrap();
    let mut last = second["token"].as_u64().unwrap();
    assert!(last > token);
    // Efficiency locks stay on each relay.
    let body = json!({ "name": "import", "holder": "c", "ttl": 2_000, "mode": "efficiency" });
    let (status, _) = post(&one, "/locks/acquire", &body).await;
    assert!(status.contains(" 200 "), "{status}");
    assert_eq!(release_http(&two, "import", last).await["released"], true);

    // A writer on one relay whose lease lapsed is fenced off there once the lock
    // was granted again through the other.
    let mut paused = Client::connect(&one.url(None), 31).await.unwrap();
    paused.subscribe("ledger").await;
    take_and_guard(&mut paused, "ledger-lock", "ledger", 1_000).await;
    paused.type_text("ledger", "first;").await;
    assert!(paused.wait_until_held("ledger").await);
    let started = Instant::now();
    while acquire_http(&two, "ledger-lock", "next", 5_000)
        .await
        .is_err()
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the lease never lapsed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    paused.type_text("ledger", "stale;").await;
    let fenced = |c: &Client| c.errors.iter().any(|error| error.starts_with("fenced:"));
    assert!(
        paused.pump_until(Duration::from_secs(5), fenced).await,
        "{:?}",
        paused.errors
    );
    assert_eq!(stored_text(&one, "ledger").await, "first;");

    // The leader dies: the two members left still grant, and never an older token.
    let leader = cluster.leader().expect("a leader");
    cluster.kill(leader);
    for round in 0..6 {
        let relay = if round % 2 == 0 { &one } else { &two };
        let lease = acquire_when_available(relay, "import", "after")
            .await
            .unwrap();
        let token = lease["token"].as_u64().unwrap();
        assert!(token > last, "{token} after {last}");
        let other = if round % 2 == 0 { &two } else { &one };
        assert_eq!(
            acquire_http(other, "import", "rival", 2_000)
                .await
                .unwrap_err()["error"],
            "held"
        );
        assert_eq!(release_http(relay, "import", token).await["released"], true);
        last = token;
    }
}

/// The lock a relay job runs under: `relay-job:webhook:<hash of the URL>`.
fn webhook_job(url: &str) -> String {
    use sha2::Digest;
    let hash = sha2::Sha256::digest(url.as_bytes());
    format!("relay-job:webhook:{}", hex::encode(&hash[..8]))
}

/// How many changes (dot ranges) the receiver was sent, duplicates included.
fn changes_delivered(receiver: &Receiver) -> usize {
    receiver
        .accepted
        .lock()
        .unwrap()
        .iter()
        .flat_map(|body| body["events"].as_array().unwrap().clone())
        .map(|event| event["data"]["changes"].as_array().map_or(0, Vec::len))
        .sum()
}

/// The relay that owns `job` now, by its mesh name.
async fn owner(relay: &Relay, job: &str) -> Option<String> {
    let (_, body) = support::get(relay, &format!("/locks?name={job}")).await;
    let body: Json = serde_json::from_str(&body).unwrap();
    body["holder"]["holder"].as_str().map(String::from)
}

async fn type_edits(relay: &Relay, replica: u64, doc: &str, count: usize) {
    let mut client = Client::connect(&relay.url(None), replica).await.unwrap();
    client.subscribe(doc).await;
    client.settle().await;
    for n in 0..count {
        client.type_text(doc, &format!("e{n} ")).await;
        assert!(client.wait_until_held(doc).await);
    }
}

async fn wait_until(what: &str, limit: Duration, done: impl Fn() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "waited in vain for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_relay_of_a_mesh_delivers_webhooks_and_another_takes_over_when_it_dies() {
    let dir = temporary_dir("lock-election");
    let cluster = EtcdCluster::start(&dir, 1);
    let receiver = Receiver::start().await;
    let hook = format!("http://{}/hook", receiver.address);
    let endpoints = cluster.endpoints();
    let extra = ["--etcd", endpoints.as_str(), "--webhook", hook.as_str()];
    let (gossip_a, gossip_b) = (free_udp_port(), free_udp_port());
    let a = start_with(&dir.join("a"), "a", gossip_a, &[], None, &extra);
    let b = start_with(&dir.join("b"), "b", gossip_b, &[gossip_a], None, &extra);
    wait_for_links(&[&a, &b]).await;

    let job = webhook_job(&hook);
    let started = Instant::now();
    let first_owner = loop {
        if let Some(owner) = owner(&a, &job).await {
            break owner;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "nobody owns the webhook job"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let (owner_relay, survivor) = if first_owner == "a" { (a, b) } else { (b, a) };

    // Edits at the relay that does not own the job reach the receiver once, through
    // the owner: the two relays do not both deliver.
    type_edits(&survivor, 41, "tickets", 5).await;
    let five: std::collections::BTreeSet<_> = (1..=5).map(|n| ("41".to_string(), n)).collect();
    wait_until("the first five changes", Duration::from_secs(20), || {
        receiver.delivered() == five
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(
        changes_delivered(&receiver),
        5,
        "each change went out once: one relay delivers"
    );
    let first_epoch = *receiver.epochs.lock().unwrap().last().unwrap();

    // The owner dies; the survivor takes the job over at the lease's expiry, with a
    // larger epoch, and delivers what came after.
    owner_relay.kill();
    let mut more = Client::connect(&survivor.url(None), 42).await.unwrap();
    more.subscribe("tickets").await;
    more.settle().await;
    more.type_text("tickets", "after ").await;
    assert!(more.wait_until_held("tickets").await);
    let mut all = five.clone();
    all.insert(("42".to_string(), 1));
    wait_until(
        "the change after the takeover",
        Duration::from_secs(30),
        || receiver.delivered() == all,
    )
    .await;
    // The new owner started where the old one recorded it had delivered to.
    assert_eq!(changes_delivered(&receiver), 6);
    let epochs = receiver.epochs.lock().unwrap().clone();
    assert!(
        epochs.windows(2).all(|pair| pair[0] <= pair[1]),
        "epochs never go back: {epochs:?}"
    );
    assert!(*epochs.last().unwrap() > first_epoch);
    assert_eq!(
        owner(&survivor, &job).await.as_deref(),
        Some(if first_owner == "a" { "b" } else { "a" })
    );
    let (_, metrics) = support::get(&survivor, "/metrics").await;
    assert!(
        metrics.lines().any(|line| line == "weft_jobs_owned 1"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mesh_without_etcd_refuses_correctness_locks_and_lets_one_relay_deliver() {
    let dir = temporary_dir("lock-gossip-election");
    let receiver = Receiver::start().await;
    let hook = format!("http://{}/hook", receiver.address);
    let extra = ["--webhook", hook.as_str()];
    let (gossip_a, gossip_b) = (free_udp_port(), free_udp_port());
    let a = start_with(&dir.join("a"), "a", gossip_a, &[], None, &extra);
    let b = start_with(&dir.join("b"), "b", gossip_b, &[gossip_a], None, &extra);
    wait_for_links(&[&a, &b]).await;

    let refusal = acquire_http(&a, "import", "h", 5_000).await.unwrap_err();
    assert_eq!(refusal["error"], "invalid");
    assert!(refusal["message"].as_str().unwrap().contains("--etcd"));
    let body = json!({ "name": "import", "holder": "h", "ttl": 5_000, "mode": "efficiency" });
    let (status, _) = post(&b, "/locks/acquire", &body).await;
    assert!(status.contains(" 200 "), "{status}");

    type_edits(&b, 51, "tickets", 5).await;
    let five: std::collections::BTreeSet<_> = (1..=5).map(|n| ("51".to_string(), n)).collect();
    wait_until("the five changes", Duration::from_secs(20), || {
        receiver.delivered() == five
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(
        changes_delivered(&receiver),
        5,
        "only the relay named first delivers"
    );
}
