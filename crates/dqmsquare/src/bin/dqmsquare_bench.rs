//! Bench binary: `get_run`/`get_runs` over the 3-run fixture in-process, and a grabber cold start of
//! 100,000 headers from the fake fff_dqmtools. `cargo run --release -p dqmsquare --bin dqmsquare-bench [iterations] [name…]`:
//! names (`get_run`, `get_runs`, `get_graph`, `cold`) run only those, so a profile of one route is not
//! dominated by the cold start (`perf record -g target/release/dqmsquare-bench 200000 get_runs`).
//! `dqmsquare-bench --dump` instead prints the seeded fixture store as a kv dump (`scraper-host kv restore`
//! reads it; values are base64, the per-run indexes being binary), to load into a gateway's store for
//! benchmarks through HTTP.

use std::time::{Duration, Instant};

use dqmsquare::api::Mirror;
use dqmsquare::fake::FakeFff;
use dqmsquare::grabber::{Grabber, GrabberConfig, HostOutcome};
use dqmsquare::store::Tables;
use dqmsquare::{seed, Db};
use dqmsquare_sanitize::Sanitizer;
use kv_api::{KvStore, MemoryStore};
use serde_json::{json, Value};
use web_kit::Request;

const MACHINES: [&str; 5] = [
    "bu-c2f11-09-01",
    "fu-c2f11-11-01",
    "fu-c2f11-11-02",
    "fu-c2f11-11-03",
    "fu-c2f11-11-04",
];

fn fixture(name: &str) -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/dqmsquare/"
    );
    let bytes =
        std::fs::read(format!("{path}{name}")).unwrap_or_else(|e| panic!("{path}{name}: {e}"));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn bench_api(mirror: &Mirror, name: &str, path: &str, iterations: usize) {
    let request = Request::get(path);
    assert_eq!(mirror.handle(&request).status, 200, "{path}");
    let mut times = Vec::with_capacity(iterations);
    let start = Instant::now();
    for _ in 0..iterations {
        let t = Instant::now();
        std::hint::black_box(mirror.handle(&request));
        times.push(t.elapsed());
    }
    let total = start.elapsed();
    times.sort_unstable();
    println!(
        "{name:10} p50 {:>8.1?}  p99 {:>8.1?}  {:>9.0} req/s (1 thread, {iterations} calls)",
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        iterations as f64 / total.as_secs_f64()
    );
}

fn cold_start(headers: usize) {
    let fake = FakeFff::new();
    let hosts = ["dqmfu-c2b01-45-01", "dqmfu-c2b02-45-01"];
    for i in 0..headers {
        let host = hosts[i % hosts.len()];
        let run = 350_000 + (i / 60) as i64;
        fake.publish(host, json!({
            "_id": format!("dqm-source-state-run{run}-host{host}-pid{i:06}"), "_rev": i as i64 + 1, "type": "dqm-source-state",
            "hostname": host, "tag": format!("client{}_dqm_sourceclient-live", i % 60), "run": run, "timestamp": 1.66e9 + i as f64,
            "exit_code": 0, "events_total": 100, "events_rate": 1.0, "cmssw_run": run, "cmssw_lumi": 5, "fi_state": "2",
            "cmdline": ["cmsRun", "/cmsnfsdqmdata/dqmdata/dqm_cmssw/production_0909_CMSSW_12_4_8_1/src/x_cfg.py", "runkey=pp_run"],
            "extra": {"ps_info": {"VmRSS": "300000 kB"},
                      "stdlog_start": ["-- starting process --\n", "Begin processing the 1st record. Run 1, Event 1\n"],
                      "stdlog_end": ["Closed file /fff/BU0/ramdisk/run1/run1_ls0001_streamDQM.jsn\n", "\n-- process exit: 0 --\n"]},
        }));
    }
    let kv = MemoryStore::new();
    let sanitizer = Sanitizer::new(hosts);
    let config = GrabberConfig::new(
        Db::Production,
        hosts.iter().map(|h| h.to_string()).collect(),
    );
    let cpu_before = cpu_time();
    let start = Instant::now();
    let mut grabber = Grabber::start(&kv, &sanitizer, &fake, config).expect("grabber starts");
    let mut stored = 0;
    for report in grabber.info_cycle(0.0) {
        match report.outcome {
            HostOutcome::Synced(sync) => stored += sync.rows_stored,
            other => panic!("{}: {other:?}", report.host),
        }
    }
    let elapsed = start.elapsed();
    let cpu = cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    assert_eq!(stored, headers);
    let runs = Tables::new(&kv, Db::Production)
        .run_numbers()
        .map(|r| r.len())
        .unwrap_or_default();
    println!(
        "cold start {headers} headers → {stored} rows in {runs} runs: {elapsed:.2?} wall, {:.2?} on CPU (fake server's JSON included)",
        cpu.unwrap_or_default()
    );
}

/// Standard base64 with padding (what the kv dump's `value_b64` holds).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// This thread's time on CPU (Linux `schedstat`), to tell work from waiting on a shared machine.
fn cpu_time() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace()
        .next()?
        .parse()
        .ok()
        .map(Duration::from_nanos)
}

fn main() {
    let arg = std::env::args().nth(1);
    let kv = MemoryStore::new();
    let sanitizer = Sanitizer::new(MACHINES);
    let tables = Tables::new(&kv, Db::Production);
    seed::load_runs(&tables, &sanitizer, &fixture("runs_rows.json")).expect("runs fixture loads");
    seed::load_graphs(&tables, &fixture("graphs_rows.json")).expect("graphs fixture loads");
    if arg.as_deref() == Some("--dump") {
        println!("{}", json!({"format": "dqm-spin-kv-dump", "version": 1}));
        for key in kv.get_keys().expect("keys") {
            let value = kv.get(&key).expect("get").unwrap_or_default();
            println!(
                "{}",
                json!({"store": "default", "key": key, "value_b64": base64(&value)})
            );
        }
        return;
    }
    let iterations: usize = arg.and_then(|n| n.parse().ok()).unwrap_or(20_000);
    let only: Vec<String> = std::env::args().skip(2).collect();
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    let mirror = Mirror {
        kv: &kv,
        sanitizer: (&sanitizer).into(),
        now_s: 1.7e9,
    };
    let routes = [
        (
            "get_run",
            "/dqm/dqm-square/api?what=get_run&run=358791&db=production",
        ),
        (
            "get_runs",
            "/dqm/dqm-square/api?what=get_runs&from=358788&to=358792&db=production",
        ),
        (
            "get_graph",
            "/dqm/dqm-square/api?what=get_graph&run=358792&db=production",
        ),
    ];
    for (name, path) in routes {
        if wanted(name) {
            bench_api(&mirror, name, path, iterations);
        }
    }
    if wanted("cold") {
        cold_start(100_000);
    }
}
