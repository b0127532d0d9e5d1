//! The relay as a process: clients syncing through it, restarts, crashes under load,
//! and bad input from clients.

mod support;

use std::time::Duration;

use support::{Client, Relay, get, get_with_headers, temporary_dir};
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use weft_core::sync::{Message, PROTOCOL_VERSION};
use weft_core::{ReplicaId, SessionEvent};

const WAIT: Duration = Duration::from_secs(10);

fn synced(doc: &'static str) -> impl Fn(&Client) -> bool {
    move |client| client.session.is_synced(doc)
}

/// A client of the relay, subscribed to `doc` and caught up with it.
async fn synced_client(relay: &Relay, replica: u64, doc: &'static str) -> Client {
    let mut client = Client::connect(&relay.url(None), replica).await.unwrap();
    client.subscribe(doc).await;
    assert!(client.pump_until(WAIT, synced(doc)).await);
    client
}

#[tokio::test]
async fn two_clients_sync_through_the_relay_and_see_each_other() {
    let dir = temporary_dir("sync");
    let relay = Relay::start(&dir, &[]);
    let mut alice = Client::connect(&relay.url(None), 1).await.unwrap();
    let mut bob = Client::connect(&relay.url(None), 2).await.unwrap();
    alice.subscribe("notes").await;
    bob.subscribe("notes").await;
    assert!(alice.pump_until(WAIT, synced("notes")).await);
    assert!(bob.pump_until(WAIT, synced("notes")).await);
    // The relay asks each client for its changes right after the catch-up.
    alice.settle().await;
    bob.settle().await;

    alice.type_text("notes", "hello from alice. ").await;
    assert!(
        bob.pump_until(WAIT, |c| c.text("notes").contains("alice"))
            .await
    );
    bob.type_text("notes", "bob here.").await;
    assert!(
        alice
            .pump_until(WAIT, |c| c.text("notes").contains("bob"))
            .await
    );
    assert_eq!(alice.text("notes"), bob.text("notes"));

    // Presence reaches the other client.
    bob.session
        .set_awareness(0, "notes", Some(b"cursor 4".to_vec()));
    bob.flush().await;
    let seen = alice
        .pump_until(WAIT, |c| {
            c.events.iter().any(|event| {
                matches!(event, SessionEvent::Awareness { replica, state: Some(_), .. }
                    if *replica == ReplicaId::new(2))
            })
        })
        .await;
    assert!(seen, "alice sees bob's presence");
}

#[tokio::test]
async fn acknowledged_edits_survive_a_restart() {
    let dir = temporary_dir("restart");
    let relay = Relay::start(&dir, &[]);
    let mut alice = Client::connect(&relay.url(None), 1).await.unwrap();
    alice.subscribe("notes").await;
    for word in ["one ", "two ", "three"] {
        alice.type_text("notes", word).await;
    }
    assert!(alice.wait_until_held("notes").await);
    assert!(relay.stop().success(), "a graceful stop");

    let relay = Relay::start(&dir, &[]);
    let reader = synced_client(&relay, 2, "notes").await;
    assert_eq!(reader.text("notes"), "one two three");
}

/// Writes while the relay is killed with SIGKILL at random moments; after each
/// restart, everything the relay acknowledged must be there.
async fn kill_under_load(rounds: usize) {
    let dir = temporary_dir("kill");
    let mut acknowledged_text = String::new();
    for round in 0..rounds {
        let relay = Relay::start(&dir, &[]);
        let mut writer = Client::connect(&relay.url(None), 100 + round as u64)
            .await
            .unwrap();
        writer.subscribe("log").await;
        assert!(writer.pump_until(WAIT, synced("log")).await);
        assert!(
            writer.text("log").starts_with(&acknowledged_text),
            "round {round}: an acknowledged edit was lost"
        );
        // Killed at a random moment once the round has had an acknowledgement, so
        // that every round's floor moves and the check above always bites.
        let kill_after = Duration::from_millis(20 + rand::random::<u64>() % 200);
        let started = tokio::time::Instant::now();
        // Acknowledged once the relay holds one of this round's own edits (its
        // subscribe alone also moves what the session counts as held).
        let replica = ReplicaId::new(100 + round as u64);
        let mut typed = 0;
        let unacknowledged = |writer: &Client| writer.acknowledged("log").get(replica) == 0;
        while started.elapsed() < kill_after
            || (unacknowledged(&writer) && started.elapsed() < WAIT)
        {
            writer.type_text("log", &format!("[{round}.{typed}]")).await;
            typed += 1;
            writer.pump_until(Duration::from_millis(2), |_| false).await;
        }
        relay.kill();
        // Whatever the relay acknowledged before dying is the floor for the next round.
        let acked = writer.acknowledged("log");
        let doc = &writer.docs["log"];
        let mut floor = doc.checkout(&acked).unwrap();
        floor.set_events(false);
        acknowledged_text = floor
            .text(&support::body())
            .map_or_else(String::new, ToString::to_string);
    }
    let relay = Relay::start(&dir, &[]);
    let reader = synced_client(&relay, 99, "log").await;
    assert!(reader.text("log").starts_with(&acknowledged_text));
    assert!(
        acknowledged_text.contains(&format!("[{}.", rounds - 1)),
        "the last round's edits were acknowledged too, so the check above means something"
    );
}

#[tokio::test]
async fn nothing_acknowledged_is_lost_when_the_relay_is_killed_20_times() {
    kill_under_load(20).await;
}

#[tokio::test]
#[ignore = "long: run with --ignored"]
async fn nothing_acknowledged_is_lost_when_the_relay_is_killed_100_times() {
    kill_under_load(100).await;
}

#[tokio::test]
async fn bad_input_gets_an_error_and_the_relay_keeps_serving() {
    let dir = temporary_dir("bad");
    let relay = Relay::start(&dir, &["--max-message-bytes", "65536"]);
    let mut good = Client::connect(&relay.url(None), 1).await.unwrap();
    good.subscribe("notes").await;

    // Random bytes: an error message back, the connection stays.
    let mut noisy = Client::connect(&relay.url(None), 2).await.unwrap();
    for seed in 0..50u8 {
        let garbage: Vec<u8> = (0..64)
            .map(|i| seed.wrapping_mul(31).wrapping_add(i))
            .collect();
        noisy.send_raw(Frame::Binary(garbage.into())).await;
    }
    assert!(noisy.pump_until(WAIT, |c| !c.errors.is_empty()).await);

    // A truncated message.
    let hello = Message::Hello {
        protocol: PROTOCOL_VERSION,
        replica: ReplicaId::new(3),
    }
    .encode();
    let mut truncated = Client::connect(&relay.url(None), 3).await.unwrap();
    truncated
        .send_raw(Frame::Binary(hello[..hello.len() - 1].to_vec().into()))
        .await;
    assert!(truncated.pump_until(WAIT, |c| !c.errors.is_empty()).await);

    // An oversized message: closed with 1009.
    let mut big = Client::connect(&relay.url(None), 4).await.unwrap();
    big.send_raw(Frame::Binary(vec![0; 100_000].into())).await;
    assert!(big.pump_until(WAIT, |c| c.closed.is_some()).await);
    assert_eq!(u16::from(big.closed.as_ref().unwrap().code), 1009);

    // Text frames are lock requests: anything else gets an error, and a long one
    // closes with 1009.
    let mut texty = Client::connect(&relay.url(None), 5).await.unwrap();
    texty.send_raw(Frame::Text("hello?".into())).await;
    assert!(texty.pump_until(WAIT, |c| !c.texts.is_empty()).await);
    assert_eq!(texty.texts[0]["error"], "invalid");
    texty.send_raw(Frame::Text("x".repeat(5_000).into())).await;
    assert!(texty.pump_until(WAIT, |c| c.closed.is_some()).await);
    assert_eq!(u16::from(texty.closed.as_ref().unwrap().code), 1009);

    // Another protocol version: a clear error.
    let mut future = Client::connect(&relay.url(None), 6).await.unwrap();
    let newer = Message::Hello {
        protocol: PROTOCOL_VERSION + 1,
        replica: ReplicaId::new(60),
    };
    future.send_raw(Frame::Binary(newer.encode().into())).await;
    assert!(
        future
            .pump_until(WAIT, |c| c.errors.iter().any(|e| e.contains("protocol")))
            .await
    );

    // A second connection claiming a connected replica is refused.
    let mut twin = Client::connect(&relay.url(None), 1).await.unwrap();
    assert!(
        twin.pump_until(WAIT, |c| c
            .errors
            .iter()
            .any(|e| e.contains("connected already")))
            .await
    );

    // Through all of it, the good client still syncs.
    assert!(good.pump_until(WAIT, synced("notes")).await);
    good.type_text("notes", "still here").await;
    assert!(good.wait_until_held("notes").await);
}

fn token(secret: &str, doc: &str, scope: &str, ttl: &str) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_weft-relay"))
        .args([
            "token", "--doc", doc, "--scope", scope, "--ttl", ttl, "--secret", secret,
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap().trim().into()
}

#[tokio::test]
async fn a_relay_alone_refuses_a_durability_it_cannot_give() {
    let dir = temporary_dir("durability");
    let relay = Relay::start(&dir, &[]);
    let url = |durability: &str| format!("ws://{}/sync?durability={durability}", relay.address);
    let Err(refused) = Client::connect(&url("2"), 1).await else {
        panic!("a relay outside a mesh took durability 2");
    };
    assert!(refused.contains("400"), "{refused}");
    assert!(Client::connect(&url("99"), 2).await.is_err());
    assert!(Client::connect(&url("1"), 3).await.is_ok());
}

#[tokio::test]
async fn tokens_decide_who_reads_and_who_writes() {
    let dir = temporary_dir("auth");
    let relay = Relay::start(&dir, &["--secret", "s3cret"]);
    assert!(
        Client::connect(&relay.url(None), 1).await.is_err(),
        "no token"
    );
    let forged = token("other", "notes", "write", "3600");
    assert!(Client::connect(&relay.url(Some(&forged)), 1).await.is_err());
    let expired = token("s3cret", "notes", "write", "0");
    assert!(
        Client::connect(&relay.url(Some(&expired)), 1)
            .await
            .is_err()
    );

    let writer_token = token("s3cret", "notes", "write", "3600");
    let mut writer = Client::connect(&relay.url(Some(&writer_token)), 1)
        .await
        .unwrap();
    writer.subscribe("notes").await;
    writer.type_text("notes", "written").await;
    assert!(writer.wait_until_held("notes").await);
    writer.subscribe("secrets").await;
    assert!(
        writer
            .pump_until(WAIT, |c| c.errors.iter().any(|e| e.contains("secrets")))
            .await,
        "a document the token does not cover"
    );

    let reader_token = token("s3cret", "notes", "read", "3600");
    let mut reader = Client::connect(&relay.url(Some(&reader_token)), 2)
        .await
        .unwrap();
    reader.subscribe("notes").await;
    assert!(
        reader
            .pump_until(WAIT, |c| c.text("notes") == "written")
            .await
    );
    reader.type_text("notes", " and vandalised").await;
    assert!(
        reader
            .pump_until(WAIT, |c| c.errors.iter().any(|e| e.contains("read-only")))
            .await
    );

    let mut check = Client::connect(&relay.url(Some(&writer_token)), 3)
        .await
        .unwrap();
    check.subscribe("notes").await;
    assert!(check.pump_until(WAIT, synced("notes")).await);
    assert_eq!(
        check.text("notes"),
        "written",
        "the read-only write was not applied"
    );
}

/// A plain HTTP GET on the relay's port: the status line and the body.
#[tokio::test]
async fn health_readiness_metrics_and_static_files_are_served() {
    let dir = temporary_dir("http");
    std::fs::write(dir.join("index.html"), "<h1>demo</h1>").unwrap();
    let relay = Relay::start(&dir, &[]);
    assert!(get(&relay, "/healthz").await.0.contains("200"));
    assert!(get(&relay, "/readyz").await.0.contains("200"));
    assert!(get(&relay, "/").await.1.contains("<h1>demo</h1>"));

    let mut client = Client::connect(&relay.url(None), 1).await.unwrap();
    client.subscribe("notes").await;
    client.type_text("notes", "counted").await;
    assert!(client.wait_until_held("notes").await);
    let (status, metrics) = get(&relay, "/metrics").await;
    assert!(status.contains("200"));
    for expected in [
        "weft_connections 1",
        "weft_documents_loaded 1",
        "weft_deltas_in_total 1",
        "weft_store_writes_total 1",
    ] {
        assert!(metrics.contains(expected), "{expected} in:\n{metrics}");
    }
}

#[tokio::test]
async fn export_and_import_move_a_document_through_a_file() {
    let dir = temporary_dir("files");
    let relay = Relay::start(&dir, &[]);
    let mut client = Client::connect(&relay.url(None), 1).await.unwrap();
    client.subscribe("notes").await;
    client.type_text("notes", "kept in a file").await;
    assert!(client.wait_until_held("notes").await);
    assert!(relay.stop().success());

    let relay_cli = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_weft-relay"))
            .args(args)
            .arg("--data-dir")
            .arg(&dir)
            .output()
            .unwrap()
    };
    let file = dir.join("notes.weft");
    let file_arg = file.to_str().unwrap();
    assert!(
        relay_cli(&["export", "--doc", "notes", "--out", file_arg])
            .status
            .success()
    );
    assert!(
        relay_cli(&["import", "--doc", "copy", "--file", file_arg])
            .status
            .success()
    );
    assert!(relay_cli(&["compact"]).status.success());
    let broken = relay_cli(&[
        "import",
        "--doc",
        "copy",
        "--file",
        dir.join("relay.db").to_str().unwrap(),
    ]);
    assert!(
        !broken.status.success(),
        "a file that is not weft data is refused"
    );

    let relay = Relay::start(&dir, &[]);
    let mut reader = Client::connect(&relay.url(None), 2).await.unwrap();
    reader.subscribe("copy").await;
    assert!(
        reader
            .pump_until(WAIT, |c| c.text("copy") == "kept in a file")
            .await
    );
}

/// An update holding one new change, authored by `author`.
fn update_by(author: u64, text: &str) -> Vec<u8> {
    let mut doc = weft_core::Document::new(ReplicaId::new(author));
    doc.transact(None, |tx| tx.text_insert(&support::body(), 0, text))
        .unwrap();
    Message::Update {
        doc: "notes".into(),
        seq: 1,
        catch_up: false,
        payload: doc.export_update(&weft_core::VersionVector::new()).unwrap(),
    }
    .encode()
}

#[tokio::test]
async fn a_client_cannot_write_as_a_replica_another_connection_speaks_for() {
    let dir = temporary_dir("impersonation");
    let relay = Relay::start(&dir, &[]);
    let mut victim = synced_client(&relay, 1, "notes").await;

    let mut impostor = synced_client(&relay, 2, "notes").await;
    impostor
        .send_raw(Frame::Binary(update_by(1, "forged").into()))
        .await;
    assert!(
        impostor
            .pump_until(WAIT, |c| c.errors.iter().any(|e| e.contains("speaks for")))
            .await
    );
    // Edits of a replica nobody speaks for (a tab's own, from before a reload) pass.
    impostor
        .send_raw(Frame::Binary(update_by(77, "offline work").into()))
        .await;
    assert!(
        victim
            .pump_until(WAIT, |c| c.text("notes") == "offline work")
            .await
    );
}

#[tokio::test]
async fn a_connection_that_never_sends_its_request_is_closed() {
    use tokio::io::AsyncReadExt;
    let dir = temporary_dir("silent");
    let relay = Relay::start(&dir, &[]);
    let mut silent = tokio::net::TcpStream::connect(relay.address).await.unwrap();
    let mut buffer = [0; 64];
    let read = tokio::time::timeout(Duration::from_secs(20), silent.read(&mut buffer)).await;
    assert!(
        matches!(read, Ok(Ok(_) | Err(_))),
        "the relay closes a connection that sends no request head"
    );
    // And keeps serving.
    synced_client(&relay, 1, "notes").await;
}

#[tokio::test]
async fn a_reader_too_slow_is_closed_and_catches_up_after_reconnecting() {
    let dir = temporary_dir("slow");
    let relay = Relay::start(&dir, &["--max-outgoing-bytes", "1048576"]);
    let mut slow = synced_client(&relay, 1, "notes").await;
    let mut writer = synced_client(&relay, 2, "notes").await;
    writer.settle().await;

    // The slow client reads nothing while megabytes of edits go out to it.
    let paragraph = "lorem ipsum dolor sit amet ".repeat(800);
    for _ in 0..600 {
        writer.type_text("notes", &paragraph).await;
        writer.pump_until(Duration::from_millis(1), |_| false).await;
    }
    assert!(writer.wait_until_held("notes").await);
    assert!(slow.pump_until(WAIT, |c| c.closed.is_some()).await);
    assert_eq!(u16::from(slow.closed.as_ref().unwrap().code), 1008);

    let again = synced_client(&relay, 1, "notes").await;
    assert_eq!(again.text("notes"), writer.text("notes"));
}

#[tokio::test]
async fn handshakes_to_sync_are_checked_and_refusals_say_why() {
    let dir = temporary_dir("handshake");
    let relay = Relay::start(&dir, &[]);
    let upgrade = "Connection: Upgrade\r\nUpgrade: websocket\r\n";
    let key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    let cases = [
        (String::new(), "Connection header must include upgrade"),
        (
            "Connection: Upgrade\r\nUpgrade: h2c\r\n".into(),
            "Upgrade header must be websocket",
        ),
        (
            format!("{upgrade}Sec-WebSocket-Version: 8\r\n{key}"),
            "only WebSocket version 13",
        ),
        (
            format!("{upgrade}Sec-WebSocket-Version: 13\r\n"),
            "Sec-WebSocket-Key header is missing",
        ),
    ];
    for (headers, reason) in cases {
        let (status, body) = get_with_headers(&relay, "/sync", &headers).await;
        assert!(status.contains("400"), "{status} for {headers:?}");
        assert!(body.contains(reason), "{body:?} for {headers:?}");
    }

    // Firefox asks with `Connection: keep-alive, Upgrade`, and header values are
    // case-insensitive: such a handshake opens (the client checks the accept key).
    let mut request = relay.url(None).into_client_request().unwrap();
    let headers = request.headers_mut();
    headers.insert("connection", "keep-alive, Upgrade".parse().unwrap());
    headers.insert("upgrade", "WebSocket".parse().unwrap());
    let (_, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(response.status(), 101);
    // And the relay keeps serving.
    synced_client(&relay, 1, "notes").await;
}

#[tokio::test]
async fn a_burst_of_updates_reaches_its_readers_and_is_acknowledged_at_once() {
    let dir = temporary_dir("burst");
    let relay = Relay::start(&dir, &[]);
    let mut reader = synced_client(&relay, 2, "notes").await;
    let mut writer = synced_client(&relay, 1, "notes").await;
    writer.settle().await;

    // A thousand updates reach the relay together, more than one batch holds and
    // more acknowledgements than a connection may have waiting.
    relay.pause();
    for _ in 0..1_000 {
        writer.type_text("notes", "x").await;
    }
    relay.resume();
    let held = writer.wait_until_held("notes").await;
    assert!(
        held,
        "closed {:?}, errors {:?}",
        writer.closed, writer.errors
    );
    let acknowledgements = writer
        .events
        .iter()
        .filter(|event| matches!(event, SessionEvent::Acknowledged { .. }))
        .count();
    println!("1,000 updates, {acknowledgements} acknowledgements");
    assert!(acknowledgements < 1_000);

    let everything = |c: &Client| c.text("notes").len() == 1_000;
    assert!(
        reader.pump_until(WAIT, everything).await,
        "closed {:?}",
        reader.closed
    );
    assert!(reader.closed.is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_that_were_sent_a_large_document_keep_no_copy_of_it() {
    let dir = temporary_dir("large-catch-up");
    let relay = Relay::start_with_env(&dir, &[], &[("MALLOC_ARENA_MAX", "2")]);
    let mut writer = synced_client(&relay, 1, "notes").await;
    let megabyte = "0123456789abcdef".repeat(1 << 16);
    writer.type_text("notes", &megabyte).await;
    assert!(writer.wait_until_held("notes").await);

    // Each reader catches up with the whole megabyte, then idles.
    let before = relay.rss_kib();
    let mut readers = Vec::new();
    for replica in 100..132 {
        let mut reader = Client::connect(&relay.url(None), replica).await.unwrap();
        reader.subscribe("notes").await;
        let caught_up = |c: &Client| c.text("notes").len() == megabyte.len();
        assert!(reader.pump_until(WAIT, caught_up).await);
        readers.push(reader);
    }
    let growth = relay.rss_kib().saturating_sub(before);
    println!("32 readers of a 1 MiB document grew the relay by {growth} KiB");
    assert!(growth < 32 * 256, "{} KiB kept per reader", growth / 32);
}

#[tokio::test]
async fn a_document_nobody_uses_leaves_memory_and_comes_back_from_the_store() {
    let dir = temporary_dir("idle");
    let relay = Relay::start(&dir, &["--idle-seconds", "1"]);
    let mut client = Client::connect(&relay.url(None), 1).await.unwrap();
    client.subscribe("notes").await;
    client.type_text("notes", "parked").await;
    assert!(client.wait_until_held("notes").await);
    drop(client);
    let mut unloaded = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if get(&relay, "/metrics")
            .await
            .1
            .contains("weft_documents_loaded 0")
        {
            unloaded = true;
            break;
        }
    }
    assert!(unloaded, "the idle document left memory");
    let mut reader = Client::connect(&relay.url(None), 2).await.unwrap();
    reader.subscribe("notes").await;
    assert!(
        reader
            .pump_until(WAIT, |c| c.text("notes") == "parked")
            .await
    );
}

#[tokio::test]
async fn connections_past_the_limit_are_turned_away() {
    let dir = temporary_dir("limit");
    let relay = Relay::start(&dir, &["--max-connections", "2"]);
    let first = Client::connect(&relay.url(None), 1).await.unwrap();
    let _second = Client::connect(&relay.url(None), 2).await.unwrap();
    match Client::connect(&relay.url(None), 3).await {
        Err(error) => assert!(error.contains("503"), "{error}"),
        Ok(_) => panic!("a third connection was let in"),
    }
    drop(first);
    let mut retried = None;
    for _ in 0..50 {
        if let Ok(client) = Client::connect(&relay.url(None), 3).await {
            retried = Some(client);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(retried.is_some(), "a slot frees up when a connection ends");
}
