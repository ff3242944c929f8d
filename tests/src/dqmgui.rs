//! The DQM GUI test app: `tests/apps/dqmgui/spin.toml` with the built `dqmgui-*` components, plus copies of the
//! repo's `data/` (mounted at `/data`) and `layouts/` (mounted at `/layouts`).

use std::path::{Path, PathBuf};

use crate::{target_dir, TestApp};

/// The component groups, as named in the manifest (`__DQMGUI_<GROUP>_WASM__`).
pub const GROUPS: [&str; 7] = ["register", "samples", "archive", "layouts", "json", "legacy", "render"];
/// The command that builds them; printed when one is missing.
pub const DQMGUI_BUILD: &str = "cargo build --release --target wasm32-wasip2 -p dqmgui-register -p dqmgui-samples \
     -p dqmgui-archive -p dqmgui-layouts -p dqmgui-json -p dqmgui-legacy -p dqmgui-render";
/// The admin token the tests start the gateway with.
pub const ADMIN_TOKEN: &str = "test-admin-token";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The built `dqmgui-<group>` component.
pub fn dqmgui_wasm(group: &str) -> PathBuf {
    let path = target_dir().join("wasm32-wasip2/release").join(format!("dqmgui_{group}.wasm"));
    assert!(path.is_file(), "{} is missing: run `{DQMGUI_BUILD}` first", path.display());
    path
}

/// A fresh copy of the app in a temp dir (its own `.spin` state, so an empty store).
pub fn dqmgui_app() -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let manifest = std::fs::read_to_string(repo().join("tests/apps/dqmgui/spin.toml")).expect("dqmgui test manifest");
    let manifest = GROUPS.iter().fold(manifest, |text, group| {
        text.replace(&format!("__DQMGUI_{}_WASM__", group.to_uppercase()), &dqmgui_wasm(group).to_string_lossy())
    });
    std::fs::write(dir.path().join("spin.toml"), manifest).expect("write manifest");
    for folder in ["data", "layouts"] {
        copy_files(&repo().join(folder), &dir.path().join(folder));
    }
    TestApp { dir }
}

fn copy_files(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("reading {}: {e}", from.display())) {
        let entry = entry.expect("dir entry");
        if entry.path().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy file");
        }
    }
}

/// The register body for the five fixtures under `/data` (the DQMIO file at lumis 0–3), as in dqmgui-api.md §11.
pub fn fixture_registrations() -> String {
    let zb = "/ZeroBias/Run2024A-PromptReco-v1/DQMIO";
    let mut items = vec![
        (zb, 123456, 0, "DQM_V0001_R000123456__ZeroBias__Run2024A-PromptReco-v1__DQMIO.root", 1),
        (zb, 123457, 0, "DQM_V0001_R000123457__ZeroBias__Run2024A-PromptReco-v1__DQMIO.root", 1),
        ("/Edge/Cases-v1/DQMIO", 999999, 0, "DQM_V0001_R000999999__Edge__Cases-v1__DQMIO.root", 1),
        ("/Global/Online/ALL", 123456, 0, "run123456_ls0003_streamDQMHistograms.pb", 3),
    ];
    for lumi in 0..4 {
        items.push(("/ZeroBias/Run2024A-PromptReco-v1/DQMIOTREE", 123456, lumi, "DQMIO_R000123456_ZeroBias.root", 2));
    }
    let items: Vec<serde_json::Value> = items
        .into_iter()
        .map(|(dataset, run, lumi, file, format)| {
            serde_json::json!({"dataset": dataset, "run": run, "lumi": lumi, "file": format!("/data/{file}"), "fileformat": format})
        })
        .collect();
    serde_json::Value::from(items).to_string()
}
