//! The Stats2 list page in headless Chromium (`tests/browser/stats2-list.mjs`) over a store that
//! `scraper-host stats2` filled from the fake cmsweb: 100 rows per page with their history thumbnails,
//! paging, the filter form and filter links, nothing fetched from outside the site. Needs the built
//! `stats2-component`, Debian `chromium` and `npm ci` in `tests/browser`.
//!
//! `STATS2_SCREENSHOT_DIR=docs` writes `stats2-list.png` (the filtered page) and `stats2-plot.png` (one
//! workflow's history plot) there; by default they go to the test's temp dir.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use dqm_spin_tests::stats2::{kv_json, poll_ok, scraper_host, stats2_app, FakeServer};
use dqm_spin_tests::Gateway;
use serde_json::{json, Value};
use stats2::fake::{synthetic_outputs, synthetic_request, synthetic_world};
use stats2::keys;

const WORKFLOWS: usize = 130;
const CAMPAIGNS: usize = 13;
const CAMPAIGN: &str = "Camp004";

/// Three weeks of growing event counts for workflow `i` (what ten-minute passes would have left behind).
fn history(i: usize, now: i64) -> Value {
    let total = (100_000 + i) as f64;
    let [gen_sim, aodsim] = [&synthetic_outputs(i, CAMPAIGNS)[0], &synthetic_outputs(i, CAMPAIGNS)[1]];
    let entries: Vec<Value> = [(0.0, 0.0), (2.1, 0.12), (5.3, 0.31), (8.9, 0.52), (13.6, 0.71), (20.0, 0.86)]
        .iter()
        .enumerate()
        .map(|(step, (day, done))| {
            let time = now - 21 * 86_400 + (day * 86_400.0) as i64;
            let gen = (total * done * (1.0 + i as f64 % 3.0 / 20.0)) as i64;
            let aod = (total * (done - 0.1f64).max(0.0)) as i64;
            let kind = if step == 5 { "VALID" } else { "PRODUCTION" };
            json!({"Time": time, "Datasets": {
                gen_sim.as_str(): {"Type": kind, "Events": gen, "Size": gen * 1_000_000},
                aodsim.as_str(): {"Type": "PRODUCTION", "Events": aod, "Size": aod * 300_000},
            }})
        })
        .collect();
    Value::Array(entries)
}

fn out_dir(default: &Path) -> PathBuf {
    match std::env::var("STATS2_SCREENSHOT_DIR") {
        Ok(dir) => Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(dir),
        Err(_) => default.to_owned(),
    }
}

#[test]
fn list_page_pages_filters_and_draws_every_history_in_chromium() {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    let server = FakeServer::http(synthetic_world(WORKFLOWS, CAMPAIGNS, now - 86_400));
    let app = stats2_app();
    let state = app.state_dir();
    poll_ok(&state, &server);
    // The campaign shown in the screenshot gets three weeks of history (history is not indexed, so
    // rewriting the document keeps its index entries right).
    let in_campaign: Vec<usize> = (0..WORKFLOWS).filter(|i| i % CAMPAIGNS == 4).collect();
    for &i in &in_campaign {
        let (name, _) = synthetic_request(i, CAMPAIGNS);
        let mut doc = kv_json(&state, &keys::doc(&name)).expect("stored document");
        doc["EventNumberHistory"] = history(i, now);
        let set = scraper_host(&state, &["kv".into(), "set".into(), keys::doc(&name), doc.to_string()]).output().expect("kv set");
        assert!(set.status.success(), "{}", String::from_utf8_lossy(&set.stderr));
    }
    let gateway = Gateway::start(&app, &[], &[]);

    let dir = out_dir(app.path());
    let screenshot = dir.join("stats2-list.png");
    let browser_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("browser");
    assert!(browser_dir.join("node_modules/playwright-core").is_dir(), "run `npm ci` in {}", browser_dir.display());
    let output = Command::new("node")
        .current_dir(&browser_dir)
        .args(["stats2-list.mjs", &format!("http://{}", gateway.addr), &screenshot.to_string_lossy(), CAMPAIGN])
        .output()
        .expect("node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "stats2-list.mjs failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default()).expect("summary JSON");

    assert_eq!(summary["page0"], 100, "{summary}");
    assert_eq!(summary["thumbnails"], 100, "every row has its plot");
    assert_eq!(summary["thumbnailSizes"], json!(["320x160"]), "each thumbnail decoded at its size");
    assert_eq!(summary["page1"], WORKFLOWS - 100);
    assert!(summary["count"].as_str().unwrap().starts_with("Workflows 1–100"), "{summary}");
    assert!(summary["status"].as_str().unwrap().contains("Last pass done"), "{summary}");
    assert_eq!(summary["filteredUrl"], format!("/stats?campaign={CAMPAIGN}"));
    let mut expected: Vec<String> = in_campaign.iter().map(|&i| synthetic_request(i, CAMPAIGNS).0).collect();
    expected.sort();
    let mut shown: Vec<String> = summary["filtered"].as_array().unwrap().iter().map(|n| n.as_str().unwrap().to_owned()).collect();
    shown.sort();
    assert_eq!(shown, expected, "the filter form shows exactly the campaign");
    assert!(summary["campaignCells"].as_array().unwrap().iter().all(|c| c.as_str().unwrap().contains(CAMPAIGN)));
    assert_eq!(summary["selected"], "campaign", "the form shows the filter in use");
    assert_eq!(summary["filteredSizes"], json!(["320x160"]));
    assert_eq!(summary["linked"], in_campaign.len(), "the SIM campaign link filters to the same workflows");
    assert_eq!(summary["siteHeader"], "Stats2", "the site header marks the section");
    assert_eq!(summary["outside"], json!([]));
    assert_eq!(summary["failed"], json!([]), "no request failed");
    let shot = std::fs::read(&screenshot).expect("screenshot");
    assert_eq!(&shot[1..4], b"PNG");

    // The full-size plot of one of them, as the page links it.
    let (name, _) = synthetic_request(in_campaign[1], CAMPAIGNS);
    let plot = gateway.get(&format!("/stats/plot/{name}.png"));
    assert_eq!((plot.status, plot.header("content-type")), (200, Some("image/png")));
    std::fs::write(dir.join("stats2-plot.png"), &plot.body).expect("write plot");
}
