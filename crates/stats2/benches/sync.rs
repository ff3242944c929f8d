//! Library-side timings of the targets: a first full sync of 10,000 synthetic workflows, a pass
//! with 100 changes, and `/api/fetch?campaign=` over 10,000 workflows. `cargo bench -p stats2 --bench sync`
//! (set STATS2_BENCH_WORKFLOWS to change the size).

use kv_api::MemoryStore;
use serde_json::json;
use stats2::fake::{synthetic_outputs, synthetic_request, synthetic_world};
use stats2::sync::{run_pass, PassOptions};
use stats2::views::{handle, AuthConfig, Request};
use std::time::{Duration, Instant};

const CAMPAIGNS: usize = 100;
const T0: i64 = 1_725_200_000;

fn main() {
    let workflows: usize = std::env::var("STATS2_BENCH_WORKFLOWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let fake = synthetic_world(workflows, CAMPAIGNS, T0 - 86_400);
    let store = MemoryStore::new();

    let started = Instant::now();
    let first = run_pass(
        &store,
        &fake,
        &PassOptions {
            now: T0,
            callback_targets: vec![],
        },
    )
    .expect("first pass");
    let first_time = started.elapsed();
    assert_eq!(
        first.updated.len(),
        workflows,
        "every workflow stored: {:?}",
        first.warnings.first()
    );
    println!(
        "first full sync of {workflows} workflows: {:.2} s ({} upstream calls)",
        secs(first_time),
        fake.calls().len()
    );

    // 100 changes: 50 metadata changes in ReqMgr2 and 50 workflows whose output grew in DBS.
    for i in (0..workflows).step_by((workflows / 50).max(1)).take(50) {
        let (name, _) = synthetic_request(i, CAMPAIGNS);
        fake.set_request_field(&name, "RequestPriority", json!(100_000 + i));
    }
    for i in (1..workflows).step_by((workflows / 50).max(1)).take(50) {
        fake.grow_dataset(&synthetic_outputs(i, CAMPAIGNS)[1], 500, 5, T0 + 100);
    }
    fake.clear_calls();
    let started = Instant::now();
    let pass = run_pass(
        &store,
        &fake,
        &PassOptions {
            now: T0 + 600,
            callback_targets: vec![],
        },
    )
    .expect("second pass");
    let pass_time = started.elapsed();
    println!(
        "pass with 100 changes: {:.3} s ({} rewritten, {} appended, {} upstream calls)",
        secs(pass_time),
        pass.updated.len(),
        pass.appended.len(),
        fake.calls().len()
    );

    let auth = AuthConfig::default();
    // Round 0 builds every campaign's answer (and caches it), the later rounds are served from the cache.
    let mut bytes = 0;
    for (label, rounds) in [("built", 0..1), ("cached", 1..3)] {
        let mut times = Vec::new();
        for _ in rounds {
            for campaign in 0..CAMPAIGNS {
                let query = format!("campaign=Camp{campaign:03}");
                let started = Instant::now();
                let response = handle(
                    &store,
                    &auth,
                    &Request {
                        method: "GET",
                        path: "/api/fetch",
                        query: &query,
                        headers: &[],
                    },
                );
                times.push(started.elapsed());
                assert_eq!(response.status, 200);
                bytes = response.body.len();
            }
        }
        times.sort();
        println!(
            "fetch?campaign= over {workflows} workflows ({} docs, {bytes} bytes), {label}: p50 {:.3} ms, p99 {:.3} ms",
            workflows / CAMPAIGNS,
            ms(times[times.len() / 2]),
            ms(times[times.len() * 99 / 100])
        );
    }

    let mut times = Vec::new();
    for _ in 0..50 {
        let started = Instant::now();
        let response = handle(
            &store,
            &auth,
            &Request {
                method: "GET",
                path: "/",
                query: "",
                headers: &[],
            },
        );
        times.push(started.elapsed());
        assert_eq!(response.status, 200);
    }
    times.sort();
    println!(
        "unfiltered list page 0 over {workflows} workflows: p50 {:.2} ms",
        ms(times[times.len() / 2])
    );
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
