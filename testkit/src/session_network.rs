//! A seeded simulated network of document replicas talking over [`SyncSession`]s.
//!
//! Every pair of replicas holds a session on each side, multiplexing several
//! documents. Replicas make random edits on every container type; the network drops,
//! duplicates and reorders messages, disconnects pairs (their sessions restart from
//! hello) and partitions the replicas; replicas compact what all peers acknowledged.
//! At the end the network heals and [`SessionNetwork::run`] checks that all replicas
//! hold equal documents, equal also to documents rebuilt from their snapshots.

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use weft_core::doc::{SnapshotMode, UndoManager};
use weft_core::{Document, ReplicaId, SessionConfig, SessionEvent, SyncSession, VersionVector};

use crate::dependencies::check_new_changes;
use crate::doc_edits::random_edit;

/// The documents every replica syncs.
pub const DOCS: [&str; 2] = ["notes", "board"];

/// How hostile the network is, and how long a run lasts.
#[derive(Clone, Copy, Debug)]
pub struct SessionConditions {
    /// Number of replicas.
    pub replicas: usize,
    /// Steps of the run (edits, deliveries, failures).
    pub steps: usize,
    /// Probability that a message is lost.
    pub drop: f64,
    /// Probability that a message is delivered twice.
    pub duplicate: f64,
}

impl Default for SessionConditions {
    fn default() -> Self {
        Self {
            replicas: 3,
            steps: 150,
            drop: 0.15,
            duplicate: 0.1,
        }
    }
}

struct Packet {
    from: usize,
    to: usize,
    /// The connection the packet belongs to; a reconnect starts a new one.
    epoch: u64,
    bytes: Vec<u8>,
}

/// The simulation state.
pub struct SessionNetwork {
    rng: StdRng,
    conditions: SessionConditions,
    now: u64,
    replicas: Vec<BTreeMap<String, Document>>,
    /// `sessions[i][j]`: replica i's session with replica j.
    sessions: Vec<Vec<Option<SyncSession>>>,
    epochs: Vec<Vec<u64>>,
    /// What each replica last heard each peer acknowledge, per document.
    heard: Vec<BTreeMap<(usize, String), VersionVector>>,
    cut: Vec<Vec<bool>>,
    in_flight: Vec<Packet>,
    /// Each replica's undo stacks, per document.
    undo: Vec<BTreeMap<String, UndoManager>>,
}

impl SessionNetwork {
    /// A network of fresh replicas, all connected.
    pub fn new(seed: u64, conditions: SessionConditions) -> Self {
        let n = conditions.replicas;
        let replicas = (0..n)
            .map(|i| {
                DOCS.iter()
                    .map(|doc| {
                        let replica = ReplicaId::new(i as u64 + 1);
                        (doc.to_string(), Document::new(replica))
                    })
                    .collect()
            })
            .collect();
        let mut network = Self {
            rng: StdRng::seed_from_u64(seed),
            conditions,
            now: 0,
            replicas,
            sessions: (0..n).map(|_| (0..n).map(|_| None).collect()).collect(),
            epochs: vec![vec![0; n]; n],
            heard: vec![BTreeMap::new(); n],
            cut: vec![vec![false; n]; n],
            in_flight: Vec::new(),
            undo: (0..n)
                .map(|_| {
                    DOCS.iter()
                        .map(|doc| (doc.to_string(), UndoManager::new(None)))
                        .collect()
                })
                .collect(),
        };
        for i in 0..n {
            for j in (i + 1)..n {
                network.connect(i, j);
            }
        }
        network
    }

    /// Runs the simulation, heals, and checks convergence; returns the final view.
    pub fn run(mut self) -> Result<String, String> {
        for _ in 0..self.conditions.steps {
            self.step()?;
        }
        self.heal()?;
        self.check()
    }

    fn connect(&mut self, i: usize, j: usize) {
        self.epochs[i][j] += 1;
        self.epochs[j][i] += 1;
        for (a, b) in [(i, j), (j, i)] {
            let replica = ReplicaId::new(a as u64 + 1);
            // Some sessions acknowledge at once, some after a delay.
            let config = SessionConfig {
                ack_delay_ms: [0, 0, 250, 2_000][self.rng.random_range(0..4)],
                ..SessionConfig::default()
            };
            let mut session = SyncSession::new(replica, config);
            for doc in DOCS {
                session.subscribe(self.now, doc, &self.replicas[a][doc]);
            }
            self.sessions[a][b] = Some(session);
            self.flush(a, b);
        }
    }

    fn flush(&mut self, from: usize, to: usize) {
        let Some(session) = self.sessions[from][to].as_mut() else {
            return;
        };
        let epoch = self.epochs[from][to];
        for bytes in session.take_outgoing() {
            self.in_flight.push(Packet {
                from,
                to,
                epoch,
                bytes,
            });
        }
    }

    fn step(&mut self) -> Result<(), String> {
        let n = self.conditions.replicas;
        match self.rng.random_range(0..100) {
            0..32 => {
                let replica = self.rng.random_range(0..n);
                let doc = DOCS[self.rng.random_range(0..DOCS.len())];
                self.edit(replica, doc)?;
                self.announce(replica, doc);
            }
            32..35 => {
                let replica = self.rng.random_range(0..n);
                let doc = DOCS[self.rng.random_range(0..DOCS.len())];
                let document = self.replicas[replica].get_mut(doc).unwrap();
                let undo = self.undo[replica].get_mut(doc).unwrap();
                let result = if self.rng.random_bool(0.7) {
                    undo.undo(document)
                } else {
                    undo.redo(document)
                };
                result.map_err(|error| format!("undo on replica {replica}: {error}"))?;
                document.take_events();
                self.announce(replica, doc);
            }
            35..80 => {
                for _ in 0..self.rng.random_range(1..8) {
                    if self.in_flight.is_empty() {
                        break;
                    }
                    let at = self.rng.random_range(0..self.in_flight.len());
                    let packet = self.in_flight.swap_remove(at);
                    let dropped = self.rng.random_bool(self.conditions.drop);
                    if !dropped {
                        if self.rng.random_bool(self.conditions.duplicate) {
                            self.deliver(&packet)?;
                        }
                        self.deliver(&packet)?;
                    }
                }
            }
            80..86 => {
                self.now += 1_000;
                self.tick_all()?;
            }
            86..89 => {
                let (i, j) = self.pair();
                self.connect(i, j);
            }
            89..92 => {
                let (i, j) = self.pair();
                self.cut[i][j] = !self.cut[i][j];
                self.cut[j][i] = self.cut[i][j];
            }
            _ => {
                let replica = self.rng.random_range(0..n);
                self.compact(replica);
            }
        }
        Ok(())
    }

    fn pair(&mut self) -> (usize, usize) {
        let n = self.conditions.replicas;
        let i = self.rng.random_range(0..n);
        let j = (i + self.rng.random_range(1..n)) % n;
        (i, j)
    }

    fn deliver(&mut self, packet: &Packet) -> Result<(), String> {
        let (from, to) = (packet.from, packet.to);
        if self.cut[from][to] || packet.epoch != self.epochs[to][from] {
            return Ok(());
        }
        let session = self.sessions[to][from].as_mut().expect("connected");
        let events = session
            .receive(self.now, &packet.bytes, &mut self.replicas[to])
            .map_err(|error| format!("replica {to} refused a message: {error}"))?;
        self.flush(to, from);
        for event in events {
            match event {
                SessionEvent::Changed { doc, .. } => {
                    self.replicas[to].get_mut(&doc).unwrap().take_events();
                    self.announce(to, &doc);
                }
                SessionEvent::Acknowledged { doc, version } => {
                    self.heard[to].insert((from, doc), version);
                }
                SessionEvent::Refused { error } => {
                    return Err(format!("replica {to} refused an update: {error}"));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Tells every session of `replica` that `doc` changed.
    fn announce(&mut self, replica: usize, doc: &str) {
        for peer in 0..self.conditions.replicas {
            if let Some(session) = self.sessions[replica][peer].as_mut() {
                session.local_changed(self.now, doc, &self.replicas[replica][doc]);
                self.flush(replica, peer);
            }
        }
    }

    fn tick_all(&mut self) -> Result<(), String> {
        for i in 0..self.conditions.replicas {
            for j in 0..self.conditions.replicas {
                if let Some(session) = self.sessions[i][j].as_mut() {
                    session.tick(self.now, &mut self.replicas[i]);
                    self.flush(i, j);
                }
            }
        }
        Ok(())
    }

    /// Drops what every replica is known to hold.
    fn compact(&mut self, replica: usize) {
        for doc in DOCS {
            let mut stable = self.replicas[replica][doc].version().clone();
            for peer in (0..self.conditions.replicas).filter(|&peer| peer != replica) {
                let heard = self.heard[replica]
                    .get(&(peer, doc.to_string()))
                    .cloned()
                    .unwrap_or_default();
                stable = stable.meet(&heard);
            }
            self.replicas[replica]
                .get_mut(doc)
                .unwrap()
                .compact(&stable);
        }
    }

    fn edit(&mut self, replica: usize, doc: &str) -> Result<(), String> {
        let document = self.replicas[replica].get_mut(doc).unwrap();
        let before = document.version().clone();
        random_edit(document, &mut self.rng);
        check_new_changes(document, &before)
            .map_err(|failure| format!("{doc} on replica {replica}: {failure}"))?;
        let undo = self.undo[replica].get_mut(doc).unwrap();
        for event in document.take_events() {
            undo.record(&event, self.now);
        }
        Ok(())
    }

    fn heal(&mut self) -> Result<(), String> {
        let n = self.conditions.replicas;
        self.cut = vec![vec![false; n]; n];
        for i in 0..n {
            for j in (i + 1)..n {
                if self.rng.random_bool(0.5) {
                    self.connect(i, j);
                }
            }
        }
        for _ in 0..200 {
            while !self.in_flight.is_empty() {
                let packet = self.in_flight.remove(0);
                self.deliver(&packet)?;
            }
            if self.converged() {
                return Ok(());
            }
            // Compaction goes on while the network catches up.
            let replica = self.rng.random_range(0..n);
            self.compact(replica);
            self.now += 5_000;
            self.tick_all()?;
        }
        Err("the network did not converge after healing".into())
    }

    fn converged(&self) -> bool {
        DOCS.iter().all(|doc| {
            self.replicas
                .iter()
                .all(|replica| replica[*doc].version() == self.replicas[0][*doc].version())
        })
    }

    fn check(&self) -> Result<String, String> {
        let mut views = String::new();
        for doc in DOCS {
            let first = &self.replicas[0][doc];
            for (i, replica) in self.replicas.iter().enumerate() {
                let document = &replica[doc];
                if document.view() != first.view() || document.version() != first.version() {
                    return Err(format!(
                        "{doc}: replica {i} has {} at {:?}, replica 0 has {} at {:?}",
                        document.view().to_json(),
                        document.version(),
                        first.view().to_json(),
                        first.version()
                    ));
                }
                if document.pending_len() > 0 {
                    return Err(format!("{doc}: replica {i} still waits for changes"));
                }
                for mode in [SnapshotMode::Full, SnapshotMode::Shallow] {
                    let bytes = document.export_snapshot(mode);
                    let rebuilt = Document::from_snapshot(ReplicaId::new(99), &bytes)
                        .map_err(|error| format!("{doc}: snapshot of {i} refused: {error}"))?;
                    if rebuilt.view() != first.view() {
                        return Err(format!("{doc}: {mode:?} snapshot of {i} differs"));
                    }
                }
            }
            views.push_str(&first.view().to_json());
        }
        Ok(views)
    }
}
