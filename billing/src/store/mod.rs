//! The SQLite store: one file `{data_dir}/passerelle.sqlite3`, WAL, `synchronous=FULL`,
//! foreign keys on, migrations run at open.
//!
//! One place owns writes: [`Store::write`] holds the only writing connection behind a mutex
//! and runs each closure in a `BEGIN IMMEDIATE` transaction, committed only when the closure
//! succeeds. Reads use a second connection (WAL lets them run beside a write). Calls block:
//! async callers use `spawn_blocking`. Idempotency is carried by unique constraints.

pub mod attachment_rows;
pub mod baskets;
pub mod fse_rows;
pub mod lot_rows;
pub mod migrations;
pub mod outbox_rows;
pub mod pj_lot_rows;
pub mod replacement_rows;
pub mod requests;
pub mod returns_rows;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::BillingError;

/// File name of the store inside the data directory.
pub const FILE_NAME: &str = "passerelle.sqlite3";

/// The billing store.
pub struct Store {
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
    path: PathBuf,
}

impl Store {
    /// Opens (creating it and its directory if needed) and migrates the store at `path`.
    pub fn open(path: &Path) -> Result<Self, BillingError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| BillingError::Storage(format!("{}: {e}", dir.display())))?;
        }
        let mut writer = connect(path)?;
        writer.pragma_update(None, "journal_mode", "WAL")?;
        migrations::run(&mut writer)?;
        let reader = connect(path)?;
        Ok(Store {
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
            path: path.to_owned(),
        })
    }

    /// The store's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction on the writing connection; commits when
    /// `f` succeeds, rolls back otherwise.
    pub fn write<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, BillingError>,
    ) -> Result<T, BillingError> {
        let mut conn = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// Runs `f` on the reading connection.
    pub fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, BillingError>,
    ) -> Result<T, BillingError> {
        let conn = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        f(&conn)
    }

    /// `PRAGMA integrity_check`: `"ok"` when the file is sound.
    pub fn integrity_check(&self) -> Result<String, BillingError> {
        self.read(|c| Ok(c.query_row("PRAGMA integrity_check", [], |r| r.get(0))?))
    }
}

/// The store at `path` opened read-only (nothing created, nothing migrated): for
/// `passerelle doctor`, which only looks. `None` when there is no store yet.
pub fn open_read_only(path: &Path) -> Result<Option<Connection>, rusqlite::Error> {
    if !path.exists() {
        return Ok(None);
    }
    let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    Ok(Some(conn))
}

/// `PRAGMA quick_check` on the store at `path`, opened read-only (nothing is created nor
/// migrated): `"ok"` when the file is sound, else SQLite's report. For `passerelle doctor`.
pub fn quick_check(path: &Path) -> Result<String, rusqlite::Error> {
    let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.query_row("PRAGMA quick_check", [], |r| r.get::<_, String>(0))
}

fn connect(path: &Path) -> Result<Connection, BillingError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // 16 MiB of page cache (the default is 2 MiB): a NOEMIE return settling 10,000 FSE in
    // one transaction then stays in memory until its commit instead of spilling to the
    // WAL midway (bench_returns).
    conn.pragma_update(None, "cache_size", -16384)?;
    Ok(conn)
}

#[cfg(test)]
mod tests;

/// Runs `f` inside a savepoint of `tx`: its writes are kept when it succeeds and undone
/// when it fails, without ending `tx` (one item of a grouped call).
pub fn savepoint<T>(
    tx: &Transaction<'_>,
    f: impl FnOnce() -> Result<T, BillingError>,
) -> Result<T, BillingError> {
    tx.execute_batch("SAVEPOINT item")?;
    match f() {
        Ok(v) => {
            tx.execute_batch("RELEASE item")?;
            Ok(v)
        }
        Err(e) => {
            tx.execute_batch("ROLLBACK TO item; RELEASE item")?;
            Err(e)
        }
    }
}
