//! The Run Registry pages (`/rr/`, served by the `ui` component) through the gateway beside the `runregistry`
//! component, with a fixture of 25 runs loaded by `scraper-host rr load`, in headless Chromium
//! (`tests/browser/rr-pages.mjs`): filter, sort and page the run table, refused writes shown as messages, a flag
//! changed with a comment and seen in the history, reverted, and golden JSONs that reflect both; no request
//! leaves the site. The SSO proxy is emulated with Playwright's extra HTTP headers. Needs the gateway,
//! scraper-host, the `runregistry-component` and `ui-component` wasm, Debian `chromium` and `npm ci` in
//! `tests/browser`. `UI_SCREENSHOTS=docs/screenshots` keeps the screenshots (committed there).

use std::path::Path;
use std::process::Command;

use dqm_spin_tests::apps::{app, component, scraper_host};
use dqm_spin_tests::{Gateway, TestApp};
use serde_json::{json, Value};

/// The test values of `tests/apps/runregistry/spin.toml`.
const PROXY_SECRET: &str = "proxy-s3cret";
const ADMIN_TOKEN: &str = "admin-t0ken";
const FIRST_RUN: u64 = 316_100;
const RUNS: u64 = 24;
const COMPONENTS: [&str; 8] = ["dt-dt", "csc-csc", "ecal-ecal", "hcal-hcal", "tracker-pixel", "tracker-strip", "rpc-rpc", "hlt-hlt"];

/// The runregistry test app plus the `ui` component on `/...`, as in the real spin.toml.
fn rr_ui_app() -> TestApp {
    let app = app("runregistry", "runregistry-component");
    let ui = component("ui-component");
    let mut manifest = std::fs::read_to_string(app.manifest()).expect("manifest");
    manifest.push_str(&format!("\n[[trigger.http]]\nroute = \"/...\"\ncomponent = \"ui\"\n\n[component.ui]\nsource = {:?}\n", ui.to_string_lossy()));
    std::fs::write(app.manifest(), manifest).expect("write manifest");
    app
}

/// Synthetic run `i` of the fixture: Collisions18 or Cosmics18, all three states, a few flags that are not GOOD.
fn synthetic_run(i: u64) -> Value {
    let run_number = FIRST_RUN + i;
    let lumisections = 20 + (i * 7) % 30;
    let cosmics = i % 4 == 3;
    let state = ["OPEN", "SIGNOFF", "COMPLETED"][(i % 3) as usize];
    let rr: Vec<Value> = (1..=lumisections)
        .map(|ls| {
            let mut flags = serde_json::Map::new();
            for c in COMPONENTS {
                let flag = match c {
                    "ecal-ecal" if i % 5 == 1 && (5..=7).contains(&ls) => json!({"status": "BAD", "comment": "ECAL timing scan", "cause": "timing"}),
                    "tracker-pixel" if i % 7 == 2 && ls <= 2 => json!({"status": "STANDBY", "comment": "pixel HV ramping"}),
                    _ => json!({"status": "GOOD"}),
                };
                flags.insert(c.to_owned(), flag);
            }
            Value::Object(flags)
        })
        .collect();
    let oms: Vec<Value> = (1..=lumisections)
        .map(|ls| json!({"cms_active": ls < lumisections || i.is_multiple_of(2), "beam1_present": !cosmics, "beam2_present": !cosmics,
            "beam1_stable": !cosmics, "beam2_stable": !cosmics, "bpix_ready": true, "fpix_ready": true,
            "recorded": 0.5, "delivered": 0.55}))
        .collect();
    json!({"run_number": run_number,
        "rr_attributes": {"class": if cosmics { "Cosmics18" } else { "Collisions18" }, "state": state, "significant": true},
        "oms_attributes": {"energy": if cosmics { 0 } else { 6500 }, "b_field": 3.8, "fill_number": 6600 + i / 3,
            "start_time": format!("2018-06-{:02}T{:02}:00:00Z", 1 + i / 4, (i % 4) * 6), "injection_scheme": "25ns_2556b_2544_2215_2332_144bpi_20injV3",
            "hlt_key": "/cdaq/physics/Run2018/2e34/v3.6.1/HLT/V2", "recorded_lumi": 0.5 * lumisections as f64},
        "oms_lumisections": oms, "rr_lumisections": rr})
}

/// Run 328645 with its real OMS lumisections and an offline dataset, so the run page has a dataset to pick.
fn real_run() -> Value {
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/runregistry/oms_lumisections_run328645.json");
    let oms: Value = serde_json::from_str(&std::fs::read_to_string(fixture).expect("OMS fixture")).expect("OMS JSON");
    let flags = |status: &str| -> Vec<Value> {
        (0..94).map(|_| json!(COMPONENTS.iter().map(|c| (c.to_string(), json!({"status": status}))).collect::<serde_json::Map<_, _>>())).collect()
    };
    json!({"run_number": 328645, "rr_attributes": {"class": "Collisions18", "state": "COMPLETED", "significant": true},
        "oms_attributes": {"energy": 6500, "b_field": 3.8, "fill_number": 8000},
        "oms_lumisections": oms, "rr_lumisections": flags("GOOD"),
        "datasets": [{"name": "/PromptReco/Collisions2018A/DQM", "dataset_attributes": {"global_state": "OPEN"}, "rr_lumisections": flags("GOOD")}]})
}

fn load_fixture(app: &TestApp, gateway: &Gateway) {
    let dir = tempfile::tempdir().expect("temp dir");
    let runs: Vec<Value> = (0..RUNS).map(synthetic_run).chain([real_run()]).collect();
    std::fs::write(dir.path().join("runs.json"), json!({"runs": runs}).to_string()).expect("write runs");
    let url = format!("http://{}", gateway.addr);
    let loaded = scraper_host(app, &["rr", "load", dir.path().to_str().expect("utf-8"), "--url", &url, "--token", ADMIN_TOKEN]);
    assert!(loaded.status.success(), "{}\n{}", String::from_utf8_lossy(&loaded.stderr), gateway.log());
}

fn node(script: &str, args: &[&str]) -> Value {
    let browser_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("browser");
    assert!(browser_dir.join("node_modules/playwright-core").is_dir(), "run `npm ci` in {}", browser_dir.display());
    let output = Command::new("node").current_dir(&browser_dir).arg(script).args(args).output().expect("node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{script} failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("{script} summary {last:?}: {e}"))
}

#[test]
fn run_registry_pages_in_chromium() {
    let app = rr_ui_app();
    let gateway = Gateway::start(&app, &[], &[]);
    load_fixture(&app, &gateway);
    let shots = std::env::var("UI_SCREENSHOTS").unwrap_or_else(|_| app.path().join("shots").to_string_lossy().into_owned());
    std::fs::create_dir_all(&shots).expect("screenshot dir");

    // The pages are served with the site's policy beside the API.
    for page in ["/rr/", "/rr/run", "/rr/json", "/rr/rr.js", "/rr/rules.json"] {
        let response = gateway.get(page);
        assert_eq!(response.status, 200, "{page}");
        assert!(response.header("content-security-policy").is_some_and(|c| c.starts_with("default-src 'self'")), "{page}");
    }

    let base = format!("http://{}", gateway.addr);
    let summary = node("rr-pages.mjs", &[&base, &shots, PROXY_SECRET]);
    assert_eq!(summary["outside"], json!([]), "requests left the site: {summary}");
    assert_eq!(summary["pageErrors"], json!([]), "{summary}");
    assert_eq!(summary["all"], json!(RUNS + 1), "{summary}");
    assert_eq!(summary["cosmics"], json!(6), "{summary}");
    assert_eq!(summary["errors"], json!(true), "API errors are messages: {summary}");
    assert!(summary["refused"].as_str().unwrap_or_default().contains("Not signed in"), "{summary}");
    assert!(summary["forbidden"].as_str().unwrap_or_default().contains("cms-dqm-runregistry-shifters"), "{summary}");
    let (last, n) = (FIRST_RUN, 20);
    assert_eq!(summary["goldenAfterEdit"], json!([[1, 2], [5, n]]), "{summary}");
    assert_eq!(summary["goldenAfterRevert"], json!([[1, n]]), "{summary}");
    assert_eq!(summary["downloaded"][last.to_string()], json!([[1, 2], [5, n]]), "{summary}");

    // The API agrees with what the pages showed: the change and its revert are both in the audit trail.
    let history = gateway.send("POST", "/rr/api/lumisections/get_rr_lumisection_history", &[("content-type", "application/json")],
        json!({"run_number": last, "dataset_name": "online"}).to_string().as_bytes()).json();
    let by: Vec<&str> = history.as_array().expect("rows").iter().filter_map(|r| r["by"].as_str()).collect();
    assert!(by.contains(&"shifter@cern.ch") && by.contains(&"expert@cern.ch"), "{history}");
    for name in ["rr-runs", "rr-run", "rr-run-refused", "rr-run-reverted", "rr-json"] {
        assert!(Path::new(&shots).join(format!("{name}.png")).is_file(), "{name}.png");
    }
}
