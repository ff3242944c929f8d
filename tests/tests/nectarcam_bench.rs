//! The NectarCAM timings end to end (ignored by default; they print, they do not assert times):
//! `cargo test --release -p dqm-spin-tests --test nectarcam_bench -- --ignored --nocapture`.
//! - `scraper-host nectarcam ingest` of the full fixture tarball into the app's SQLite file as new runs and
//!   with `--force`, as a process (includes process start and opening the store; the library's own ingest
//!   time is in its log line and in `cargo bench -p nectarcam --bench nectarcam`);
//! - `/nectarcam/api/runs/{key}/camera_display/…` through the gateway with `wrk`, 1 and 16 connections.

use std::process::Command;
use std::time::{Duration, Instant};

use dqm_spin_tests::apps::{app, scraper_host};
use dqm_spin_tests::Gateway;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/nectarcam");
const DISPLAY: &str = "/nectarcam/api/runs/NectarCAMQM_Run6310/camera_display/CAMERA-AVERAGE-PHY-OVEREVENTS-OVERSAMP-HIGH-GAIN/CAMERA-AVERAGE-PHY-OverEVENTS-OverSamp-HIGH-GAIN";

/// The library's own time from the ingest log line ("… from … in 23.4 ms").
fn logged_ms(log: &str) -> Option<f64> {
    log.rsplit(" in ").next()?.trim().strip_suffix(" ms")?.parse().ok()
}

fn summary(what: &str, mut wall: Vec<Duration>, mut logged: Vec<f64>) {
    wall.sort();
    logged.sort_by(f64::total_cmp);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("{what}: process wall p50 {:.1} ms (min {:.1})", ms(wall[wall.len() / 2]), ms(wall[0]));
    if !logged.is_empty() {
        println!("  the library's ingest (its log line: read + decode + store): p50 {:.1} ms (min {:.1})", logged[logged.len() / 2], logged[0]);
    }
}

#[test]
#[ignore = "benchmark: run with --ignored --nocapture"]
fn nectarcam_ingest_and_camera_display_timings() {
    let app = app("nectarcam", "nectarcam-component");
    // New runs, as the cron job ingests them: the full tarball under 15 run numbers.
    let base = tempfile::tempdir().unwrap();
    let runs: Vec<String> = (7001..7016).map(|r| r.to_string()).collect();
    for run in &runs {
        std::fs::copy(format!("{FIXTURES}/NectarCAMQM_DQM_Run6310.tar.gz"), base.path().join(format!("NectarCAMQM_DQM_Run{run}.tar.gz"))).unwrap();
    }
    let (mut wall, mut logged) = (Vec::new(), Vec::new());
    for run in &runs {
        let started = Instant::now();
        let out = scraper_host(&app, &["nectarcam", "ingest", "--camera", "NectarCAMQM", "--run", run, "--path", &base.path().to_string_lossy()]);
        wall.push(started.elapsed());
        let log = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(0), "{log}");
        logged.extend(logged_ms(&log));
    }
    summary("ingest of a new run from the full tarball (SQLite file)", wall, logged);

    let args = ["nectarcam", "ingest", "--camera", "NectarCAMQM", "--run", "6310", "--force", "--path", FIXTURES];
    let (mut wall, mut logged) = (Vec::new(), Vec::new());
    for _ in 0..15 {
        let started = Instant::now();
        let out = scraper_host(&app, &args);
        wall.push(started.elapsed());
        let log = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(0), "{log}");
        logged.extend(logged_ms(&log));
    }
    summary("ingest --force of the full tarball (replaces the run, deletes the old generation)", wall, logged);

    let gateway = Gateway::start(&app, &[], &[]);
    assert_eq!(gateway.get(DISPLAY).status, 200);
    let url = format!("http://{}{DISPLAY}", gateway.addr);
    for connections in ["1", "16"] {
        match Command::new("wrk").args(["-t1", "-c", connections, "-d10s", "--latency", &url]).output() {
            Ok(out) if out.status.success() => {
                println!("wrk camera_display, {connections} connection(s):\n{}", String::from_utf8_lossy(&out.stdout))
            }
            _ => {
                let mut times: Vec<Duration> = (0..300)
                    .map(|_| {
                        let t = Instant::now();
                        assert_eq!(gateway.get(DISPLAY).status, 200);
                        t.elapsed()
                    })
                    .collect();
                times.sort();
                println!("wrk not available; serial camera_display p50 {:?}", times[times.len() / 2]);
                break;
            }
        }
    }
}
