//! Locks kept in the relay's own SQLite file: durable (a granted token is on disk
//! before anyone hears of it), so tokens never go backwards across restarts. One
//! relay is the only authority, which makes these locks exact on a relay alone and
//! merely advisory across a mesh (each relay would grant its own).

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::lease::{Lease, LockError};

pub struct Embedded {
    db: Mutex<Connection>,
}

fn unavailable(error: rusqlite::Error) -> LockError {
    LockError::Unavailable(error.to_string())
}

/// A lock's row: the last token granted, and the holder while a lease is live.
struct Row {
    token: u64,
    holder: Option<String>,
    expires: u64,
}

impl Row {
    fn live(&self, name: &str, now: u64) -> Option<Lease> {
        let holder = self.holder.clone()?;
        (self.expires > now).then(|| Lease {
            name: name.into(),
            token: self.token,
            holder,
            expires: self.expires,
        })
    }
}

fn read(db: &Connection, name: &str) -> Result<Option<Row>, LockError> {
    db.query_row(
        "SELECT token, holder, expires FROM locks WHERE name = ?1",
        params![name],
        |row| {
            Ok(Row {
                token: row.get::<_, i64>(0)? as u64,
                holder: row.get(1)?,
                expires: row.get::<_, i64>(2)? as u64,
            })
        },
    )
    .optional()
    .map_err(unavailable)
}

impl Embedded {
    /// Opens the lock table in the store at `path` (the relay's `relay.db`).
    pub fn open(path: &Path) -> Result<Self, LockError> {
        let db = Connection::open(path).map_err(unavailable)?;
        db.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA busy_timeout = 5000;
             CREATE TABLE IF NOT EXISTS locks (
                 name TEXT PRIMARY KEY,
                 token INTEGER NOT NULL,
                 holder TEXT,
                 expires INTEGER NOT NULL
             );",
        )
        .map_err(unavailable)?;
        Ok(Self { db: Mutex::new(db) })
    }

    fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the connection leaves SQLite consistent: its
        // transaction rolled back.
        self.db
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Grants `name` to `holder` for `ttl_ms` unless a live lease holds it, with the
    /// next token; the grant is durable when this returns.
    pub fn acquire(
        &self,
        name: &str,
        holder: &str,
        ttl_ms: u64,
        now: u64,
    ) -> Result<Lease, LockError> {
        let mut db = self.db();
        let tx = db
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(unavailable)?;
        let row = read(&tx, name)?;
        if let Some(live) = row.as_ref().and_then(|row| row.live(name, now)) {
            return Err(LockError::Held(live));
        }
        let token = row.map_or(0, |row| row.token) + 1;
        let expires = now + ttl_ms;
        tx.execute(
            "INSERT INTO locks (name, token, holder, expires) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (name) DO UPDATE SET token = ?2, holder = ?3, expires = ?4",
            params![name, token as i64, holder, expires as i64],
        )
        .map_err(unavailable)?;
        tx.commit().map_err(unavailable)?;
        Ok(Lease {
            name: name.into(),
            token,
            holder: holder.into(),
            expires,
        })
    }

    /// Extends the live lease `token` of `name` to `ttl_ms` from now.
    pub fn renew(&self, name: &str, token: u64, ttl_ms: u64, now: u64) -> Result<Lease, LockError> {
        let db = self.db();
        let lost = || LockError::Lost {
            name: name.into(),
            token,
        };
        let live = read(&db, name)?
            .filter(|row| row.token == token)
            .and_then(|row| row.live(name, now))
            .ok_or_else(lost)?;
        let expires = now + ttl_ms;
        db.execute(
            "UPDATE locks SET expires = ?3 WHERE name = ?1 AND token = ?2",
            params![name, token as i64, expires as i64],
        )
        .map_err(unavailable)?;
        Ok(Lease { expires, ..live })
    }

    /// Ends the lease `token` of `name` at once; whether it was still live.
    pub fn release(&self, name: &str, token: u64, now: u64) -> Result<bool, LockError> {
        let db = self.db();
        let changed = db
            .execute(
                "UPDATE locks SET holder = NULL, expires = 0
                 WHERE name = ?1 AND token = ?2 AND holder IS NOT NULL AND expires > ?3",
                params![name, token as i64, now as i64],
            )
            .map_err(unavailable)?;
        Ok(changed > 0)
    }

    /// The live lease on `name`, if any.
    pub fn holder(&self, name: &str, now: u64) -> Result<Option<Lease>, LockError> {
        Ok(read(&self.db(), name)?.and_then(|row| row.live(name, now)))
    }

    /// The last token granted for `name` (0 if it never was).
    pub fn latest(&self, name: &str) -> Result<u64, LockError> {
        Ok(read(&self.db(), name)?.map_or(0, |row| row.token))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locks() -> (Embedded, std::path::PathBuf) {
        let path = std::env::temp_dir().join(format!(
            "weft-locks-{}-{}.db",
            std::process::id(),
            rand::random::<u32>()
        ));
        (Embedded::open(&path).unwrap(), path)
    }

    #[test]
    fn one_holder_at_a_time_with_growing_tokens() {
        let (locks, _) = locks();
        let first = locks.acquire("job", "a", 1_000, 0).unwrap();
        assert_eq!(first.token, 1);
        assert_eq!(
            locks.acquire("job", "b", 1_000, 500),
            Err(LockError::Held(first.clone()))
        );
        // Expired: the next holder gets a larger token.
        let second = locks.acquire("job", "b", 1_000, 1_000).unwrap();
        assert_eq!(second.token, 2);
        // The lapsed holder can neither renew nor release the new lease.
        assert!(matches!(
            locks.renew("job", 1, 1_000, 1_001),
            Err(LockError::Lost { token: 1, .. })
        ));
        assert_eq!(locks.release("job", 1, 1_001), Ok(false));
        assert_eq!(locks.holder("job", 1_001).unwrap(), Some(second.clone()));
        // Released: granted again at once, with a larger token still.
        assert_eq!(locks.release("job", 2, 1_002), Ok(true));
        assert_eq!(locks.holder("job", 1_002).unwrap(), None);
        assert_eq!(locks.acquire("job", "a", 1_000, 1_003).unwrap().token, 3);
        // Other names count on their own.
        assert_eq!(locks.acquire("other", "a", 1_000, 1_003).unwrap().token, 1);
    }

    #[test]
    fn renewing_moves_the_expiry() {
        let (locks, _) = locks();
        let lease = locks.acquire("job", "a", 1_000, 0).unwrap();
        let renewed = locks.renew("job", lease.token, 1_000, 900).unwrap();
        assert_eq!(renewed.expires, 1_900);
        assert!(matches!(
            locks.acquire("job", "b", 1_000, 1_500),
            Err(LockError::Held(_))
        ));
        assert!(matches!(
            locks.renew("job", lease.token, 1_000, 1_900),
            Err(LockError::Lost { .. })
        ));
    }

    #[test]
    fn tokens_survive_reopening() {
        let (locks, path) = locks();
        for now in 0..5 {
            let lease = locks.acquire("job", "a", 1_000, now * 2_000).unwrap();
            locks.release("job", lease.token, now * 2_000).unwrap();
        }
        drop(locks);
        let reopened = Embedded::open(&path).unwrap();
        assert_eq!(reopened.latest("job").unwrap(), 5);
        assert_eq!(
            reopened.acquire("job", "b", 1_000, 20_000).unwrap().token,
            6
        );
    }
}
