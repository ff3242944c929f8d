//! NectarCAM through the gateway: `scraper-host nectarcam ingest` fills the app's state dir, the viewer's §7.5
//! JSON API answers from it, and on a secondary (`gateway up --read-only`, `scraper-host … --read-only`)
//! ingest exits 3 while the viewer still reads.
//! Needs `cargo build --release -p gateway -p scraper-host` and
//! `cargo build --release --target wasm32-wasip2 -p nectarcam-component`.

use dqm_spin_tests::apps::{app, scraper_host};
use dqm_spin_tests::Gateway;
use serde_json::{json, Value};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/nectarcam");
const DISPLAY: &str = "/nectarcam/api/runs/NectarCAMQM_Run6310/camera_display/CAMERA-AVERAGE-PHY-OVEREVENTS-OVERSAMP-LOW-GAIN/CAMERA-AVERAGE-PHY-OverEVENTS-OverSamp-LOW-GAIN";

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The reads a viewer makes: cameras, a camera's runs, a run summary, a camera display.
fn check_viewer(gateway: &Gateway) {
    let cameras = gateway.get("/nectarcam/api/cameras");
    assert_eq!(cameras.status, 200, "{}", cameras.text());
    let codes: Vec<Value> = cameras.json().as_array().unwrap().iter().map(|c| c["code"].clone()).collect();
    assert_eq!(codes, [json!("QM"), json!("2")]);
    let runs = gateway.get("/nectarcam/api/cameras/QM/runs").json();
    assert_eq!(runs, json!({"camera": "QM", "runs": [{"key": "NectarCAMQM_Run6310", "run": 6310}]}));
    let run = gateway.get("/nectarcam/api/runs/NectarCAMQM_Run6310");
    assert_eq!(run.status, 200);
    let summary = run.json();
    assert_eq!((&summary["camera"], &summary["run"]), (&json!("QM"), &json!(6310)));
    assert!(!summary["categories"]["camera_displays"].as_array().unwrap().is_empty(), "{summary}");
    let display = gateway.get(DISPLAY);
    assert_eq!(display.status, 200, "{}", display.text());
    let display = display.json();
    assert_eq!(display["values"].as_array().map(Vec::len), Some(1855));
    let bad: Vec<usize> = display["bad_pixels"].as_array().unwrap().iter().enumerate().filter(|(_, b)| b.as_bool() == Some(true)).map(|(i, _)| i).collect();
    assert_eq!(bad, [1, 2, 700]);
    let page = gateway.get("/nectarcam/");
    assert_eq!((page.status, page.header("content-type")), (200, Some("text/html; charset=utf-8")));
    let unknown = gateway.get("/nectarcam/api/runs/NectarCAMQM_Run1");
    assert_eq!((unknown.status, unknown.json()["message"].is_string()), (404, true));
}

#[test]
fn ingest_then_serve_then_refuse_on_a_secondary() {
    let app = app("nectarcam", "nectarcam-component");
    let ingest = scraper_host(&app, &["nectarcam", "ingest", "--camera", "NectarCAMQM", "--run", "6310", "--path", FIXTURES]);
    assert_eq!(ingest.status.code(), Some(0), "{}", stderr(&ingest));
    assert!(stderr(&ingest).contains("NectarCAMQM_Run6310: stored"), "{}", stderr(&ingest));
    let fits = format!("{FIXTURES}/NectarCAM2_Run1000_Results.fits");
    let ingest = scraper_host(&app, &["nectarcam", "ingest", "--camera", "NectarCAM2", "--run", "1000", "--path", &fits]);
    assert_eq!(ingest.status.code(), Some(0), "{}", stderr(&ingest));
    let usage = scraper_host(&app, &["nectarcam", "ingest", "--camera", "NectarCAM1", "--run", "1"]);
    assert_eq!(usage.status.code(), Some(2), "{}", stderr(&usage));
    let again = scraper_host(&app, &["nectarcam", "ingest", "--camera", "NectarCAMQM", "--run", "6310", "--path", FIXTURES]);
    assert_eq!(again.status.code(), Some(0));
    assert!(stderr(&again).contains("already stored"), "{}", stderr(&again));

    let primary = Gateway::start(&app, &[], &[]);
    check_viewer(&primary);
    assert_eq!(primary.get("/nectarcam/api/health").json()["role"], json!("primary"));
    assert!(primary.stop().success());

    let secondary = Gateway::start(&app, &["--read-only"], &[("SPIN_VARIABLE_ROLE", "secondary")]);
    let refused = scraper_host(&app, &["nectarcam", "ingest", "--read-only", "--camera", "NectarCAMQM", "--run", "6310", "--force", "--path", FIXTURES]);
    assert_eq!(refused.status.code(), Some(3), "{}", stderr(&refused));
    check_viewer(&secondary);
    let health = secondary.get("/nectarcam/api/health").json();
    // This file holds no snapshot metadata (nectarcam_replica.rs covers snapshots and Redis replicas).
    assert_eq!(health, json!({"role": "secondary", "read_only": true, "last_replicated_txn": null, "lag_s": null}));
    assert_eq!(secondary.send("POST", "/nectarcam/api/cameras", &[], b"").status, 405);
}
