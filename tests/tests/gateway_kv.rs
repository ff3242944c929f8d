//! Key-value through the gateway: shared between components, persistent, permission-checked, read-only,
//! wasi:keyvalue increment, and the SQLite file in Spin's own schema both ways.

use dqm_spin_tests::{Gateway, TestApp};
use redis_test_server::RedisServer;

const REGION: (&str, &str) = ("SPIN_VARIABLE_REGION", "cern");

#[test]
fn store_is_shared_between_components_and_survives_restart() {
    let app = TestApp::new("gateway");
    let gateway = Gateway::start(&app, &[], &[REGION]);
    assert_eq!(gateway.send("PUT", "/a/default/run", &[], b"366498").status, 204);
    let from_b = gateway.get("/b/default/run");
    assert_eq!((from_b.status, from_b.text().as_str()), (200, "366498"));
    assert_eq!(gateway.get("/b/default").json(), serde_json::json!(["run"]));
    assert_eq!(gateway.get("/a/default/missing").status, 404);
    drop(gateway);

    let restarted = Gateway::start(&app, &[], &[REGION]);
    assert_eq!(restarted.get("/a/default/run").text(), "366498");
    assert_eq!(restarted.send("DELETE", "/b/default/run", &[], b"").status, 204);
    assert_eq!(restarted.get("/a/default/run").status, 404);
}

#[test]
fn undeclared_store_is_access_denied() {
    let app = TestApp::new("gateway");
    let gateway = Gateway::start(&app, &[], &[REGION]);
    let denied = gateway.get("/a/secret/key");
    assert_eq!(denied.status, 403);
    assert_eq!(denied.json()["message"], "access-denied");
    assert_eq!(gateway.send("POST", "/a/secret/n/incr", &[], b"").status, 403);
}

#[test]
fn wasi_keyvalue_increment_is_atomic_across_concurrent_requests() {
    let app = TestApp::new("gateway");
    let gateway = Gateway::start(&app, &[], &[REGION]);
    let addr = gateway.addr;
    let workers: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(move || {
                for _ in 0..10 {
                    let r = dqm_spin_tests::request(addr, "POST", "/a/default/hits/incr", &[], b"").expect("request");
                    assert_eq!(r.status, 200, "{}", r.text());
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("worker");
    }
    assert_eq!(gateway.send("POST", "/b/default/hits/incr", &[], b"").text(), "81");
}

#[test]
fn compare_and_swap_loses_no_concurrent_update() {
    let app = TestApp::new("gateway");
    let gateway = Gateway::start(&app, &[], &[REGION]);
    // Created up front: on an absent key Spin's CAS is an unconditional upsert.
    assert_eq!(gateway.send("PUT", "/a/default/log", &[], b"").status, 204);
    let addr = gateway.addr;
    let workers: Vec<_> = (0..8)
        .map(|i| {
            std::thread::spawn(move || {
                let path = if i % 2 == 0 { "/a/default/log/append" } else { "/b/default/log/append" };
                for _ in 0..10 {
                    let r = dqm_spin_tests::request(addr, "POST", path, &[], b"x").expect("request");
                    assert_eq!(r.status, 200, "{}", r.text());
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("worker");
    }
    assert_eq!(gateway.get("/a/default/log").body, vec![b'x'; 80]);
}

#[test]
fn read_only_replica_rejects_writes_with_503() {
    let app = TestApp::new("gateway");
    let writer = Gateway::start(&app, &[], &[REGION]);
    assert_eq!(writer.send("PUT", "/a/default/k", &[], b"v").status, 204);
    drop(writer);
    let replica = Gateway::start(&app, &["--read-only"], &[REGION]);
    assert_eq!(replica.get("/a/default/k").text(), "v");
    let put = replica.send("PUT", "/a/default/k", &[], b"w");
    assert_eq!(put.status, 503);
    assert_eq!(put.json(), serde_json::json!({ "message": "read-only replica" }));
    assert_eq!(replica.send("DELETE", "/a/default/k", &[], b"").status, 503);
    assert_eq!(replica.send("POST", "/a/default/n/incr", &[], b"").status, 503);
    assert_eq!(replica.get("/a/default/k").text(), "v");
}

#[test]
fn sqlite_file_uses_spins_schema_both_ways() {
    let app = TestApp::new("gateway");
    let gateway = Gateway::start(&app, &[], &[REGION]);
    assert_eq!(gateway.send("PUT", "/a/default/written-by-gateway", &[], b"\x00\x01bytes").status, 204);
    drop(gateway);

    let db = rusqlite::Connection::open(app.state_dir().join("sqlite_key_value.db")).expect("open state file");
    let value: Vec<u8> = db
        .query_row("SELECT value FROM spin_key_value WHERE store = 'default' AND key = 'written-by-gateway'", [], |r| r.get(0))
        .expect("row written by the gateway");
    assert_eq!(value, b"\x00\x01bytes");
    db.execute(
        "INSERT INTO spin_key_value (store, key, value) VALUES ('default', 'written-by-sql', x'68690a')",
        [],
    )
    .expect("insert in Spin's schema");
    drop(db);

    let gateway = Gateway::start(&app, &[], &[REGION]);
    assert_eq!(gateway.get("/b/default/written-by-sql").body, b"hi\n");
}

#[test]
fn redis_runtime_config_backs_the_default_store() {
    let redis = RedisServer::start();
    let app = TestApp::new("gateway");
    let runtime_config = app.path().join("runtime-config.toml");
    std::fs::write(&runtime_config, format!("[key_value_store.default]\ntype = \"redis\"\nurl = \"{}\"\n", redis.url)).unwrap();
    let rc = runtime_config.to_string_lossy().into_owned();
    let gateway = Gateway::start(&app, &["--runtime-config-file", &rc], &[REGION]);
    assert_eq!(gateway.send("PUT", "/a/default/run", &[], b"366498").status, 204);
    assert_eq!(gateway.get("/b/default/run").text(), "366498");
    assert_eq!(gateway.send("POST", "/a/default/n/incr", &[], b"").text(), "1");
    assert_eq!(gateway.send("POST", "/b/default/n/incr", &[], b"").text(), "2");
    drop(gateway);
    assert!(!app.state_dir().join("sqlite_key_value.db").exists(), "redis, not sqlite, backs `default`");
    let restarted = Gateway::start(&app, &[], &[REGION, ("RUNTIME_CONFIG_FILE", &rc)]);
    assert_eq!(restarted.get("/a/default/run").text(), "366498");
    let replica = Gateway::start(&app, &["--runtime-config-file", &rc, "--read-only"], &[REGION]);
    assert_eq!(replica.send("PUT", "/a/default/run", &[], b"x").status, 503);
    assert_eq!(replica.get("/b/default/run").text(), "366498");
}
