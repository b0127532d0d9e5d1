//! The operator's commands: minting tokens, moving documents in and out as files,
//! compacting the store.

use std::io::{Read, Write};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use indicatif::{ProgressBar, ProgressStyle};
use weft_core::{Document, ReplicaId, SnapshotMode};

use crate::auth::{self, Claims, Scope};
use crate::store::{SqliteStore, Store, encoded_version};

type Result = std::result::Result<(), Box<dyn std::error::Error>>;

/// Files are read and written in chunks of this size, so the bar moves.
const CHUNK: usize = 256 * 1024;

pub fn token(doc: &str, scope: &str, ttl: u64, secret: &str) -> Result {
    let scope = Scope::parse(scope)
        .filter(|scope| *scope != Scope::Mesh)
        .ok_or("the scope is `read` or `write`")?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let claims = Claims {
        scope,
        document: doc.into(),
        expiry: now.saturating_add(ttl),
    };
    println!("{}", auth::mint(secret.as_bytes(), &claims));
    Ok(())
}

fn progress(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(what.to_string());
    bar
}

fn open(data_dir: &Path) -> std::result::Result<SqliteStore, Box<dyn std::error::Error>> {
    if !data_dir.join("relay.db").exists() {
        return Err(format!("no relay data in {}", data_dir.display()).into());
    }
    Ok(SqliteStore::open(&data_dir.join("relay.db"))?)
}

/// The document as stored: its snapshot with its deltas applied.
fn load(
    store: &mut SqliteStore,
    doc: &str,
) -> std::result::Result<Document, Box<dyn std::error::Error>> {
    let (document, failed) = store.load(doc)?.open(ReplicaId::new(1))?;
    match failed.into_iter().next() {
        Some(error) => Err(format!("a stored delta of {doc:?} does not apply: {error}").into()),
        None => Ok(document),
    }
}

pub fn export(data_dir: &Path, doc: &str, out: &Path) -> Result {
    let mut store = open(data_dir)?;
    let snapshot = load(&mut store, doc)?.export_snapshot(SnapshotMode::Full);
    let bar = progress(snapshot.len() as u64, "writing");
    let mut file = std::fs::File::create(out)?;
    for chunk in snapshot.chunks(CHUNK) {
        file.write_all(chunk)?;
        bar.inc(chunk.len() as u64);
    }
    file.sync_all()?;
    bar.finish();
    println!("{doc}: {} bytes to {}", snapshot.len(), out.display());
    Ok(())
}

pub fn import(data_dir: &Path, doc: &str, path: &Path) -> Result {
    let mut file = std::fs::File::open(path)?;
    let bar = progress(file.metadata()?.len(), "reading");
    let mut bytes = Vec::new();
    let mut chunk = vec![0; CHUNK];
    loop {
        let read = file.read(&mut chunk)?;
        if read == 0 {
            break;
        }
        bytes.extend_from_slice(&chunk[..read]);
        bar.inc(read as u64);
    }
    bar.finish();
    std::fs::create_dir_all(data_dir)?;
    let mut store = SqliteStore::open(&data_dir.join("relay.db"))?;
    let mut document = load(&mut store, doc)?;
    document.import(&bytes, None)?;
    store.write_snapshot(
        doc,
        &document.export_snapshot(SnapshotMode::Full),
        &encoded_version(&document),
    )?;
    println!(
        "{doc}: merged {} bytes from {}",
        bytes.len(),
        path.display()
    );
    Ok(())
}

pub fn compact(data_dir: &Path) -> Result {
    let mut store = open(data_dir)?;
    for doc in store.documents()? {
        let document = load(&mut store, &doc)?;
        if document.pending_len() > 0 {
            println!("{doc}: skipped, changes in it wait for ones never received");
            continue;
        }
        let through = store.write_snapshot(
            &doc,
            &document.export_snapshot(SnapshotMode::Full),
            &encoded_version(&document),
        )?;
        // Change streams from before this point will be told to start over.
        store.prune(
            &doc,
            through,
            &document.export_snapshot(SnapshotMode::Shallow),
        )?;
        println!("{doc}: compacted");
    }
    Ok(())
}
