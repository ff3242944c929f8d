//! Runs the `scraper-host` binary: operator get/set/keys, dump -> restore into a fresh state dir, a failed
//! restore, and several processes writing one SQLite file at once.

use std::path::Path;
use std::process::{Command, Output};

fn run(state_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scraper-host"))
        .arg("--state-dir")
        .arg(state_dir)
        .args(args)
        .env_remove("RUNTIME_CONFIG_FILE")
        .output()
        .unwrap()
}

fn ok(state_dir: &Path, args: &[&str]) -> String {
    let out = run(state_dir, args);
    assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn set_get_keys_work_on_spins_default_file() {
    let dir = tempfile::tempdir().unwrap();
    ok(dir.path(), &["kv", "set", "greeting", "hello"]);
    ok(dir.path(), &["kv", "set", "a", "1"]);
    assert_eq!(ok(dir.path(), &["kv", "get", "greeting"]), "hello");
    assert_eq!(ok(dir.path(), &["kv", "keys"]), "a\ngreeting\n");
    // Spin's file and schema, readable with plain SQL.
    let conn = rusqlite::Connection::open(dir.path().join("sqlite_key_value.db")).unwrap();
    let value: Vec<u8> = conn
        .query_row("SELECT value FROM spin_key_value WHERE store = 'default' AND key = 'greeting'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(value, b"hello");

    let missing = run(dir.path(), &["kv", "get", "nope"]);
    assert_eq!(missing.status.code(), Some(1));
    let unknown_store = run(dir.path(), &["kv", "keys", "--store", "runs"]);
    assert_eq!(unknown_store.status.code(), Some(1));
    assert_eq!(run(dir.path(), &["kv", "frobnicate"]).status.code(), Some(2));
    assert_eq!(run(dir.path(), &["kv", "set", "only-key"]).status.code(), Some(2));
}

#[test]
fn dump_restores_into_a_fresh_state_dir_with_a_runtime_config() {
    let (source, target) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for dir in [&source, &target] {
        std::fs::write(dir.path().join("rc.toml"), "[key_value_store.runs]\ntype = \"spin\"\npath = \"runs.db\"\n").unwrap();
    }
    let rc = |dir: &tempfile::TempDir| dir.path().join("rc.toml").to_string_lossy().into_owned();
    let (src_rc, dst_rc) = (rc(&source), rc(&target));
    ok(source.path(), &["--runtime-config-file", &src_rc, "kv", "set", "k", "in default"]);
    ok(source.path(), &["--runtime-config-file", &src_rc, "kv", "set", "--store", "runs", "k", "in runs"]);
    let dump = source.path().join("backup.jsonl");
    ok(source.path(), &["--runtime-config-file", &src_rc, "kv", "dump", "--out", dump.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(&dump).unwrap().lines().count(), 3);
    // The same dump on stdout.
    assert_eq!(ok(source.path(), &["--runtime-config-file", &src_rc, "kv", "dump"]), std::fs::read_to_string(&dump).unwrap());

    ok(target.path(), &["--runtime-config-file", &dst_rc, "kv", "restore", dump.to_str().unwrap()]);
    assert_eq!(ok(target.path(), &["--runtime-config-file", &dst_rc, "kv", "get", "k"]), "in default");
    assert_eq!(ok(target.path(), &["--runtime-config-file", &dst_rc, "kv", "get", "--store", "runs", "k"]), "in runs");
    assert!(target.path().join("runs.db").exists());
}

#[test]
fn a_bad_dump_restores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    ok(dir.path(), &["kv", "set", "k", "old"]);
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"format\":\"dqm-spin-kv-dump\",\"version\":1}\n\
         {\"store\":\"default\",\"key\":\"k\",\"value_b64\":\"bmV3\"}\n\
         {\"store\":\"default\",\"key\":\"x\",\"value_b64\":\"%%\"}\n",
    )
    .unwrap();
    let out = run(dir.path(), &["kv", "restore", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 3"));
    assert_eq!(ok(dir.path(), &["kv", "get", "k"]), "old");
    assert_eq!(ok(dir.path(), &["kv", "keys"]), "k\n");
}

#[test]
fn processes_write_one_file_concurrently() {
    let dir = tempfile::tempdir().unwrap();
    let children: Vec<_> = (0..6)
        .map(|p| {
            let script = (0..10)
                .map(|i| format!("{} --state-dir {} kv set p{p}-{i} v", env!("CARGO_BIN_EXE_scraper-host"), dir.path().display()))
                .collect::<Vec<_>>()
                .join(" && ");
            Command::new("sh").args(["-c", &script]).spawn().unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    assert_eq!(ok(dir.path(), &["kv", "keys"]).lines().count(), 60);
}
