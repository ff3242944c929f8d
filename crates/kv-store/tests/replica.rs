//! SQLite snapshots (online backup API) into a live secondary file, `dqm-store-*.tar.gz` backup → restore,
//! bad archives changing nothing, and raw Redis commands (`INFO replication`) for the outbound Redis host.


use std::collections::BTreeMap;
use std::time::{Duration, UNIX_EPOCH};

use redis_test_server::RedisServer;
use kv_store::{read_snapshot_meta, Backend, KvStore, RedisArg, RedisReply, RedisStore, StoreManager, StoresConfig, SNAPSHOT_META_KEY};

fn manager(stores: &[(&str, &std::path::Path)], read_only: bool) -> StoreManager {
    let stores =
        stores.iter().map(|(l, p)| (l.to_string(), Backend::Sqlite { path: Some(p.to_path_buf()) })).collect();
    StoreManager::open(&StoresConfig { stores, read_only }).unwrap()
}

fn contents(manager: &StoreManager) -> BTreeMap<(String, String), Vec<u8>> {
    let mut all = BTreeMap::new();
    for label in manager.labels() {
        let store = manager.get(label).unwrap();
        for key in store.get_keys().unwrap().into_iter().filter(|k| k != SNAPSHOT_META_KEY) {
            all.insert((label.to_owned(), key.clone()), store.get(&key).unwrap().unwrap());
        }
    }
    all
}

#[test]
fn a_snapshot_replaces_a_live_secondary_file_and_records_its_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let primary = manager(&[("default", &dir.path().join("p.db")), ("runs", &dir.path().join("p.db"))], false);
    primary.get("default").unwrap().set("a", b"1").unwrap();
    primary.get("runs").unwrap().set("b", &[0, 255]).unwrap();
    let live = dir.path().join("secondary/sqlite_key_value.db");
    // The secondary already serves an older copy, with its connections open while the snapshot lands.
    let secondary = manager(&[("default", &live), ("runs", &live)], true);
    secondary.get("default").unwrap().get("old").unwrap();
    let meta = primary.snapshot_to("default", &live).unwrap();
    assert_eq!(meta.entries, 2);
    assert_eq!(contents(&secondary), contents(&primary));
    let stored = secondary.get("runs").unwrap().get(SNAPSHOT_META_KEY).unwrap().unwrap();
    assert_eq!(read_snapshot_meta(&stored), Some(meta.clone()));
    assert!(meta.taken_at.ends_with('Z') && meta.taken_at_unix > 1_700_000_000, "{meta:?}");
    // A later write on the primary reaches the secondary with the next snapshot.
    primary.get("default").unwrap().set("a", b"2").unwrap();
    primary.snapshot_to("default", &live).unwrap();
    assert_eq!(secondary.get("default").unwrap().get("a").unwrap().as_deref(), Some(&b"2"[..]));
    assert!(secondary.get("default").unwrap().set("x", b"y").is_err(), "the secondary stays read-only");
    let err = primary.snapshot_to("default", &dir.path().join("p.db")).unwrap_err().to_string();
    assert!(err.contains("the primary's own file"), "{err}");
}

#[test]
fn backup_then_restore_on_a_fresh_node_is_identical() {
    let dir = tempfile::tempdir().unwrap();
    let primary = manager(&[("default", &dir.path().join("p.db")), ("other", &dir.path().join("o.db"))], false);
    for i in 0..50u32 {
        primary.get("default").unwrap().set(&format!("k{i}"), &i.to_le_bytes()).unwrap();
    }
    primary.get("other").unwrap().increment("counter", 7).unwrap();
    let when = UNIX_EPOCH + Duration::from_secs(1_764_617_400);
    let archive = primary.backup_archive(&dir.path().join("backups"), when).unwrap();
    assert_eq!(archive.file_name().unwrap(), "dqm-store-20251201T193000Z.tar.gz");

    let fresh = manager(&[("default", &dir.path().join("f1.db")), ("other", &dir.path().join("f2.db"))], true);
    fresh.get("default").unwrap().get("nothing").unwrap();
    let mut labels = fresh.restore_archive(&archive).unwrap();
    labels.sort();
    assert_eq!(labels, ["default", "other"]);
    assert_eq!(contents(&fresh), contents(&primary));
    let meta = read_snapshot_meta(&fresh.get("other").unwrap().get(SNAPSHOT_META_KEY).unwrap().unwrap()).unwrap();
    assert_eq!(meta.taken_at, "2025-12-01T19:30:00Z");
}

#[test]
fn a_bad_archive_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let node = manager(&[("default", &dir.path().join("n.db"))], false);
    node.get("default").unwrap().set("keep", b"me").unwrap();
    let before = contents(&node);
    // Not gzip at all; a tarball without the manifest; a manifest naming a missing file.
    let garbage = dir.path().join("garbage.tar.gz");
    std::fs::write(&garbage, b"not an archive").unwrap();
    let no_manifest = dir.path().join("empty.tar.gz");
    write_tar_gz(&no_manifest, &[("dqm-store-x/0-n.db", b"SQLite")]);
    let missing = dir.path().join("missing.tar.gz");
    let manifest = br#"{"format":"dqm-spin-store-archive","version":1,"taken_at":"t","files":[{"file":"0-n.db","labels":["default"]}]}"#;
    write_tar_gz(&missing, &[("dqm-store-x/manifest.json", manifest)]);
    let not_sqlite = dir.path().join("not-sqlite.tar.gz");
    write_tar_gz(&not_sqlite, &[("dqm-store-x/manifest.json", manifest), ("dqm-store-x/0-n.db", b"not a database")]);
    let escape = dir.path().join("escape.tar.gz");
    write_tar_gz(&escape, &[("dqm-store-x/sub/manifest.json", manifest)]);
    for (archive, expected) in [
        (&garbage, "invalid gzip header"),
        (&no_manifest, "no manifest.json"),
        (&missing, "0-n.db is listed but missing"),
        (&not_sqlite, "not a key-value store"),
        (&escape, "unexpected entry"),
    ] {
        let err = node.restore_archive(archive).unwrap_err().to_string();
        assert!(err.contains(expected), "{}: {err}", archive.display());
        assert_eq!(contents(&node), before);
    }
}

fn write_tar_gz(path: &std::path::Path, files: &[(&str, &[u8])]) {
    let gz = flate2::write::GzEncoder::new(std::fs::File::create(path).unwrap(), flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    for (name, data) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, name, *data).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
}

#[test]
fn a_snapshot_of_a_redis_store_is_refused_with_a_pointer_to_replicaof() {
    let redis = RedisServer::start();
    let stores = BTreeMap::from([("default".to_owned(), Backend::Redis { url: redis.url.clone() })]);
    let node = StoreManager::open(&StoresConfig { stores, read_only: false }).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let err = node.backup_archive(dir.path(), std::time::SystemTime::now()).unwrap_err().to_string();
    assert!(err.contains("replicaof"), "{err}");
}

#[test]
fn raw_redis_commands_flatten_like_spin() {
    let redis = RedisServer::start();
    let store = RedisStore::open(&redis.url).unwrap();
    let set = store.execute("SET", &[RedisArg::Binary(b"k".to_vec()), RedisArg::Int(41)]).unwrap();
    assert_eq!(set, [RedisReply::Status("OK".into())]);
    assert_eq!(store.execute("INCR", &[RedisArg::Binary(b"k".to_vec())]).unwrap(), [RedisReply::Int(42)]);
    let got = store.execute("MGET", &[RedisArg::Binary(b"k".to_vec()), RedisArg::Binary(b"none".to_vec())]).unwrap();
    assert_eq!(got, [RedisReply::Binary(b"42".to_vec()), RedisReply::Nil]);
    let info = store.execute("INFO", &[RedisArg::Binary(b"replication".to_vec())]).unwrap();
    let [RedisReply::Binary(text)] = info.as_slice() else { panic!("{info:?}") };
    assert!(String::from_utf8_lossy(text).contains("role:master"));
    assert!(store.execute("NO-SUCH-COMMAND", &[]).is_err());
}

#[test]
fn a_redis_replica_refuses_writes_as_read_only_and_reports_its_offset() {
    let primary = RedisServer::start();
    let replica = RedisServer::start_with(&["--replicaof", "127.0.0.1", &primary.port.to_string()]);
    let writer = RedisStore::open(&primary.url).unwrap();
    let reader = RedisStore::open(&replica.url).unwrap();
    writer.set("k", b"v").unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while reader.get("k").unwrap().is_none() {
        assert!(std::time::Instant::now() < deadline, "the replica never caught up");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(reader.set("k", b"w"), Err(kv_api::KvError::ReadOnly));
    assert_eq!(reader.set_many(&[("a", b"1"), ("b", b"2")]), Err(kv_api::KvError::ReadOnly));
    let info = reader.execute("INFO", &[RedisArg::Binary(b"replication".to_vec())]).unwrap();
    let [RedisReply::Binary(text)] = info.as_slice() else { panic!("{info:?}") };
    let text = String::from_utf8_lossy(text);
    assert!(text.contains("role:slave") && text.contains("master_link_status:up"), "{text}");
}
