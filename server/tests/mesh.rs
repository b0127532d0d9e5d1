//! Relays in a mesh, as processes on 127.0.0.1: edits and presence cross relays, a
//! relay cut off by a faulty network catches up once it heals, and quorum
//! acknowledgements survive a relay killed mid-write.

mod support;

use std::time::{Duration, Instant};

use rand::Rng;
use support::mesh::{free_udp_port, start_in_mesh, start_with, view, wait_for_links};
use support::proxy::{Fault, Proxy};
use support::{Client, Relay, get, temporary_dir};
use weft_core::{ReplicaId, SessionEvent, VersionVector};

const WAIT: Duration = Duration::from_secs(10);
/// The bound on healing: all relays equal this soon after a partition ends.
const HEAL_BOUND: Duration = Duration::from_secs(5);

/// Every relay's digest of what it holds, with the number of documents.
async fn digests(relays: &[&Relay]) -> Vec<(String, u64)> {
    let mut digests = Vec::new();
    for relay in relays {
        let view = view(relay).await;
        digests.push((
            view["digest"].as_str().unwrap().to_string(),
            view["documents"].as_u64().unwrap(),
        ));
    }
    digests
}

async fn all_equal(relays: &[&Relay], documents: u64) -> bool {
    let digests = digests(relays).await;
    digests.iter().all(|digest| *digest == digests[0]) && digests[0].1 == documents
}

/// A client of `relay` asking for `durability`, synced with `doc`.
async fn join(relay: &Relay, durability: usize, replica: u64, doc: &str) -> Client {
    let url = format!("ws://{}/sync?durability={durability}", relay.address);
    let mut client = Client::connect(&url, replica).await.unwrap();
    client.subscribe(doc).await;
    assert!(client.pump_until(WAIT, |c| c.session.is_synced(doc)).await);
    // The relay asks for the client's changes right after the catch-up.
    client.settle().await;
    client
}

async fn write(relay: &Relay, replica: u64, doc: &str, text: &str) {
    let mut client = join(relay, 1, replica, doc).await;
    client.type_text(doc, text).await;
    assert!(client.wait_until_held(doc).await, "{doc} held");
}

/// What a fresh client reads of `doc` at `relay`.
async fn read(relay: &Relay, doc: &str) -> (String, VersionVector) {
    let client = join(relay, 1, rand::random::<u64>() | 1, doc).await;
    (client.text(doc), client.docs[doc].version().clone())
}

#[tokio::test]
async fn edits_and_presence_cross_relays() {
    let dirs: Vec<_> = (0..3).map(|_| temporary_dir("mesh-cross")).collect();
    let ports: Vec<u16> = (0..3).map(|_| free_udp_port()).collect();
    let a = start_in_mesh(&dirs[0], "a", ports[0], &[], None);
    let b = start_in_mesh(&dirs[1], "b", ports[1], &[ports[0]], None);
    let c = start_in_mesh(&dirs[2], "c", ports[2], &[ports[0]], None);
    wait_for_links(&[&a, &b, &c]).await;

    let mut alice = join(&a, 1, 1, "notes").await;
    let mut carol = join(&c, 1, 3, "notes").await;
    alice.type_text("notes", "alice on a. ").await;
    assert!(
        carol
            .pump_until(WAIT, |c| c.text("notes").contains("alice"))
            .await
    );
    carol.type_text("notes", "carol on c.").await;
    assert!(
        alice
            .pump_until(WAIT, |c| c.text("notes").contains("carol"))
            .await
    );
    assert_eq!(alice.text("notes"), carol.text("notes"));

    carol
        .session
        .set_awareness(0, "notes", Some(b"cursor 3".to_vec()));
    carol.flush().await;
    let seen = alice
        .pump_until(WAIT, |c| {
            c.events.iter().any(|event| {
                matches!(event, SessionEvent::Awareness { replica, state: Some(_), .. }
                    if *replica == ReplicaId::new(3))
            })
        })
        .await;
    assert!(seen, "alice on a sees carol's presence on c");
    // Alice's presence is not sent back to her through the other relays.
    alice
        .session
        .set_awareness(0, "notes", Some(b"cursor 0".to_vec()));
    alice.flush().await;
    alice.settle().await;
    assert!(!alice.events.iter().any(|event| matches!(event,
        SessionEvent::Awareness { replica, .. } if *replica == ReplicaId::new(1))));

    // Bob, on the relay neither wrote to, reads both.
    let (text, _) = read(&b, "notes").await;
    assert_eq!(text, alice.text("notes"));

    let (_, metrics) = get(&a, "/metrics").await;
    for series in [
        "weft_mesh_peer_live{peer=\"b\"} 1",
        "weft_mesh_links_opened_total{peer=\"c\"} 1",
        "weft_mesh_suspicions_total{peer=\"b\"} 0",
        "weft_mesh_gossip_rounds_total{peer=\"a\"}",
        "weft_mesh_anti_entropy_bytes_total{peer=\"c\"}",
    ] {
        assert!(metrics.contains(series), "{series} in\n{metrics}");
    }
}

/// One partition and its healing: `c` is cut off (or its packets stall), both sides
/// write, the network heals (at once, or to a slow link); returns how long after
/// healing every relay held the same versions.
async fn partition_and_heal(relays: [&Relay; 3], proxy: &Proxy, run: usize) -> Duration {
    let [a, b, c] = relays;
    let fault = if run.is_multiple_of(2) {
        Fault::Cut
    } else {
        Fault::Stall
    };
    proxy.set(fault);
    let started = Instant::now();
    write(a, 1_000 + run as u64, "shared", &format!("a{run} ")).await;
    write(a, 2_000 + run as u64, &format!("a-only-{run}"), "from a").await;
    write(c, 3_000 + run as u64, "shared", &format!("c{run} ")).await;
    write(c, 4_000 + run as u64, &format!("c-only-{run}"), "from c").await;
    // A stalled link is only noticed by its silence: let it be, as in a real
    // partition that lasts.
    if fault == Fault::Stall {
        let partitioned = started.elapsed();
        tokio::time::sleep(Duration::from_millis(3_500).saturating_sub(partitioned)).await;
    }
    let apart = digests(&[a, b, c]).await;
    assert_ne!(apart[0], apart[2], "the partition held");

    proxy.set(if run % 4 == 1 {
        Fault::Delay(Duration::from_millis(20))
    } else {
        Fault::Pass
    });
    let healed = Instant::now();
    let documents = 1 + 2 * (run as u64 + 1);
    while !all_equal(&[a, b, c], documents).await {
        assert!(
            healed.elapsed() < 3 * HEAL_BOUND,
            "run {run}: relays still differ: {:?}",
            digests(&[a, b, c]).await
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let took = healed.elapsed();
    proxy.set(Fault::Pass);
    took
}

async fn partitions(runs: usize) {
    let dirs: Vec<_> = (0..3).map(|_| temporary_dir("mesh-partition")).collect();
    let ports: Vec<u16> = (0..3).map(|_| free_udp_port()).collect();
    // Links are dialed by the relay whose name sorts first, so both of c's go
    // through the proxy in front of it.
    let proxy = Proxy::start().await;
    let a = start_in_mesh(&dirs[0], "a", ports[0], &[], None);
    let b = start_in_mesh(&dirs[1], "b", ports[1], &[ports[0]], None);
    let c = start_in_mesh(&dirs[2], "c", ports[2], &[ports[0]], Some(proxy.address));
    proxy.forward_to(c.address);
    wait_for_links(&[&a, &b, &c]).await;

    let mut times = Vec::new();
    for run in 0..runs {
        times.push(partition_and_heal([&a, &b, &c], &proxy, run).await);
    }
    // Every write of every run is on every relay.
    let (shared, _) = read(&b, "shared").await;
    for run in 0..runs {
        assert!(shared.contains(&format!("a{run} ")) && shared.contains(&format!("c{run} ")));
    }
    for (relay, doc) in [(&a, "c-only-0"), (&c, "a-only-0")] {
        assert!(read(relay, doc).await.0.starts_with("from"));
    }

    times.sort_unstable();
    let at = |share: f64| times[((times.len() - 1) as f64 * share).round() as usize];
    println!(
        "healing over {runs} partitions: min {:?}, median {:?}, p90 {:?}, max {:?}",
        times[0],
        at(0.5),
        at(0.9),
        times[times.len() - 1]
    );
    let slow = times.iter().filter(|time| **time > HEAL_BOUND).count();
    assert_eq!(
        slow, 0,
        "healing took longer than {HEAL_BOUND:?}: {times:?}"
    );
}

#[tokio::test]
async fn a_partitioned_relay_holds_what_the_others_hold_within_seconds_of_healing() {
    partitions(20).await;
}

#[tokio::test]
#[ignore = "a longer run: 100 partitions"]
async fn a_hundred_partitions_heal() {
    partitions(100).await;
}

#[tokio::test]
async fn a_quorum_acknowledgement_waits_for_a_second_relay() {
    let dirs: Vec<_> = (0..2).map(|_| temporary_dir("mesh-quorum")).collect();
    let ports: Vec<u16> = (0..2).map(|_| free_udp_port()).collect();
    let a = start_in_mesh(&dirs[0], "a", ports[0], &[], None);

    let mut careful = join(&a, 2, 1, "ledger").await;
    careful.type_text("ledger", "paid").await;
    let wanted = careful.docs["ledger"].version().clone();
    let held = |c: &Client| c.acknowledged("ledger").includes(&wanted);
    // Alone, the relay stores it but does not acknowledge it.
    assert!(!careful.pump_until(Duration::from_millis(1_500), held).await);
    // The same edit with durability 1 is acknowledged at once.
    let mut hasty = join(&a, 1, 2, "ledger").await;
    hasty.type_text("ledger", " twice").await;
    assert!(hasty.wait_until_held("ledger").await);

    // Once a second relay joins and stores it, the acknowledgement comes.
    let b = start_in_mesh(&dirs[1], "b", ports[1], &[ports[0]], None);
    assert!(careful.pump_until(WAIT, held).await);
    let (text, _) = read(&b, "ledger").await;
    assert!(text.contains("paid"));
}

/// Writes with durability 2 on `a` until it is killed at a random moment, then
/// checks that `b` and `c` hold every acknowledged edit.
async fn kill_during_quorum_writes(relays: [&Relay; 2], a: Relay, round: u64) {
    let [b, c] = relays;
    let doc = format!("orders-{round}");
    let mut writer = join(&a, 2, 10 + round, &doc).await;
    let kill_after = Duration::from_millis(rand::rng().random_range(200..1_200));
    let started = Instant::now();
    let mut written = 0;
    while started.elapsed() < kill_after {
        writer.type_text(&doc, &format!("o{written} ")).await;
        written += 1;
        writer.pump_until(Duration::from_millis(5), |_| false).await;
    }
    a.kill();
    writer
        .pump_until(Duration::from_millis(100), |_| false)
        .await;
    let acknowledged = writer.acknowledged(&doc);
    assert!(
        !acknowledged.is_empty(),
        "round {round}: nothing acknowledged in {kill_after:?} ({written} edits)"
    );
    for relay in [b, c] {
        let deadline = Instant::now() + WAIT;
        loop {
            let (_, version) = read(relay, &doc).await;
            if version.includes(&acknowledged) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "round {round}: an acknowledged edit is missing: {version:?} lacks part of {acknowledged:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test]
async fn no_quorum_acknowledged_edit_is_lost_when_its_relay_is_killed() {
    let dirs: Vec<_> = (0..3).map(|_| temporary_dir("mesh-kill")).collect();
    let ports: Vec<u16> = (0..3).map(|_| free_udp_port()).collect();
    let b = start_in_mesh(&dirs[1], "b", ports[1], &[], None);
    let c = start_in_mesh(&dirs[2], "c", ports[2], &[ports[1]], None);
    for round in 0..5 {
        let a = start_in_mesh(&dirs[0], "a", ports[0], &[ports[1]], None);
        wait_for_links(&[&a, &b, &c]).await;
        kill_during_quorum_writes([&b, &c], a, round).await;
    }
}

/// A token minted by the relay binary.
fn mint(secret: &str, doc: &str) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_weft-relay"))
        .args(["token", "--doc", doc, "--secret", secret])
        .output()
        .unwrap();
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

async fn peer_links(relay: &Relay, node: &str) -> Option<u64> {
    view(relay).await["peers"][node]["links"].as_u64()
}

#[tokio::test]
async fn links_need_the_relays_secret() {
    let dirs: Vec<_> = (0..3).map(|_| temporary_dir("mesh-secret")).collect();
    let ports: Vec<u16> = (0..3).map(|_| free_udp_port()).collect();
    let shared = ["--secret", "shared secret"];
    let a = start_with(&dirs[0], "a", ports[0], &[], None, &shared);
    let b = start_with(&dirs[1], "b", ports[1], &[ports[0]], None, &shared);
    wait_for_links(&[&a, &b]).await;

    // Neither no token nor a client's token opens a link.
    let client_token = mint("shared secret", "*");
    assert!(!client_token.is_empty());
    for query in [String::new(), format!("&token={client_token}")] {
        let url = format!("ws://{}/mesh/link?node=x{query}", a.address);
        let refused = tokio_tungstenite::connect_async(url).await.unwrap_err();
        assert!(refused.to_string().contains("401"), "{refused}");
    }

    // A relay with another secret is seen by gossip but never linked.
    let c = start_with(
        &dirs[2],
        "c",
        ports[2],
        &[ports[0]],
        None,
        &["--secret", "another secret"],
    );
    let deadline = Instant::now() + WAIT;
    while view(&a).await["peers"]["c"]["live"] != true {
        assert!(Instant::now() < deadline, "c never joined the gossip");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(peer_links(&a, "c").await, Some(0));
    assert_eq!(peer_links(&a, "b").await, Some(1));
    assert_eq!(view(&c).await["peers"]["a"]["links"].as_u64(), Some(0));
}
