//! One behaviour suite, run against every backend: memory, SQLite (in-memory and a temp file) and a real
//! redis-server.


use std::sync::Arc;
use std::thread;

use redis_test_server::RedisServer;
use kv_api::{update_with_retry, CasOutcome, KvError, KvStore};
use kv_store::{ReadOnlyStore, RedisStore, SharedStore, SqliteDb};

/// Whatever must outlive a store under test (temp dir, server process); dropped after the test.
type Guard = Box<dyn std::any::Any>;

fn memory() -> (Guard, SharedStore) {
    (Box::new(()), Arc::new(kv_api::MemoryStore::new()))
}

fn sqlite_memory() -> (Guard, SharedStore) {
    (Box::new(()), Arc::new(SqliteDb::in_memory().unwrap().store("default")))
}

fn sqlite_file() -> (Guard, SharedStore) {
    let dir = tempfile::tempdir().unwrap();
    let db = SqliteDb::open(&dir.path().join("sqlite_key_value.db")).unwrap();
    (Box::new(dir), Arc::new(db.store("default")))
}

fn redis() -> (Guard, SharedStore) {
    let server = RedisServer::start();
    let store = RedisStore::open(&server.url).unwrap();
    (Box::new(server), Arc::new(store))
}

fn missing_key_reads_none_and_deletes_fine(s: &SharedStore) {
    assert_eq!(s.get("absent").unwrap(), None);
    assert!(!s.exists("absent").unwrap());
    s.delete("absent").unwrap();
}

fn set_overwrite_and_delete(s: &SharedStore) {
    s.set("k", b"one").unwrap();
    assert!(s.exists("k").unwrap());
    s.set("k", b"\x00\xffbinary").unwrap();
    assert_eq!(s.get("k").unwrap().as_deref(), Some(&b"\x00\xffbinary"[..]));
    s.set("empty", b"").unwrap();
    assert_eq!(s.get("empty").unwrap().as_deref(), Some(&b""[..]));
    s.delete("k").unwrap();
    assert_eq!(s.get("k").unwrap(), None);
}

fn get_keys_lists_every_key(s: &SharedStore) {
    for key in ["a", "b/c", "ünïcode"] {
        s.set(key, key.as_bytes()).unwrap();
    }
    let mut keys = s.get_keys().unwrap();
    keys.sort();
    assert_eq!(keys, ["a", "b/c", "ünïcode"]);
}

fn increment_counts_from_zero(s: &SharedStore) {
    assert_eq!(s.increment("n", 5).unwrap(), 5);
    assert_eq!(s.increment("n", -7).unwrap(), -2);
    assert_eq!(s.increment("n", 0).unwrap(), -2);
    s.set("text", b"not a counter").unwrap();
    assert!(matches!(s.increment("text", 1), Err(KvError::Other(_))));
    assert_eq!(s.increment("max", i64::MAX).unwrap(), i64::MAX);
    assert!(matches!(s.increment("max", 1), Err(KvError::Other(_))), "overflow must be an error");
}

fn cas_swaps_and_detects_conflicts(s: &SharedStore) {
    assert_eq!(s.compare_and_swap("k", None, b"first").unwrap(), CasOutcome::Swapped);
    assert_eq!(s.compare_and_swap("k", None, b"again").unwrap(), CasOutcome::Conflict);
    assert_eq!(s.compare_and_swap("k", Some(b"stale"), b"x").unwrap(), CasOutcome::Conflict);
    assert_eq!(s.get("k").unwrap().as_deref(), Some(&b"first"[..]));
    assert_eq!(s.compare_and_swap("k", Some(b"first"), b"second").unwrap(), CasOutcome::Swapped);
    assert_eq!(s.get("k").unwrap().as_deref(), Some(&b"second"[..]));
    assert_eq!(s.compare_and_swap("gone", Some(b"x"), b"y").unwrap(), CasOutcome::Conflict);
    assert_eq!(s.get("gone").unwrap(), None);
}

fn concurrent_increments_lose_nothing(s: &SharedStore) {
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let s = Arc::clone(s);
            thread::spawn(move || (0..50).for_each(|_| assert!(s.increment("hits", 1).unwrap() > 0)))
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(s.increment("hits", 0).unwrap(), 400);
}

fn concurrent_cas_appends_lose_nothing(s: &SharedStore) {
    s.set("list", b"").unwrap();
    let threads: Vec<_> = (0..4u8)
        .map(|t| {
            let s = Arc::clone(s);
            thread::spawn(move || {
                for i in 0..25u8 {
                    update_with_retry(&*s, "list", 10_000, |old| {
                        let mut v = old.unwrap_or_default().to_vec();
                        v.push(t * 25 + i);
                        Some(v)
                    })
                    .unwrap();
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    let mut list = s.get("list").unwrap().unwrap();
    list.sort();
    assert_eq!(list, (0..100).collect::<Vec<u8>>());
}

fn read_only_wrapper_rejects_every_write(s: &SharedStore) {
    s.set("k", b"v").unwrap();
    let ro = ReadOnlyStore::new(Arc::clone(s));
    assert_eq!(ro.get("k").unwrap().as_deref(), Some(&b"v"[..]));
    assert!(ro.exists("k").unwrap());
    assert_eq!(ro.get_keys().unwrap(), ["k"]);
    assert_eq!(ro.set("k", b"w"), Err(KvError::ReadOnly));
    assert_eq!(ro.delete("k"), Err(KvError::ReadOnly));
    assert_eq!(ro.increment("n", 1), Err(KvError::ReadOnly));
    assert_eq!(ro.compare_and_swap("k", Some(b"v"), b"w"), Err(KvError::ReadOnly));
    assert_eq!(s.get("k").unwrap().as_deref(), Some(&b"v"[..]));
}

fn batches_read_and_write_in_key_order(s: &SharedStore) {
    s.set_many(&[("b", b"2"), ("a", b"1"), ("c", b"3")]).unwrap();
    let got = s.get_many(&["c", "missing", "a", "b"]).unwrap();
    assert_eq!(got, vec![Some(b"3".to_vec()), None, Some(b"1".to_vec()), Some(b"2".to_vec())]);
    assert_eq!(s.get_many(&[]).unwrap(), Vec::<Option<Vec<u8>>>::new());
    assert_eq!(s.get_many(&["a", "a"]).unwrap(), vec![Some(b"1".to_vec()), Some(b"1".to_vec())]);
    let ro = ReadOnlyStore::new(Arc::clone(s));
    assert_eq!(ro.set_many(&[("a", b"x")]), Err(KvError::ReadOnly));
    assert_eq!(ro.get_many(&["a"]).unwrap(), vec![Some(b"1".to_vec())]);
}

/// Runs each behaviour as its own test on a fresh store from `$make`.
macro_rules! suite {
    ($backend:ident, $make:path) => {
        mod $backend {
            suite!(@tests $make; missing_key_reads_none_and_deletes_fine, set_overwrite_and_delete,
                get_keys_lists_every_key, increment_counts_from_zero, cas_swaps_and_detects_conflicts,
                concurrent_increments_lose_nothing, concurrent_cas_appends_lose_nothing,
                read_only_wrapper_rejects_every_write, batches_read_and_write_in_key_order);
        }
    };
    (@tests $make:path; $($test:ident),*) => {
        $(#[test]
        fn $test() {
            let (_guard, store) = $make();
            super::$test(&store);
        })*
    };
}

suite!(memory, super::memory);
suite!(sqlite_memory, super::sqlite_memory);
suite!(sqlite_file, super::sqlite_file);
suite!(redis, super::redis);
