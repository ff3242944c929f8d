//! The web UI (`ui` component) through the gateway beside the DQM GUI components, with the fixtures, the 10k-histogram
//! file (a 100-ME folder) and a 4-item test layout registered: the site's headers and routes over HTTP, and the
//! DQM GUI pages in headless Chromium (`tests/browser/ui-dqm.mjs`). Needs the gateway, the `dqmgui-*` and
//! `ui-component` wasm, Debian `chromium` and `npm ci` in `tests/browser`.
//! `UI_SCREENSHOTS=docs/screenshots` keeps the screenshots (committed there).
//! Benchmark (a folder of 30 thumbnails, and the bytes of a first visit):
//! `cargo test --release -p dqm-spin-tests --test ui_dqm -- --ignored --nocapture`

use std::path::{Path, PathBuf};
use std::process::Command;

use dqm_spin_tests::dqmgui::{dqmgui_app, fixture_registrations, ADMIN_TOKEN};
use dqm_spin_tests::{apps, Gateway, TestApp};
use serde_json::Value;

const ZB: &str = "/ZeroBias/Run2024A-PromptReco-v1/DQMIO";

/// A layout of four items, so a layout page is a 2×2 grid.
const TEST_LAYOUT: &str = r#"
[[layout]]
name = "UI test - tracking overview"
source = "Tracking/TrackParameters/GeneralProperties/NumberOfTracks"
destination = "00 Shift/UI test/NumberOfTracks"
scope = "ALL"
draw = { ytype = "log" }
description = "Tracks per event, log scale."

[[layout]]
name = "UI test - tracking overview"
source = "Tracking/TrackParameters/GeneralProperties/TrackPt"
destination = "00 Shift/UI test/TrackPt"
scope = "ALL"
draw = { xmax = "30" }
description = "Track <b>pT</b> up to 30 GeV."

[[layout]]
name = "UI test - tracking overview"
source = "Tracking/TrackParameters/GeneralProperties/TrackEtaPhi"
destination = "00 Shift/UI test/TrackEtaPhi"
scope = "ALL"
draw = { drawopts = "COLZ" }

[[layout]]
name = "UI test - tracking overview"
source = "Tracking/TrackParameters/GeneralProperties/TrackEfficiency"
destination = "00 Shift/UI test/TrackEfficiency"
scope = "ALL"
"#;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The DQM GUI test app plus the `ui` component on `/...`, the 10k-histogram file and the test layout.
fn ui_app() -> TestApp {
    let app = dqmgui_app();
    let ui = apps::component("ui-component");
    let mut manifest = std::fs::read_to_string(app.manifest()).expect("manifest");
    manifest.push_str(&format!("\n[[trigger.http]]\nroute = \"/...\"\ncomponent = \"ui\"\n\n[component.ui]\nsource = {:?}\n", ui.to_string_lossy()));
    std::fs::write(app.manifest(), manifest).expect("write manifest");
    let big = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/root-conformance/perf/root_10k.root");
    std::fs::copy(&big, app.path().join("data/root_10k.root")).expect("copy root_10k.root");
    std::fs::write(app.path().join("layouts/90-ui-test.toml"), TEST_LAYOUT).expect("test layout");
    app
}

fn start() -> (TestApp, Gateway) {
    let app = ui_app();
    let gateway = Gateway::start(&app, &[], &[("SPIN_VARIABLE_ADMIN_TOKEN", ADMIN_TOKEN)]);
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let headers = [("authorization", auth.as_str()), ("content-type", "application/json")];
    let mut samples: Vec<Value> = serde_json::from_str(&fixture_registrations()).expect("registrations");
    samples.push(serde_json::json!({"dataset": "/Bench/Root10k/DQMIO", "run": 1, "lumi": 0, "file": "/data/root_10k.root", "fileformat": 1}));
    let created = gateway.send("POST", "/api/v1/register", &headers, Value::from(samples).to_string().as_bytes());
    assert_eq!(created.status, 201, "{}\n{}", created.text(), gateway.log());
    let layouts = gateway.send("POST", "/api/v1/layouts", &headers, b"");
    assert_eq!(layouts.status, 200, "{}", layouts.text());
    (app, gateway)
}

/// Runs `node <script> <args…>` in tests/browser; returns its stdout, panicking with its output on failure.
fn node(script: &str, args: &[&str]) -> String {
    let dir = repo().join("tests/browser");
    assert!(dir.join("node_modules/playwright-core").is_dir(), "run `npm ci` in {}", dir.display());
    let output = Command::new("node").current_dir(&dir).arg(script).args(args).output().expect("node");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{script} failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    stdout
}

#[test]
fn the_site_is_served_with_its_headers_and_leaves_the_api_routes_alone() {
    let (_app, gateway) = start();
    let home = gateway.get("/");
    assert_eq!(home.status, 200);
    assert_eq!(home.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(home.header("content-security-policy").is_some_and(|csp| csp.starts_with("default-src 'self'")));
    assert_eq!(home.header("cache-control"), Some("no-cache"));
    let etag = home.header("etag").expect("etag").to_owned();
    assert_eq!(gateway.send("GET", "/", &[("if-none-match", &etag)], b"").status, 304);
    let jsroot = gateway.get("/jsroot/7.11.2/hist2d.min.js");
    assert_eq!((jsroot.status, jsroot.header("cache-control")), (200, Some("public, max-age=31536000, immutable")));
    assert!(gateway.get("/jsroot/7.11.2/LICENSE").text().contains("MIT"));
    for page in ["/dqm/", "/dqm/browse", "/dqm/layout", "/dqm/plot"] {
        let reply = gateway.get(page);
        assert_eq!((reply.status, reply.header("content-type")), (200, Some("text/html; charset=utf-8")), "{page}");
    }
    // The API keeps its own routes; the ui only answers what no other component routes.
    assert_eq!(gateway.get("/api/v1/samples").header("content-type"), Some("application/json; charset=utf-8"));
    assert_eq!(gateway.get("/api/v1/nope").status, 404);
    let missing = gateway.send("GET", "/dqm/nope", &[("accept", "text/html")], b"");
    assert_eq!((missing.status, missing.header("content-type")), (404, Some("text/html; charset=utf-8")));
    assert!(gateway.log().contains("GET /dqm/nope route=/... component=ui status=404"), "{}", gateway.log());
}

#[test]
fn dqm_pages_in_chromium() {
    let (app, gateway) = start();
    let shots = std::env::var("UI_SCREENSHOTS").map(|d| repo().join(d)).unwrap_or_else(|_| app.path().join("screenshots"));
    std::fs::create_dir_all(&shots).expect("screenshot dir");
    let base = format!("http://{}", gateway.addr);
    let stdout = node("ui-dqm.mjs", &[&base, &shots.to_string_lossy()]);
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap_or_else(|_| panic!("{stdout}"));
    assert_eq!(summary["ok"], true, "{summary}");
    assert_eq!(summary["thumbnail_sizes"], serde_json::json!(["400x300"]));
    let lazy = &summary["lazy"];
    assert!(lazy["first_screen"].as_u64().unwrap() < 40 && lazy["after_scroll"].as_u64().unwrap() < 100, "{lazy}");
    // The bin JSROOT drew holds what the API serves.
    let json = gateway.get(&format!("/api/v1/json/123456{ZB}/Tracking/TrackParameters/GeneralProperties/NumberOfTracks")).json();
    let bin = summary["jsroot"]["bin"].as_u64().expect("bin") as usize;
    assert_eq!(summary["jsroot"]["content"], json["fArray"][bin], "{summary}");
    for name in ["home", "dqm-search", "dqm-folders", "dqm-browse", "dqm-overlay", "dqm-lumi", "dqm-layout", "dqm-plot", "dqm-plot-2d", "dqm-error"] {
        let png = std::fs::read(shots.join(format!("{name}.png"))).unwrap_or_else(|e| panic!("{name}.png: {e}"));
        assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "{name}.png");
    }
}

#[test]
#[ignore = "benchmark: run with --ignored --nocapture on a release build, on an idle machine"]
fn bench_thumbnail_folder_and_first_visit_bytes() {
    let (_app, gateway) = start();
    let base = format!("http://{}", gateway.addr);
    print!("{}", node("ui-bench.mjs", &[&base, "7"]));
}
