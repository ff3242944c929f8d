//! Our `/api/v1/json` output for every histogram ME of the fixtures, loaded into real JSROOT 7
//! (`tests/jsroot/check.mjs`: `JSROOT.parse`, `makeSVG`, class, title and probed bin contents from expected.json).
//! Needs node and `npm ci --ignore-scripts` in `crates/dqmgui/tests/jsroot` (`scripts/setup` does it); without
//! them it fails, unless `DQM_SPIN_SKIP_JSROOT=1` says to skip on a machine without node.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use serde_json::{json, Value};

#[test]
fn jsroot_parses_and_draws_every_histogram_type() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/jsroot");
    if !dir.join("node_modules/jsroot").is_dir() || Command::new("node").arg("--version").output().is_err() {
        let hint = format!("install node and run `npm ci --ignore-scripts` in {}", dir.display());
        if std::env::var_os("DQM_SPIN_SKIP_JSROOT").is_some() {
            eprintln!("SKIPPED (DQM_SPIN_SKIP_JSROOT): {hint}");
            return;
        }
        panic!("JSROOT is not installed: {hint} (scripts/setup does this)");
    }
    let store = setup(&all_fixtures());
    let expected: Value = serde_json::from_str(&std::fs::read_to_string(repo().join("tests/fixtures/dqm/expected.json")).unwrap()).unwrap();
    let fixtures = [
        ("DQM_V0001_R000123456__ZeroBias__Run2024A-PromptReco-v1__DQMIO.root", format!("123456/{ZB}")),
        ("DQM_V0001_R000999999__Edge__Cases-v1__DQMIO.root", format!("999999/{EDGE}")),
        ("run123456_ls0003_streamDQMHistograms.pb", format!("123456/{PB}")),
    ];
    let mut cases = Vec::new();
    for (file, sample) in fixtures {
        for me in expected["fixtures"][file]["mes"].as_array().unwrap() {
            let Some(probes) = me.get("probes") else { continue };
            let path = me["path"].as_str().unwrap();
            let text = body(&store, &format!("/api/v1/json/{sample}/{}", path.replace(' ', "%20")));
            cases.push(json!({"path": path, "type": me["type"], "title": me["title"], "json": text, "probes": probes}));
        }
    }
    let types: std::collections::BTreeSet<&str> = cases.iter().map(|c| c["type"].as_str().unwrap()).collect();
    assert_eq!(types.len(), 10, "every histogram class of the fixtures: {types:?}");
    let input = std::env::temp_dir().join(format!("dqmgui-jsroot-{}.json", std::process::id()));
    std::fs::write(&input, Value::from(cases).to_string()).unwrap();
    let out = Command::new("node").arg(dir.join("check.mjs")).arg(&input).current_dir(&dir).output().unwrap();
    let _ = std::fs::remove_file(&input);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "JSROOT check failed:\n{stdout}\n{stderr}");
    assert!(stdout.lines().filter(|l| l.starts_with("ok ")).count() >= 20, "{stdout}");
}
