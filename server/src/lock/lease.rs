//! What a lock service hands out and answers: leases, their holders, and the reasons
//! a request is turned down.

use serde::Serialize;

/// A granted lock: who holds it, until when, and the fencing token that orders it
/// after every earlier grant of the same name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Lease {
    pub name: String,
    /// Strictly greater than every token granted before for this name, across
    /// restarts (and, with etcd, across relays).
    pub token: u64,
    pub holder: String,
    /// Unix milliseconds at which the lease lapses unless renewed.
    pub expires: u64,
}

/// Why a lock request was not granted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LockError {
    /// Someone else holds it.
    Held(Lease),
    /// The lease named is no longer the live one: it expired, was released, or a
    /// newer one was granted.
    Lost { name: String, token: u64 },
    /// The request itself is wrong (a bad name or ttl).
    Invalid(String),
    /// The client's token does not cover the lock or document.
    Forbidden(String),
    /// The lock service could not answer (etcd unreachable, a disk error).
    Unavailable(String),
}

impl LockError {
    /// A short, stable name for clients to branch on.
    pub fn code(&self) -> &'static str {
        match self {
            LockError::Held(_) => "held",
            LockError::Lost { .. } => "lost",
            LockError::Invalid(_) => "invalid",
            LockError::Forbidden(_) => "forbidden",
            LockError::Unavailable(_) => "unavailable",
        }
    }
}

impl std::fmt::Display for LockError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LockError::Held(lease) => write!(
                f,
                "lock {:?} is held by {:?} (token {})",
                lease.name, lease.holder, lease.token
            ),
            LockError::Lost { name, token } => write!(
                f,
                "the lease on {name:?} with token {token} is no longer held: acquire the lock again"
            ),
            LockError::Invalid(reason) | LockError::Forbidden(reason) => f.write_str(reason),
            LockError::Unavailable(reason) => {
                write!(f, "the lock service is unavailable: {reason}")
            }
        }
    }
}

/// Lock names: what document names may be, so that tokens for a family of documents
/// can cover locks named alike.
pub fn check_name(name: &str) -> Result<(), LockError> {
    if name.is_empty() || name.len() > 256 || name.chars().any(char::is_control) {
        return Err(LockError::Invalid(
            "a lock name is 1 to 256 characters, none of them control characters".into(),
        ));
    }
    Ok(())
}

/// Shortest and longest leases: shorter ones expire between two renewals of a busy
/// client, longer ones keep a dead holder's lock for too long.
pub const MIN_TTL_MS: u64 = 1_000;
pub const MAX_TTL_MS: u64 = 3_600_000;

pub fn check_ttl(ttl_ms: u64) -> Result<(), LockError> {
    if !(MIN_TTL_MS..=MAX_TTL_MS).contains(&ttl_ms) {
        return Err(LockError::Invalid(format!(
            "a lease lasts from {MIN_TTL_MS} to {MAX_TTL_MS} ms"
        )));
    }
    Ok(())
}

pub fn unix_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as u64)
}
