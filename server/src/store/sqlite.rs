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
                 bytes BLOB NOT NULL
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
             );",
        )
        .map_err(failed)?;
        Ok(Self { db })
    }
}

impl Store for SqliteStore {
    fn load(&mut self, doc: &str) -> Result<Stored, StoreError> {
        let snapshot = self
            .db
            .query_row(
                "SELECT bytes FROM snapshots WHERE doc = ?1",
                params![doc],
                |row| row.get(0),
            )
            .optional()
            .map_err(failed)?;
        let mut query = self
            .db
            .prepare_cached("SELECT bytes FROM deltas WHERE doc = ?1 ORDER BY id")
            .map_err(failed)?;
        let deltas = query
            .query_map(params![doc], |row| row.get(0))
            .map_err(failed)?
            .collect::<Result<_, _>>()
            .map_err(failed)?;
        Ok(Stored { snapshot, deltas })
    }

    fn append(&mut self, batch: &Batch) -> Result<(), StoreError> {
        let transaction = self.db.transaction().map_err(failed)?;
        {
            let mut insert = transaction
                .prepare_cached("INSERT INTO deltas (doc, bytes) VALUES (?1, ?2)")
                .map_err(failed)?;
            for (doc, bytes) in &batch.deltas {
                insert.execute(params![doc, bytes]).map_err(failed)?;
            }
            for (doc, version) in &batch.versions {
                record_version(&transaction, doc, version)?;
            }
        }
        transaction.commit().map_err(failed)
    }

    fn replace_with_snapshot(
        &mut self,
        doc: &str,
        snapshot: &[u8],
        version: &[u8],
    ) -> Result<(), StoreError> {
        let transaction = self.db.transaction().map_err(failed)?;
        record_version(&transaction, doc, version)?;
        transaction
            .execute(
                "INSERT INTO snapshots (doc, bytes) VALUES (?1, ?2)
                 ON CONFLICT (doc) DO UPDATE SET bytes = excluded.bytes",
                params![doc, snapshot],
            )
            .map_err(failed)?;
        transaction
            .execute("DELETE FROM deltas WHERE doc = ?1", params![doc])
            .map_err(failed)?;
        transaction.commit().map_err(failed)
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
    fn deltas_come_back_in_order_and_a_snapshot_replaces_them() {
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

        store.replace_with_snapshot("a", &[7, 7], &[17]).unwrap();
        store
            .append(&Batch {
                deltas: vec![("a".into(), vec![3])],
                versions: Vec::new(),
            })
            .unwrap();
        let stored = store.load("a").unwrap();
        assert_eq!(
            (stored.snapshot, stored.deltas),
            (Some(vec![7, 7]), vec![vec![3]])
        );
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
