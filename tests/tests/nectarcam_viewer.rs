//! The NectarCAM viewer page through the gateway in headless Chromium (`tests/apps/nectarcam/viewer.mjs`,
//! Playwright from `tests/browser/node_modules`): camera display with hover and a working slider, a
//! timeline, a waveform and the trigger timestamps for the fixture runs. Screenshots go to
//! `$NECTARCAM_SCREENSHOTS` (e.g. `docs/nectarcam` to refresh the committed ones), else a temp dir.
//! Needs the release gateway and scraper-host, the `nectarcam-component` wasm, node and /usr/bin/chromium.

use std::path::{Path, PathBuf};
use std::process::Command;

use dqm_spin_tests::apps::{app, scraper_host};
use dqm_spin_tests::Gateway;
use serde_json::Value;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/nectarcam");

#[test]
fn the_viewer_page_draws_every_tab_in_chromium() {
    let app = app("nectarcam", "nectarcam-component");
    let fits = format!("{FIXTURES}/NectarCAM2_Run1000_Results.fits");
    for args in [
        ["nectarcam", "ingest", "--camera", "NectarCAMQM", "--run", "6310", "--path", FIXTURES],
        ["nectarcam", "ingest", "--camera", "NectarCAM2", "--run", "1000", "--path", &fits],
    ] {
        let out = scraper_host(&app, &args);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let gateway = Gateway::start(&app, &[], &[]);
    let temp = tempfile::tempdir().unwrap();
    let shots = std::env::var_os("NECTARCAM_SCREENSHOTS").map(PathBuf::from).unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&shots).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("apps/nectarcam/viewer.mjs");
    let output = Command::new("node")
        .arg(&script)
        .arg(format!("http://{}/nectarcam/", gateway.addr))
        .arg(&shots)
        .output()
        .expect("node is needed for this test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "viewer.mjs failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap_or("")).unwrap();
    assert_eq!(summary["runs"], serde_json::json!(["6310"]));
    for tab in ["timelines", "waveforms", "triggers"] {
        assert!(summary[tab].as_u64().unwrap_or(0) >= 1, "{tab}: {summary}");
    }
    for shot in ["camera-display-hover", "camera-display-slider", "timelines", "waveforms", "trigger-timestamps", "camera-2-displays"] {
        assert!(shots.join(format!("{shot}.png")).metadata().map(|m| m.len() > 10_000).unwrap_or(false), "{shot}.png");
    }
}
