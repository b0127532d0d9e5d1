//! A seeded simulated network of replicas of one delta-state type.
//!
//! Replicas make random local operations and broadcast the deltas. The network drops,
//! duplicates and reorders messages and cuts links into partitions; replicas also run
//! anti-entropy (send a version vector, receive `delta_since` of it). At the end the
//! network heals, every pair of replicas syncs, and [`Network::run`] checks that all
//! replicas are equal and equal to the join of every delta ever made: nothing lost,
//! nothing invented.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use weft_core::{DeltaCrdt, Error, Integration, Replica, ReplicaId, VersionVector};

/// How hostile the network is, and how long a run lasts.
#[derive(Clone, Copy, Debug)]
pub struct Conditions {
    /// Number of replicas.
    pub replicas: usize,
    /// Local operations over the whole run.
    pub operations: usize,
    /// Probability that a message is lost.
    pub drop: f64,
    /// Probability that a message is delivered twice.
    pub duplicate: f64,
    /// Probability, per operation, that the partition changes (a link is cut, or all
    /// links heal).
    pub repartition: f64,
    /// Probability, per operation, that some replica runs anti-entropy with another.
    pub anti_entropy: f64,
}

impl Default for Conditions {
    fn default() -> Self {
        Self {
            replicas: 4,
            operations: 300,
            drop: 0.2,
            duplicate: 0.1,
            repartition: 0.05,
            anti_entropy: 0.1,
        }
    }
}

/// What happened during a run, for tests that want to be sure the hostile paths ran.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Deltas that waited in a backlog.
    pub deferred: usize,
    /// Messages lost to drops or cut links.
    pub lost: usize,
    /// Messages delivered twice.
    pub duplicated: usize,
    /// Anti-entropy answers delivered.
    pub anti_entropy: usize,
}

enum Message<T> {
    Delta {
        to: usize,
        delta: T,
    },
    VersionOf {
        from: usize,
        to: usize,
        version: VersionVector,
    },
}

impl<T: Clone> Clone for Message<T> {
    fn clone(&self) -> Self {
        match self {
            Self::Delta { to, delta } => Self::Delta {
                to: *to,
                delta: delta.clone(),
            },
            Self::VersionOf { from, to, version } => Self::VersionOf {
                from: *from,
                to: *to,
                version: version.clone(),
            },
        }
    }
}

/// One simulated run.
pub struct Network<T> {
    replicas: Vec<Replica<T>>,
    ids: Vec<ReplicaId>,
    in_flight: Vec<(usize, Message<T>)>,
    cut: Vec<Vec<bool>>,
    truth: T,
    rng: StdRng,
    conditions: Conditions,
    report: Report,
}

impl<T: DeltaCrdt + std::fmt::Debug> Network<T> {
    /// A network of `conditions.replicas` empty replicas, driven by `seed`.
    pub fn new(seed: u64, conditions: Conditions) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let ids = (0..conditions.replicas)
            .map(|_| ReplicaId::new(rng.random()))
            .collect();
        Self {
            replicas: (0..conditions.replicas)
                .map(|_| Replica::new(T::default()))
                .collect(),
            ids,
            in_flight: Vec::new(),
            cut: vec![vec![false; conditions.replicas]; conditions.replicas],
            truth: T::default(),
            rng,
            conditions,
            report: Report::default(),
        }
    }

    /// Runs the operations, heals, syncs everyone, and checks convergence. `operate`
    /// makes one random local operation on a replica and returns its delta.
    ///
    /// # Panics
    ///
    /// When the replicas do not converge, or converge to something other than the join
    /// of every delta: the test failed.
    pub fn run(
        mut self,
        mut operate: impl FnMut(&mut T, ReplicaId, &mut StdRng) -> Result<T, Error>,
    ) -> Report {
        for _ in 0..self.conditions.operations {
            self.operate(&mut operate);
            let deliveries = self.rng.random_range(0..=self.replicas.len());
            for _ in 0..deliveries {
                self.deliver_one();
            }
            if self.rng.random_bool(self.conditions.anti_entropy) {
                self.request_anti_entropy();
            }
            if self.rng.random_bool(self.conditions.repartition) {
                self.repartition();
            }
        }
        self.heal_and_sync();
        self.report
    }

    fn operate(
        &mut self,
        operate: &mut impl FnMut(&mut T, ReplicaId, &mut StdRng) -> Result<T, Error>,
    ) {
        let author = self.rng.random_range(0..self.replicas.len());
        let delta = operate(&mut self.replicas[author], self.ids[author], &mut self.rng)
            .expect("a local operation failed");
        self.truth.join(delta.clone());
        for to in 0..self.replicas.len() {
            if to != author {
                self.send(
                    author,
                    Message::Delta {
                        to,
                        delta: delta.clone(),
                    },
                );
            }
        }
    }

    fn send(&mut self, from: usize, message: Message<T>) {
        if self.rng.random_bool(self.conditions.drop) {
            self.report.lost += 1;
            return;
        }
        if self.rng.random_bool(self.conditions.duplicate) {
            self.report.duplicated += 1;
            self.in_flight.push((from, message.clone()));
        }
        self.in_flight.push((from, message));
    }

    fn deliver_one(&mut self) {
        if self.in_flight.is_empty() {
            return;
        }
        let index = self.rng.random_range(0..self.in_flight.len());
        let (from, message) = self.in_flight.swap_remove(index);
        self.receive(from, message);
    }

    fn receive(&mut self, from: usize, message: Message<T>) {
        match message {
            Message::Delta { to, delta } => {
                if self.cut[from][to] {
                    self.report.lost += 1;
                    return;
                }
                if self.replicas[to].integrate(delta) == Integration::Deferred {
                    self.report.deferred += 1;
                }
            }
            Message::VersionOf {
                from: asker,
                to,
                version,
            } => {
                if self.cut[asker][to] {
                    self.report.lost += 1;
                    return;
                }
                self.report.anti_entropy += 1;
                let delta = self.replicas[to].delta_since(&version);
                self.send(to, Message::Delta { to: asker, delta });
            }
        }
    }

    fn request_anti_entropy(&mut self) {
        let asker = self.rng.random_range(0..self.replicas.len());
        let to = self.rng.random_range(0..self.replicas.len());
        if asker != to {
            let version = self.replicas[asker].version();
            self.send(
                asker,
                Message::VersionOf {
                    from: asker,
                    to,
                    version,
                },
            );
        }
    }

    fn repartition(&mut self) {
        if self.rng.random_bool(0.3) {
            self.cut.iter_mut().flatten().for_each(|cut| *cut = false);
            return;
        }
        let a = self.rng.random_range(0..self.replicas.len());
        let b = self.rng.random_range(0..self.replicas.len());
        self.cut[a][b] = true;
        self.cut[b][a] = true;
    }

    fn heal_and_sync(&mut self) {
        self.cut.iter_mut().flatten().for_each(|cut| *cut = false);
        while !self.in_flight.is_empty() {
            self.deliver_one();
        }
        // One round of pairwise anti-entropy is enough when deltas are exact: the first
        // replica pulls everything from everyone, and the others pull it from it.
        for asker in 0..self.replicas.len() {
            for to in 0..self.replicas.len() {
                let delta = self.replicas[to].delta_since(&self.replicas[asker].version());
                self.replicas[asker].integrate(delta);
            }
        }
        for (index, replica) in self.replicas.iter().enumerate() {
            assert_eq!(replica.backlog_len(), 0, "replica {index} kept a backlog");
            assert_eq!(
                replica.state(),
                &self.truth,
                "replica {index} differs from the join of every delta"
            );
        }
    }
}
