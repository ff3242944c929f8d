//! `scraper-host stats2 --once` over several passes against the fake cmsweb: only changed workflows are
//! fetched, history grows only on change, deletions and failures are handled, a killed pass is redone
//! without loss or duplicates, and the TLS client-certificate path works.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dqm_spin_tests::stats2::{kv_json, kv_keys, poll_once, poll_ok, spawn_poll, wait_for, FakeServer};
use serde_json::{json, Value};
use stats2::fake::{synthetic_outputs, synthetic_request, CallKind, FakeCmsweb, FakeDataset};
use stats2::keys;
use stats2::upstream::UpstreamError;

const CAMPAIGNS: usize = 3;

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// A fake with `n` synthetic workflows and their datasets.
fn world(n: usize) -> (FakeCmsweb, Vec<String>) {
    let fake = FakeCmsweb::new();
    let mut names = Vec::new();
    for i in 0..n {
        let (name, doc) = synthetic_request(i, CAMPAIGNS);
        fake.put_request(&name, doc);
        for dataset in synthetic_outputs(i, CAMPAIGNS) {
            let figures = FakeDataset { access_type: "VALID".into(), events: 1000, size: 10_000, lumis: 10, modified: now() - 86_400 };
            fake.set_dataset(&dataset, figures);
        }
        names.push(name);
    }
    (fake, names)
}

fn doc(state: &Path, name: &str) -> Option<Value> {
    kv_json(state, &keys::doc(name))
}

fn history_len(state: &Path, name: &str) -> usize {
    let doc = doc(state, name).unwrap_or_else(|| panic!("{name} is not stored"));
    doc["EventNumberHistory"].as_array().map_or(0, Vec::len)
}

fn settings(state: &Path) -> Value {
    kv_json(state, keys::SETTINGS).unwrap_or(Value::Null)
}

#[test]
fn only_changed_workflows_are_fetched_and_history_grows_only_on_change() {
    let (fake, names) = world(4);
    let server = FakeServer::http(fake);
    let state = tempfile::tempdir().unwrap();

    let log = poll_ok(state.path(), &server);
    assert!(log.contains("pass done"), "{log}");
    let mut fetched = server.fake.fetched_requests();
    fetched.sort();
    assert_eq!(fetched, { let mut n = names.clone(); n.sort(); n });
    for name in &names {
        assert_eq!(history_len(state.path(), name), 1, "{name}");
    }
    assert_eq!(settings(state.path())["last_reqmgr_sequence"], json!(server.fake.last_seq()));
    let status = kv_json(state.path(), keys::STATUS).unwrap();
    assert_eq!(status["state"], "done");
    assert_eq!(status["seen"], 4);
    assert!(server.unknown.lock().unwrap().is_empty(), "{:?}", server.unknown.lock().unwrap());

    // Nothing changed upstream: no request document is fetched and no history entry appended.
    server.fake.clear_calls();
    poll_ok(state.path(), &server);
    assert_eq!(server.fake.fetched_requests(), Vec::<String>::new());
    for name in &names {
        assert_eq!(history_len(state.path(), name), 1, "{name}");
    }

    // A status change of one workflow and event growth in another's output dataset.
    let transitions = json!([{"Status": "new", "UpdateTime": 1704067200}, {"Status": "completed", "UpdateTime": now()}]);
    server.fake.set_request_field(&names[0], "RequestTransition", transitions);
    server.fake.grow_dataset(&synthetic_outputs(1, CAMPAIGNS)[1], 500, 5, now());
    server.fake.clear_calls();
    poll_ok(state.path(), &server);
    assert_eq!(server.fake.fetched_requests(), [names[0].clone()]);
    assert_eq!(doc(state.path(), &names[0]).unwrap()["RequestTransition"][1]["Status"], "completed");
    assert_eq!(history_len(state.path(), &names[0]), 1);
    assert_eq!(history_len(state.path(), &names[1]), 2);
    assert_eq!(history_len(state.path(), &names[2]), 1);

    // A deletion removes the document and its index entries.
    server.fake.delete_request(&names[3]);
    server.fake.clear_calls();
    poll_ok(state.path(), &server);
    assert!(doc(state.path(), &names[3]).is_none());
    let prepid = keys::index(stats2::document::Index::Prepid, "task_PPD-Camp000-00003");
    let listed = dqm_spin_tests::stats2::kv_get(state.path(), &prepid).unwrap_or_default();
    assert!(!String::from_utf8_lossy(&listed).lines().any(|n| n == names[3]), "{} still indexed", names[3]);
    let docs = kv_keys(state.path()).into_iter().filter(|k| k.starts_with(keys::DOC_PREFIX)).count();
    assert_eq!(docs, 3);
    assert!(server.fake.fetched_requests().is_empty());
}

#[test]
fn failed_workflows_are_retried_on_the_next_pass() {
    let (fake, names) = world(3);
    // Both attempts of the first pass (one retry) fail with a 500.
    fake.fail(CallKind::RequestDoc, Some(&names[1]), 2, UpstreamError::Status(500));
    // And another one's request document times out twice (the server stalls past `--timeout 1`).
    fake.fail(CallKind::RequestDoc, Some(&names[2]), 2, UpstreamError::Timeout);
    let server = FakeServer::http(fake);
    let state = tempfile::tempdir().unwrap();

    poll_ok(state.path(), &server);
    assert!(doc(state.path(), &names[1]).is_none());
    assert!(doc(state.path(), &names[2]).is_none());
    assert_eq!(settings(state.path())["failed_workflows"], json!([names[1], names[2]]));
    assert_eq!(history_len(state.path(), &names[0]), 1);

    server.fake.clear_calls();
    poll_ok(state.path(), &server);
    // Fetched concurrently, so in any order.
    let mut fetched = server.fake.fetched_requests();
    fetched.sort();
    assert_eq!(fetched, [names[1].clone(), names[2].clone()]);
    assert_eq!(history_len(state.path(), &names[1]), 1);
    assert_eq!(history_len(state.path(), &names[2]), 1);
    assert_eq!(settings(state.path())["failed_workflows"], json!([]));
}

#[test]
fn a_failed_changes_feed_keeps_the_last_good_since() {
    let (fake, names) = world(2);
    let server = FakeServer::http(fake);
    let state = tempfile::tempdir().unwrap();
    poll_ok(state.path(), &server);
    let since = settings(state.path())["last_reqmgr_sequence"].clone();

    server.fake.touch_request(&names[0]);
    server.fake.fail(CallKind::Changes, None, 2, UpstreamError::Status(503));
    let output = poll_once(state.path(), &server, &[]);
    assert!(!output.status.success());
    assert_eq!(settings(state.path())["last_reqmgr_sequence"], since);
    assert_eq!(kv_json(state.path(), keys::STATUS).unwrap()["state"], "failed");

    server.fake.clear_calls();
    poll_ok(state.path(), &server);
    assert_eq!(server.fake.fetched_requests(), [names[0].clone()]);
    assert_eq!(settings(state.path())["last_reqmgr_sequence"], json!(server.fake.last_seq()));
}

#[test]
fn a_pass_killed_midway_is_redone_without_loss_or_duplicates() {
    let (fake, names) = world(40);
    let server = FakeServer::http(fake);
    let state = tempfile::tempdir().unwrap();
    // The first pass stores documents, then hangs in the DBS counts: kill it there.
    server.hold_after(CallKind::DbsFileSummaries, 20);
    let mut child = spawn_poll(state.path(), &server);
    assert!(wait_for(Duration::from_secs(60), || server.held() > 0), "the pass never reached the held call");
    child.kill().unwrap();
    child.wait().unwrap();
    server.release();
    assert!(settings(state.path()).get("last_reqmgr_sequence").is_none_or(|s| s == "0"), "since saved by a killed pass");
    let stored_before = names.iter().filter(|n| doc(state.path(), n).is_some()).count();
    assert!(stored_before > 0, "the killed pass wrote nothing, so the test shows nothing");

    poll_ok(state.path(), &server);
    for name in &names {
        assert_eq!(history_len(state.path(), name), 1, "{name}");
    }
    assert_eq!(settings(state.path())["last_reqmgr_sequence"], json!(server.fake.last_seq()));
    let stored = kv_keys(state.path()).iter().filter(|k| k.starts_with(keys::DOC_PREFIX)).count();
    assert_eq!(stored, names.len());
    // The all-workflows list holds one name a line: no gaps, no duplicates.
    let all = dqm_spin_tests::stats2::kv_get(state.path(), keys::ALL_WORKFLOWS).unwrap();
    let mut listed: Vec<&str> = std::str::from_utf8(&all).unwrap().lines().collect();
    listed.sort();
    let mut expected: Vec<&str> = names.iter().map(String::as_str).collect();
    expected.sort();
    assert_eq!(listed, expected);

    server.fake.clear_calls();
    poll_ok(state.path(), &server);
    assert!(server.fake.fetched_requests().is_empty());
}

#[test]
fn cmsweb_over_tls_needs_the_client_certificate() {
    let (fake, names) = world(2);
    let server = FakeServer::https(fake);
    let state = tempfile::tempdir().unwrap();
    poll_ok(state.path(), &server);
    assert_eq!(history_len(state.path(), &names[0]), 1);

    // Without the client certificate the TLS handshake fails and nothing is saved.
    let other = tempfile::tempdir().unwrap();
    let mut args: Vec<String> = vec!["stats2".into(), "--once".into()];
    let mut given = server.poller_args().into_iter();
    while let Some(arg) = given.next() {
        if arg == "--cert" || arg == "--key" {
            given.next();
        } else {
            args.push(arg);
        }
    }
    let output = dqm_spin_tests::stats2::scraper_host(other.path(), &args).output().unwrap();
    assert!(!output.status.success());
    assert!(kv_json(other.path(), keys::SETTINGS).is_none());
}
