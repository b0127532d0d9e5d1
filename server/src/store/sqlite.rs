//! The default store: SQLite in write-ahead-log mode, with `synchronous = FULL` so a
//! committed write survives power loss, not just a crash of the relay.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

use super::{Batch, Store, StoreError, Stored};

/// A store in one SQLite file.
pub struct SqliteStore {
    db: Connection,
}

fn failed(error: rusqlite::Error) -> StoreError {
    StoreError(error.to_string())
}

impl SqliteStore {
    /// Opens (or creates) the store at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let db = Connection::open(path).map_err(failed)?;
        db.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             CREATE TABLE IF NOT EXISTS snapshots (
                 doc TEXT PRIMARY KEY,
                 bytes BLOB NOT NULL,
                 through INTEGER NOT NULL DEFAULT 0
             );
             CREATE TABLE IF NOT EXISTS deltas (
                 id INTEGER PRIMARY KEY AUTOINCREMENT,
                 doc TEXT NOT NULL,
                 bytes BLOB NOT NULL
             );
             CREATE INDEX IF NOT EXISTS deltas_by_doc ON deltas (doc, id);
             CREATE TABLE IF NOT EXISTS versions (
                 doc TEXT PRIMARY KEY,
                 version BLOB NOT NULL
             );
             CREATE TABLE IF NOT EXISTS bases (
                 doc TEXT PRIMARY KEY,
                 bytes BLOB NOT NULL,
                 pruned INTEGER NOT NULL
             );
             CREATE TABLE IF NOT EXISTS guards (
                 doc TEXT PRIMARY KEY,
                 lock TEXT NOT NULL
             );
             CREATE TABLE IF NOT EXISTS cursors (
                 name TEXT NOT NULL,
                 doc TEXT NOT NULL,
                 seq INTEGER NOT NULL,
                 PRIMARY KEY (name, doc)
             );",
        )
        .map_err(failed)?;
        // Stores made before snapshots recorded what they fold in.
        let has_through: bool = db
            .query_row(
                "SELECT COUNT(*) FROM pragma_table_info('snapshots') WHERE name = 'through'",
                [],
                |row| row.get::<_, i64>(0),
            )
            .map_err(failed)?
            > 0;
        if !has_through {
            db.execute_batch("ALTER TABLE snapshots ADD COLUMN through INTEGER NOT NULL DEFAULT 0")
                .map_err(failed)?;
        }
        Ok(Self { db })
    }
}

impl SqliteStore {
    /// One row of `(sequence number, bytes)` for `doc`, if there is one.
    fn sequence_and_bytes(
        &self,
        query: &str,
        doc: &str,
    ) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        self.db
            .query_row(query, params![doc], |row| {
                Ok((row.get::<_, i64>(0)? as u64, row.get(1)?))
            })
            .optional()
            .map_err(failed)
    }
}

impl Store for SqliteStore {
    fn load(&mut self, doc: &str) -> Result<Stored, StoreError> {
        let (through, snapshot) = match self.snapshot(doc)? {
            Some((through, bytes)) => (through, Some(bytes)),
            None => (0, None),
        };
        let deltas = self
            .deltas_after(doc, through, usize::MAX)?
            .into_iter()
            .map(|(_, bytes)| bytes)
            .collect();
        let guard = self
            .db
            .query_row(
                "SELECT lock FROM guards WHERE doc = ?1",
                params![doc],
                |row| row.get(0),
            )
            .optional()
            .map_err(failed)?;
        Ok(Stored {
            snapshot,
            deltas,
            guard,
        })
    }

    fn set_guard(&mut self, doc: &str, lock: &str) -> Result<(), StoreError> {
        self.db
            .execute(
                "INSERT INTO guards (doc, lock) VALUES (?1, ?2)
                 ON CONFLICT (doc) DO UPDATE SET lock = ?2",
                params![doc, lock],
            )
            .map_err(failed)?;
        Ok(())
    }

    fn append(&mut self, batch: &Batch) -> Result<Vec<u64>, StoreError> {
        let transaction = self.db.transaction().map_err(failed)?;
        let mut seqs = Vec::with_capacity(batch.deltas.len());
        {
            let mut insert = transaction
                .prepare_cached("INSERT INTO deltas (doc, bytes) VALUES (?1, ?2)")
                .map_err(failed)?;
            for (doc, bytes) in &batch.deltas {
                insert.execute(params![doc, bytes]).map_err(failed)?;
                seqs.push(transaction.last_insert_rowid() as u64);
            }
            for (doc, version) in &batch.versions {
                record_version(&transaction, doc, version)?;
            }
        }
        transaction.commit().map_err(failed)?;
        Ok(seqs)
    }

    fn write_snapshot(
        &mut self,
        doc: &str,
        snapshot: &[u8],
        version: &[u8],
    ) -> Result<u64, StoreError> {
        let transaction = self.db.transaction().map_err(failed)?;
        record_version(&transaction, doc, version)?;
        let through = transaction
            .query_row(
                "INSERT INTO snapshots (doc, bytes, through)
                 VALUES (?1, ?2, (SELECT COALESCE(MAX(id), 0) FROM deltas WHERE doc = ?1))
                 ON CONFLICT (doc) DO UPDATE
                 SET bytes = excluded.bytes, through = MAX(through, excluded.through)
                 RETURNING through",
                params![doc, snapshot],
                |row| row.get::<_, i64>(0),
            )
            .map_err(failed)?;
        transaction.commit().map_err(failed)?;
        Ok(through as u64)
    }

    fn base(&mut self, doc: &str) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        self.sequence_and_bytes("SELECT pruned, bytes FROM bases WHERE doc = ?1", doc)
    }

    fn prune(&mut self, doc: &str, pruned: u64, base: &[u8]) -> Result<(), StoreError> {
        let pruned = sequence(pruned)?;
        let transaction = self.db.transaction().map_err(failed)?;
        transaction
            .execute(
                "INSERT INTO bases (doc, bytes, pruned) VALUES (?1, ?2, ?3)
                 ON CONFLICT (doc) DO UPDATE SET bytes = excluded.bytes, pruned = excluded.pruned",
                params![doc, base, pruned],
            )
            .map_err(failed)?;
        transaction
            .execute(
                "DELETE FROM deltas WHERE doc = ?1 AND id <= ?2",
                params![doc, pruned],
            )
            .map_err(failed)?;
        transaction.commit().map_err(failed)
    }

    fn count_after(&mut self, doc: &str, after: u64) -> Result<u64, StoreError> {
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        self.db
            .prepare_cached("SELECT COUNT(*) FROM deltas WHERE doc = ?1 AND id > ?2")
            .map_err(failed)?
            .query_row(params![doc, after], |row| row.get::<_, i64>(0))
            .map(|count| count as u64)
            .map_err(failed)
    }

    fn documents(&mut self) -> Result<Vec<String>, StoreError> {
        let mut query = self
            .db
            .prepare("SELECT doc FROM snapshots UNION SELECT doc FROM deltas ORDER BY 1")
            .map_err(failed)?;
        query
            .query_map([], |row| row.get(0))
            .map_err(failed)?
            .collect::<Result<_, _>>()
            .map_err(failed)
    }

    fn snapshot(&mut self, doc: &str) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        self.sequence_and_bytes("SELECT through, bytes FROM snapshots WHERE doc = ?1", doc)
    }

    fn deltas_after(
        &mut self,
        doc: &str,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let mut query = self
            .db
            .prepare_cached(
                "SELECT id, bytes FROM deltas WHERE doc = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
            )
            .map_err(failed)?;
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        query
            .query_map(params![doc, after, limit], |row| {
                Ok((row.get::<_, i64>(0)? as u64, row.get(1)?))
            })
            .map_err(failed)?
            .collect::<Result<_, _>>()
            .map_err(failed)
    }

    fn cursor(&mut self, name: &str, doc: &str) -> Result<Option<u64>, StoreError> {
        self.db
            .query_row(
                "SELECT seq FROM cursors WHERE name = ?1 AND doc = ?2",
                params![name, doc],
                |row| row.get::<_, i64>(0),
            )
            .optional()
            .map(|seq| seq.map(|seq| seq as u64))
            .map_err(failed)
    }

    fn cursors(&mut self, name: &str) -> Result<Vec<(String, u64)>, StoreError> {
        let mut query = self
            .db
            .prepare_cached("SELECT doc, seq FROM cursors WHERE name = ?1 ORDER BY doc")
            .map_err(failed)?;
        query
            .query_map(params![name], |row| {
                Ok((row.get(0)?, row.get::<_, i64>(1)? as u64))
            })
            .map_err(failed)?
            .collect::<Result<_, _>>()
            .map_err(failed)
    }

    fn set_cursor(&mut self, name: &str, doc: &str, seq: u64) -> Result<(), StoreError> {
        let seq = sequence(seq)?;
        self.db
            .execute(
                "INSERT INTO cursors (name, doc, seq) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name, doc) DO UPDATE SET seq = MAX(seq, excluded.seq)",
                params![name, doc, seq],
            )
            .map_err(failed)?;
        Ok(())
    }

    fn versions(&mut self) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let mut query = self
            .db
            .prepare("SELECT doc, version FROM versions ORDER BY doc")
            .map_err(failed)?;
        query
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .map_err(failed)?
            .collect::<Result<_, _>>()
            .map_err(failed)
    }
}

/// A sequence number as SQLite stores it.
fn sequence(seq: u64) -> Result<i64, StoreError> {
    i64::try_from(seq).map_err(|_| StoreError("a sequence number past 2^63".into()))
}

fn record_version(db: &Connection, doc: &str, version: &[u8]) -> Result<(), StoreError> {
    db.prepare_cached(
        "INSERT INTO versions (doc, version) VALUES (?1, ?2)
         ON CONFLICT (doc) DO UPDATE SET version = excluded.version",
    )
    .map_err(failed)?
    .execute(params![doc, version])
    .map_err(failed)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temporary() -> (SqliteStore, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!(
            "weft-store-{}-{}",
            std::process::id(),
            rand::random::<u64>()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        (SqliteStore::open(&dir.join("relay.db")).unwrap(), dir)
    }

    #[test]
    fn a_snapshot_folds_in_the_log_before_it_and_pruning_keeps_the_rest() {
        let (mut store, dir) = temporary();
        store
            .append(&Batch {
                deltas: vec![("a".into(), vec![1]), ("b".into(), vec![9])],
                versions: vec![("a".into(), vec![11]), ("b".into(), vec![19])],
            })
            .unwrap();
        store
            .append(&Batch {
                deltas: vec![("a".into(), vec![2])],
                versions: vec![("a".into(), vec![12])],
            })
            .unwrap();
        let stored = store.load("a").unwrap();
        assert_eq!(
            (stored.snapshot, stored.deltas),
            (None, vec![vec![1], vec![2]])
        );

        store.write_snapshot("a", &[7, 7], &[17]).unwrap();
        let seqs = store
            .append(&Batch {
                deltas: vec![("a".into(), vec![3])],
                versions: Vec::new(),
            })
            .unwrap();
        assert_eq!(seqs, [4]);
        let stored = store.load("a").unwrap();
        assert_eq!(
            (stored.snapshot, stored.deltas),
            (Some(vec![7, 7]), vec![vec![3]])
        );
        // The log stays for change streams, with its sequence numbers.
        assert_eq!(store.snapshot("a").unwrap(), Some((3, vec![7, 7])));
        assert_eq!(
            store.deltas_after("a", 0, 10).unwrap(),
            [(1, vec![1]), (3, vec![2]), (4, vec![3])]
        );
        assert_eq!(store.deltas_after("a", 1, 1).unwrap(), [(3, vec![2])]);
        assert_eq!(store.count_after("a", 1).unwrap(), 2);
        store.prune("a", 3, &[5]).unwrap();
        assert_eq!(store.base("a").unwrap(), Some((3, vec![5])));
        assert_eq!(store.deltas_after("a", 0, 10).unwrap(), [(4, vec![3])]);
        store.set_cursor("indexer", "a", 4).unwrap();
        store.set_cursor("indexer", "a", 1).unwrap();
        assert_eq!(store.cursor("indexer", "a").unwrap(), Some(4));
        assert_eq!(store.documents().unwrap(), ["a", "b"]);
        assert_eq!(
            store.versions().unwrap(),
            [("a".to_string(), vec![17]), ("b".to_string(), vec![19])]
        );

        drop(store);
        let mut reopened = SqliteStore::open(&dir.join("relay.db")).unwrap();
        assert_eq!(reopened.load("b").unwrap().deltas, vec![vec![9]]);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
