//! SQLite backend in Spin's own file and schema (`key-value-spin`), so a state dir opens under `spin up` too.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use kv_api::{CasOutcome, KvResult, KvStore};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::other;

/// Spin's table, columns and key, verbatim in meaning (`KeyValueSqlite::create_connection`).
const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS spin_key_value (
    store TEXT NOT NULL,
    key   TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (store, key)
)";
const UPSERT: &str = "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
    ON CONFLICT(store, key) DO UPDATE SET value = excluded.value";
const SELECT_VALUE: &str = "SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2";

/// How long a writer waits for another process's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections per file: WAL lets readers run beside a writer, so gets need not queue behind one mutex.
const MAX_CONNECTIONS_PER_FILE: usize = 8;

mod pool;
use pool::{Pool, Pooled, Use};

/// One SQLite database (a file or in-memory) and its connection pool, shared by every label stored in it.
#[derive(Clone)]
pub struct SqliteDb {
    pool: Arc<Pool>,
}

impl SqliteDb {
    /// Opens (creating file, parent dir and table if needed) a database file, in WAL mode with a busy timeout.
    pub fn open(path: &Path) -> KvResult<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| other(format!("creating {}: {e}", dir.display())))?;
        }
        Self::with_first_connection(Some(path.to_path_buf()), MAX_CONNECTIONS_PER_FILE)
    }

    /// A private in-memory database (Spin's store when there is no state dir); one connection serves it.
    pub fn in_memory() -> KvResult<Self> {
        Self::with_first_connection(None, 1)
    }

    fn with_first_connection(path: Option<PathBuf>, max: usize) -> KvResult<Self> {
        let first = connect(path.as_deref())?;
        Ok(Self { pool: Arc::new(Pool::new(path, max, first)) })
    }

    /// The file behind this database, `None` for in-memory.
    pub fn path(&self) -> Option<&Path> {
        self.pool.path()
    }

    /// Whether both handles share one pool (one file, or the same in-memory database).
    pub fn same_db(&self, other: &SqliteDb) -> bool {
        Arc::ptr_eq(&self.pool, &other.pool)
    }

    /// The store for one label inside this database.
    pub fn store(&self, label: &str) -> SqliteStore {
        SqliteStore { db: self.clone(), label: label.to_owned() }
    }

    /// Every `(key, value)` of `label`.
    pub(crate) fn entries(&self, label: &str) -> KvResult<Vec<(String, Vec<u8>)>> {
        let conn = self.pool.checkout(Use::Read)?;
        let mut stmt = conn.prepare_cached("SELECT key, value FROM spin_key_value WHERE store = ?1").map_err(other)?;
        let rows = stmt.query_map([label], |row| Ok((row.get(0)?, row.get(1)?))).map_err(other)?;
        rows.collect::<Result<_, _>>().map_err(other)
    }

    /// Upserts `(label, key, value)` entries in one transaction: all of them or, on any error, none.
    pub(crate) fn write_all(&self, entries: &[(&str, &str, &[u8])]) -> KvResult<()> {
        let mut conn = self.pool.checkout(Use::Write)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(other)?;
        {
            let mut stmt = tx.prepare_cached(UPSERT).map_err(other)?;
            for (label, key, value) in entries {
                stmt.execute(params![label, key, value]).map_err(other)?;
            }
        }
        tx.commit().map_err(other)
    }

    fn conn(&self) -> KvResult<Pooled<'_>> {
        self.pool.checkout(Use::Read)
    }

    fn write_conn(&self) -> KvResult<Pooled<'_>> {
        self.pool.checkout(Use::Write)
    }
}

fn connect(path: Option<&Path>) -> KvResult<Connection> {
    let conn = match path {
        Some(p) => Connection::open(p),
        None => Connection::open_in_memory(),
    }
    .map_err(|e| other(format!("opening SQLite key-value store: {e}")))?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(other)?;
    if path.is_some() {
        // WAL lets the gateway and scraper-host read and write the same file at once; `journal_mode`
        // answers with the mode set, and the setting persists in the file (real Spin opens it fine).
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).map_err(other)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(other(format!("SQLite refused WAL mode (got {mode})")));
        }
        // In WAL mode NORMAL still never corrupts; it only may lose the last commits on power loss.
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(other)?;
    }
    conn.execute(CREATE_TABLE, []).map_err(other)?;
    Ok(conn)
}

/// One label's store inside a [`SqliteDb`] (the label goes in the `store` column).
#[derive(Clone)]
pub struct SqliteStore {
    db: SqliteDb,
    label: String,
}

impl SqliteStore {
    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn db(&self) -> &SqliteDb {
        &self.db
    }
}

/// Spin's increment encoding: an 8-byte little-endian i64.
fn decode_counter(key: &str, bytes: &[u8]) -> KvResult<i64> {
    let raw: [u8; 8] = bytes
        .try_into()
        .map_err(|_| other(format!("{key:?} holds {} bytes, not an 8-byte counter", bytes.len())))?;
    Ok(i64::from_le_bytes(raw))
}

impl KvStore for SqliteStore {
    fn get(&self, key: &str) -> KvResult<Option<Vec<u8>>> {
        let conn = self.db.conn()?;
        let mut stmt = conn.prepare_cached(SELECT_VALUE).map_err(other)?;
        stmt.query_row(params![self.label, key], |r| r.get(0)).optional().map_err(other)
    }

    /// One read transaction for all keys: one snapshot (a writer between two keys cannot tear the batch)
    /// and one round of file locks instead of one per key.
    fn get_many(&self, keys: &[&str]) -> KvResult<Vec<Option<Vec<u8>>>> {
        if keys.len() < 2 {
            return keys.iter().map(|key| self.get(key)).collect();
        }
        let conn = self.db.conn()?;
        let tx = conn.unchecked_transaction().map_err(other)?;
        let values = {
            let mut stmt = tx.prepare_cached(SELECT_VALUE).map_err(other)?;
            keys.iter()
                .map(|key| stmt.query_row(params![self.label, key], |r| r.get(0)).optional().map_err(other))
                .collect::<KvResult<Vec<_>>>()?
        };
        tx.commit().map_err(other)?;
        Ok(values)
    }

    fn set(&self, key: &str, value: &[u8]) -> KvResult<()> {
        let conn = self.db.write_conn()?;
        conn.prepare_cached(UPSERT).and_then(|mut s| s.execute(params![self.label, key, value])).map_err(other)?;
        Ok(())
    }

    /// One IMMEDIATE transaction: a 5 MB NectarCAM run is ~100 entries, and one commit instead of 100 is
    /// what keeps ingest fast on a WAL file.
    fn set_many(&self, entries: &[(&str, &[u8])]) -> KvResult<()> {
        let labelled: Vec<(&str, &str, &[u8])> = entries.iter().map(|(k, v)| (self.label.as_str(), *k, *v)).collect();
        self.db.write_all(&labelled)
    }

    fn delete(&self, key: &str) -> KvResult<()> {
        let conn = self.db.write_conn()?;
        conn.prepare_cached("DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2")
            .and_then(|mut s| s.execute(params![self.label, key]))
            .map_err(other)?;
        Ok(())
    }

    fn exists(&self, key: &str) -> KvResult<bool> {
        let conn = self.db.conn()?;
        let mut stmt =
            conn.prepare_cached("SELECT 1 FROM spin_key_value WHERE store = ?1 AND key = ?2").map_err(other)?;
        stmt.exists(params![self.label, key]).map_err(other)
    }

    fn get_keys(&self) -> KvResult<Vec<String>> {
        let conn = self.db.conn()?;
        let mut stmt = conn.prepare_cached("SELECT key FROM spin_key_value WHERE store = ?1").map_err(other)?;
        let keys = stmt.query_map([&self.label], |r| r.get(0)).map_err(other)?;
        keys.collect::<Result<_, _>>().map_err(other)
    }

    fn increment(&self, key: &str, delta: i64) -> KvResult<i64> {
        let mut conn = self.db.write_conn()?;
        // IMMEDIATE takes the write lock up front, so the read-modify-write cannot interleave with another writer.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(other)?;
        let current: Option<Vec<u8>> =
            tx.query_row(SELECT_VALUE, params![self.label, key], |r| r.get(0)).optional().map_err(other)?;
        let current = current.map(|bytes| decode_counter(key, &bytes)).transpose()?.unwrap_or(0);
        let next = current.checked_add(delta).ok_or_else(|| other(format!("counter {key:?} overflows")))?;
        tx.execute(UPSERT, params![self.label, key, &next.to_le_bytes()[..]]).map_err(other)?;
        tx.commit().map_err(other)?;
        Ok(next)
    }

    fn compare_and_swap(&self, key: &str, expected: Option<&[u8]>, new: &[u8]) -> KvResult<CasOutcome> {
        let conn = self.db.write_conn()?;
        let changed = match expected {
            // Spin's swap: compare by value, and only exactly one changed row counts as success.
            Some(old) => conn
                .prepare_cached("UPDATE spin_key_value SET value = ?3 WHERE store = ?1 AND key = ?2 AND value = ?4")
                .and_then(|mut s| s.execute(params![self.label, key, new, old])),
            // Insert-if-absent in one statement, so two writers creating the key cannot both win.
            None => conn
                .prepare_cached(
                    "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3) ON CONFLICT(store, key) DO NOTHING",
                )
                .and_then(|mut s| s.execute(params![self.label, key, new])),
        }
        .map_err(other)?;
        Ok(if changed == 1 { CasOutcome::Swapped } else { CasOutcome::Conflict })
    }
}
