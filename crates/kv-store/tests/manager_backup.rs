//! The label manager (sharing, read-only, unknown labels) and dump/restore over SQLite and Redis.


use std::collections::BTreeMap;

use redis_test_server::RedisServer;
use kv_api::KvError;
use kv_store::{Backend, StoreManager, StoresConfig};

fn config(stores: &[(&str, Backend)]) -> StoresConfig {
    StoresConfig { stores: stores.iter().cloned().map(|(l, b)| (l.to_owned(), b)).collect(), read_only: false }
}

fn sqlite_at(path: &std::path::Path) -> Backend {
    Backend::Sqlite { path: Some(path.to_path_buf()) }
}

/// Every `(label, key) -> value` visible through the manager.
fn contents(manager: &StoreManager) -> BTreeMap<(String, String), Vec<u8>> {
    let mut all = BTreeMap::new();
    for label in manager.labels() {
        let store = manager.get(label).unwrap();
        for key in store.get_keys().unwrap() {
            all.insert((label.to_owned(), key.clone()), store.get(&key).unwrap().unwrap());
        }
    }
    all
}

fn dump_to_vec(manager: &StoreManager) -> Vec<u8> {
    let mut out = Vec::new();
    manager.dump(&mut out).unwrap();
    out
}

#[test]
fn labels_share_one_file_and_stay_isolated() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kv.db");
    let manager = StoreManager::open(&config(&[("default", sqlite_at(&file)), ("other", sqlite_at(&file))])).unwrap();
    manager.get("default").unwrap().set("k", b"d").unwrap();
    manager.get("other").unwrap().set("k", b"o").unwrap();
    assert_eq!(manager.get("default").unwrap().get("k").unwrap().as_deref(), Some(&b"d"[..]));
    assert_eq!(manager.labels().collect::<Vec<_>>(), ["default", "other"]);
    assert!(manager.get("unknown").is_none());
    assert_eq!(manager.open_label("unknown").err(), Some(KvError::NoSuchStore));
}

#[test]
fn runtime_config_labels_and_default_resolve() {
    let dir = tempfile::tempdir().unwrap();
    let text = "[key_value_store.runs]\ntype = \"spin\"\npath = \"runs.db\"\n[key_value_store.cache]\ntype = \"spin\"\n";
    let runtime = spin_app::RuntimeConfig::parse(text, dir.path()).unwrap();
    let state = dir.path().join(".spin");
    let cfg = StoresConfig::from_runtime_config(&runtime, Some(&state), true).unwrap();
    let expected: BTreeMap<String, Backend> = [
        ("cache".to_owned(), Backend::Sqlite { path: None }),
        ("default".to_owned(), Backend::Sqlite { path: Some(state.join("sqlite_key_value.db")) }),
        ("runs".to_owned(), Backend::Sqlite { path: Some(dir.path().join("runs.db")) }),
    ]
    .into();
    assert_eq!(cfg, StoresConfig { stores: expected, read_only: true });
    let no_state = StoresConfig::from_runtime_config(&spin_app::RuntimeConfig::default(), None, false).unwrap();
    assert_eq!(no_state.stores["default"], Backend::Sqlite { path: None });
}

#[test]
fn read_only_manager_serves_reads_and_refuses_writes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kv.db");
    StoreManager::open(&config(&[("default", sqlite_at(&file))])).unwrap().get("default").unwrap().set("k", b"v").unwrap();
    let mut cfg = config(&[("default", sqlite_at(&file))]);
    cfg.read_only = true;
    let replica = StoreManager::open(&cfg).unwrap();
    let store = replica.get("default").unwrap();
    assert_eq!(store.get("k").unwrap().as_deref(), Some(&b"v"[..]));
    assert_eq!(store.set("k", b"w"), Err(KvError::ReadOnly));
    let dump = dump_to_vec(&replica);
    assert_eq!(replica.restore(&mut dump.as_slice()), Err(KvError::ReadOnly));
}

#[test]
fn unreachable_redis_fails_at_open() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let cfg = config(&[("default", Backend::Redis { url: format!("redis://127.0.0.1:{port}") })]);
    assert!(matches!(StoreManager::open(&cfg), Err(KvError::Other(_))));
}

#[test]
fn sqlite_dump_restores_into_a_fresh_file() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.db"), dir.path().join("b.db"));
    let source = StoreManager::open(&config(&[("default", sqlite_at(&a)), ("runs", sqlite_at(&a)), ("mem", Backend::Sqlite { path: None })])).unwrap();
    source.get("default").unwrap().set("bin", &[0, 255, 10, 13]).unwrap();
    source.get("default").unwrap().increment("n", 7).unwrap();
    source.get("runs").unwrap().set("bin", b"other label").unwrap();
    source.get("mem").unwrap().set("m", "ünï\"code\n".as_bytes()).unwrap();
    let dump = dump_to_vec(&source);
    assert!(dump.starts_with(b"{\"format\":\"dqm-spin-kv-dump\",\"version\":1}\n"));

    let target = StoreManager::open(&config(&[("default", sqlite_at(&b)), ("runs", sqlite_at(&b)), ("mem", Backend::Sqlite { path: None })])).unwrap();
    assert_eq!(target.restore(&mut dump.as_slice()).unwrap(), 4);
    assert_eq!(contents(&target), contents(&source));
    assert_eq!(target.get("default").unwrap().increment("n", 0).unwrap(), 7);
}

#[test]
fn bad_input_restores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let manager = StoreManager::open(&config(&[("default", sqlite_at(&dir.path().join("kv.db")))])).unwrap();
    manager.get("default").unwrap().set("keep", b"old").unwrap();
    let before = contents(&manager);
    let header = r#"{"format":"dqm-spin-kv-dump","version":1}"#;
    let good = r#"{"store":"default","key":"keep","value_b64":"bmV3"}"#;
    for bad in [
        format!("{header}\n{good}\n{{\"store\":\"default\",\"key\":\"x\",\"value_b64\":\"***\"}}\n"),
        format!("{header}\n{good}\n{{\"store\":\"nope\",\"key\":\"x\",\"value_b64\":\"\"}}\n"),
        format!("{header}\n{good}\nnot json\n"),
        format!("{header}\n{good}\n{{\"store\":\"default\",\"key\":\"x\",\"value_b64\":\"\",\"extra\":1}}\n"),
        format!("{{\"format\":\"something-else\",\"version\":1}}\n{good}\n"),
        format!("{good}\n"),
        String::new(),
    ] {
        assert!(matches!(manager.restore(&mut bad.as_bytes()), Err(KvError::Other(_))), "accepted {bad:?}");
        assert_eq!(contents(&manager), before, "{bad:?} changed the store");
    }
}

#[test]
fn a_write_failing_midway_rolls_the_whole_restore_back() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kv.db");
    let manager = StoreManager::open(&config(&[("default", sqlite_at(&file))])).unwrap();
    manager.get("default").unwrap().set("keep", b"old").unwrap();
    // A trigger makes the second row's insert fail inside the transaction.
    rusqlite::Connection::open(&file)
        .unwrap()
        .execute_batch(
            "CREATE TRIGGER poison BEFORE INSERT ON spin_key_value WHEN NEW.key = 'poison'
             BEGIN SELECT RAISE(ABORT, 'poisoned'); END",
        )
        .unwrap();
    let dump = concat!(
        r#"{"format":"dqm-spin-kv-dump","version":1}"#, "\n",
        r#"{"store":"default","key":"keep","value_b64":"bmV3"}"#, "\n",
        r#"{"store":"default","key":"fresh","value_b64":"bmV3"}"#, "\n",
        r#"{"store":"default","key":"poison","value_b64":""}"#, "\n",
    );
    let err = manager.restore(&mut dump.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("poisoned"), "{err}");
    let store = manager.get("default").unwrap();
    assert_eq!(store.get("keep").unwrap().as_deref(), Some(&b"old"[..]));
    assert_eq!(store.get("fresh").unwrap(), None);
}

#[test]
fn redis_dump_restore_round_trip_shares_one_keyspace() {
    let (source_server, target_server) = (RedisServer::start(), RedisServer::start());
    let on = |url: &str| config(&[("default", Backend::Redis { url: url.into() }), ("other", Backend::Redis { url: url.into() })]);
    let source = StoreManager::open(&on(&source_server.url)).unwrap();
    source.get("default").unwrap().set("a", &[1, 2, 3]).unwrap();
    source.get("other").unwrap().increment("n", 12).unwrap();
    // Spin's Redis store ignores the label: both labels see both keys, and the keyspace is dumped once.
    assert_eq!(source.get("default").unwrap().increment("n", 0).unwrap(), 12);
    let dump = dump_to_vec(&source);
    assert_eq!(dump.iter().filter(|&&b| b == b'\n').count(), 1 + 2);

    let target = StoreManager::open(&on(&target_server.url)).unwrap();
    let bad = [dump.as_slice(), b"{\"store\":\"default\",\"key\":\"x\",\"value_b64\":\"!\"}\n"].concat();
    assert!(target.restore(&mut bad.as_slice()).is_err());
    assert!(target.get("default").unwrap().get_keys().unwrap().is_empty());
    assert_eq!(target.restore(&mut dump.as_slice()).unwrap(), 2);
    assert_eq!(contents(&target), contents(&source));
}
