//! The Stats2 timings, end to end (ignored by default; they print, they do not assert times):
//! `SCRAPER_HOST_BIN=<release scraper-host> cargo test --release -p dqm-spin-tests --test stats2_bench -- --ignored --nocapture`.
//! First full sync of 10,000 synthetic workflows from the fake cmsweb over HTTP, a pass with 100 changes,
//! then `/stats/api/fetch?campaign=` (100 of the 10,000 documents) through the gateway with `wrk` at 1, 8
//! and 16 connections if it is installed (else a serial loop), and `/stats/api/get_json/<wf>` at 16.

use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use dqm_spin_tests::stats2::{poll_ok, stats2_app, FakeServer};
use dqm_spin_tests::Gateway;
use serde_json::json;
use stats2::fake::{synthetic_outputs, synthetic_request, synthetic_world};

const CAMPAIGNS: usize = 100;

#[test]
#[ignore = "benchmark: run with --ignored --nocapture"]
fn stats2_sync_and_fetch_timings() {
    let workflows: usize = std::env::var("STATS2_BENCH_WORKFLOWS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    let server = FakeServer::http(synthetic_world(workflows, CAMPAIGNS, now - 86_400));
    let app = stats2_app();

    let started = Instant::now();
    let log = poll_ok(&app.state_dir(), &server);
    println!("first full sync of {workflows} workflows: {:.2} s, {} upstream requests", started.elapsed().as_secs_f64(), server.fake.calls().len());
    println!("  {}", log.lines().find(|l| l.contains("pass done")).unwrap_or(""));

    // 100 changes: 50 metadata changes in ReqMgr2 and 50 workflows whose output grew in DBS.
    let step = (workflows / 50).max(1);
    for i in (0..workflows).step_by(step).take(50) {
        let (name, _) = synthetic_request(i, CAMPAIGNS);
        server.fake.set_request_field(&name, "RequestPriority", json!(100_000 + i));
    }
    for i in (1..workflows).step_by(step).take(50) {
        server.fake.grow_dataset(&synthetic_outputs(i, CAMPAIGNS)[1], 500, 5, now);
    }
    server.fake.clear_calls();
    let started = Instant::now();
    let log = poll_ok(&app.state_dir(), &server);
    println!("pass with 100 changes: {:.2} s, {} upstream requests", started.elapsed().as_secs_f64(), server.fake.calls().len());
    println!("  {}", log.lines().find(|l| l.contains("pass done")).unwrap_or(""));

    let gateway = Gateway::start(&app, &[], &[]);
    // Every campaign once while its answer is not cached yet (built from 100 documents), then again
    // (served from the cache), one request at a time.
    for round in ["not cached", "cached"] {
        let mut times: Vec<Duration> = (0..CAMPAIGNS)
            .map(|c| {
                let t = Instant::now();
                assert_eq!(gateway.get(&format!("/stats/api/fetch?campaign=Camp{c:03}")).status, 200);
                t.elapsed()
            })
            .collect();
        times.sort();
        println!("fetch?campaign= over {CAMPAIGNS} campaigns, {round}: serial p50 {:?}, p99 {:?}", times[times.len() / 2], times[times.len() * 99 / 100]);
    }
    let path = "/stats/api/fetch?campaign=Camp007";
    let first = gateway.get(path);
    assert_eq!(first.status, 200);
    let docs = first.json().as_array().map_or(0, Vec::len);
    println!("{path}: {docs} documents, {} bytes", first.body.len());
    // One connection (the latency of a single request), then 8 and 16 (2 cores under load).
    let mut wrk_ran = false;
    for (threads, connections) in [("1", "1"), ("2", "8"), ("2", "16")] {
        let output = Command::new("wrk")
            .args(["-t", threads, "-c", connections, "-d10s", "--latency"])
            .arg(format!("http://{}{path}", gateway.addr))
            .output();
        if let Some(output) = output.ok().filter(|o| o.status.success()) {
            println!("wrk, {connections} connection(s):\n{}", String::from_utf8_lossy(&output.stdout));
            wrk_ran = true;
        }
    }
    let (one, _) = synthetic_request(7, CAMPAIGNS);
    let output = Command::new("wrk").args(["-t2", "-c16", "-d5s", "--latency"]).arg(format!("http://{}/stats/api/get_json/{one}", gateway.addr)).output();
    if let Some(output) = output.ok().filter(|o| o.status.success()) {
        println!("wrk get_json, 16 connections:\n{}", String::from_utf8_lossy(&output.stdout));
    }
    if !wrk_ran {
        {
            let mut times: Vec<Duration> = (0..200)
                .map(|_| {
                    let t = Instant::now();
                    assert_eq!(gateway.get(path).status, 200);
                    t.elapsed()
                })
                .collect();
            times.sort();
            println!("wrk not available; serial p50 {:?}, p99 {:?}", times[times.len() / 2], times[times.len() * 99 / 100]);
        }
    }
}
