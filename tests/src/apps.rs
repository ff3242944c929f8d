//! One-component test apps (`tests/apps/<name>/spin.toml` with a `__WASM__` placeholder) and running
//! scraper-host against their state dir.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::TestApp;

/// A built component of this workspace, e.g. `runregistry-component`; panics with the build command.
pub fn component(package: &str) -> PathBuf {
    let path = crate::target_dir().join("wasm32-wasip2/release").join(format!("{}.wasm", package.replace('-', "_")));
    assert!(
        path.is_file(),
        "{} is missing: run `cargo build --release --target wasm32-wasip2 -p {package}` first",
        path.display()
    );
    path
}

/// `tests/apps/<name>` in a temp dir (its `.spin` is the app's store), `__WASM__` pointing at the built `package`
/// and `__UI_WASM__`, in apps whose pages carry the site header, at the ui component.
pub fn app(name: &str, package: &str) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("apps").join(name).join("spin.toml");
    let mut text = std::fs::read_to_string(&source).unwrap_or_else(|e| panic!("{}: {e}", source.display()));
    if text.contains("__UI_WASM__") {
        text = text.replace("__UI_WASM__", &component("ui-component").to_string_lossy());
    }
    std::fs::write(dir.path().join("spin.toml"), text.replace("__WASM__", &component(package).to_string_lossy())).expect("write manifest");
    std::fs::create_dir_all(dir.path().join(".spin")).expect("state dir");
    TestApp { dir }
}

/// Runs `scraper-host --from <app> <args…>` (so it opens the app's `.spin` state dir, as the gateway does).
pub fn scraper_host(app: &TestApp, args: &[&str]) -> Output {
    Command::new(crate::scraper_host_bin())
        .arg("--from")
        .arg(app.manifest())
        .args(args)
        .current_dir(app.path())
        .output()
        .expect("run scraper-host")
}
