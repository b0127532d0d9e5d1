//! Locks for apps and for the relay's own jobs: leases with fencing tokens.
//!
//! Two modes, told apart by what a double grant would cost:
//! - *efficiency* locks keep work from being done twice (a cache warmed twice is
//!   only waste). They live in the relay's own store: cheap, durable, and exact on
//!   a relay alone, but each relay of a mesh grants its own.
//! - *correctness* locks keep state from being corrupted. On a relay alone they are
//!   the same embedded locks; across a mesh they live in etcd, whose consensus
//!   decides who holds them, and a relay in a mesh without etcd refuses them.
//!
//! Either way a lease carries a fencing token that grows with every grant of its
//! name, and documents can be guarded by a correctness lock: the hub then applies
//! writes to them only from connections that show the latest token.

pub mod api;
pub mod election;
mod embedded;
mod etcd;
mod lease;
pub mod socket;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};

use crate::hub::Input;
use crate::metrics::Metrics;
use embedded::Embedded;
use etcd::Etcd;
pub use lease::{Lease, LockError, check_name, check_ttl, unix_millis};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Efficiency,
    #[default]
    Correctness,
}

/// Where a lock lives: two modes can share one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Space {
    Local,
    Cluster,
}

/// A lock changed hands (or became free: `holder` is `None`).
#[derive(Clone, Debug)]
pub struct LockEvent {
    space: Space,
    pub name: String,
    pub holder: Option<Lease>,
}

/// Watchers that fall this far behind miss events, and read the holder afresh.
const EVENTS_CAPACITY: usize = 1024;

pub struct Locks {
    embedded: Arc<Embedded>,
    etcd: Option<Etcd>,
    in_mesh: bool,
    /// Learns every fenced grant before its holder does.
    hub: mpsc::Sender<Input>,
    metrics: Arc<Metrics>,
    events: broadcast::Sender<LockEvent>,
    /// The live leases' tokens as last announced, so that watchers hear each change
    /// once (free locks have no entry).
    live: Mutex<HashMap<(Space, String), u64>>,
}

impl Locks {
    /// The lock service of a relay whose store is at `store_path`, with etcd at
    /// `etcd_endpoints` if any.
    pub fn open(
        store_path: &Path,
        etcd_endpoints: &[String],
        in_mesh: bool,
        hub: mpsc::Sender<Input>,
        metrics: Arc<Metrics>,
    ) -> Result<Arc<Self>, String> {
        let embedded = Embedded::open(store_path).map_err(|error| error.to_string())?;
        let etcd = if etcd_endpoints.is_empty() {
            None
        } else {
            Some(Etcd::new(etcd_endpoints)?)
        };
        Ok(Arc::new(Self {
            embedded: Arc::new(embedded),
            etcd,
            in_mesh,
            hub,
            metrics,
            events: broadcast::channel(EVENTS_CAPACITY).0,
            live: Mutex::new(HashMap::new()),
        }))
    }

    fn space(&self, mode: Mode) -> Result<Space, LockError> {
        match (mode, &self.etcd) {
            (Mode::Efficiency, _) => Ok(Space::Local),
            (Mode::Correctness, Some(_)) => Ok(Space::Cluster),
            (Mode::Correctness, None) if self.in_mesh => Err(LockError::Invalid(
                "correctness locks across a mesh need etcd: start the relays with --etcd \
                 (docs/locks.md), or ask for an efficiency lock"
                    .into(),
            )),
            (Mode::Correctness, None) => Ok(Space::Local),
        }
    }

    /// The space whose tokens guard documents.
    fn fenced(&self) -> Result<Space, LockError> {
        self.space(Mode::Correctness)
    }

    async fn local<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Embedded, u64) -> Result<T, LockError> + Send + 'static,
    ) -> Result<T, LockError> {
        let embedded = Arc::clone(&self.embedded);
        tokio::task::spawn_blocking(move || work(&embedded, unix_millis()))
            .await
            .map_err(|error| LockError::Unavailable(error.to_string()))?
    }

    fn cluster(&self) -> &Etcd {
        self.etcd
            .as_ref()
            .expect("the cluster space exists only with etcd")
    }

    pub async fn acquire(
        self: &Arc<Self>,
        mode: Mode,
        name: &str,
        holder: &str,
        ttl_ms: u64,
    ) -> Result<Lease, LockError> {
        check_name(name)?;
        check_ttl(ttl_ms)?;
        if holder.is_empty() || holder.len() > 256 {
            return Err(LockError::Invalid(
                "a holder is named by 1 to 256 characters".into(),
            ));
        }
        let space = self.space(mode)?;
        let lease = match space {
            Space::Local => {
                let (name, holder) = (name.to_owned(), holder.to_owned());
                self.local(move |locks, now| locks.acquire(&name, &holder, ttl_ms, now))
                    .await?
            }
            Space::Cluster => {
                self.cluster()
                    .acquire(name, holder, ttl_ms, unix_millis())
                    .await?
            }
        };
        if self.fenced() == Ok(space) {
            self.fence(name, lease.token).await;
        }
        Metrics::add(&self.metrics.locks_granted, 1);
        self.announce(space, name, Some(lease.clone()));
        self.expire_later(space, &lease);
        Ok(lease)
    }

    pub async fn renew(
        self: &Arc<Self>,
        mode: Mode,
        name: &str,
        token: u64,
        ttl_ms: u64,
    ) -> Result<Lease, LockError> {
        check_name(name)?;
        check_ttl(ttl_ms)?;
        let space = self.space(mode)?;
        let lease = match space {
            Space::Local => {
                let name = name.to_owned();
                self.local(move |locks, now| locks.renew(&name, token, ttl_ms, now))
                    .await?
            }
            Space::Cluster => self.cluster().renew(name, token, unix_millis()).await?,
        };
        self.expire_later(space, &lease);
        Ok(lease)
    }

    /// Ends a lease; whether it was still live (releasing twice is no error).
    pub async fn release(
        self: &Arc<Self>,
        mode: Mode,
        name: &str,
        token: u64,
    ) -> Result<bool, LockError> {
        check_name(name)?;
        let space = self.space(mode)?;
        let released = match space {
            Space::Local => {
                let name = name.to_owned();
                self.local(move |locks, now| locks.release(&name, token, now))
                    .await?
            }
            Space::Cluster => self.cluster().release(name, token).await?,
        };
        // Following etcd, the relay hears of the deletion; locally only this says so.
        if released && space == Space::Local {
            self.announce_free(space, name);
        }
        Ok(released)
    }

    /// The live lease on `name`, if any.
    pub async fn holder(&self, mode: Mode, name: &str) -> Result<Option<Lease>, LockError> {
        check_name(name)?;
        match self.space(mode)? {
            Space::Local => {
                let name = name.to_owned();
                self.local(move |locks, now| locks.holder(&name, now)).await
            }
            Space::Cluster => self.cluster().holder(name, unix_millis()).await,
        }
    }

    /// The latest token granted for the correctness lock `name` (0 if none), which
    /// the hub also learns: a guard showing an older one is stale.
    pub async fn latest(&self, name: &str) -> Result<u64, LockError> {
        check_name(name)?;
        let latest = match self.fenced()? {
            Space::Local => {
                let name = name.to_owned();
                self.local(move |locks, _| locks.latest(&name)).await?
            }
            Space::Cluster => self.cluster().latest(name).await?,
        };
        self.fence(name, latest).await;
        Ok(latest)
    }

    /// With etcd: follows the cluster, so that watchers here hear of grants and
    /// releases made through other relays, and the hub of their tokens.
    pub fn follow_cluster(self: &Arc<Self>) {
        if self.etcd.is_none() {
            return;
        }
        let locks = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                let (changes, mut arriving) = mpsc::unbounded_channel();
                let mut report = move |change| {
                    let _ = changes.send(change);
                };
                let follower = Arc::clone(&locks);
                let handling = tokio::spawn(async move {
                    while let Some(change) = arriving.recv().await {
                        follower.cluster_changed(change).await;
                    }
                });
                if let Err(error) = locks.cluster().follow(&mut report).await {
                    tracing::debug!(%error, "following etcd stopped; starting again");
                }
                drop(report);
                let _ = handling.await;
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        });
    }

    async fn cluster_changed(&self, change: etcd::Change) {
        match change {
            etcd::Change::Fence { name, token } => self.fence(&name, token).await,
            etcd::Change::Lock {
                name,
                granted: false,
            } => self.announce(Space::Cluster, &name, None),
            etcd::Change::Lock {
                name,
                granted: true,
            } => {
                if let Ok(holder) = self.cluster().holder(&name, unix_millis()).await {
                    self.announce(Space::Cluster, &name, holder);
                }
            }
        }
    }

    /// Whether the lease `token` of the correctness lock `name` is live now: a
    /// linearizable read of the lock service.
    pub async fn holds(&self, name: &str, token: u64) -> Result<bool, LockError> {
        match self.fenced()? {
            Space::Local => Ok(self
                .holder(Mode::Correctness, name)
                .await?
                .is_some_and(|lease| lease.token == token)),
            // One read of the lock key: its expiry does not matter here.
            Space::Cluster => self.cluster().holds(name, token).await,
        }
    }

    /// The relay's metrics, which its jobs report their ownership in too.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Whether lock holders can share state through the lock service (with etcd):
    /// what one relay's job recorded, the next owner reads.
    pub fn shares_state(&self) -> bool {
        self.etcd.is_some()
    }

    /// Records `value` at `key` for the next holders of the correctness lock `name`,
    /// only while `token` is its live lease; whether it was written.
    pub async fn put_fenced(
        &self,
        name: &str,
        token: u64,
        key: &str,
        value: &str,
    ) -> Result<bool, LockError> {
        match &self.etcd {
            Some(etcd) => etcd.put_fenced(name, token, key, value).await,
            None => Err(LockError::Invalid("shared state needs etcd".into())),
        }
    }

    /// What holders recorded under keys starting with `prefix`.
    pub async fn shared(&self, prefix: &str) -> Result<Vec<(String, String)>, LockError> {
        match &self.etcd {
            Some(etcd) => etcd.shared(prefix).await,
            None => Ok(Vec::new()),
        }
    }

    /// The named stream cursor at `key` as the relays of the mesh moved it (with
    /// etcd; `None` otherwise): a consumer may acknowledge through one relay and
    /// resume through another.
    pub async fn shared_cursor(&self, key: &str) -> Result<Option<String>, LockError> {
        match &self.etcd {
            Some(etcd) => etcd.cursor(key).await,
            None => Ok(None),
        }
    }

    /// Moves the shared cursor at `key` to `advance(its value)`, atomically across
    /// relays; nothing without etcd.
    pub async fn advance_shared_cursor(
        &self,
        key: &str,
        advance: impl Fn(Option<&str>) -> Option<String>,
    ) -> Result<(), LockError> {
        match &self.etcd {
            Some(etcd) => etcd.advance_cursor(key, advance).await,
            None => Ok(()),
        }
    }

    /// Whether guards must be checked with the lock service on every write: when
    /// other relays grant the same locks, the hub cannot hear of every grant first.
    pub fn guards_need_checks(&self) -> bool {
        self.etcd.is_some()
    }

    /// Events of the locks `followed` names, as they change.
    pub fn watch(&self, followed: Followed) -> Watch {
        Watch {
            followed,
            events: self.events.subscribe(),
        }
    }

    async fn fence(&self, name: &str, token: u64) {
        let _ = self
            .hub
            .send(Input::Fence {
                lock: name.into(),
                token,
            })
            .await;
    }

    /// Tells watchers who holds `name` now, unless they heard so already.
    fn announce(&self, space: Space, name: &str, holder: Option<Lease>) {
        self.announce_if(space, name, holder, false);
    }

    /// Tells watchers that `name` became free: a release is news even when this
    /// relay never announced the lease (it was granted before a restart).
    fn announce_free(&self, space: Space, name: &str) {
        self.announce_if(space, name, None, true);
    }

    fn announce_if(&self, space: Space, name: &str, holder: Option<Lease>, always: bool) {
        let token = holder.as_ref().map(|lease| lease.token);
        let mut live = self
            .live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let key = (space, name.to_owned());
        let last = match token {
            Some(token) => live.insert(key, token),
            None => live.remove(&key),
        };
        if always || last != token {
            let _ = self.events.send(LockEvent {
                space,
                name: name.into(),
                holder,
            });
        }
    }

    /// Looks again once `lease` should have lapsed, so that watchers hear that a
    /// holder that stopped renewing (or died) is gone.
    fn expire_later(self: &Arc<Self>, space: Space, lease: &Lease) {
        let locks = Arc::clone(self);
        let name = lease.name.clone();
        let wait = lease.expires.saturating_sub(unix_millis()) + EXPIRY_MARGIN_MS;
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(wait)).await;
            let mode = match space {
                Space::Local => Mode::Efficiency,
                Space::Cluster => Mode::Correctness,
            };
            if let Ok(holder) = locks.holder(mode, &name).await {
                locks.announce(space, &name, holder);
            }
        });
    }
}

/// How long after a lease's expiry the relay looks whether it lapsed.
const EXPIRY_MARGIN_MS: u64 = 20;

/// The locks one watcher follows: shared by whoever names them and whoever reads
/// their events.
#[derive(Clone, Default)]
pub struct Followed(Arc<Mutex<HashSet<(Space, String)>>>);

impl Followed {
    fn names(&self) -> std::sync::MutexGuard<'_, HashSet<(Space, String)>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Follows `name` in `mode` too; how many locks it follows now.
    pub fn add(&self, locks: &Locks, mode: Mode, name: &str) -> Result<usize, LockError> {
        check_name(name)?;
        let mut names = self.names();
        names.insert((locks.space(mode)?, name.into()));
        Ok(names.len())
    }

    /// Stops following `name` in `mode`.
    pub fn remove(&self, locks: &Locks, mode: Mode, name: &str) {
        if let Ok(space) = locks.space(mode) {
            self.names().remove(&(space, name.into()));
        }
    }

    pub fn len(&self) -> usize {
        self.names().len()
    }

    fn contains(&self, event: &LockEvent) -> bool {
        self.names().contains(&(event.space, event.name.clone()))
    }
}

/// Lock events of the locks one watcher follows.
pub struct Watch {
    followed: Followed,
    events: broadcast::Receiver<LockEvent>,
}

impl Watch {
    /// The next event of a followed lock; `Err` when some were missed (read the
    /// holders again), `None` when the service is gone.
    pub async fn next(&mut self) -> Option<Result<LockEvent, Missed>> {
        loop {
            match self.events.recv().await {
                Ok(event) if self.followed.contains(&event) => return Some(Ok(event)),
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(_)) => return Some(Err(Missed)),
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}

/// Events went by while a watcher was not reading.
#[derive(Debug)]
pub struct Missed;
