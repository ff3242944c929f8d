//! The SQLite file is Spin's: checked with plain rusqlite SQL, in both directions, and under concurrent
//! writers on separate connection pools (as the gateway and scraper-host are).

use std::path::Path;
use std::sync::Arc;
use std::thread;

use kv_api::{CasOutcome, KvError, KvStore};
use kv_store::SqliteDb;
use rusqlite::Connection;

fn temp_db() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".spin").join("sqlite_key_value.db");
    (dir, path)
}

fn raw_value(path: &Path, label: &str, key: &str) -> Option<Vec<u8>> {
    let conn = Connection::open(path).unwrap();
    conn.query_row("SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2", [label, key], |r| r.get(0))
        .ok()
}

#[test]
fn schema_is_spins_table() {
    let (_dir, path) = temp_db();
    SqliteDb::open(&path).unwrap().store("default").set("k", b"v").unwrap();
    let conn = Connection::open(&path).unwrap();
    let mut stmt = conn.prepare("SELECT name, type, \"notnull\", pk FROM pragma_table_info('spin_key_value')").unwrap();
    let columns: Vec<(String, String, bool, i64)> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).unwrap().map(Result::unwrap).collect();
    assert_eq!(
        columns,
        [
            ("store".into(), "TEXT".into(), true, 1),
            ("key".into(), "TEXT".into(), true, 2),
            ("value".into(), "BLOB".into(), true, 0)
        ]
    );
    let (label, value_type): (String, String) =
        conn.query_row("SELECT store, typeof(value) FROM spin_key_value", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    assert_eq!((label.as_str(), value_type.as_str()), ("default", "blob"));
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn increment_is_stored_as_8_byte_little_endian() {
    let (_dir, path) = temp_db();
    let store = SqliteDb::open(&path).unwrap().store("default");
    store.increment("n", 258).unwrap();
    assert_eq!(raw_value(&path, "default", "n").unwrap(), 258i64.to_le_bytes());
    store.increment("n", -259).unwrap();
    assert_eq!(raw_value(&path, "default", "n").unwrap(), (-1i64).to_le_bytes());
}

#[test]
fn rows_written_by_plain_sql_read_back() {
    let (_dir, path) = temp_db();
    let db = SqliteDb::open(&path).unwrap();
    // What Spin writes: a label, a key and a blob; a counter as 8-byte LE.
    let conn = Connection::open(&path).unwrap();
    conn.execute("INSERT INTO spin_key_value VALUES ('default', 'greeting', x'68690a')", []).unwrap();
    conn.execute("INSERT INTO spin_key_value VALUES ('default', 'n', ?1)", [&41i64.to_le_bytes()[..]]).unwrap();
    conn.execute("INSERT INTO spin_key_value VALUES ('default', 'short', x'0102')", []).unwrap();
    let store = db.store("default");
    assert_eq!(store.get("greeting").unwrap().as_deref(), Some(&b"hi\n"[..]));
    assert_eq!(store.increment("n", 1).unwrap(), 42);
    // Spin panics here; we return an error.
    assert!(matches!(store.increment("short", 1), Err(KvError::Other(_))));
    assert_eq!(store.compare_and_swap("greeting", Some(b"hi\n"), b"bye").unwrap(), CasOutcome::Swapped);
    assert_eq!(raw_value(&path, "default", "greeting").unwrap(), b"bye");
}

#[test]
fn labels_are_isolated_in_one_file() {
    let (_dir, path) = temp_db();
    let db = SqliteDb::open(&path).unwrap();
    let (a, b) = (db.store("a"), db.store("b"));
    a.set("k", b"from a").unwrap();
    assert_eq!(b.get("k").unwrap(), None);
    assert_eq!(b.get_keys().unwrap(), Vec::<String>::new());
    b.set("k", b"from b").unwrap();
    a.delete("k").unwrap();
    assert_eq!(b.get("k").unwrap().as_deref(), Some(&b"from b"[..]));
    assert_eq!(raw_value(&path, "b", "k").unwrap(), b"from b");
}

#[test]
fn two_pools_write_one_file_concurrently() {
    let (_dir, path) = temp_db();
    // Separate pools open separate connections, exactly as two processes would.
    let dbs = [SqliteDb::open(&path).unwrap(), SqliteDb::open(&path).unwrap()];
    let threads: Vec<_> = (0..6)
        .map(|t| {
            let store = Arc::new(dbs[t % 2].store("default"));
            thread::spawn(move || {
                for i in 0..40 {
                    store.increment("shared", 1).unwrap();
                    store.set(&format!("t{t}/{i}"), b"x").unwrap();
                    kv_api::update_with_retry(&*store, "log", 10_000, |old| {
                        Some([old.unwrap_or_default(), &[t as u8]].concat())
                    })
                    .unwrap();
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    let store = dbs[0].store("default");
    assert_eq!(store.increment("shared", 0).unwrap(), 240);
    assert_eq!(store.get_keys().unwrap().len(), 240 + 2);
    assert_eq!(store.get("log").unwrap().unwrap().len(), 240);
}

#[test]
fn a_file_spin_created_opens_and_keeps_its_rows() {
    let (_dir, path) = temp_db();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    // Spin's own statement and rollback-journal default, with a row and a counter as Spin writes them.
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS spin_key_value (
            store TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (store, key));
         INSERT INTO spin_key_value VALUES ('default', 'runs/1', x'7b7d');",
    )
    .unwrap();
    conn.execute("INSERT INTO spin_key_value VALUES ('other', 'n', ?1)", [&9i64.to_le_bytes()[..]]).unwrap();
    drop(conn);
    let db = SqliteDb::open(&path).unwrap();
    assert_eq!(db.store("default").get("runs/1").unwrap().as_deref(), Some(&b"{}"[..]));
    assert_eq!(db.store("other").increment("n", 1).unwrap(), 10);
    assert_eq!(db.store("default").get_keys().unwrap(), ["runs/1"]);
}
