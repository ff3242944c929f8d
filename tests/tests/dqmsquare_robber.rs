//! The robber in real headless Chromium against the stand-in DQM² page: it stores the rows the grabber stores
//! for the same documents, saves the canvases, survives a killed browser and leaves no browser process behind.
//! Needs Debian's `chromium` and a built `scraper-host` (`cargo build -p scraper-host`).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use dqm_spin_tests::dqmsquare::{processes_with_env, scraper_host_bin, StandIn};
use dqmsquare::fake::FakeFff;
use dqmsquare::grabber::{Grabber, GrabberConfig};
use dqmsquare::model::RunRow;
use dqmsquare::store::Tables;
use dqmsquare::{machine_list, Db, DEFAULT_PLAYBACK_MACHINES, DEFAULT_PRODUCTION_MACHINES};
use dqmsquare_sanitize::Sanitizer;
use kv_api::MemoryStore;
use serde_json::{json, Value};

const RUN: i64 = 358788;
const SECRET: &str = "s3cr3t-cookie-value";

fn sanitizer() -> Sanitizer {
    let mut machines = machine_list(DEFAULT_PLAYBACK_MACHINES);
    machines.extend(machine_list(DEFAULT_PRODUCTION_MACHINES));
    Sanitizer::new(machines)
}

fn fu_document(host: &str, rev: i64, pid: u32, tag: &str, exit_code: Value) -> Value {
    json!({
        "_id": format!("dqm-source-state-run{RUN}-host{host}-pid{pid:06}"), "_rev": rev, "type": "dqm-source-state",
        "hostname": host, "tag": tag, "run": RUN, "timestamp": 1663242342.25 + rev as f64,
        "exit_code": exit_code, "events_total": 100 + rev, "events_rate": 1.5, "cmssw_run": RUN, "cmssw_lumi": 3 + rev,
        "fi_state": "1", "cmdline": ["cmsRun", "x_cfg.py", "runkey=cosmic_run"],
        "extra": {"ps_info": {"VmRSS": "362744 kB"},
                  "stdlog_start": ["-- starting process --\n", format!("user john.doe@cern.ch on {host}.cms\n")],
                  "stdlog_end": [format!("Cookie: selenium-secret-secret={SECRET}\n"), "\n-- process exit --\n"]},
    })
}

fn documents() -> Vec<(&'static str, Value)> {
    vec![
        ("fu-c2f11-11-01", fu_document("fu-c2f11-11-01", 11, 39363, "ecalgpu_dqm_sourceclient-live", json!(0))),
        ("fu-c2f11-11-01", fu_document("fu-c2f11-11-01", 12, 40000, "beam_dqm_sourceclient-live", Value::Null)),
        ("fu-c2f11-11-02", fu_document("fu-c2f11-11-02", 13, 41234, "hcal_dqm_sourceclient-live", json!(134))),
    ]
}

/// The fields the page shows, as stored (logs live only in the full row): what robber and grabber must agree on.
fn shown(tables: &Tables) -> Vec<Value> {
    let rows = tables.run_rows(RUN).expect("rows");
    rows.iter()
        .map(|row| {
            let full: RunRow = tables.run_row(&row.id).expect("row").expect("full row");
            json!([row.id, row.served_id, row.client, row.run, row.hostname, row.exit_code, row.events_total,
                   row.cmssw_lumi, row.vmrss, row.timestamp_us.map(|us| us / 1000),
                   full.stdlog_start.concat(), full.stdlog_end.concat()])
        })
        .collect()
}

/// The grabber's rows for the documents, through the in-process fake.
fn grabber_rows(sanitizer: &Sanitizer) -> Vec<Value> {
    let fake = FakeFff::new();
    for (host, document) in documents() {
        fake.publish(host, document);
    }
    let store = MemoryStore::new();
    let hosts = vec!["fu-c2f11-11-01".to_owned(), "fu-c2f11-11-02".to_owned()];
    let mut grabber = Grabber::start(&store, sanitizer, &fake, GrabberConfig::new(Db::Production, hosts)).expect("grabber");
    grabber.info_cycle(0.0);
    shown(&Tables::new(&store, Db::Production))
}

fn stand_in() -> StandIn {
    let stand_in = StandIn::start("dqmrubu-c2a06-01-01", Duration::from_secs(1));
    stand_in.set_page(RUN, documents().into_iter().map(|(_, d)| d).collect());
    stand_in
}

fn open_default_store(state_dir: &Path) -> kv_store::SharedStore {
    let config = kv_store::StoresConfig::from_runtime_config(&spin_app::runtime_config::RuntimeConfig::default(), Some(state_dir), false)
        .expect("stores config");
    kv_store::StoreManager::open(&config).expect("open stores").get("default").expect("default store")
}

fn robber_command(state_dir: &Path, url: &str, marker: &str) -> Command {
    let mut command = Command::new(scraper_host_bin());
    command
        .arg("--state-dir")
        .arg(state_dir)
        .args(["dqmsquare", "robber", "--mode", "production", "--timeout", "20", "--chromium", "/usr/bin/chromium", "--url", url])
        .env("DQM_FFF_SECRET", SECRET)
        .env(marker.split_once('=').map_or(marker, |(k, _)| k), marker.split_once('=').map_or("", |(_, v)| v))
        .stdin(Stdio::null());
    command
}

fn marker(test: &str) -> String {
    format!("DQMSQUARE_ROBBER_TEST={test}-{}", std::process::id())
}

#[test]
fn robber_stores_the_grabbers_rows_and_the_canvases_and_leaves_no_browser() {
    let sanitizer = sanitizer();
    let stand_in = stand_in();
    let state = tempfile::tempdir().expect("state dir");
    let marker = marker("once");
    let output = robber_command(state.path(), &stand_in.page_url(), &marker).args(["--once"]).output().expect("run robber");
    let log = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "robber failed:\n{log}");
    assert!(!log.contains(SECRET), "the cookie value reached the log:\n{log}");
    assert_eq!(processes_with_env(&marker), Vec::<u32>::new(), "browser processes outlived the robber");
    let cookies = stand_in.cookies.lock().unwrap().clone();
    assert!(cookies.contains(&format!("selenium-secret-secret={SECRET}")), "k8 mode sets the secret cookie: {cookies:?}");

    let store = open_default_store(state.path());
    let tables = Tables::new(&*store, Db::Production);
    let robbed = shown(&tables);
    assert_eq!(robbed.len(), 3, "{log}");
    assert_eq!(robbed, grabber_rows(&sanitizer));
    let stored = serde_json::to_string(&robbed).expect("json");
    assert!(stored.contains("<email>") && stored.contains("<redacted>"), "logs kept, secrets censored: {stored}");
    for secret in [SECRET, "john.doe@cern.ch", "fu-c2f11-11-01.cms"] {
        assert!(!stored.contains(secret), "{secret} was stored");
    }
    for n in 0..2 {
        let png = tables.canvas(RUN, n).expect("canvas").unwrap_or_else(|| panic!("canvas {n} missing\n{log}"));
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "canvas {n} is not a PNG");
    }
    assert!(store.get_keys().expect("keys").iter().all(|k| !k.contains(SECRET)));
    // The page's server states become the cluster status the mirror shows.
    let statuses: Vec<(String, bool, Option<String>)> =
        tables.latest_statuses().expect("statuses").into_iter().map(|(h, s)| (h.name, s.is_up, s.message)).collect();
    assert_eq!(statuses, [("fu-c2f11-11-01.cms".to_owned(), true, Some("live".to_owned())),
                          ("fu-c2f11-11-02.cms".to_owned(), true, Some("live".to_owned()))]);
}

/// Waits for a stderr line containing `needle`, returning it.
fn wait_for(lines: &mpsc::Receiver<String>, needle: &str, seen: &mut Vec<String>) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(line) = lines.recv_timeout(Duration::from_millis(200)) {
            seen.push(line.clone());
            if line.contains(needle) {
                return line;
            }
        }
    }
    panic!("no {needle:?} from the robber:\n{}", seen.join("\n"));
}

#[test]
fn robber_restarts_a_killed_browser_and_leaves_none_behind() {
    let stand_in = stand_in();
    let state = tempfile::tempdir().expect("state dir");
    let marker = marker("loop");
    let mut child = robber_command(state.path(), &stand_in.page_url(), &marker)
        .args(["--interval", "0.3"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn robber");
    let (sender, lines) = mpsc::channel();
    let stderr = child.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = sender.send(line);
        }
    });
    let mut seen = Vec::new();
    let started = wait_for(&lines, "browser started, pid ", &mut seen);
    wait_for(&lines, "3 jobs, 2 canvases stored", &mut seen);
    let pid = started.rsplit(' ').next().expect("pid").to_owned();
    assert!(Command::new("kill").args(["-KILL", &pid]).status().expect("kill").success());
    let restarted = wait_for(&lines, "browser started, pid ", &mut seen);
    assert_ne!(restarted, started, "a new browser, not the killed one");
    wait_for(&lines, "3 jobs, 2 canvases stored", &mut seen);
    assert!(!processes_with_env(&marker).is_empty(), "the robber's browser should be running now");

    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill").success());
    let _ = child.wait();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !processes_with_env(&marker).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(processes_with_env(&marker), Vec::<u32>::new(), "browser processes outlived the robber:\n{}", seen.join("\n"));
}

/// An old run's documents: `jobs` FU jobs, the first one still running when `running`.
fn old_run_documents(run: i64, jobs: u32, running: bool) -> Vec<Value> {
    (0..jobs)
        .map(|n| {
            let exit_code = if running && n == 0 { Value::Null } else { json!(0) };
            let mut document = fu_document("fu-c2f11-11-03", i64::from(n) + 1, 50000 + n, &format!("c{n}_dqm_sourceclient-live"), exit_code);
            document["_id"] = json!(format!("dqm-source-state-run{run}-hostfu-c2f11-11-03-pid{:06}", 50000 + n));
            document["run"] = json!(run);
            document
        })
        .collect()
}

#[test]
fn old_runs_mode_reads_every_finished_run_and_skips_recent_ones_unless_running() {
    let stand_in = stand_in();
    // The live run (358788) is the highest link but one: 358790 is newer and counts as the ongoing run.
    stand_in.set_old_runs(vec![(358790, old_run_documents(358790, 1, true)), (358700, old_run_documents(358700, 2, false)),
                               (358750, old_run_documents(358750, 1, true))]);
    let state = tempfile::tempdir().expect("state dir");
    let marker = marker("old-runs");
    let url = stand_in.url("/static/index.html#/lumi/?hosts=production_c2f11&showFiles&showJobs");
    let run_once = || {
        let output = robber_command(state.path(), &url, &marker)
            .args(["--old-runs", "--click-wait", "0.3", "--once"])
            .output()
            .expect("run robber");
        let log = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(output.status.success(), "robber failed:\n{log}");
        assert!(!log.contains(SECRET), "the cookie value reached the log:\n{log}");
        assert_eq!(processes_with_env(&marker), Vec::<u32>::new(), "browser processes outlived the robber");
        log
    };
    let log = run_once();
    for line in ["run 358788: 3 jobs, 2 canvases stored", "run 358750: 1 jobs, 2 canvases stored", "run 358700: 2 jobs, 2 canvases stored"] {
        assert!(log.contains(line), "{line:?} missing:\n{log}");
    }
    assert!(!log.contains("run 358790"), "the ongoing (highest) run is not read:\n{log}");
    let store = open_default_store(state.path());
    let tables = Tables::new(&*store, Db::Production);
    assert_eq!(tables.run_numbers().expect("runs"), [358700, 358750, 358788]);
    let rows = tables.run_rows(358700).expect("rows");
    assert_eq!(rows.iter().map(|r| r.client.clone().unwrap_or_default()).collect::<Vec<_>>(),
               ["c0_dqm_sourceclient-live", "c1_dqm_sourceclient-live"]);
    assert!(rows.iter().all(|r| r.hostname.as_deref() == Some("fu-c2f11-11-03") && r.exit_code == Some(0)));
    assert!(tables.canvas(358700, 1).expect("canvas").is_some_and(|png| png.starts_with(b"\x89PNG")));
    drop(store);

    // Saved just now: only the runs with a running job (358788's beam client, 358750) are read again.
    let log = run_once();
    for line in ["run 358788: 3 jobs, 2 canvases stored", "run 358750: 1 jobs, 2 canvases stored",
                 "run 358700: saved less than 2 h ago, skipped"] {
        assert!(log.contains(line), "{line:?} missing:\n{log}");
    }
    assert!(!log.contains("run 358700: 2 jobs"), "{log}");
}
