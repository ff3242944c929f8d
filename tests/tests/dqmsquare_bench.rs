//! Benchmark (ignored by default, no timing assertions): a grabber cold start of 100,000 headers from the
//! stand-in over HTTP, through the real `scraper-host dqmsquare grab --once` into SQLite. It prints the wall
//! time; it only asserts that every row arrived. Run it on a release build:
//! `cargo build --release -p scraper-host && cargo test --release -p dqm-spin-tests --test dqmsquare_bench -- --ignored --nocapture`

use std::process::Command;
use std::time::{Duration, Instant};

use dqm_spin_tests::dqmsquare::{scraper_host_bin, StandIn};
use dqmsquare::store::Tables;
use dqmsquare::Db;
use serde_json::json;

const HOSTS: [&str; 2] = ["dqmfu-c2b03-45-01", "dqmfu-c2b04-45-01"];
const HEADERS: usize = 100_000;

#[test]
#[ignore = "benchmark: run with --ignored --nocapture on a release build"]
fn bench_grabber_cold_start_of_100k_headers_over_http() {
    let stand_in = StandIn::start("dqmrubu-c2a06-01-01", Duration::from_secs(1));
    for n in 0..HEADERS {
        let host = HOSTS[n % HOSTS.len()];
        let run = 358000 + (n / 500) as i64;
        stand_in.fake.publish(host, json!({
            "_id": format!("dqm-source-state-run{run}-host{host}-pid{n:06}"), "_rev": n + 1, "type": "dqm-source-state",
            "hostname": host, "tag": format!("client{}_dqm_sourceclient-live", n % 31), "run": run,
            "timestamp": 1663242342.0 + n as f64, "exit_code": 0, "events_total": n, "events_rate": 1.0, "cmssw_run": run,
            "cmssw_lumi": 1, "fi_state": "1", "cmdline": ["cmsRun", "/x/production_CMSSW_12_4_8/src/c_cfg.py", "runkey=pp_run"],
            "extra": {"ps_info": {"VmRSS": "1 kB"}, "stdlog_start": ["start\n"], "stdlog_end": ["end\n"]},
        }));
    }
    let status = json!({"dqmfu-c2b03-45-01.cms": {"up": true, "msg": null}, "dqmrubu-c2a06-01-01.cms": {"up": false, "msg": "ConnectionRefusedError(111, 'Connection refused')"}});
    stand_in.fake.set_cluster_status(Db::Production, Ok(status.to_string()));
    let state = tempfile::tempdir().expect("state dir");
    let before = cpu_ticks();
    let started = Instant::now();
    let output = Command::new(scraper_host_bin())
        .arg("--state-dir")
        .arg(state.path())
        .args(["dqmsquare", "grab", "--mode", "production", "--once", "--timeout", "60", "--proxy"])
        .arg(stand_in.url(""))
        .env("FFF_PRODUCTION_MACHINES", HOSTS.join(";"))
        .output()
        .expect("run grab");
    let elapsed = started.elapsed();
    let after = cpu_ticks();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let config = kv_store::StoresConfig::from_runtime_config(&spin_app::runtime_config::RuntimeConfig::default(), Some(state.path()), false)
        .expect("stores config");
    let manager = kv_store::StoreManager::open(&config).expect("open stores");
    let store = manager.get("default").expect("default store");
    let tables = Tables::new(&*store, Db::Production);
    let rows: usize = tables.run_numbers().expect("runs").iter().map(|r| tables.run_rows(*r).expect("rows").len()).sum();
    assert_eq!(rows, HEADERS);
    println!("grabber cold start: {HEADERS} headers from {} hosts over HTTP into SQLite in {:.2} s", HOSTS.len(), elapsed.as_secs_f64());
    if let (Some(before), Some(after)) = (before, after) {
        println!(
            "  on CPU: grabber {:.2} s (user+sys), stand-in {:.2} s; the rest of the wall time is waiting (load: {})",
            (after.1 - before.1) as f64 / 100.0,
            (after.0 - before.0) as f64 / 100.0,
            std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim()
        );
    }
}

/// `(this process, its waited-for children)` user+sys time in clock ticks (Linux: 100 per second).
fn cpu_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<u64> = stat.rsplit_once(')')?.1.split_whitespace().skip(11).take(4).filter_map(|f| f.parse().ok()).collect();
    (fields.len() == 4).then(|| (fields[0] + fields[1], fields[2] + fields[3]))
}
