//! The mirror component through the gateway, serving what `scraper-host dqmsquare grab` stored from the
//! stand-in: `get_run` with censored hosts, and the runs page in headless Chromium (Playwright) with the job
//! state colours, refreshing when the store changes. Needs the gateway, `scraper-host`, the built
//! `dqmsquare-component`, Debian `chromium` and `npm ci` in `tests/browser`.
//! `DQMSQUARE_SCREENSHOT=<path>` keeps the page's screenshot (committed as docs/dqmsquare-runs.png).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dqm_spin_tests::dqmsquare::{dqmsquare_app, scraper_host_bin, StandIn};
use dqm_spin_tests::Gateway;
use dqmsquare::Db;
use serde_json::{json, Value};

const FU1: &str = "dqmfu-c2b03-45-01";
const FU2: &str = "dqmfu-c2b04-45-01";
const BU: &str = "dqmrubu-c2a06-01-01";
const RUN: i64 = 358788;

fn now_s() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs_f64()
}

fn job(host: &str, rev: i64, pid: u32, tag: &str, exit_code: Value, age_s: f64) -> Value {
    json!({
        "_id": format!("dqm-source-state-run{RUN}-host{host}-pid{pid:06}"), "_rev": rev, "type": "dqm-source-state",
        "hostname": host, "tag": tag, "run": RUN, "timestamp": now_s() - age_s, "exit_code": exit_code,
        "events_total": 1000 + rev, "events_rate": 2.5, "cmssw_run": RUN, "cmssw_lumi": 7, "fi_state": "1",
        "cmdline": ["cmsRun", "/x/production_0909_CMSSW_12_4_8/src/c_cfg.py", "runkey=pp_run"],
        "extra": {"ps_info": {"VmRSS": "362744 kB"}, "stdlog_start": [format!("on {host}.cms\n")], "stdlog_end": []},
    })
}

/// The BU's `analyze_files` document of the run: 8 lumisections of two streams, for the page's two graphs.
fn file_delivery(rev: i64) -> Value {
    const LUMI: f64 = 23.310893056;
    let start = now_s() - 300.0;
    let stream = |delay: f64, events: i64| {
        let lumis: Vec<i64> = (1..=8).collect();
        let mtimes: Vec<f64> = lumis.iter().map(|ls| start + LUMI * *ls as f64 + delay + (*ls % 3) as f64).collect();
        json!({"mtimes": mtimes, "ctimes": mtimes, "fsize": vec![35_000_000; 8], "lumis": lumis,
               "evt_accepted": lumis.iter().map(|ls| events + 40 * ls).collect::<Vec<_>>(), "evt_processed": vec![11_000; 8]})
    };
    json!({
        "_id": format!("dqm-files-{BU}-analyze_files-run{RUN}"), "_rev": rev, "type": "dqm-files", "tag": "analyze_files",
        "hostname": BU, "run": RUN, "timestamp": now_s() - 10.0,
        "extra": {"global_start": start, "global_start_source": "global_file", "lumi": LUMI,
                  "streams": {"streamDQM_sm-c2a11-43-01": stream(4.0, 1400), "streamDQMHistograms_sm-c2a11-43-01": stream(9.0, 900)}},
    })
}

fn grab(app_manifest: &Path, stand_in: &StandIn) {
    let output = Command::new(scraper_host_bin())
        .arg("--from")
        .arg(app_manifest)
        .args(["dqmsquare", "grab", "--mode", "production", "--once", "--timeout", "5", "--proxy"])
        .arg(stand_in.url(""))
        .env("FFF_PRODUCTION_MACHINES", format!("{BU};{FU1};{FU2}"))
        .env("SERVER_FFF_MACHINE", BU)
        .output()
        .expect("run grab");
    assert!(output.status.success(), "grab failed:\n{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn the_mirror_serves_the_grabbed_rows_and_the_runs_page_shows_and_refreshes_them() {
    let stand_in = StandIn::start("dqmrubu-c2a06-01-01", Duration::from_secs(1));
    let fake = &stand_in.fake;
    fake.publish(FU1, job(FU1, 1, 11, "beam_dqm_sourceclient-live", Value::Null, 5.0));
    fake.publish(FU1, job(FU1, 2, 12, "ecal_dqm_sourceclient-live", json!(0), 60.0));
    fake.publish(FU2, job(FU2, 3, 13, "hcal_dqm_sourceclient-live", json!(134), 60.0));
    fake.publish(FU2, job(FU2, 4, 14, "pixel_dqm_sourceclient-live", Value::Null, 1000.0));
    fake.publish(BU, file_delivery(6));
    let status = json!({"dqmfu-c2b03-45-01.cms": {"up": true, "msg": null}, "dqmrubu-c2a06-01-01.cms": {"up": false, "msg": "ConnectionRefusedError(111, 'Connection refused')"}});
    stand_in.fake.set_cluster_status(Db::Production, Ok(status.to_string()));
    let app = dqmsquare_app();
    let gateway = Gateway::start(&app, &[], &[]);
    grab(&app.manifest(), &stand_in);

    let response = gateway.get(&format!("/dqm/dqm-square/api?what=get_run&run={RUN}&db=production"));
    assert_eq!(response.status, 200, "{}", response.text());
    let answer: Value = response.json();
    assert_eq!(answer[0], json!([null, null]));
    let clients = answer[1][1].as_array().expect("client rows");
    let shown: Vec<(String, String)> =
        clients.iter().map(|c| (c[4].as_str().unwrap_or_default().to_owned(), c[2].as_str().unwrap_or_default().to_owned())).collect();
    assert_eq!(shown.len(), 4, "{answer}");
    assert!(shown.iter().all(|(_, host)| host == "dqmfu-c2b03-.." || host == "dqmfu-c2b04-.."), "{shown:?}");
    assert!(!response.text().contains(FU1) && !response.text().contains(FU2));
    let graph: Value = gateway.get(&format!("/dqm/dqm-square/api?what=get_graph&run={RUN}&db=production")).json();
    assert_eq!((&graph[0], &graph[6]), (&json!(RUN), &json!("dqmrubu-c2a06-..")), "{graph}");
    assert_eq!(graph[5]["streamDQM_sm-c2a11-43-01"]["lumis"].as_array().map(Vec::len), Some(8), "{graph}");
    // The control room is not built: its routes answer 404, never a login redirect.
    for path in ["/dqm/dqm-square/cr/", "/dqm/dqm-square/cr/login/", "/dqm/dqm-square/cr/exe?what=get_dqm_machines"] {
        assert_eq!(gateway.get(path).status, 404, "{path}");
    }

    // The runs page in headless Chromium; while it is open the store gets a fifth job.
    let browser_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("browser");
    assert!(browser_dir.join("node_modules/playwright-core").is_dir(), "run `npm ci` in {}", browser_dir.display());
    let screenshot = std::env::var("DQMSQUARE_SCREENSHOT")
        .unwrap_or_else(|_| app.path().join("dqmsquare-runs.png").to_string_lossy().into_owned());
    let url = format!("http://{}/dqm/dqm-square/?db=production&run={RUN}", gateway.addr);
    let mut node = Command::new("node")
        .current_dir(&browser_dir)
        .args(["dqmsquare-runs.mjs", &url, "5", &screenshot])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node");
    let mut lines = BufReader::new(node.stdout.take().expect("stdout")).lines().map_while(Result::ok);
    let before: Value = serde_json::from_str(&lines.next().expect("rows before")).expect("json");
    assert_eq!(lines.next().as_deref(), Some("ready"));
    fake.publish(FU1, job(FU1, 5, 15, "sistrip_dqm_sourceclient-live", json!(0), 30.0));
    grab(&app.manifest(), &stand_in);
    let after: Value = serde_json::from_str(&lines.next().expect("rows after the refresh")).expect("json");
    assert!(node.wait().expect("node").success());

    let colour_of = |rows: &Value, client: &str| -> (String, String) {
        let row = rows.as_array().into_iter().flatten().find(|r| r["cells"][4] == client).unwrap_or_else(|| panic!("{client} in {rows}"));
        (row["cls"].as_str().unwrap_or_default().to_owned(), row["bg"].as_str().unwrap_or_default().to_owned())
    };
    let rows = &before["before"];
    assert_eq!(rows.as_array().map(Vec::len), Some(4));
    assert_eq!(colour_of(rows, "beam"), ("job-running".into(), "rgb(171, 235, 198)".into()));
    assert_eq!(colour_of(rows, "ecal"), ("job-stopped".into(), "rgb(249, 231, 159)".into()));
    assert_eq!(colour_of(rows, "hcal"), ("job-crashed".into(), "rgb(241, 148, 138)".into()));
    assert_eq!(colour_of(rows, "pixel"), ("job-stuck".into(), "rgb(52, 73, 94)".into()));
    assert_eq!(colour_of(&after["after"], "sistrip").0, "job-stopped", "the refresh shows the new job");
    let text = after["text"].as_str().unwrap_or_default();
    assert!(text.contains("probably stuck") && !text.contains(FU1) && !text.contains(FU2), "{text}");
    assert!(text.contains("dqmrubu-c2a06-..") && !text.contains("dqmrubu-c2a06-01-01"), "cluster status, censored: {text}");
}
