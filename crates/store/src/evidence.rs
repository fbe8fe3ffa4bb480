//! Opening a ledger as evidence: read-only, and on SQLite without ever creating a file in the
//! evidence directory (no `-wal`, no `-shm`), so that `kapsel ledger verify` works on a
//! read-only copy an auditor was handed and leaves the directory exactly as it found it.
//!
//! | what the directory holds | how it is opened |
//! |---|---|
//! | `kapsel.db` alone, or an empty `-wal` (a server stopped cleanly) | `immutable=1`: no locks, no journal |
//! | a `-wal`, and a running server holds the directory (`kapsel.lock`) | `mode=ro`, through the server's `-shm`, as any reader beside a writer |
//! | a `-wal` and no server (one was killed, or this is a copy) | the database and its WAL copied into a private temporary directory, so that even the `-shm` is left as it was |
//!
//! On PostgreSQL every transaction of the pool is read-only (`default_transaction_read_only`).

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

use crate::{SQLITE_FILE, Store, StoreError};

/// A private copy of a SQLite ledger with an un-checkpointed WAL; removed when dropped.
#[derive(Debug)]
pub struct EvidenceCopy {
    dir: PathBuf,
}

impl EvidenceCopy {
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for EvidenceCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// How a SQLite evidence directory was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvidenceMode {
    Immutable,
    ReadOnly,
    PrivateCopy,
}

impl Store {
    /// Opens the SQLite ledger in the data directory `dir` read-only, creating nothing there;
    /// see the module documentation. The copy, if one was needed, lives as long as the
    /// [`EvidenceCopy`] returned with the store.
    pub async fn open_evidence(
        dir: &Path,
    ) -> Result<(Store, EvidenceMode, Option<EvidenceCopy>), StoreError> {
        let db = dir.join(SQLITE_FILE);
        let wal = sibling(&db, "-wal");
        let shm = sibling(&db, "-shm");
        let wal_len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        if wal_len == 0 {
            let store = open_sqlite(&db, true).await?;
            return Ok((store, EvidenceMode::Immutable, None));
        }
        if shm.exists()
            && served(dir)
            && let Ok(store) = open_sqlite(&db, false).await
            && store_answers(&store).await
        {
            return Ok((store, EvidenceMode::ReadOnly, None));
        }
        let copy = private_copy(&db, &wal)?;
        let copied = copy.dir.join(SQLITE_FILE);
        let options = SqliteConnectOptions::new()
            .filename(&copied)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(options)
            .await?;
        Ok((Store::Sqlite(pool), EvidenceMode::PrivateCopy, Some(copy)))
    }

    /// Connects to PostgreSQL at `url` with every transaction read-only.
    pub async fn open_postgres_read_only(url: &str) -> Result<Store, StoreError> {
        let options =
            PgConnectOptions::from_str(url).map_err(|err| StoreError::BadUrl(format!("{err}")))?;
        Store::open_postgres_with(options.options([("default_transaction_read_only", "on")])).await
    }
}

/// Whether a running server holds `dir` (its [`DataDirLock`](crate::DataDirLock)). Looks
/// without creating or changing the lock file.
fn served(dir: &Path) -> bool {
    let Ok(file) = std::fs::File::open(dir.join(crate::LOCK_FILE)) else {
        return false;
    };
    match file.try_lock_shared() {
        Ok(()) => {
            let _ = file.unlock();
            false
        }
        Err(_) => true,
    }
}

fn sibling(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// `db` opened read-only without creating it; `immutable` for a database nobody writes.
async fn open_sqlite(db: &Path, immutable: bool) -> Result<Store, StoreError> {
    let options = SqliteConnectOptions::new()
        .filename(db)
        .read_only(true)
        .immutable(immutable)
        .create_if_missing(false)
        .busy_timeout(Duration::from_secs(10));
    let pool = SqlitePoolOptions::new()
        .max_connections(2)
        .connect_with(options)
        .await?;
    Ok(Store::Sqlite(pool))
}

/// Whether a read works (a `-shm` SQLite may not write can fail only at the first read).
async fn store_answers(store: &Store) -> bool {
    let Store::Sqlite(pool) = store else {
        return true;
    };
    let answers = sqlx::query("SELECT count(*) FROM sqlite_master")
        .fetch_one(pool)
        .await
        .is_ok();
    if !answers {
        pool.close().await;
    }
    answers
}

fn private_copy(db: &Path, wal: &Path) -> Result<EvidenceCopy, StoreError> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "kapsel-evidence-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let shown = dir.display().to_string();
    let io_error = |source| StoreError::DataDir {
        path: shown.clone(),
        source,
    };
    std::fs::create_dir_all(&dir).map_err(io_error)?;
    let copy = EvidenceCopy { dir };
    let target = copy.dir.join(SQLITE_FILE);
    std::fs::copy(db, &target).map_err(io_error)?;
    std::fs::copy(wal, sibling(&target, "-wal")).map_err(io_error)?;
    Ok(copy)
}
