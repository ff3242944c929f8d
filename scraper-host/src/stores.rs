//! Opens the key-value stores exactly as `gateway up` would: the same runtime config, the same state dir,
//! read-only with the global `--read-only`.

use std::path::{Path, PathBuf};

use kv_store::{StoreManager, StoresConfig};
use spin_app::runtime_config::{self, RuntimeConfig};

use crate::args::{failed, Failure, Global};

pub fn open(global: &Global) -> Result<StoreManager, Failure> {
    let runtime_config = match &global.runtime_config_file {
        Some(path) => RuntimeConfig::load(path).map_err(failed)?,
        None => RuntimeConfig::default(),
    };
    let state_dir = runtime_config::state_dir(global.state_dir.as_deref(), &runtime_config, &app_dir(global));
    let config = StoresConfig::from_runtime_config(&runtime_config, state_dir.as_deref(), global.read_only).map_err(failed)?;
    StoreManager::open(&config).map_err(|e| failed(format!("opening key-value stores: {e}")))
}

/// The manifest's directory (`--from` as a file or directory, default `./spin.toml`), made absolute.
fn app_dir(global: &Global) -> PathBuf {
    let from = global.from.clone().unwrap_or_else(|| PathBuf::from("spin.toml"));
    let manifest = if from.is_dir() { from.join("spin.toml") } else { from };
    let manifest = std::path::absolute(&manifest).unwrap_or(manifest);
    manifest.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."))
}
