//! Benchmark (ignored by default, no timing assertions): 500 runs × 2,000 LS × 20 RR components (1 M LS
//! contexts) loaded through `scraper-host rr load` into the gateway's SQLite store, then the real 2018 rule's
//! golden JSON generated through the gateway (`/json_portal/generate`, which runs the job inside the
//! request, then `/json_portal/json`). It prints loading and generation times; it asserts only that the job
//! finished with every run in the JSON. Run it on release builds:
//!
//! ```sh
//! cargo build --release -p gateway -p scraper-host
//! cargo build --release --target wasm32-wasip2 -p runregistry-component
//! cargo test --release -p dqm-spin-tests --test runregistry_bench -- --ignored --nocapture
//! ```
//! `RR_BENCH_RUNS` (default 500) and `RR_BENCH_RUNS_PER_FILE` (default 1) change the size. With
//! `RR_BENCH_STATE=DIR` the store is kept in DIR and loaded only when it does not hold the runs yet, so a
//! second run times only the generation. Beside wall time it prints the gateway's CPU time per request
//! (from `/proc`), which a loaded machine inflates much less.

use std::time::{Duration, Instant};

use dqm_spin_tests::apps::{app, scraper_host};
use dqm_spin_tests::Gateway;
use serde_json::{json, Map, Value};

/// The test values of `tests/apps/runregistry/spin.toml`.
const PROXY_SECRET: &str = "proxy-s3cret";
const ADMIN_TOKEN: &str = "admin-t0ken";
const LUMISECTIONS: u32 = 2_000;
const FIRST_RUN: u64 = 315_000;

/// A small deterministic generator (no extra dependency).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: u32) -> u32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) % u64::from(bound)) as u32
    }
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The production-style rule of the fixture, the 20 RR components it (and a few more) certify, and its 28 bits.
fn rule_components_bits() -> (String, Vec<String>, Vec<String>) {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/runregistry/sample_json_logic__runregistry_backend.txt"))
        .expect("sample rule");
    let rule: Value = serde_json::from_str(text.split_once('\n').expect("filter line").1).expect("rule");
    let leaves = rule["and"].as_array().expect("and");
    let read = |prefix: &str| -> Vec<String> {
        leaves.iter().filter_map(|leaf| leaf["=="][0]["var"].as_str()?.strip_prefix(prefix).map(String::from)).collect()
    };
    let mut components: Vec<String> = read("lumisection.rr.").into_iter().filter(|c| c != "dc-lowlumi").collect();
    components.extend(["castor-castor", "cms-cms", "csc-csc", "dt-dt", "rpc-rpc", "tau-tau", "btag-btag"].map(String::from));
    components.truncate(20);
    (rule.to_string(), components, read("lumisection.oms."))
}

/// One run as `/rr/api/ingest` takes it: every component GOOD with a few BAD ranges, every bit true with a
/// few false ranges, per-LS luminosity (so every LS differs in `recorded`). Written as text: building 1 GB of
/// JSON through `serde_json::Value` takes minutes.
fn run_json(run_number: u64, components: &[String], bits: &[String], rng: &mut Lcg) -> String {
    let n = LUMISECTIONS as usize;
    let mut bad = vec![vec![false; n]; components.len()];
    for flags in &mut bad {
        for _ in 0..rng.next(3) {
            let start = rng.next(LUMISECTIONS - 20) as usize;
            flags[start..=start + rng.next(20) as usize].fill(true);
        }
    }
    let mut off = vec![vec![false; n]; bits.len()];
    for flags in &mut off {
        if rng.next(4) == 0 {
            let start = rng.next(LUMISECTIONS - 10) as usize;
            flags[start..=start + rng.next(10) as usize].fill(true);
        }
    }
    let rr: Vec<String> = (0..n)
        .map(|ls| {
            let mut fields: Vec<String> = components.iter().zip(&bad).map(|(c, flags)| match flags[ls] {
                true => format!(r#""{c}":{{"status":"BAD","comment":"noise","cause":"hv"}}"#),
                false => format!(r#""{c}":{{"status":"GOOD"}}"#),
            }).collect();
            fields.push(r#""dc-lowlumi":{"status":"BAD","comment":"low lumi"}"#.into());
            format!("{{{}}}", fields.join(","))
        })
        .collect();
    let oms: Vec<String> = (0..n)
        .map(|ls| {
            let lumi = 0.001 + f64::from(rng.next(1000)) * 1e-6;
            let mut fields: Vec<String> = bits.iter().zip(&off).map(|(b, flags)| format!(r#""{b}":{}"#, !flags[ls])).collect();
            fields.push(format!(r#""recorded":{lumi},"delivered":{}"#, lumi * 1.05));
            format!("{{{}}}", fields.join(","))
        })
        .collect();
    let attributes = json!({"rr_attributes": {"class": "Collisions18", "significant": true},
        "oms_attributes": {"energy": 6500, "b_field": 3.8, "recorded_lumi": 0.5,
                           "injection_scheme": "25ns_2556b_2544_2215_2332_144bpi_20injV3", "hlt_key": "/cdaq/physics/Run2018/v3/HLT"}});
    let attributes = attributes.to_string();
    format!(r#"{{"run_number":{run_number},{},"oms_lumisections":[{}],"rr_lumisections":[{}]}}"#,
        &attributes[1..attributes.len() - 1], oms.join(","), rr.join(","))
}

#[test]
#[ignore = "benchmark: run with --ignored --nocapture on release builds"]
fn bench_golden_json_over_a_million_lumisections_through_the_gateway() {
    let runs = env_number("RR_BENCH_RUNS", 500) as u64;
    let per_file = env_number("RR_BENCH_RUNS_PER_FILE", 1).max(1) as u64;
    let (rule, components, bits) = rule_components_bits();
    let app = app("runregistry", "runregistry-component");
    let state = std::env::var("RR_BENCH_STATE").ok().filter(|s| !s.is_empty());
    let state_args: Vec<&str> = state.as_deref().map(|dir| vec!["--state-dir", dir]).unwrap_or_default();
    let gateway = Gateway::start(&app, &state_args, &[]);
    let url = format!("http://{}", gateway.addr);
    let manifest = app.manifest().to_string_lossy().into_owned();
    let listed = gateway.send("POST", "/rr/api/runs_filtered_ordered", &[("content-type", "application/json")], br#"{"filter":{},"page_size":1}"#);
    if listed.json()["count"].as_u64() == Some(runs) {
        println!("the store in {} holds the {runs} runs already: not loading", state.as_deref().unwrap_or_default());
    } else {
        load(&app, &url, runs, per_file, &components, &bits);
    }
    let db = state.map_or_else(|| app.state_dir(), std::path::PathBuf::from).join("sqlite_key_value.db");
    println!("SQLite store: {:.0} MB", std::fs::metadata(&db).map_or(0, |m| m.len()) as f64 / 1e6);

    let headers = [("content-type", "application/json"), ("email", "bench@cern.ch"), ("egroups", "cms-dqm-runregistry-experts"), ("x-rr-proxy-secret", PROXY_SECRET)];
    let body = json!({"json_logic": rule, "dataset_name_filter": "online"}).to_string();
    let mut times = Vec::new();
    for attempt in 1..=3 {
        let (started, cpu) = (Instant::now(), gateway_cpu_seconds(&manifest));
        let job = gateway.send("POST", "/rr/api/json_portal/generate", &headers, body.as_bytes());
        let (submitted, submit_cpu) = (started.elapsed(), gateway_cpu_seconds(&manifest) - cpu);
        assert_eq!(job.status, 200, "{}\n{}", job.text(), gateway.log());
        let id = job.json()["id"].clone();
        let polled = loop {
            let polled = gateway.send("POST", "/rr/api/json_portal/json", &headers, json!({"id_json": id}).to_string().as_bytes());
            match polled.status {
                202 | 203 => std::thread::sleep(Duration::from_millis(100)),
                200 => break polled,
                other => panic!("job {id}: {other} {}\n{}", polled.text(), gateway.log()),
            }
        };
        let (total, total_cpu) = (started.elapsed(), gateway_cpu_seconds(&manifest) - cpu);
        let row = &polled.json()["final_json"];
        let in_json = row["generated_json"].as_object().map_or(0, Map::len);
        let ranges: usize = row["generated_json"].as_object().map_or(0, |m| m.values().filter_map(Value::as_array).map(Vec::len).sum());
        assert_eq!(in_json as u64, runs, "every run has good LS");
        println!("golden JSON {attempt}: generate {:.2} s (gateway cpu {submit_cpu:.2} s), with the poll {:.2} s (cpu {total_cpu:.2} s); \
            {in_json} runs, {ranges} ranges, lost {:.3} of {:.3} recorded, reply {:.1} MB",
            submitted.as_secs_f64(), total.as_secs_f64(), row["total_recorded_luminosity_lost"].as_f64().unwrap_or(-1.0),
            row["total_recorded_luminosity"].as_f64().unwrap_or(-1.0), polled.body.len() as f64 / 1e6);
        times.push((total, total_cpu));
    }
    times.sort_by(|a, b| a.0.cmp(&b.0));
    println!("golden JSON over {} LS contexts through the gateway: best {:.2} s, median {:.2} s (gateway cpu {:.2} s)",
        runs * u64::from(LUMISECTIONS), times[0].0.as_secs_f64(), times[1].0.as_secs_f64(), times[1].1);
}

/// Writes the runs as `RR_BENCH_RUNS_PER_FILE`-run files and loads them with `scraper-host rr load`.
fn load(app: &dqm_spin_tests::TestApp, url: &str, runs: u64, per_file: u64, components: &[String], bits: &[String]) {
    let files = tempfile::tempdir().expect("temp dir");
    let (started, mut rng, mut bytes) = (Instant::now(), Lcg(42), 0);
    for first in (0..runs).step_by(per_file as usize) {
        let batch: Vec<String> = (first..(first + per_file).min(runs)).map(|i| run_json(FIRST_RUN + i, components, bits, &mut rng)).collect();
        let text = format!(r#"{{"runs":[{}]}}"#, batch.join(","));
        bytes += text.len();
        std::fs::write(files.path().join(format!("runs-{first:05}.json")), text).expect("write batch");
    }
    println!("generated {runs} runs x {LUMISECTIONS} LS x {} components + dc-lowlumi, {} bits: {:.0} MB of JSON in {:.1} s",
        components.len(), bits.len(), bytes as f64 / 1e6, started.elapsed().as_secs_f64());
    let started = Instant::now();
    let loaded = scraper_host(app, &["rr", "load", files.path().to_str().expect("utf-8"), "--url", url, "--token", ADMIN_TOKEN]);
    let log = String::from_utf8_lossy(&loaded.stderr);
    assert!(loaded.status.success(), "{log}");
    let load_time = started.elapsed();
    let versions = log.lines().filter(|l| l.contains(": version ")).count();
    println!("scraper-host rr load: {versions} requests ({per_file} run(s) each) in {:.1} s ({:.0} ms per run)",
        load_time.as_secs_f64(), load_time.as_secs_f64() * 1e3 / runs as f64);
}

/// CPU seconds (user + system) the gateway serving `manifest` has used so far, from `/proc/<pid>/stat`.
fn gateway_cpu_seconds(manifest: &str) -> f64 {
    let Ok(entries) = std::fs::read_dir("/proc") else { return f64::NAN };
    for entry in entries.flatten() {
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
        if !(args.first().is_some_and(|a| a.ends_with(b"gateway")) && args.iter().any(|a| *a == manifest.as_bytes())) {
            continue;
        }
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
        let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
        return (ticks(11) + ticks(12)) / 100.0;
    }
    f64::NAN
}

