//! `scraper-host dqmsquare grab --once` over HTTP against the stand-in CMSWEB proxy, several passes:
//! only new revisions are requested, a re-sent header updates its row in place, BU headers without
//! `analyze_files` are never fetched, and a timing-out host does not stop the others.
//! Needs a built `scraper-host` (`cargo build -p scraper-host`).

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use dqm_spin_tests::dqmsquare::{scraper_host_bin, StandIn};
use dqmsquare::grabber::TransportError;
use dqmsquare::store::Tables;
use dqmsquare::Db;
use serde_json::{json, Value};

const BU: &str = "dqmrubu-c2a06-01-01";
const FU1: &str = "dqmfu-c2b03-45-01";
const FU2: &str = "dqmfu-c2b04-45-01";
const RUN: i64 = 358788;
const SECRET: &str = "grab-secret-123";

fn fu_document(host: &str, rev: i64, pid: u32, exit_code: Value) -> Value {
    json!({
        "_id": format!("dqm-source-state-run{RUN}-host{host}-pid{pid:06}"), "_rev": rev, "type": "dqm-source-state",
        "hostname": host, "tag": "ecalgpu_dqm_sourceclient-live", "run": RUN, "timestamp": 1663242342.0 + rev as f64,
        "exit_code": exit_code, "events_total": rev, "events_rate": 1.0, "cmssw_run": RUN, "cmssw_lumi": 1, "fi_state": "1",
        "cmdline": ["cmsRun", "/x/production_CMSSW_12_4_8/src/y_cfg.py", "runkey=cosmic_run"],
        "extra": {"ps_info": {"VmRSS": "1 kB"}, "stdlog_start": [format!("mail jane.roe@cern.ch from {host}.cms\n")], "stdlog_end": []},
    })
}

fn bu_document(rev: i64, tag: &str) -> Value {
    json!({
        "_id": format!("dqm-files-{BU}-{tag}-run{RUN}"), "_rev": rev, "type": "dqm-files", "hostname": BU, "tag": tag,
        "run": RUN, "timestamp": 1579729985.5,
        "extra": {"global_start": 1579722020.75, "lumi": 23.3, "streams": {"streamDQM": {"mtimes": [1.0], "ctimes": [1.0],
                  "fsize": [10], "lumis": [1], "evt_accepted": [5], "evt_processed": [9]}}},
    })
}

fn grab(stand_in: &StandIn, state_dir: &Path) -> Output {
    Command::new(scraper_host_bin())
        .arg("--state-dir")
        .arg(state_dir)
        .args(["dqmsquare", "grab", "--mode", "production", "--once", "--timeout", "1", "--proxy"])
        .arg(stand_in.url(""))
        .env("FFF_PRODUCTION_MACHINES", format!("{BU};{FU1};{FU2}"))
        .env("SERVER_FFF_MACHINE", BU)
        .env("DQM_FFF_SECRET", format!("  {SECRET}\n"))
        .output()
        .expect("run grab")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn with_tables<R>(state_dir: &Path, f: impl FnOnce(&Tables) -> R) -> R {
    let config = kv_store::StoresConfig::from_runtime_config(&spin_app::runtime_config::RuntimeConfig::default(), Some(state_dir), false)
        .expect("stores config");
    let manager = kv_store::StoreManager::open(&config).expect("open stores");
    let store = manager.get("default").expect("default store");
    f(&Tables::new(&*store, Db::Production))
}

#[test]
fn grabber_passes_fetch_only_new_revisions_update_in_place_and_survive_a_timing_out_host() {
    let stand_in = StandIn::start(BU, Duration::from_secs(3));
    let fake = &stand_in.fake;
    fake.publish(BU, bu_document(50, "analyze_files"));
    fake.publish(BU, bu_document(51, "other_applet"));
    fake.publish(FU1, fu_document(FU1, 100, 1, json!(0)));
    fake.publish(FU1, fu_document(FU1, 101, 2, Value::Null));
    fake.publish(FU2, fu_document(FU2, 200, 3, Value::Null));
    fake.set_cluster_status(Db::Production, Ok(json!({format!("{FU1}.cms"): {"up": true, "msg": null}}).to_string()));
    let state = tempfile::tempdir().expect("state dir");

    // Pass 1: a cold start stores everything, BU only its analyze_files document.
    let first = grab(&stand_in, state.path());
    assert!(first.status.success(), "{}", stderr(&first));
    assert_eq!(fake.requests(BU).ids, [format!("dqm-files-{BU}-analyze_files-run{RUN}")]);
    with_tables(state.path(), |t| {
        assert_eq!(t.run_rows(RUN).unwrap().len(), 3);
        assert!(t.graph(RUN).unwrap().is_some(), "the analyze_files graph");
        assert_eq!(t.latest_statuses().unwrap().len(), 1);
    });

    // Pass 2: a new job on FU1 and a re-sent header (same _id, new revision) on FU2.
    fake.publish(FU1, fu_document(FU1, 102, 4, json!(0)));
    fake.publish(FU2, fu_document(FU2, 201, 3, json!(134)));
    let second = grab(&stand_in, state.path());
    assert!(second.status.success(), "{}", stderr(&second));
    assert_eq!(fake.requests(FU1).known_revs, [0, 101], "the second pass starts from the cursor");
    let fu1_ids = fake.requests(FU1).ids;
    assert_eq!(fu1_ids.len(), 3, "only the new revision is fetched again: {fu1_ids:?}");
    assert!(fu1_ids[2].ends_with("pid000004"));
    with_tables(state.path(), |t| {
        let rows = t.run_rows(RUN).unwrap();
        assert_eq!(rows.len(), 4, "the re-sent header updated its row in place");
        let resent = rows.iter().find(|r| r.id.ends_with("pid000003")).expect("re-sent row");
        assert_eq!((resent.rev, resent.exit_code), (Some(201), Some(134)));
    });

    // Pass 3: FU1 times out (the stand-in holds the answer past the 1 s timeout); FU2 is still synced.
    fake.set_failure(FU1, Some(TransportError::Timeout));
    fake.publish(FU1, fu_document(FU1, 103, 5, json!(0)));
    fake.publish(FU2, fu_document(FU2, 202, 6, json!(0)));
    let third = grab(&stand_in, state.path());
    let log = stderr(&third);
    assert!(!third.status.success(), "a failed host is reported in the exit status:\n{log}");
    assert!(log.contains("timed out"), "{log}");
    with_tables(state.path(), |t| {
        let rows = t.run_rows(RUN).unwrap();
        assert!(rows.iter().any(|r| r.id.ends_with("pid000006")), "FU2 went on");
        assert!(!rows.iter().any(|r| r.id.ends_with("pid000005")));
        let served = serde_json::to_string(&rows).unwrap();
        assert!(!served.contains("jane.roe@cern.ch"));
    });
    let cookies = stand_in.cookies.lock().unwrap().clone();
    assert!(!cookies.is_empty() && cookies.iter().all(|c| *c == format!("selenium-secret-secret={SECRET}")), "{cookies:?}");
    for output in [&first, &second, &third] {
        let text = stderr(output);
        assert!(!text.contains(SECRET) && !text.contains(FU1) && !text.contains(BU), "log leaks a secret or host:\n{text}");
    }
}
