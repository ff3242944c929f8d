//! NectarCAM primary → read-only secondary (§5, §9 items 3–4) with the real binaries:
//! - Redis: two real `redis-server`s (the second `--replicaof` the first), a primary gateway and a
//!   `--read-only` secondary gateway over the replica; an ingest on the primary shows up on the secondary,
//!   whose `/api/health` reports the replica's own `INFO replication` (role, offset, lag);
//! - SQLite: `scraper-host snapshot` installs online-backup snapshots into the secondary's live file while
//!   its `--read-only` gateway serves it; health reports the snapshot's time and age;
//! - `scraper-host backup` → `restore` on a fresh node: identical keys, dtypes, shapes and values.
//! Needs `cargo build --release -p gateway -p scraper-host`,
//! `cargo build --release --target wasm32-wasip2 -p nectarcam-component` and `redis-server` on the PATH.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use dqm_spin_tests::apps::{app, scraper_host};
use dqm_spin_tests::{Gateway, TestApp};
use kv_store::{RedisArg, RedisReply, RedisStore};
use redis_test_server::RedisServer;
use serde_json::{json, Value};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/nectarcam");

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn ok(output: Output) -> Output {
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    output
}

/// `--camera QM --run 6310` from the DIRAC tarball, or `NectarCAM2 1000` from the plain FITS file.
fn ingest_args(run: &str) -> Vec<String> {
    let (camera, path) = match run {
        "6310" => ("NectarCAMQM", FIXTURES.to_owned()),
        "1000" => ("NectarCAM2", format!("{FIXTURES}/NectarCAM2_Run1000_Results.fits")),
        other => panic!("no fixture for run {other}"),
    };
    ["nectarcam", "ingest", "--camera", camera, "--run", run, "--path", &path].map(str::to_owned).to_vec()
}

fn run_scraper(app: &TestApp, global: &[&str], words: &[String]) -> Output {
    let mut args: Vec<&str> = global.to_vec();
    args.extend(words.iter().map(String::as_str));
    scraper_host(app, &args)
}

fn camera_codes(gateway: &Gateway) -> Vec<String> {
    let cameras = gateway.get("/nectarcam/api/cameras");
    assert_eq!(cameras.status, 200, "{}", cameras.text());
    cameras.json().as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap().to_owned()).collect()
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The server's own `INFO replication` as `key -> value`.
fn replication(redis: &RedisServer) -> BTreeMap<String, String> {
    let store = RedisStore::open(&redis.url).unwrap();
    let reply = store.execute("INFO", &[RedisArg::Binary(b"replication".to_vec())]).unwrap();
    let [RedisReply::Binary(text)] = reply.as_slice() else { panic!("{reply:?}") };
    String::from_utf8_lossy(text)
        .lines()
        .filter_map(|l| l.trim_end().split_once(':'))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// A runtime config putting the `default` store on `url`, written into the app's directory.
fn redis_runtime_config(app: &TestApp, url: &str) -> String {
    let path = app.path().join("runtime-config.toml");
    std::fs::write(&path, format!("[key_value_store.default]\ntype = \"redis\"\nurl = \"{url}\"\n")).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn redis_primary_to_replica_through_two_gateways() {
    let primary_redis = RedisServer::start();
    let replica_redis = RedisServer::start_with(&["--replicaof", "127.0.0.1", &primary_redis.port.to_string()]);
    wait_for("the replica's link", || replication(&replica_redis).get("master_link_status").map(String::as_str) == Some("up"));

    let primary_app = app("nectarcam", "nectarcam-component");
    let secondary_app = app("nectarcam", "nectarcam-component");
    let primary_rc = redis_runtime_config(&primary_app, &primary_redis.url);
    let secondary_rc = redis_runtime_config(&secondary_app, &replica_redis.url);
    let primary = Gateway::start(
        &primary_app,
        &["--runtime-config-file", &primary_rc],
        &[("SPIN_VARIABLE_REDIS_REPLICA_URL", &primary_redis.url)],
    );
    let secondary = Gateway::start(
        &secondary_app,
        &["--read-only", "--runtime-config-file", &secondary_rc],
        &[("SPIN_VARIABLE_REDIS_REPLICA_URL", &replica_redis.url)],
    );

    ok(run_scraper(&primary_app, &["--runtime-config-file", &primary_rc], &ingest_args("6310")));
    wait_for("run 6310 on the secondary", || camera_codes(&secondary) == ["QM"]);
    assert_eq!(camera_codes(&primary), ["QM"]);
    let display = "/nectarcam/api/runs/NectarCAMQM_Run6310/camera_display/CAMERA-AVERAGE-PHY-OVEREVENTS-OVERSAMP-HIGH-GAIN/CAMERA-AVERAGE-PHY-OverEVENTS-OverSamp-HIGH-GAIN";
    assert_eq!(secondary.get(display).body, primary.get(display).body);

    // The secondary's health is the replica's own status.
    let offset_before: i64 = replication(&replica_redis)["slave_repl_offset"].parse().unwrap();
    let health = secondary.get("/nectarcam/api/health").json();
    let offset_after: i64 = replication(&replica_redis)["slave_repl_offset"].parse().unwrap();
    assert_eq!((&health["role"], &health["read_only"]), (&json!("secondary"), &json!(true)), "{health}");
    let txn: i64 = health["last_replicated_txn"].as_str().unwrap().parse().unwrap();
    assert!(offset_before <= txn && txn <= offset_after && txn > 0, "{health}: offsets {offset_before}..{offset_after}");
    let lag = health["lag_s"].as_f64().unwrap();
    assert!((0.0..=10.0).contains(&lag), "{health}");
    assert_eq!(health["replication"]["link_status"], json!("up"), "{health}");
    assert_eq!(health["replication"]["redis_role"], json!("slave"), "{health}");
    let primary_health = primary.get("/nectarcam/api/health").json();
    assert_eq!((&primary_health["role"], &primary_health["read_only"]), (&json!("primary"), &json!(false)), "{primary_health}");
    assert_eq!(primary_health["lag_s"], Value::Null);

    // A second write, then the replica catches up again; its reported offset moves forward.
    ok(run_scraper(&primary_app, &["--runtime-config-file", &primary_rc], &ingest_args("1000")));
    wait_for("run 1000 on the secondary", || camera_codes(&secondary) == ["QM", "2"]);
    let later: i64 = secondary.get("/nectarcam/api/health").json()["last_replicated_txn"].as_str().unwrap().parse().unwrap();
    assert!(later > txn, "{later} after {txn}");

    // On the secondary every write fails: --read-only, and the replica itself (READONLY) without it.
    for global in [vec!["--read-only", "--runtime-config-file", &secondary_rc], vec!["--runtime-config-file", &secondary_rc]] {
        let mut words = ingest_args("6310");
        words.push("--force".into());
        let refused = run_scraper(&secondary_app, &global, &words);
        assert_eq!(refused.status.code(), Some(3), "{global:?}: {}", stderr(&refused));
        assert!(stderr(&refused).contains("storage is read-only"), "{}", stderr(&refused));
    }
    assert_eq!(secondary.send("POST", "/nectarcam/api/cameras", &[], b"").status, 405);
}

#[test]
fn sqlite_snapshots_replicate_into_a_serving_secondary() {
    let primary_app = app("nectarcam", "nectarcam-component");
    let secondary_app = app("nectarcam", "nectarcam-component");
    let live = secondary_app.state_dir().join("sqlite_key_value.db");
    let live_arg = live.to_string_lossy().into_owned();
    ok(run_scraper(&primary_app, &[], &ingest_args("6310")));
    let snapshot = ok(scraper_host(&primary_app, &["snapshot", &live_arg]));
    assert!(stderr(&snapshot).contains("installed in"), "{}", stderr(&snapshot));

    let secondary = Gateway::start(&secondary_app, &["--read-only"], &[("SPIN_VARIABLE_ROLE", "secondary")]);
    assert_eq!(camera_codes(&secondary), ["QM"]);
    let health = secondary.get("/nectarcam/api/health").json();
    assert_eq!((&health["role"], &health["read_only"]), (&json!("secondary"), &json!(true)), "{health}");
    let taken_at = health["last_replicated_txn"].as_str().unwrap().to_owned();
    assert!(taken_at.len() == 20 && taken_at.ends_with('Z'), "{health}");
    assert!((0.0..=60.0).contains(&health["lag_s"].as_f64().unwrap()), "{health}");
    assert_eq!(health["replication"], json!({"source": "sqlite-snapshot", "taken_at": taken_at}));

    // A later ingest on the primary reaches the running secondary with the next snapshot.
    ok(run_scraper(&primary_app, &[], &ingest_args("1000")));
    assert_eq!(camera_codes(&secondary), ["QM"], "not before the snapshot");
    std::thread::sleep(Duration::from_millis(1100));
    ok(scraper_host(&primary_app, &["snapshot", &live_arg]));
    assert_eq!(camera_codes(&secondary), ["QM", "2"]);
    let next = secondary.get("/nectarcam/api/health").json();
    assert!(next["last_replicated_txn"].as_str().unwrap() > taken_at.as_str(), "{next}");

    let mut words = ingest_args("1000");
    words.push("--force".into());
    let refused = run_scraper(&secondary_app, &["--read-only"], &words);
    assert_eq!(refused.status.code(), Some(3), "{}", stderr(&refused));
    let refused = scraper_host(&secondary_app, &["--read-only", "kv", "set", "k", "v"]);
    assert_ne!(refused.status.code(), Some(0), "{}", stderr(&refused));
}

/// Every entry of a node except the snapshot's own metadata, from `kv dump`.
fn dump(app: &TestApp) -> BTreeMap<(String, String), String> {
    let out = ok(scraper_host(app, &["kv", "dump"]));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .skip(1)
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|e| e["key"] != "dqm-spin/snapshot")
        .map(|e| ((e["store"].as_str().unwrap().to_owned(), e["key"].as_str().unwrap().to_owned()), e["value_b64"].as_str().unwrap().to_owned()))
        .collect()
}

/// Every run's summary (dtype and shape of every child) and every child's data, through the API.
fn runs_through_api(gateway: &Gateway) -> BTreeMap<String, Value> {
    let mut all = BTreeMap::new();
    for camera in camera_codes(gateway) {
        for run in gateway.get(&format!("/nectarcam/api/cameras/{camera}/runs")).json()["runs"].as_array().unwrap() {
            let key = run["key"].as_str().unwrap();
            let summary = gateway.get(&format!("/nectarcam/api/runs/{key}")).json();
            for (parent, children) in summary["entries"].as_object().unwrap() {
                for child in children.as_object().unwrap().keys() {
                    let path = format!("/nectarcam/api/runs/{key}/data/{}/{}", encode(parent), encode(child));
                    let data = gateway.get(&path);
                    assert_eq!(data.status, 200, "{path}");
                    all.insert(path, data.json());
                }
            }
            all.insert(key.to_owned(), summary);
        }
    }
    all
}

fn encode(segment: &str) -> String {
    segment.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[test]
fn backup_then_restore_on_a_fresh_node_is_identical() {
    let primary_app = app("nectarcam", "nectarcam-component");
    ok(run_scraper(&primary_app, &[], &ingest_args("6310")));
    ok(run_scraper(&primary_app, &[], &ingest_args("1000")));
    let backups = primary_app.path().join("backups");
    let out = ok(scraper_host(&primary_app, &["backup", "--out", &backups.to_string_lossy()]));
    let archive = PathBuf::from(String::from_utf8(out.stdout).unwrap().trim());
    let name = archive.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.len() == "dqm-store-20261201T193000Z.tar.gz".len() && name.starts_with("dqm-store-20") && name.ends_with("Z.tar.gz"),
        "{name}"
    );
    assert_eq!(std::fs::read_dir(&backups).unwrap().count(), 1, "one archive, no leftovers");

    // A fresh secondary node: restore re-initialises it although it is read-only.
    let fresh_app = app("nectarcam", "nectarcam-component");
    ok(scraper_host(&fresh_app, &["--read-only", "restore", &archive.to_string_lossy()]));
    assert_eq!(dump(&fresh_app), dump(&primary_app));
    let primary = Gateway::start(&primary_app, &[], &[]);
    let fresh = Gateway::start(&fresh_app, &["--read-only"], &[("SPIN_VARIABLE_ROLE", "secondary")]);
    let (expected, restored) = (runs_through_api(&primary), runs_through_api(&fresh));
    assert!(expected.len() > 100, "{} entries compared", expected.len());
    assert_eq!(restored, expected);
    assert_eq!(fresh.get("/nectarcam/api/health").json()["replication"]["source"], json!("sqlite-snapshot"));

    // A tarball that is not a store archive is refused and changes nothing.
    let bogus = fresh_app.path().join("bogus.tar.gz");
    std::fs::copy(Path::new(FIXTURES).join("NectarCAMQM_DQM_Run6310.tar.gz"), &bogus).unwrap();
    let refused = scraper_host(&fresh_app, &["restore", &bogus.to_string_lossy()]);
    assert_ne!(refused.status.code(), Some(0));
    assert!(stderr(&refused).contains("unexpected entry") || stderr(&refused).contains("not a dqm-store archive"), "{}", stderr(&refused));
    assert_eq!(runs_through_api(&fresh), expected);
}
