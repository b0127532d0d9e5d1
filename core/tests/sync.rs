//! The sync protocol between two sessions, driven by hand.

use std::collections::BTreeMap;

use weft_core::sync::{Message, PROTOCOL_VERSION};
use weft_core::{
    ContainerId, Document, Error, ReplicaId, SessionConfig, SessionEvent, SyncSession,
    VersionVector,
};

struct Side {
    session: SyncSession,
    docs: BTreeMap<String, Document>,
}

impl Side {
    fn new(id: u64, names: &[&str]) -> Self {
        let replica = ReplicaId::new(id);
        let docs = names
            .iter()
            .map(|name| (name.to_string(), Document::new(replica)))
            .collect();
        Self {
            session: SyncSession::new(replica, SessionConfig::default()),
            docs,
        }
    }

    fn edit(&mut self, name: &str, text: &str) {
        let body = ContainerId::text("body");
        let doc = self.docs.get_mut(name).unwrap();
        doc.transact(None, |tx| tx.text_insert(&body, 0, text))
            .unwrap();
        self.session.local_changed(0, name, &self.docs[name]);
    }

    fn text(&self, name: &str) -> String {
        self.docs[name]
            .view_of(&ContainerId::text("body"))
            .to_json()
    }
}

/// Delivers messages both ways until both sides are quiet; returns every event.
fn exchange(a: &mut Side, b: &mut Side) -> (Vec<SessionEvent>, Vec<SessionEvent>) {
    let (mut at_a, mut at_b) = (Vec::new(), Vec::new());
    loop {
        let to_b = a.session.take_outgoing();
        let to_a = b.session.take_outgoing();
        if to_a.is_empty() && to_b.is_empty() {
            return (at_a, at_b);
        }
        for bytes in to_b {
            at_b.extend(b.session.receive(0, &bytes, &mut b.docs).unwrap());
        }
        for bytes in to_a {
            at_a.extend(a.session.receive(0, &bytes, &mut a.docs).unwrap());
        }
    }
}

#[test]
fn subscribe_sends_exactly_the_missing_changes_both_ways() {
    let (mut a, mut b) = (Side::new(1, &["x", "y"]), Side::new(2, &["x", "y"]));
    a.edit("x", "from a ");
    b.edit("x", "from b ");
    b.edit("y", "only b");
    for name in ["x", "y"] {
        a.session.subscribe(0, name, &a.docs[name]);
    }
    let (at_a, at_b) = exchange(&mut a, &mut b);
    assert_eq!(a.text("x"), b.text("x"));
    assert_eq!(a.text("y"), "\"only b\"");
    assert!(at_a.contains(&SessionEvent::Synced { doc: "x".into() }));
    assert!(at_b.contains(&SessionEvent::Connected {
        peer: ReplicaId::new(1)
    }));
    assert!(
        at_b.iter()
            .any(|event| matches!(event, SessionEvent::Acknowledged { doc, .. } if doc == "x"))
    );
    // Live: one edit travels as one update, acknowledged with the new version.
    a.edit("x", "live ");
    let (at_a, _) = exchange(&mut a, &mut b);
    assert_eq!(a.text("x"), b.text("x"));
    assert!(at_a.contains(&SessionEvent::Acknowledged {
        doc: "x".into(),
        version: a.docs["x"].version().clone(),
    }));
}

#[test]
fn changes_received_from_the_peer_are_not_sent_back_to_it() {
    let (mut a, mut b) = (Side::new(1, &["x"]), Side::new(2, &["x"]));
    a.session.subscribe(0, "x", &a.docs["x"]);
    exchange(&mut a, &mut b);
    a.edit("x", "from a ");
    let to_b = a.session.take_outgoing();
    for bytes in &to_b {
        b.session.receive(0, bytes, &mut b.docs).unwrap();
    }
    // b has nothing of its own: telling it about its document sends nothing.
    b.session.local_changed(0, "x", &b.docs["x"]);
    let echoed = b.session.take_outgoing();
    assert!(
        echoed
            .iter()
            .all(|bytes| !matches!(Message::decode(bytes), Ok(Message::Update { .. }))),
        "b sent a's change back to a"
    );
    // Its own edit goes out without a's change in it.
    b.edit("x", "from b ");
    let to_a = b.session.take_outgoing();
    let update = to_a
        .iter()
        .find_map(|bytes| match Message::decode(bytes) {
            Ok(Message::Update { payload, .. }) => Some(payload),
            _ => None,
        })
        .expect("b's edit is sent");
    let changes = weft_core::doc::decode_update(&update).unwrap();
    assert!(
        changes
            .iter()
            .all(|change| change.id.replica() == ReplicaId::new(2))
    );
    for bytes in &to_a {
        a.session.receive(0, bytes, &mut a.docs).unwrap();
    }
    exchange(&mut a, &mut b);
    assert_eq!(a.text("x"), b.text("x"));
}

#[test]
fn a_gap_is_noticed_and_filled() {
    let (mut a, mut b) = (Side::new(1, &["x"]), Side::new(2, &["x"]));
    a.session.subscribe(0, "x", &a.docs["x"]);
    exchange(&mut a, &mut b);
    a.edit("x", "lost ");
    a.session.take_outgoing();
    a.edit("x", "kept ");
    // The second update builds on the lost one: b asks again from its version.
    exchange(&mut a, &mut b);
    assert_eq!(a.text("x"), b.text("x"));
    assert_eq!(b.docs["x"].pending_len(), 0);
}

#[test]
fn a_retry_never_sends_the_peer_its_own_changes() {
    let (mut a, mut b) = (Side::new(1, &["x"]), Side::new(2, &["x"]));
    a.session.subscribe(0, "x", &a.docs["x"]);
    exchange(&mut a, &mut b);
    b.edit("x", "from b ");
    exchange(&mut a, &mut b);
    assert_eq!(a.text("x"), b.text("x"));
    // Long after, a's retry finds nothing of its own that b lacks.
    a.session.tick(60_000, &mut a.docs);
    let updates = a
        .session
        .take_outgoing()
        .iter()
        .filter(|bytes| matches!(Message::decode(bytes), Ok(Message::Update { .. })))
        .count();
    assert_eq!(updates, 0, "a sent b's change back on a retry");
}

/// Delivers messages between a client and one of a relay's sessions until both are
/// quiet.
fn pump(client: &mut Side, relay: &mut SyncSession, docs: &mut BTreeMap<String, Document>) {
    loop {
        let to_relay = client.session.take_outgoing();
        let to_client = relay.take_outgoing();
        if to_relay.is_empty() && to_client.is_empty() {
            return;
        }
        for bytes in to_relay {
            relay.receive(0, &bytes, docs).unwrap();
        }
        for bytes in to_client {
            client.session.receive(0, &bytes, &mut client.docs).unwrap();
        }
    }
}

fn update_payloads(messages: &[Vec<u8>]) -> Vec<Vec<u8>> {
    messages
        .iter()
        .filter_map(|bytes| match Message::decode(bytes) {
            Ok(Message::Update { payload, .. }) => Some(payload),
            _ => None,
        })
        .collect()
}

#[test]
fn an_update_is_forwarded_as_it_is_to_a_peer_that_held_everything_before_it() {
    let relay_replica = ReplicaId::new(9);
    let mut docs = BTreeMap::from([("x".to_string(), Document::new(relay_replica))]);
    let mut to_reader = SyncSession::new(relay_replica, SessionConfig::default());
    let mut to_late = SyncSession::new(relay_replica, SessionConfig::default());
    let (mut reader, mut late) = (Side::new(2, &["x"]), Side::new(3, &["x"]));
    for (client, session) in [(&mut reader, &mut to_reader), (&mut late, &mut to_late)] {
        client.session.subscribe(0, "x", &client.docs["x"]);
        pump(client, session, &mut docs);
    }
    let mut writer = Document::new(ReplicaId::new(1));
    let mut edit = |docs: &mut BTreeMap<String, Document>, text: &str| {
        let since = writer.version().clone();
        writer
            .transact(None, |tx| {
                tx.text_insert(&ContainerId::text("body"), 0, text)
            })
            .unwrap();
        let payload = writer.export_update(&since).unwrap();
        let before = docs["x"].version().clone();
        docs.get_mut("x").unwrap().import(&payload, None).unwrap();
        (payload, before)
    };

    // `late` misses the first update.
    let (first, before) = edit(&mut docs, "one ");
    to_reader.forward_update(0, "x", &docs["x"], &before, &first);
    assert_eq!(update_payloads(&to_reader.take_outgoing()), [first]);

    let (second, before) = edit(&mut docs, "two ");
    to_reader.forward_update(0, "x", &docs["x"], &before, &second);
    assert_eq!(
        update_payloads(&to_reader.take_outgoing()),
        [second.as_slice()]
    );
    to_late.forward_update(0, "x", &docs["x"], &before, &second);
    let caught_up = update_payloads(&to_late.take_outgoing());
    assert_eq!(caught_up.len(), 1);
    assert_ne!(
        caught_up[0], second,
        "late gets what it lacks, not the update"
    );
    late.docs
        .get_mut("x")
        .unwrap()
        .import(&caught_up[0], None)
        .unwrap();
    assert_eq!(late.text("x"), "\"two one \"");
}

#[test]
fn lost_updates_are_sent_again_after_the_retry_time() {
    let (mut a, mut b) = (Side::new(1, &["x"]), Side::new(2, &["x"]));
    a.session.subscribe(0, "x", &a.docs["x"]);
    exchange(&mut a, &mut b);
    a.edit("x", "lost ");
    a.session.take_outgoing();
    exchange(&mut a, &mut b);
    assert_eq!(b.text("x"), "\"\"");
    a.session.tick(1_000, &mut a.docs);
    assert!(a.session.take_outgoing().is_empty(), "not yet overdue");
    a.session.tick(10_000, &mut a.docs);
    exchange(&mut a, &mut b);
    assert_eq!(a.text("x"), b.text("x"));
}

#[test]
fn delayed_acknowledgements_cover_every_update_received_meanwhile() {
    let (mut a, mut b) = (Side::new(1, &["x"]), Side::new(2, &["x"]));
    let config = SessionConfig {
        ack_delay_ms: 500,
        ..SessionConfig::default()
    };
    b.session = SyncSession::new(ReplicaId::new(2), config);
    a.session.subscribe(0, "x", &a.docs["x"]);
    exchange(&mut a, &mut b);
    // The catch-up's acknowledgement.
    b.session.tick(1_000, &mut b.docs);
    exchange(&mut a, &mut b);
    for text in ["one ", "two ", "three "] {
        a.edit("x", text);
        for bytes in a.session.take_outgoing() {
            b.session.receive(1_100, &bytes, &mut b.docs).unwrap();
        }
    }
    let acks = |messages: Vec<Vec<u8>>| -> Vec<(u64, VersionVector)> {
        messages
            .iter()
            .filter_map(|bytes| match Message::decode(bytes) {
                Ok(Message::Ack { seq, version, .. }) => Some((seq, version)),
                _ => None,
            })
            .collect()
    };
    assert!(
        acks(b.session.take_outgoing()).is_empty(),
        "none before the delay"
    );
    b.session.tick(1_599, &mut b.docs);
    assert!(acks(b.session.take_outgoing()).is_empty());
    b.session.tick(1_600, &mut b.docs);
    let sent = acks(b.session.take_outgoing());
    assert_eq!(sent.len(), 1, "one acknowledgement for the three updates");
    assert_eq!(&sent[0].1, a.docs["x"].version());
    let last_seq = sent[0].0;
    let ack = Message::Ack {
        doc: "x".into(),
        seq: last_seq,
        version: sent[0].1.clone(),
    };
    let events = a
        .session
        .receive(1_600, &ack.encode(), &mut a.docs)
        .unwrap();
    assert!(
        matches!(&events[..], [SessionEvent::Acknowledged { version, .. }]
        if version == a.docs["x"].version())
    );
    // Nothing left to acknowledge: later ticks send none.
    b.session.tick(5_000, &mut b.docs);
    assert!(acks(b.session.take_outgoing()).is_empty());
}

#[test]
fn awareness_travels_and_expires() {
    let (mut a, mut b) = (Side::new(1, &["x"]), Side::new(2, &["x"]));
    a.session.set_awareness(0, "x", Some(b"cursor 3".to_vec()));
    let (_, at_b) = exchange(&mut a, &mut b);
    assert!(at_b.contains(&SessionEvent::Awareness {
        doc: "x".into(),
        replica: ReplicaId::new(1),
        state: Some(b"cursor 3".to_vec()),
    }));
    assert_eq!(b.session.presence("x").count(), 1);
    // No refresh for the timeout: the presence ends.
    let events = b.session.tick(31_000, &mut b.docs);
    assert!(events.contains(&SessionEvent::Awareness {
        doc: "x".into(),
        replica: ReplicaId::new(1),
        state: None,
    }));
    assert_eq!(b.session.presence("x").count(), 0);
}

#[test]
fn a_presence_from_a_new_session_is_not_taken_for_an_old_one() {
    let (mut a, mut b) = (Side::new(1, &["x"]), Side::new(2, &["x"]));
    for step in 0..5 {
        a.session.set_awareness(step, "x", Some(vec![step as u8]));
    }
    exchange(&mut a, &mut b);
    // a reconnects: a new session, whose clock must still count past the old one's.
    a.session = SyncSession::new(ReplicaId::new(1), SessionConfig::default());
    a.session.set_awareness(1_000, "x", Some(b"back".to_vec()));
    let (_, at_b) = exchange(&mut a, &mut b);
    assert!(at_b.contains(&SessionEvent::Awareness {
        doc: "x".into(),
        replica: ReplicaId::new(1),
        state: Some(b"back".to_vec()),
    }));
}

#[test]
fn a_peer_on_another_protocol_version_gets_a_clear_error() {
    let mut b = Side::new(2, &["x"]);
    let hello = Message::Hello {
        protocol: PROTOCOL_VERSION + 1,
        replica: ReplicaId::new(7),
    };
    let result = b.session.receive(0, &hello.encode(), &mut b.docs);
    assert_eq!(
        result,
        Err(Error::ProtocolVersion {
            found: PROTOCOL_VERSION + 1,
            supported: PROTOCOL_VERSION
        })
    );
    let replies = b.session.take_outgoing();
    assert!(replies.iter().any(|bytes| matches!(
        Message::decode(bytes),
        Ok(Message::Error { message }) if message.contains("protocol")
    )));
}

#[test]
fn unknown_message_types_are_skipped() {
    let mut b = Side::new(2, &["x"]);
    let mut future = Message::Unknown { tag: 200 }.encode();
    future.extend_from_slice(b"whatever a newer peer says");
    let events = b.session.receive(0, &future, &mut b.docs).unwrap();
    assert_eq!(events, [SessionEvent::Skipped { tag: 200 }]);
}

#[test]
fn a_bad_update_is_refused_and_the_session_goes_on() {
    let (mut a, mut b) = (Side::new(1, &["x"]), Side::new(2, &["x"]));
    let bogus = Message::Update {
        doc: "x".into(),
        seq: 1,
        catch_up: false,
        payload: b"wf\x01\x0bgarbage".to_vec(),
    };
    let events = b.session.receive(0, &bogus.encode(), &mut b.docs).unwrap();
    assert!(matches!(events[..], [SessionEvent::Refused { .. }]));
    a.session.subscribe(0, "x", &a.docs["x"]);
    b.edit("x", "still fine");
    exchange(&mut a, &mut b);
    assert_eq!(a.text("x"), "\"still fine\"");
}

#[test]
fn a_compacted_peer_answers_with_a_snapshot() {
    let (mut a, mut b) = (Side::new(1, &["x"]), Side::new(2, &["x"]));
    a.edit("x", "old ");
    let stable = a.docs["x"].version().clone();
    a.docs.get_mut("x").unwrap().compact(&stable);
    b.session.subscribe(0, "x", &b.docs["x"]);
    exchange(&mut a, &mut b);
    assert_eq!(b.text("x"), "\"old \"");
    assert_eq!(b.docs["x"].version(), &stable);
    assert_ne!(b.docs["x"].version(), &VersionVector::new());
}

#[test]
fn messages_round_trip_and_never_panic_on_garbage() {
    let messages = [
        Message::Hello {
            protocol: 1,
            replica: ReplicaId::new(u64::MAX),
        },
        Message::Subscribe {
            doc: "d".into(),
            version: VersionVector::new(),
        },
        Message::Update {
            doc: "d".into(),
            seq: 3,
            catch_up: true,
            payload: vec![1, 2, 3],
        },
        Message::Awareness {
            doc: "d".into(),
            replica: ReplicaId::new(2),
            clock: 9,
            state: None,
        },
        Message::Error {
            message: "no".into(),
        },
    ];
    for message in messages {
        let bytes = message.encode();
        assert_eq!(Message::decode(&bytes), Ok(message));
        for cut in 0..bytes.len() {
            assert!(Message::decode(&bytes[..cut]).is_err());
        }
    }
}
