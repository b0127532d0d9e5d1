//! Leader election for the relay's own jobs (webhook delivery): one relay of a mesh
//! runs each job at a time, and checks that it still owns it before every write it
//! makes.
//!
//! Where correctness locks exist (a relay alone, or a mesh with etcd), a job is the
//! lock `relay-job:<job>`, held by the relay's name and renewed while it lives; its
//! token is the owner's epoch. In a mesh without etcd the live relay whose name sorts
//! first owns every job: cheap, but a partition can give each side an owner for a
//! while (the receivers then see duplicates, which they drop by dot).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::{LockError, Locks, Mode, unix_millis};
use crate::mesh::MeshView;
use crate::metrics::Metrics;

/// A job's lease, renewed at a third of it: a relay that dies hands the job over
/// within this long.
const JOB_TTL_MS: u64 = 10_000;
const RENEW_EVERY: Duration = Duration::from_millis(JOB_TTL_MS / 3);
/// How often a mesh without etcd looks who sorts first among the live relays.
const MEMBERSHIP_EVERY: Duration = Duration::from_secs(1);

/// An epoch of gossip ownership, which has no token.
pub const GOSSIP_EPOCH: u64 = 0;

/// This relay's ownership of one job: the epoch while it owns it.
#[derive(Clone)]
pub struct Leadership {
    lock: String,
    locks: Arc<Locks>,
    /// Set when ownership follows the mesh's membership instead of a lease.
    gossip: Option<Arc<MeshView>>,
    epoch: watch::Receiver<Option<u64>>,
}

impl Leadership {
    /// Campaigns for `job` as `node`, for as long as the relay runs.
    pub fn campaign(
        locks: Arc<Locks>,
        mesh: Option<Arc<MeshView>>,
        job: &str,
        node: String,
    ) -> Self {
        let lock = format!("relay-job:{job}");
        let gossip = match (&mesh, locks.shares_state()) {
            (Some(mesh), false) => Some(Arc::clone(mesh)),
            _ => None,
        };
        let (epoch, watching) = watch::channel(None);
        let owner = Owner {
            epoch,
            locks: Arc::clone(&locks),
        };
        match &gossip {
            Some(mesh) => {
                tokio::spawn(follow_membership(Arc::clone(mesh), owner));
            }
            None => {
                tokio::spawn(hold_lease(Arc::clone(&locks), lock.clone(), node, owner));
            }
        }
        Self {
            lock,
            locks,
            gossip,
            epoch: watching,
        }
    }

    /// The epoch this relay owns the job in, if it does.
    pub fn epoch(&self) -> Option<u64> {
        *self.epoch.borrow()
    }

    /// Waits until ownership changes.
    pub async fn changed(&mut self) {
        if self.epoch.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// Whether this relay still owns the job in `epoch`, asked of the lock service
    /// itself rather than of what the campaign last heard.
    pub async fn confirm(&self, epoch: u64) -> bool {
        match &self.gossip {
            Some(mesh) => mesh.sorts_first_of_the_live(),
            None => self.locks.holds(&self.lock, epoch).await.unwrap_or(false),
        }
    }

    /// Records `value` at `key` for the next owners, only while `epoch` owns the
    /// job; whether it was written (false: the job has another owner now). Without
    /// etcd there is no next owner elsewhere, and nothing to record.
    pub async fn record(&self, epoch: u64, key: &str, value: &str) -> Result<bool, LockError> {
        if !self.locks.shares_state() {
            return Ok(true);
        }
        self.locks
            .put_fenced(&self.lock, epoch, &format!("{}/{key}", self.lock), value)
            .await
    }

    /// What earlier owners recorded: `(key, value)`.
    pub async fn recorded(&self) -> Result<Vec<(String, String)>, LockError> {
        self.locks.shared(&format!("{}/", self.lock)).await
    }
}

/// Publishes who owns a job: to the job, and to the relay's metrics.
struct Owner {
    epoch: watch::Sender<Option<u64>>,
    locks: Arc<Locks>,
}

impl Owner {
    fn set(&self, owned: Option<u64>) {
        let before = self.epoch.send_replace(owned);
        let gauge = &self.locks.metrics().jobs_owned;
        match (before.is_some(), owned.is_some()) {
            (false, true) => Metrics::add(gauge, 1),
            (true, false) => {
                gauge.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
            }
            _ => {}
        }
    }
}

async fn follow_membership(mesh: Arc<MeshView>, owner: Owner) {
    loop {
        let owned = mesh.sorts_first_of_the_live().then_some(GOSSIP_EPOCH);
        if *owner.epoch.borrow() != owned {
            owner.set(owned);
        }
        tokio::time::sleep(MEMBERSHIP_EVERY).await;
    }
}

async fn hold_lease(locks: Arc<Locks>, lock: String, node: String, owner: Owner) {
    loop {
        match locks
            .acquire(Mode::Correctness, &lock, &node, JOB_TTL_MS)
            .await
        {
            Ok(lease) => {
                tracing::info!(job = lock, epoch = lease.token, "this relay owns the job");
                owner.set(Some(lease.token));
                keep(&locks, &lease.name, lease.token, lease.expires, &owner).await;
                tracing::info!(
                    job = lock,
                    epoch = lease.token,
                    "this relay no longer owns the job"
                );
            }
            // Held under this relay's own name: by its previous run, which is gone.
            Err(LockError::Held(lease)) if lease.holder == node => {
                let _ = locks.release(Mode::Correctness, &lock, lease.token).await;
            }
            Err(LockError::Held(lease)) => {
                let left = lease.expires.saturating_sub(unix_millis());
                tokio::time::sleep(Duration::from_millis(left.min(JOB_TTL_MS)) + jitter()).await;
            }
            Err(error) => {
                tracing::warn!(job = lock, %error, "campaigning for the job failed; trying again");
                tokio::time::sleep(Duration::from_secs(1) + jitter()).await;
            }
        }
    }
}

/// Renews the lease until it is lost. While the lock service cannot be reached the
/// relay keeps the job only as long as its last renewal is sure to hold.
async fn keep(locks: &Arc<Locks>, lock: &str, token: u64, mut expires: u64, owner: &Owner) {
    loop {
        tokio::time::sleep(RENEW_EVERY).await;
        match locks
            .renew(Mode::Correctness, lock, token, JOB_TTL_MS)
            .await
        {
            Ok(lease) => {
                expires = lease.expires;
                if owner.epoch.borrow().is_none() {
                    owner.set(Some(token));
                }
            }
            Err(LockError::Lost { .. }) => {
                owner.set(None);
                return;
            }
            Err(error) => {
                if unix_millis() + RENEW_EVERY.as_millis() as u64 >= expires {
                    tracing::warn!(job = lock, %error, "cannot renew the job's lease: pausing it");
                    owner.set(None);
                }
                if unix_millis() >= expires {
                    return;
                }
            }
        }
    }
}

fn jitter() -> Duration {
    Duration::from_millis(rand::random_range(0..250))
}
